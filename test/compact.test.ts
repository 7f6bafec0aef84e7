/**
 * The compact store of unanswered attempts: entries in two phases (parked, quiet) in slots that
 * never move, each phase taken in deadline order, every entry findable by its tuple whatever its
 * phase, and an entry taken out equal to the row it was made from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAttempt, type Attempt } from '../src/handshake/attempt.js';
import { CompactAttempts, PARKED, QUIET } from '../src/handshake/compact.js';
import { EndpointEntry } from '../src/handshake/evidence.js';
import { synOnlyConn } from '../src/handshake/conn-track.js';

const SERVER = [0xcb007114];
const endpoint = new EndpointEntry();
endpoint.setKey(4, [0, 0, 0, 0], 0, SERVER, 80, 0);

function attempt(i: number): Attempt {
  const a = blankAttempt();
  a.setKey(4, [0xc6336400 + (i % 250)], 1024 + Math.floor(i / 250), SERVER, 80);
  a.seq = i;
  a.isn = (i * 2654435761) >>> 0;
  a.t0 = a.lastSynT = a.prevSynT = a.lastT = i / 1000;
  a.synFrames.push(i + 1, i + 1000001);
  a.synCount = 2;
  a.history = 'ST';
  a.endpoint = endpoint;
  return a;
}

test('growing while entries come and go keeps each one, in deadline order, findable', () => {
  const store = new CompactAttempts(1_000_000, 1_000_000);
  let next = 0;
  let oldest = 0;
  // Fill 4096 slots, take 3000 from the head (their slots are reused), then put past the first
  // capacity so the arrays double twice with free slots and live ones interleaved.
  for (; next < 4096; next++) store.put(PARKED, attempt(next), next / 1000 + 3);
  for (; oldest < 3000; oldest++) {
    const s = store.oldest(PARKED);
    assert.equal(store.take(blankAttempt(), s).seq, oldest);
  }
  for (; next < 12_000; next++) store.put(PARKED, attempt(next), next / 1000 + 3);
  assert.equal(store.size(PARKED), 12_000 - 3000);
  for (let i = oldest; i < next; i += 7) {
    const probe = attempt(i);
    const s = store.find(4, probe.cli, probe.cport, probe.srv, probe.sport, 0);
    assert.ok(s >= 0, `attempt ${i} not found`);
    assert.equal(store.seqOf(s), i);
    assert.equal(store.deadline(s), i / 1000 + 3);
    assert.equal(store.phaseOf(s), PARKED);
  }
  for (; oldest < next; oldest++) {
    const a = store.take(blankAttempt(), store.oldest(PARKED));
    assert.equal(a.seq, oldest);
    assert.equal(a.isn, (oldest * 2654435761) >>> 0);
    assert.deepEqual(a.synFrames, [oldest + 1, oldest + 1000001]);
    assert.equal(a.history, 'ST');
  }
  assert.equal(store.size(PARKED), 0);
  assert.equal(store.oldest(PARKED), -1);
});

test('the two phases share slots and the index but keep their own deadline order', () => {
  const store = new CompactAttempts(1000, 1000);
  for (let i = 0; i < 100; i++) store.put(i % 2 ? QUIET : PARKED, attempt(i), i);
  assert.equal(store.size(PARKED), 50);
  assert.equal(store.size(QUIET), 50);
  // Taken early (a packet found it): its ring position goes stale and is skipped.
  const probe = attempt(1);
  const early = store.find(4, probe.cli, probe.cport, probe.srv, probe.sport, 0);
  assert.equal(store.phaseOf(early), QUIET);
  store.take(blankAttempt(), early);
  // Its slot is reused at once, by the other phase: the quiet ring must not take it for entry 1.
  store.put(PARKED, attempt(100), 100);
  assert.equal(store.seqOf(store.oldest(QUIET)), 3);
  // From the server's side: findEither finds it, reversed.
  const p = attempt(42);
  const s = store.findEither(4, p.srv, 80, p.cli, p.cport, 0);
  assert.equal(store.seqOf(s), 42);
  assert.equal(store.reversed, true);
  const order: number[] = [];
  for (let s = store.oldest(PARKED); s >= 0; s = store.oldest(PARKED)) order.push(store.take(blankAttempt(), s).seq);
  assert.deepEqual(order, [...Array.from({ length: 50 }, (_, k) => 2 * k), 100]);
  assert.equal(store.find(4, p.cli, p.cport, p.srv, p.sport, 0), -1);
});

/** Fields only a report reads: a quiet entry (reported already) does not keep them. */
const REPORT_PART = ['file', 'startSec', 'startNsec', 'endSec', 'endNsec', 'origPkts', 'origIpBytes'] as const;
const CORE = ['version', 'c0', 'c1', 'c2', 'c3', 's0', 's1', 's2', 's3', 'cport', 'sport', 'vlan', 'hash', 'seq', 'isn',
  'tsDigits', 'ifKey', 't0', 'lastSynT', 'prevSynT', 'synBeforeAckT', 'lastT', 'synCount', 'portReuse',
  'synDataLen', 'truncated', 'dupFrames', 'history', 'aliveAtT0', 'busySyns',
  'decided', 'verdict', 'revised', 'zoBits', 'zoStart', 'zoLast', 'zHistory'] as const;

function v6Attempt(ep6: EndpointEntry, srv6: number[]): Attempt {
  const a = blankAttempt();
  a.setKey(6, [0x20010db8, 1, 2, 3], 50123, srv6, 443, 7);
  Object.assign(a, {
    seq: 7, file: 2, isn: 0xfffffff0, startSec: 1_700_000_000, startNsec: 999_999_999, tsDigits: 9, ifKey: 2 ** 40 + 3,
    t0: 1.5, lastSynT: 4.5, prevSynT: 2.5, synBeforeAckT: 4.5, lastT: 4.5, synCount: 3, portReuse: true, synDataLen: 12,
    truncated: true, dupFrames: 2, history: 'ST', origPkts: 5, origIpBytes: 2 ** 33, endSec: 1_700_000_003, endNsec: 5,
    aliveAtT0: 3_000_000_000, busySyns: 2, decided: true, verdict: 'filtered', revised: true, endpoint: ep6,
  });
  a.synFrames.push(10, 20, 30, 40, 50, 60);
  synOnlyConn(a);
  return a;
}

test('an entry taken out is the row it was made from (v6 key, packed bits, decided verdict); a quiet one without its report part', () => {
  const ep6 = new EndpointEntry();
  const srv6 = [0x20010db8, 0, 0, 0x10];
  ep6.setKey(6, [0, 0, 0, 0], 0, srv6, 443, 7);
  const a = v6Attempt(ep6, srv6);
  const store = new CompactAttempts(10, 10);
  store.put(PARKED, a, 9);
  const s = store.find(6, [0x20010db8, 1, 2, 3], 50123, srv6, 443, 7);
  assert.ok(s >= 0);
  assert.equal(store.find(6, [0x20010db8, 1, 2, 3], 50123, srv6, 443, 8), -1, 'another VLAN');
  const b = store.take(blankAttempt(), s);
  for (const k of [...CORE, ...REPORT_PART, 'zLastSec', 'zLastNsec'] as const) assert.equal(b[k], a[k], k);
  assert.equal(b.reported, true);
  assert.deepEqual(b.synFrames, [10, 20, 30, 40, 50, 60]);
  assert.equal(b.endpoint, ep6);
  assert.equal(store.size(PARKED), 0);

  // Quiet: its final report is written, so what only a report reads is gone; what a later packet
  // is matched and decided with is all there, and a retransmission can still append its frame.
  store.put(QUIET, a, 9);
  const q = store.take(blankAttempt(), store.find(6, [0x20010db8, 1, 2, 3], 50123, srv6, 443, 7));
  for (const k of CORE) assert.equal(q[k], a[k], k);
  for (const k of REPORT_PART) assert.equal(q[k], 0, k);
  assert.equal(q.synFrames.length, 0);
  assert.equal(q.synFrames.push(70), 1, "a fresh array, not the shared frozen empty one");
  assert.equal(q.reported, true);
  assert.equal(store.size(QUIET), 0);
});

test('report parts are reused: a store that parks and quiets in turn holds one per parked entry', () => {
  const store = new CompactAttempts(100_000, 100_000);
  // Parked entries come and go behind quiet ones that stay: freed report parts are taken again, so
  // each parked entry taken out still has its own frames (a shared or stale part would mix them).
  for (let i = 0; i < 40_000; i++) {
    store.put(QUIET, attempt(2 * i + 1), i);
    store.put(PARKED, attempt(2 * i), i);
    if (i >= 10) {
      const a = store.take(blankAttempt(), store.oldest(PARKED));
      assert.deepEqual(a.synFrames, [a.seq + 1, a.seq + 1000001]);
    }
  }
  assert.equal(store.size(PARKED), 10);
  assert.equal(store.size(QUIET), 40_000);
});
