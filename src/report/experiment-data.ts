/**
 * The Experiment tab's data: the axes, and per point the mean, min and max of every metric over
 * its seeds (what `meshsim experiment` summarises). Plain JSON; the charts are drawn in the
 * browser. Judges nothing and reads no clock.
 */

export type ExperimentAxisValue = string | number | boolean | null;

export interface ExperimentStats {
  readonly n: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export interface ExperimentPointData {
  readonly point: number;
  /** One value per axis. */
  readonly values: readonly ExperimentAxisValue[];
  readonly runs: number;
  readonly passed: number;
  readonly metrics: Readonly<Record<string, ExperimentStats>>;
}

export interface ExperimentSection {
  readonly name: string;
  readonly description: string;
  /** The base scenario's name. */
  readonly base: string;
  /** The seeds every point ran, as typed (`1..5`), with the shard when there was one. */
  readonly seeds: string;
  readonly axes: readonly { readonly path: string; readonly values: readonly ExperimentAxisValue[] }[];
  /** Every metric any point has, sorted. */
  readonly metrics: readonly string[];
  readonly points: readonly ExperimentPointData[];
}
