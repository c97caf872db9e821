/**
 * uPlot (MIT, © Leon Sorokin; the `uplot` package pinned in package.json), inlined into
 * experiment reports so the file stays self-contained: its minified browser build and
 * stylesheet, read from the installed package once per process. Chosen because it is small
 * (~50 KB), has no dependencies, draws line charts with min–max bands natively and is fast
 * with many series. Only experiment reports carry it; run and battery reports stay lean.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface VendoredLibrary {
  readonly script: string;
  readonly css: string;
}

let cached: VendoredLibrary | null = null;

export function uplotLibrary(): VendoredLibrary {
  if (cached === null) {
    const require = createRequire(import.meta.url);
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    // Inlined in <script>/<style>: a closing tag inside would end the element early.
    if (/<\/(script|style)/i.test(script + css)) throw new Error('uPlot build contains a closing script/style tag');
    cached = { script, css };
  }
  return cached;
}
