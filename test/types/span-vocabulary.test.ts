/**
 * The span vocabulary fails misspellings at compile time. Goal: prove the compile-fail file
 * test/types/span-vocabulary.typecheck.ts means what it says. Method: compile it with the
 * TypeScript compiler as written (no errors: every `@ts-expect-error` met its error), then with
 * the directives blanked out (canary: exactly one error per directive, on its line).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FILE = join(ROOT, 'test', 'types', 'span-vocabulary.typecheck.ts');
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true, noEmit: true, skipLibCheck: true, types: ['node'],
};

/** Errors in FILE when compiled with `text` in place of its contents, as 1-based line numbers. */
function errorLines(text: string): number[] {
  const host = ts.createCompilerHost(OPTIONS);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === FILE ? ts.createSourceFile(name, text, version) : read(name, version, ...rest));
  const program = ts.createProgram([FILE], OPTIONS, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === FILE)
    .map((d) => d.file!.getLineAndCharacterOfPosition(d.start!).line + 1);
}

describe('span vocabulary (compile time)', () => {
  const text = readFileSync(FILE, 'utf8');
  const directives = text.split('\n').flatMap((line, i) => (line.includes('// @ts-expect-error') ? [i + 1] : []));

  it('every misspelt name or attribute in the compile-fail file is an error, and nothing else is', () => {
    expect(directives.length).toBeGreaterThanOrEqual(10);
    expect(errorLines(text)).toEqual([]);
  });

  it('canary: without the directives, each marked line fails to compile', () => {
    const bare = text.replaceAll('// @ts-expect-error', '//');
    expect([...new Set(errorLines(bare))]).toEqual(directives.map((line) => line + 1));
  }, 60_000);
});
