/**
 * Span attributes as one readable line for the report (hover text, evidence cells): keys in
 * sorted order, and 64-hex node ids replaced by node names. Display only; never parsed back.
 */
import type { Attrs } from '../sim/telemetry/index.js';

/** Node id → node name. */
export type NodeNames = ReadonlyMap<string, string>;

const NODE_ID = /^[0-9a-f]{64}$/;

export function attrText(attrs: Attrs, names: NodeNames): string {
  return Object.keys(attrs)
    .sort()
    .map((k) => `${k}=${displayValue(attrs[k], names)}`)
    .join(' ');
}

function displayValue(value: string | number | boolean, names: NodeNames): string {
  if (typeof value !== 'string') return String(value);
  if (!value.includes(',')) return nameOf(value, names);
  return value
    .split(',')
    .map((v) => nameOf(v, names))
    .join(',');
}

function nameOf(value: string, names: NodeNames): string {
  return NODE_ID.test(value) ? (names.get(value) ?? `${value.slice(0, 8)}…`) : value;
}
