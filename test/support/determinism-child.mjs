/**
 * Child-process half of the determinism test: runs one scenario from the BUILT modules (dist/)
 * in a fresh Node process and prints a JSON line with its trace digest and counts, so the test
 * can compare a run that shares nothing (module state, JIT, heap) with the in-process ones.
 * Usage: node determinism-child.mjs <distDir> <scenario> <seed> <durationMs> <traceLevel>
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [distDir, name, seed, durationMs, traceLevel] = process.argv.slice(2);
const load = (rel) => import(pathToFileURL(join(distDir, rel)).href);
const { runScenario } = await load('src/scenario/runner.js');
const { findScenario } = await load('src/catalog/registry.js');
const scenario = findScenario(name);
if (scenario === undefined) throw new Error(`no scenario ${name}`);
const { report } = runScenario(scenario, seed, { durationMs: Number(durationMs), traceLevel });
const { traceDigest, spans, events, virtualMs, verdict } = report;
process.stdout.write(`${JSON.stringify({ traceDigest, spans, events, virtualMs, verdict })}\n`);
