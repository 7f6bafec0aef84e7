#!/usr/bin/env node
// The `synscope` command. The code is the compiled dist/src/cli/main.js (it sets V8's heap growth
// for this process only: see setFlagsFromString there). A git clone builds it with `npm install`
// (npm's `prepare`); the npm tarball ships it built, so installing that needs no TypeScript.
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('synscope: not built yet: run `npm install` (or `npm run build`) in the synscope folder\n');
  process.exit(2);
}
await import(main.href);
