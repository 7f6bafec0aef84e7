/**
 * Pieces of the attempt state that the hot path made faster and that must still say the same:
 * a pooled attempt's reset (generated from the field initializers), and the sorted, de-duplicated
 * evidence frames of a decision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Attempt, AttemptPool } from '../src/handshake/attempt.js';
import { evidenceFrames } from '../src/verdict/flags.js';
import { FlowKey } from '../src/flow/table.js';
import { mulberry32 } from './helpers/prng.js';

test('a pooled attempt taken again has every field of a new one, with arrays of its own', () => {
  const pool = new AttemptPool();
  const used = pool.take();
  used.setKey(6, [1, 2, 3, 4], 5000, [5, 6, 7, 8], 443);
  const keyFields = new Set(Object.keys(new FlowKey()));
  const record = used as unknown as Record<string, unknown>;
  // Change every field of Attempt's own to something else than its starting value.
  for (const [k, v] of Object.entries(record)) {
    if (keyFields.has(k) || k === 'uid') continue;
    if (typeof v === 'number') record[k] = v === 7 ? 8 : 7;
    else if (typeof v === 'boolean') record[k] = !v;
    else if (typeof v === 'string') record[k] = `${v}x`;
    else if (Array.isArray(v)) record[k] = [99];
    else record[k] = [1, 2, 3, 4]; // the null ones: icmpSender, host, endpoint (any value will do)
  }
  used.synFrames.push(100);
  const oldFrames = used.synFrames;
  const uid = used.uid;
  pool.give(used);
  const again = pool.take();
  assert.equal(again, used, 'the pool gives the object back');
  assert.equal(again.uid, uid, 'uid stays: it is the object\'s own');
  assert.equal(again.version, 6, 'the flow key is set by setKey, not by reset');
  const fresh = new Attempt() as unknown as Record<string, unknown>;
  const after = again as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(fresh)) {
    if (keyFields.has(k) || k === 'uid') continue;
    assert.deepEqual(after[k], v, `field ${k}`);
  }
  assert.deepEqual(Object.keys(after), Object.keys(fresh), 'same fields, same order');
  assert.notEqual(again.synFrames, oldFrames, 'a report may still hold the old array');
  assert.deepEqual(oldFrames, [99, 100], 'the old array is left as it was');
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
