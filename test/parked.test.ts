/**
 * The compact store of unanswered attempts: a ring that grows while its live entries wrap
 * around its end must keep every entry, in deadline order, findable by its tuple.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAttempt, type Attempt } from '../src/handshake/attempt.js';
import { ParkedSyns } from '../src/handshake/parked.js';

function attempt(i: number): Attempt {
  const a = blankAttempt();
  a.setKey(4, [0xc6336400 + (i % 250)], 1024 + Math.floor(i / 250), [0xcb007114], 80);
  a.seq = i;
  a.isn = (i * 2654435761) >>> 0;
  a.t0 = a.lastSynT = a.prevSynT = a.lastT = i / 1000;
  a.synFrames.push(i + 1, i + 1000001);
  a.synCount = 2;
  a.history = 'ST';
  return a;
}

test('growing while the entries wrap around the ring keeps each one, in order, findable', () => {
  const store = new ParkedSyns(1_000_000);
  let next = 0;
  let oldest = 0;
  // Fill the first 4096 slots, take 3000 from the head, then park past the end so the ring wraps
  // and later doubles (twice) with its entries in two runs.
  for (; next < 4096; next++) store.park(attempt(next), next / 1000 + 3);
  for (; oldest < 3000; oldest++) {
    const s = store.oldest();
    assert.equal(store.unpark(blankAttempt(), s).seq, oldest);
  }
  for (; next < 12_000; next++) store.park(attempt(next), next / 1000 + 3);
  assert.equal(store.size, 12_000 - 3000);
  for (let i = oldest; i < next; i += 7) {
    const probe = attempt(i);
    const s = store.find(4, probe.cli, probe.cport, probe.srv, probe.sport, 0);
    assert.ok(s >= 0, `attempt ${i} not found`);
    assert.equal(store.seqOf(s), i);
    assert.equal(store.deadline(s), i / 1000 + 3);
  }
  for (; oldest < next; oldest++) {
    const a = store.unpark(blankAttempt(), store.oldest());
    assert.equal(a.seq, oldest);
    assert.equal(a.isn, (oldest * 2654435761) >>> 0);
    assert.deepEqual(a.synFrames, [oldest + 1, oldest + 1000001]);
    assert.equal(a.history, 'ST');
  }
  assert.equal(store.size, 0);
  assert.equal(store.oldest(), -1);
});
