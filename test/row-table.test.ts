/**
 * The typed-column row table under the attempt state: each column kind keeps its values, answer
 * columns take storage only when written, freed rows keep nothing alive, slots and generations.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bool, installColumns, int, num, ref, RowHandle, RowTable, SEGMENT, uint, type RowOf } from '../src/flow/row-table.js';
import { blankAttempt } from '../src/handshake/attempt.js';

const COLUMNS = {
  t: num(-1),
  count: int(1),
  seq: uint(),
  done: bool(),
  name: ref(''),
  list: ref<number[]>([], false, () => []),
  answerT: num(-1, true),
  answerTtl: int(-1, true),
  answerSeq: uint(0, true),
  answerSeen: bool(false, true),
  answerWho: ref<object | null>(null, true),
};
interface Row extends RowOf<typeof COLUMNS> {}
class Row extends RowHandle {}
installColumns(Row.prototype, COLUMNS);
const table = () => new RowTable<Row>(COLUMNS, (t, slot, s, i) => new Row(t, slot, s, i));

test('row table: every column kind keeps its values, at its bounds too', () => {
  const rows = table();
  const r = rows.alloc();
  assert.deepEqual([r.t, r.count, r.seq, r.done, r.name, r.list], [-1, 1, 0, false, '', []], 'starting values');
  r.t = 1.000000001; r.count = -2147483648; r.seq = 0xffffffff; r.done = true; r.name = 'x';
  assert.deepEqual([r.t, r.count, r.seq, r.done, r.name], [1.000000001, -2147483648, 0xffffffff, true, 'x']);
  // The unsigned and signed columns share one buffer: each writes and reads only its own place.
  r.count = 2147483647;
  assert.equal(r.seq, 0xffffffff);
  r.seq = 7;
  assert.equal(r.count, 2147483647);
});

test('row table: answer columns read their starting values without storage, and take it on the first write', () => {
  const rows = table();
  const a = rows.alloc();
  const b = rows.alloc();
  assert.deepEqual([a.answerT, a.answerTtl, a.answerSeq, a.answerSeen, a.answerWho], [-1, -1, 0, false, null]);
  assert.equal(rows.answers, 0);
  a.answerT = -1; a.answerSeen = false; a.answerWho = null;
  assert.equal(rows.answers, 0, 'writing the starting values takes no place');
  b.answerSeq = 0xfffffffe;
  assert.equal(rows.answers, 1);
  assert.deepEqual([b.answerT, b.answerTtl, b.answerSeq, b.answerSeen], [-1, -1, 0xfffffffe, false], 'the rest at their starting values');
  assert.equal(a.answerSeq, 0, 'another row is not touched');
  const who = {};
  b.answerWho = who;
  b.answerSeen = true;
  rows.free(b);
  assert.equal(rows.answers, 0);
  const c = rows.alloc();
  assert.equal(c, b, 'the freed slot is reused');
  assert.deepEqual([c.answerSeq, c.answerSeen, c.answerWho], [0, false, null], 'a reused row starts blank');
  c.answerT = 3;
  assert.equal(rows.answers, 1, 'the freed answer place is reused');
  assert.equal(c.answerWho, null);
});

test('row table: rows past one segment, generations, double frees', () => {
  const rows = table();
  const n = 2 * SEGMENT + 5;
  const all = Array.from({ length: n }, () => rows.alloc());
  all.forEach((r, k) => { r.seq = k; r.list.push(k); if (k % 3 === 0) r.answerTtl = k; });
  all.forEach((r, k) => {
    assert.equal(r.seq, k);
    assert.deepEqual(r.list, [k]);
    assert.equal(r.answerTtl, k % 3 === 0 ? k : -1);
  });
  assert.equal(rows.size, n);
  assert.equal(rows.answers, Math.ceil(n / 3));
  const g = rows.generation(all[7]);
  rows.free(all[7]);
  rows.free(all[7]);
  assert.equal(rows.size, n - 1, 'a second free is ignored');
  assert.equal(rows.generation(all[7]), g + 1);
  assert.ok(rows.bytes > 0);
});

test('attempt columns: an ISN, a sequence number and an address near 2^32 round-trip', () => {
  const a = blankAttempt();
  a.isn = 0xfffffff0;
  a.serverIsn = 0xffffffff;
  a.setKey(4, [0xcb007101], 65535, [0xc6336405], 443);
  assert.equal(a.isn, 0xfffffff0);
  assert.equal(a.serverIsn, 0xffffffff);
  assert.equal(a.c0, 0xcb007101);
  assert.equal(a.clientIp(), '203.0.113.1');
  assert.equal(a.cport, 65535);
  assert.ok(a.matches(4, [0xcb007101], 65535, [0xc6336405], 443, 0));
});
