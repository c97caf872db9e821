/**
 * The experiment's table: per point, per metric, the mean, min and max over the seeds that
 * ran it (and how many did). Fed the result lines one by one, so it never holds them all.
 * Output order is fixed (points by index, metrics by name), whatever order lines came in. Pure.
 */
import type { ExperimentPointData, ExperimentStats } from '../report/experiment-data.js';
import type { AxisValue } from './experiment-file.js';
import type { ExperimentLine } from './worker.js';

/** One metric over a point's seeds (`n`: seeds that reported it): the report's own shape. */
export type MetricStats = ExperimentStats;
/** A point's row of the table: the shape the Experiment view draws from. */
export type PointSummary = ExperimentPointData;

interface Accumulator {
  runs: number;
  passed: number;
  readonly metrics: Map<string, { n: number; sum: number; min: number; max: number }>;
}

const MEAN_DIGITS = 6;

export class ExperimentSummary {
  private readonly byPoint = new Map<number, Accumulator>();

  constructor(private readonly valuesOf: (point: number) => readonly AxisValue[]) {}

  add(line: ExperimentLine): void {
    let acc = this.byPoint.get(line.point);
    if (acc === undefined) {
      acc = { runs: 0, passed: 0, metrics: new Map() };
      this.byPoint.set(line.point, acc);
    }
    acc.runs++;
    if (line.verdict === 'pass') acc.passed++;
    for (const [name, value] of Object.entries(line.metrics)) {
      const m = acc.metrics.get(name);
      if (m === undefined) acc.metrics.set(name, { n: 1, sum: value, min: value, max: value });
      else {
        m.n++;
        m.sum += value;
        m.min = Math.min(m.min, value);
        m.max = Math.max(m.max, value);
      }
    }
  }

  get runs(): number {
    let n = 0;
    for (const acc of this.byPoint.values()) n += acc.runs;
    return n;
  }

  get passed(): number {
    let n = 0;
    for (const acc of this.byPoint.values()) n += acc.passed;
    return n;
  }

  points(): PointSummary[] {
    const f = 10 ** MEAN_DIGITS;
    return [...this.byPoint.keys()]
      .sort((a, b) => a - b)
      .map((point) => {
        const acc = this.byPoint.get(point)!;
        const names = [...acc.metrics.keys()].sort();
        const metrics = Object.fromEntries(
          names.map((name) => {
            const m = acc.metrics.get(name)!;
            return [name, { n: m.n, mean: Math.round((m.sum / m.n) * f) / f, min: m.min, max: m.max }];
          }),
        );
        return { point, values: this.valuesOf(point), runs: acc.runs, passed: acc.passed, metrics };
      });
  }
}

/** Every metric name any point has, sorted. */
export function metricNames(points: readonly PointSummary[]): string[] {
  return [...new Set(points.flatMap((p) => Object.keys(p.metrics)))].sort();
}
