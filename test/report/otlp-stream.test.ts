/**
 * OTLP written as the run goes (src/report/otlp.ts, `OtlpStream`). Goal: a run that keeps no
 * per-pair or per-message spans in memory (above 1,000 nodes, no extensions) still gets an OTLP
 * file with every span it recorded, in the same span objects an export from memory writes, and
 * the same bytes for the same seed; `meshsim run --otlp` uses it for such runs and says so, and
 * keeps writing runs it holds whole from memory. Method: stream a small run in batches and
 * compare span by span with the export from memory; run a 1,001-node scenario file through the
 * CLI and count the file's spans by name against the run's own counts.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpStream, otlpJsonOfRun, otlpStreamBatch, summarizeOtlp, writeOtlpOfRun } from '../../src/report/otlp.js';
import { findScenario } from '../../src/catalog/registry.js';
import { runScenario, type RunOutcome } from '../../src/scenario/runner.js';
import { cli, requireBuiltCli } from '../support/cli.js';

interface OtlpSpan { spanId: string; name: string }
interface OtlpDoc { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] }

/** Each span of a document as its JSON text, by span id, with the service it sits under. */
function spansOf(json: string): Map<string, string> {
  const doc = JSON.parse(json) as OtlpDoc;
  const out = new Map<string, string>();
  for (const rs of doc.resourceSpans) {
    const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
    for (const ss of rs.scopeSpans) for (const span of ss.spans) out.set(span.spanId, `${service} ${JSON.stringify(span)}`);
  }
  return out;
}

function streamed(seed: string, batch: number): { outcome: RunOutcome; json: string; summary: ReturnType<OtlpStream['finish']> } {
  const chunks: string[] = [];
  let stream: OtlpStream | null = null;
  const outcome = runScenario(findScenario('kill-node')!, seed, { onStart: (cluster) => void (stream = new OtlpStream(cluster.telemetry, (c) => chunks.push(c), batch)) });
  const summary = (stream as OtlpStream | null)!.finish();
  return { outcome, json: chunks.join(''), summary };
}

describe('OTLP written as the run goes', () => {
  it('holds every span once, each the same object an export from memory writes, under the same service', () => {
    const { outcome, json, summary } = streamed('11', 97);
    const fromMemory = spansOf(otlpJsonOfRun(outcome.cluster.telemetry));
    const written = spansOf(json);
    expect(outcome.cluster.telemetry.records.length).toBeGreaterThan(97 * 3); // several batches
    expect(written.size).toBe(outcome.cluster.telemetry.records.length);
    expect([...written.keys()].sort()).toEqual([...fromMemory.keys()].sort());
    for (const [id, text] of written) expect(text, id).toBe(fromMemory.get(id));
    // What finish() says is what the document holds.
    expect(summarizeOtlp(json)).toEqual({ resources: summary.resources, spans: summary.spans });
    expect(summary.bytes).toBe(Buffer.byteLength(json));
  });

  it('batches ten spans per node, from 10,000 to 100,000 (fewer resource entries, bounded memory)', () => {
    expect([18, 1_001, 5_000, 10_000, 100_000].map(otlpStreamBatch)).toEqual([10_000, 10_010, 50_000, 100_000, 100_000]);
  });

  it('gives the same bytes for the same seed', () => {
    const a = streamed('12', 500);
    const b = streamed('12', 500);
    expect(a.summary.spans).toBe(a.outcome.cluster.telemetry.records.length);
    expect(a.json).toBe(b.json);
  });
});

describe('OTLP of a finished run written in pieces (writeOtlpOfRun)', () => {
  // A 10,000-node chaos run keeps 1.4 M spans: more JSON than one string holds, so `meshsim run
  // --otlp` writes runs it holds in memory through this, a group of nodes at a time.
  let outcome: RunOutcome;
  let perNode: number[];
  beforeAll(() => {
    outcome = runScenario(findScenario('kill-node')!, '13');
    const counts = new Map<string, number>();
    for (const r of outcome.cluster.telemetry.records) counts.set(r.node, (counts.get(r.node) ?? 0) + 1);
    perNode = [...counts.values()];
  });
  const written = (batch: number): { chunks: string[]; summary: ReturnType<typeof writeOtlpOfRun> } => {
    const chunks: string[] = [];
    return { summary: writeOtlpOfRun(outcome.cluster.telemetry, (c) => chunks.push(c), batch), chunks };
  };
  /** Spans in a piece: the document's head and tail, or resourceSpans entries (after a comma but the first). */
  const spansIn = (chunk: string): number => {
    if (chunk === '{"resourceSpans":[' || chunk === ']}') return 0;
    const entries = JSON.parse(`[${chunk.replace(/^,/, '')}]`) as OtlpDoc['resourceSpans'];
    return entries.reduce((sum, rs) => sum + rs.scopeSpans.reduce((n, ss) => n + ss.spans.length, 0), 0);
  };

  it('gives the bytes of otlpJsonOfRun when no node has more spans than a batch, in pieces of at most a batch', () => {
    const batch = Math.max(...perNode) + 1;
    const total = outcome.cluster.telemetry.records.length;
    expect(total).toBeGreaterThan(batch * 3); // several groups of nodes
    const { chunks, summary } = written(batch);
    const json = chunks.join('');
    expect(json).toBe(otlpJsonOfRun(outcome.cluster.telemetry));
    expect(chunks.length).toBeGreaterThan(4); // head, three groups or more, tail
    for (const c of chunks) expect(spansIn(c)).toBeLessThanOrEqual(batch);
    expect({ resources: summary.resources, spans: summary.spans }).toEqual(summarizeOtlp(json));
    expect(summary.resources).toBe(perNode.length); // one entry per node, as from memory
    expect(summary.bytes).toBe(Buffer.byteLength(json));
  });

  it('cuts a node with more spans than a batch into entries of a batch each, every span written once as from memory', () => {
    const batch = 50;
    expect(Math.max(...perNode)).toBeGreaterThan(batch * 2);
    const { chunks, summary } = written(batch);
    const json = chunks.join('');
    for (const c of chunks) expect(spansIn(c)).toBeLessThanOrEqual(batch);
    const fromMemory = spansOf(otlpJsonOfRun(outcome.cluster.telemetry));
    const got = spansOf(json);
    expect(got.size).toBe(outcome.cluster.telemetry.records.length);
    expect([...got.keys()].sort()).toEqual([...fromMemory.keys()].sort());
    for (const [id, text] of got) expect(text, id).toBe(fromMemory.get(id));
    expect({ resources: summary.resources, spans: summary.spans }).toEqual(summarizeOtlp(json));
    expect(summary.resources).toBe(perNode.reduce((sum, n) => sum + Math.ceil(n / batch), 0));
  });
});

describe('meshsim run --otlp above 1,000 nodes', () => {
  let dir: string;
  beforeAll(() => {
    requireBuiltCli();
    dir = mkdtempSync(join(tmpdir(), 'meshsim-otlp-stream-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const wide = (): string => {
    const scenario = join(dir, 'wide.json');
    writeFileSync(scenario, JSON.stringify({
      name: 'wide',
      profile: 'protocol',
      topology: { meshes: [{ meshId: 'mesh-a', roles: { gateway: 1_001 } }], observer: false },
      bootSpacingMs: 0,
      durationMs: 3_000,
      healWindowMs: 30_000,
      probeIntervalMs: 0,
      workload: [{ kind: 'broadcast', sender: 'random', fromMs: 1_000, everyMs: 500, count: 2 }],
    }));
    return scenario;
  };

  it('writes every span, per-pair ones included, though the run keeps none of those in memory', async () => {
    const otlp = join(dir, 'wide-otlp.json');
    const r = await cli('run', '--scenario', wide(), '--seed', '1', '--json', '--otlp', otlp);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { spans: number; spansByName: Record<string, number>; spansNotRetained: number };
    expect(report.spansNotRetained).toBeGreaterThan(0); // the case meant: per-pair spans not kept
    expect(r.stderr).toMatch(/^otlp: .*wide-otlp\.json \(\d+ spans, \d+ resources, [\d.]+ KiB; written as the run went\)\n$/);
    const json = readFileSync(otlp, 'utf8');
    expect(summarizeOtlp(json).spans).toBe(report.spans);
    const byName = new Map<string, number>();
    for (const rs of (JSON.parse(json) as OtlpDoc).resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) byName.set(s.name, (byName.get(s.name) ?? 0) + 1);
    expect(Object.fromEntries(byName)).toEqual(report.spansByName);
    expect(byName.get('mesh.gossip.neighbor_up')).toBeGreaterThan(1_000);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temporary file left
  });

  it('with --report too, the note names the report alone as leaving out the spans not kept', async () => {
    const r = await cli('run', '--scenario', wide(), '--seed', '1', '--json', '--otlp', join(dir, 'both.json'), '--report', join(dir, 'both.html'));
    expect(r.status, r.stderr).toBe(0);
    const { spansNotRetained } = JSON.parse(r.stdout) as { spansNotRetained: number };
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^otlp: .*written as the run went\)$/);
    expect(lines[1]).toMatch(/^report: /);
    expect(lines[2]).toBe(`${spansNotRetained} per-pair and per-message spans were not kept in memory at this size and are left out of the report (the trace digest and spansByName count them)`);
  });

  it.skipIf(!existsSync('/dev/full'))('a file that fills up as the run goes: verdict still printed, one error line, exit 3', async () => {
    const r = await cli('run', '--scenario', wide(), '--seed', '1', '--otlp', '/dev/full');
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/^verdict: pass$/m);
    expect(r.stdout).toMatch(/^replay: /m);
    expect(r.stderr).toBe('meshsim: --otlp: cannot write /dev/full: ENOSPC: no space left on device\n');
  });
});
