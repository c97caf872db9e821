#!/usr/bin/env node
// Entry point: runs the compiled CLI (built by `npm ci` through the prepare script).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('meshsim: not built yet; run `npm ci` or `npm run build` first\n');
    process.exit(2);
  }
  throw err;
});
