/**
 * The Chaos tab's rows, read from the trace: each `chaos.primitive.applied` span with its
 * `detected` and `reverted` children and the evidence spans `detected` links to. The engine's
 * report log (when given) adds what spans do not carry: the deadline and its formula, and for a
 * timeout what was still missing and where the overlay stood split. Pure data;
 * never re-judges a verdict.
 */
import type { ChaosEventReport } from '../primitives/engine.js';
import { describeSplit } from '../scenario/overlay-parts.js';
import type { SpanRecord } from '../sim/telemetry/index.js';
import { attrText, type NodeNames } from './span-text.js';

export interface EvidenceRef {
  readonly node: string;
  readonly name: string;
  readonly atMs: number;
  readonly attrs: string;
}

export interface ChaosRow {
  readonly id: number;
  readonly atMs: number;
  readonly primitive: string;
  readonly targets: readonly string[];
  readonly params: string;
  /** passed | unobserved | failed_timeout | failed_assertion | pending */
  readonly verdict: string;
  readonly waitedMs: number;
  readonly message: string | null;
  readonly detectedAtMs: number | null;
  readonly revertedAtMs: number | null;
  readonly deadlineMs: number | null;
  readonly deadlineFormula: string | null;
  readonly evidence: readonly EvidenceRef[];
}

export function chaosRowsOf(records: readonly SpanRecord[], names: NodeNames, log: readonly ChaosEventReport[] = []): ChaosRow[] {
  const bySpanId = new Map<string, SpanRecord>();
  const childrenOf = new Map<string, SpanRecord[]>();
  const applied: SpanRecord[] = [];
  for (const r of records) {
    bySpanId.set(r.spanId, r);
    if (r.name === 'chaos.primitive.applied') applied.push(r);
    if (r.parentSpanId !== null && r.name.startsWith('chaos.primitive.')) {
      const list = childrenOf.get(r.parentSpanId);
      if (list === undefined) childrenOf.set(r.parentSpanId, [r]);
      else list.push(r);
    }
  }
  return applied.map((a, i) => {
    const children = childrenOf.get(a.spanId) ?? [];
    const detected = children.find((c) => c.name === 'chaos.primitive.detected');
    const reverted = children.find((c) => c.name === 'chaos.primitive.reverted');
    // The engine logs events in firing order, as it emits `applied`; match by position and name.
    const entry = log[i] !== undefined && log[i].primitive === a.attrs.name && log[i].atMs === a.endMs ? log[i] : undefined;
    const evidence = (detected?.links ?? [])
      .map((l) => bySpanId.get(l.spanId))
      .filter((s): s is SpanRecord => s !== undefined)
      .map((s) => ({ node: s.node, name: s.name, atMs: s.endMs, attrs: attrText(s.attrs, names) }));
    const message = detected?.attrs.message ?? (entry === undefined ? undefined : timeoutText(entry));
    return {
      id: entry?.id ?? i + 1,
      atMs: a.endMs,
      primitive: String(a.attrs.name),
      targets: String(a.attrs.targets ?? '').split(',').filter((t) => t !== ''),
      params: String(a.attrs.params ?? '{}'),
      verdict: detected === undefined ? 'pending' : String(detected.attrs.result),
      waitedMs: detected === undefined ? 0 : Number(detected.attrs.waitedMs),
      message: message === undefined ? null : String(message),
      detectedAtMs: detected?.endMs ?? null,
      revertedAtMs: reverted?.endMs ?? null,
      deadlineMs: entry?.deadlineMs ?? null,
      deadlineFormula: entry?.deadlineFormula ?? null,
      evidence,
    };
  });
}

/**
 * A timeout's span carries no message: its log entry says what was still missing, and where the
 * overlay stood split when it timed out. Undefined for any other verdict, or with nothing to say.
 */
function timeoutText(entry: ChaosEventReport): string | undefined {
  if (entry.verdict !== 'failed_timeout') return undefined;
  const parts = [
    ...(entry.missing === undefined || entry.missing === '' ? [] : [`still missing: ${entry.missing}`]),
    ...(entry.split === undefined ? [] : [`apart from the rest of their overlay when it timed out: ${describeSplit(entry.split)}`]),
  ];
  return parts.length === 0 ? undefined : parts.join('; ');
}
