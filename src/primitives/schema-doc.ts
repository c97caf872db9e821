/**
 * The generated part of docs/primitives.md: from every primitive's spec, a table of targets,
 * kills, deadline formula and whether the `protocol` profile can judge it, and a table of parameters (unit, accepted range, value when a
 * schedule omits it, what `choose` draws, the range property tests explore). The doc holds it
 * between two marker lines; test/primitive-schemas.test.ts fails when it differs, and
 * `npm run build && node scripts/primitives-doc.mjs` rewrites it. Pure: renders text, no IO.
 */
import { implementedPrimitives, specOf } from './registry.js';
import { deadlineOf, FAULT_LENGTH_MS_MAX, type ParamSpec, type PrimitiveSpec } from './schema.js';

export const DOC_BEGIN = '<!-- begin generated from the primitive specs (src/primitives/schema-doc.ts) -->';
export const DOC_END = '<!-- end generated -->';

export function renderSpecTables(): string {
  const specs = implementedPrimitives().map(specOf);
  const lines = [
    DOC_BEGIN,
    '',
    '| primitive | targets | kills | deadline (after apply) | in the `protocol` profile |',
    '|---|---|---|---|---|',
    ...specs.map((s) => `| \`${s.name}\` | ${targetsText(s)} | ${s.targets.kills ? 'yes' : 'no'} | \`${deadlineOf(s, defaults(s)).formula}\` | ${s.substrateEvidence === undefined ? 'judged' : `not drawn, refused: its evidence is ${s.substrateEvidence}`} |`),
    '',
    `Parameters. Every value is an integer; a schedule file may omit a parameter that has a value "if omitted", and any other key is an error. No fault may last longer than ${num(FAULT_LENGTH_MS_MAX)} ms (for \`flap_link\`, flaps·(downMs + upMs)).`,
    '',
    '| primitive | parameter | unit | accepted | if omitted | `choose` draws | property tests explore | meaning |',
    '|---|---|---|---|---|---|---|---|',
    ...specs.flatMap((s) => s.params.map((p) => `| \`${s.name}\` | \`${p.name}\` | ${p.unit} | ${acceptedText(p)} | ${omittedText(p)} | ${drawText(p)} | ${exploreText(p)} | ${p.doc} |`)),
    '',
    DOC_END,
  ];
  return lines.join('\n');
}

function targetsText(s: PrimitiveSpec): string {
  const n = s.targets.min === s.targets.max ? `${s.targets.min}` : `${s.targets.min}–${s.targets.max}`;
  const shape = { node: 'node', link: 'link (2 nodes)', subset: 'own nodes of one mesh, one left outside' }[s.targets.shape];
  return `${n}: ${shape}`;
}

function acceptedText(p: ParamSpec): string {
  return `${num(p.min)} … ${num(p.max)}${p.nonZero === true ? ', not 0' : ''}`;
}

function omittedText(p: ParamSpec): string {
  if (p.equalsTargetCount === true) return 'the number of targets';
  return p.default === null ? 'required' : num(p.default);
}

function drawText(p: ParamSpec): string {
  switch (p.draw.kind) {
    case 'fixed':
      return p.default === null ? '—' : num(p.default);
    case 'range':
      return `${num(p.draw.min)} … ${num(p.draw.max)}`;
    case 'signed-choice':
      return `±${p.draw.magnitudes.map(num).join(' or ±')}`;
  }
}

function exploreText(p: ParamSpec): string {
  if (p.explore === undefined) return '—';
  const e = p.explore;
  return `${num(e.min)} … ${num(e.max)} step ${num(e.step)}${e.nonZero === true ? ', not 0' : ''}`;
}

function defaults(s: PrimitiveSpec): Record<string, number> {
  return Object.fromEntries(s.params.map((p) => [p.name, p.default ?? 0]));
}

/** 600000 → "600 000" (thin groups, as the prose writes numbers). */
function num(n: number): string {
  const sign = n < 0 ? '−' : '';
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}
