/**
 * Pieces of the attempt state that the hot path made faster and that must still say the same:
 * a reused attempt row (starting values generated from the column list), and the sorted, de-duplicated
 * evidence frames of a decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTEMPT_COLUMNS, AttemptTable } from '../src/handshake/attempt.js';
import { evidenceFrames } from '../src/verdict/flags.js';
import { mulberry32 } from './helpers/prng.js';

test('a freed attempt row taken again has every field of a new one, with arrays of its own', () => {
  const table = new AttemptTable();
  const used = table.alloc();
  used.setKey(6, [1, 2, 3, 4], 5000, [5, 6, 7, 8], 443);
  const record = used as unknown as Record<string, unknown>;
  const fresh = new AttemptTable().alloc() as unknown as Record<string, unknown>;
  // Change every column to something else than its starting value.
  for (const k of Object.keys(ATTEMPT_COLUMNS)) {
    const v = record[k];
    if (typeof v === 'number') record[k] = v === 7 ? 8 : 7;
    else if (typeof v === 'boolean') record[k] = !v;
    else if (typeof v === 'string') record[k] = `${v}x`;
    else if (Array.isArray(v)) record[k] = [99];
    else record[k] = [1, 2, 3, 4]; // the null ones: icmpSender, host, endpoint (any value will do)
  }
  for (const k of Object.keys(ATTEMPT_COLUMNS)) assert.notDeepEqual(record[k], fresh[k], `field ${k} was changed`);
  used.synFrames.push(100);
  const oldFrames = used.synFrames;
  const slot = used.uid;
  const generation = table.generation(used);
  assert.equal(table.answers, 1, 'writing an answer field gave the row an answer place');
  table.free(used);
  assert.equal(table.answers, 0, 'freeing the row frees its answer place');
  table.free(used);
  assert.equal(table.size, 0, 'a second free of the same row changes nothing');
  const again = table.alloc();
  assert.equal(again, used, 'the slot and its handle are reused');
  assert.equal(again.uid, slot);
  assert.equal(table.generation(again), generation + 1, 'a new generation of the slot');
  for (const k of Object.keys(ATTEMPT_COLUMNS)) assert.deepEqual(record[k], fresh[k], `field ${k}`);
  assert.equal(table.answers, 0, 'reading answer fields takes no answer place');
  assert.notEqual(again.synFrames, oldFrames, 'a report may still hold the old array');
  assert.deepEqual(oldFrames, [99, 100], 'the old array is left as it was');
});

test('attempt rows: an unanswered attempt has no answer place; slots past a segment get segments of their own', () => {
  const table = new AttemptTable();
  const rows = Array.from({ length: 3000 }, () => table.alloc());
  rows.forEach((a, n) => { a.seq = n; a.lastSynT = n / 10; a.synCount = 2; a.history = 'ST'; });
  assert.equal(table.answers, 0);
  rows[2500].synAckT = 1.5;
  rows[10].rstT = 2;
  assert.equal(table.answers, 2);
  rows.forEach((a, n) => assert.equal(a.seq, n));
  assert.equal(rows[2500].synAckT, 1.5);
  assert.equal(rows[2500].rstT, -1, 'other answer fields start at their starting value');
  assert.equal(rows[10].synAckT, -1);
  assert.equal(rows[11].synAckT, -1);
  assert.equal(new Set(rows.map((a) => a.uid)).size, 3000, 'each row its own slot');
});

test('evidence frames: positive, each once, ascending; the input is not changed', () => {
  const rnd = mulberry32(11);
  for (let n = 0; n < 2000; n++) {
    const len = Math.floor(rnd() * 12);
    const frames = Array.from({ length: len }, () => Math.floor(rnd() * 8) - 1);
    const copy = frames.slice();
    const expected = frames.filter((f, i) => f > 0 && frames.indexOf(f) === i).sort((x, y) => x - y);
    assert.deepEqual(evidenceFrames(frames), expected, JSON.stringify(frames));
    assert.deepEqual(frames, copy);
  }
  const a = evidenceFrames([3, 1]);
  const b = evidenceFrames([2]);
  assert.deepEqual(a, [1, 3], 'each call returns an array of its own');
  assert.deepEqual(b, [2]);
});
