/**
 * Settled connections (established, taken by the server) linger as small records: 5 s once
 * closed, 150 s while open. A connection left open must not hold the closed ones queued behind it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAttempt, type Attempt } from '../src/handshake/attempt.js';
import { SETTLED_CLIENT_FIN, SETTLED_SERVER_FIN, SettledFlows } from '../src/handshake/settled.js';

const CLOSED = 5;
const OPEN = 150;

function connection(i: number, t: number, closed: boolean): Attempt {
  const a = blankAttempt();
  a.setKey(4, [0xc6336400 + (i % 250)], 1024 + Math.floor(i / 250), [0xcb007114], 443);
  a.isn = i;
  a.lastT = t;
  if (closed) { a.cliFinFrame = 1; a.srvFinFrame = 2; }
  return a;
}

function has(store: SettledFlows, a: Attempt): boolean {
  return store.find(4, a.cli, a.cport, a.srv, a.sport, 0) !== undefined;
}

test('closed connections leave after their short linger even behind one left open', () => {
  const store = new SettledFlows();
  const open = connection(0, 0, false);
  store.add(open, 0);
  const closed: Attempt[] = [];
  for (let i = 1; i <= 1000; i++) {
    const a = connection(i, i / 1000, true);
    closed.push(a);
    store.add(a, a.lastT);
  }
  // Each call does bounded work: call it as the engine does, once per packet.
  for (let n = 0; n < 100; n++) store.expire(10, CLOSED, OPEN);
  assert.equal(store.size, 1, 'only the open connection is left');
  assert.ok(has(store, open));
  for (let n = 0; n < 100; n++) store.expire(OPEN + 1, CLOSED, OPEN);
  assert.equal(store.size, 0);
});

test('a connection that closes after it settled takes the short linger from its last packet', () => {
  const store = new SettledFlows();
  const first = connection(0, 0, false);
  const late = connection(1, 0.5, false);
  store.add(first, 0);
  store.add(late, 0);
  // Both FINs of `late` at t = 2 s (its record is refreshed, then closed).
  const s = store.find(4, late.cli, late.cport, late.srv, late.sport, 0)!;
  s.lastT = 2;
  store.close(s, SETTLED_CLIENT_FIN);
  store.expire(6, CLOSED, OPEN);
  assert.ok(has(store, late), 'one FIN: still open');
  store.close(s, SETTLED_SERVER_FIN);
  store.expire(6.5, CLOSED, OPEN);
  assert.ok(has(store, late), 'closed at 2 s: due at 7 s');
  for (let n = 0; n < 4; n++) store.expire(7.5, CLOSED, OPEN);
  assert.ok(!has(store, late), 'gone 5 s after its last packet, though queued behind an open one');
  assert.ok(has(store, first));
});
