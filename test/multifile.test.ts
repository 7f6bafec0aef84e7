/** Rotated capture sets: several files (in any order, or as a directory or pattern) read as one capture. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { splitCapture } from './helpers/split.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'fixtures', 'basic-v4-client.pcap');

async function split(at: number, dir: string): Promise<[string, string]> {
  const a = join(dir, 'cap.pcap1');
  const b = join(dir, 'cap.pcap2');
  await splitCapture(fixture, at, a, b);
  return [a, b];
}

test('a capture split in two, given in either order, gets the verdicts of the whole', async () => {
  const whole = await analyze(fixture);
  const dir = mkdtempSync(join(tmpdir(), 'synscope-multi-'));
  // Split between the filtered attempt's first and second SYN.
  const syns = whole.attempts.find((x) => x.verdict === 'filtered')!.frames;
  assert.ok(syns.length >= 3, `filtered attempt frames ${syns}`);
  const [a, b] = await split(syns[0], dir);
  for (const order of [[a, b], [b, a]]) {
    const r = await analyze(order);
    assert.deepEqual(r.attempts.map((x) => x.verdict), whole.attempts.map((x) => x.verdict));
    assert.deepEqual(r.summary.files, [a, b]);
  }
  const r = await analyze([b, a]);
  const filtered = r.attempts.find((x) => x.verdict === 'filtered')!;
  assert.equal(filtered.file, a);
  assert.deepEqual(filtered.frames, [syns[0]]);
  assert.deepEqual(filtered.otherFrames, [{ file: b, frames: syns.slice(1).map((f) => f - syns[0]) }]);
  const later = r.attempts.find((x) => x.server.port === 8083)!;
  const laterWhole = whole.attempts.find((x) => x.server.port === 8083)!;
  assert.equal(later.file, b);
  assert.deepEqual(later.frames, laterWhole.frames.map((f) => f - syns[0]));
});

test('a directory and a pattern expand to the captures in them, in time order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synscope-dir-'));
  mkdirSync(join(dir, 'set'));
  const [a, b] = await split(30, join(dir, 'set'));
  writeFileSync(join(dir, 'set', 'notes.txt'), 'not a capture');
  const byDir = await analyze(join(dir, 'set'));
  assert.deepEqual(byDir.summary.files, [a, b]);
  assert.equal(byDir.summary.attempts, 13);
  const byGlob = await analyze(join(dir, 'set', 'cap.pcap*'));
  assert.deepEqual(byGlob.summary.files, [a, b]);
});
