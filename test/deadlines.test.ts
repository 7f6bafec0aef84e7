/**
 * The engine's wake-up queue: every queued item comes out in deadline order, a moved deadline
 * takes effect in place, and a removed item never comes out (a forgotten attempt must not wake).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineHeap } from '../src/flow/deadlines.js';

class Item {
  constructor(readonly uid: number) {}
}

test('random sets, moves and removals come out in deadline order, each once, removed ones never', () => {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let round = 0; round < 20; round++) {
    const heap = new DeadlineHeap<Item>();
    const items = Array.from({ length: 3000 }, (_, i) => new Item(i));
    const due = new Map<Item, number>();
    for (let op = 0; op < 20_000; op++) {
      const it = items[Math.floor(rnd() * items.length)];
      const r = rnd();
      if (r < 0.6) {
        const t = Math.floor(rnd() * 1000) / 10;
        heap.set(it, t);
        due.set(it, t);
      } else if (r < 0.8) {
        heap.remove(it);
        due.delete(it);
      } else if (heap.size) {
        const t = heap.peekTime();
        const top = heap.pop()!;
        assert.equal(due.get(top), t);
        assert.equal(Math.min(...due.values()), t);
        assert.equal(heap.has(top), false);
        due.delete(top);
      }
      assert.equal(heap.size, due.size);
    }
    let last = -Infinity;
    while (heap.size) {
      const t = heap.peekTime();
      const top = heap.pop()!;
      assert.ok(t >= last);
      assert.equal(due.get(top), t);
      due.delete(top);
      last = t;
    }
    assert.equal(due.size, 0);
    assert.equal(heap.peekTime(), Infinity);
  }
});
