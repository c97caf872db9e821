// Rewrites the generated block of docs/primitives.md from the primitive specs (build first: npm run build).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOC_BEGIN, DOC_END, renderSpecTables } from '../dist/src/primitives/schema-doc.js';

const path = join(import.meta.dirname, '..', 'docs', 'primitives.md');
const doc = readFileSync(path, 'utf8');
const begin = doc.indexOf(DOC_BEGIN);
const end = doc.indexOf(DOC_END);
if (begin < 0 || end < begin) throw new Error(`${path}: no generated block (${DOC_BEGIN} … ${DOC_END})`);
writeFileSync(path, doc.slice(0, begin) + renderSpecTables() + doc.slice(end + DOC_END.length));
console.log(`rewrote the generated block of ${path}`);
