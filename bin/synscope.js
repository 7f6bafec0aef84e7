#!/usr/bin/env node
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('synscope: not built yet: run `npm install` (or `npm run build`) in the synscope folder\n');
    process.exit(2);
  }
  throw err;
});
