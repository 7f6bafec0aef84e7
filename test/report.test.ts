/** Report writers: the hand-written attempt JSON must equal JSON.stringify's meaning exactly. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { attemptJson } from '../src/report/json-stream.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

test('attemptJson parses back to the same object as the report, on every real fixture', async () => {
  let n = 0;
  for (const f of readdirSync(fixtures).filter((x) => /\.(pcap|pcapng)$/.test(x))) {
    const r = await analyze(join(fixtures, f));
    for (const a of r.attempts) {
      assert.deepEqual(JSON.parse(attemptJson(a)), JSON.parse(JSON.stringify(a)));
      n++;
    }
  }
  assert.ok(n > 100, `only ${n} attempts checked`);
  const odd = { ...(await analyze(join(fixtures, 'basic-v4-client.pcap'))).attempts[0], file: 'we"ird\\name\n.pcap', otherFrames: [{ file: 'b"', frames: [1] }] };
  assert.deepEqual(JSON.parse(attemptJson(odd)), JSON.parse(JSON.stringify(odd)));
});
