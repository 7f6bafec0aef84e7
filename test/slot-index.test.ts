/**
 * SlotIndex (src/flow/slot-index.ts), the one open-addressing index of FlowTable and the compact
 * stores: against a Map as the oracle, with hashes chosen to collide and to wrap around the end of
 * the probe array, so that backward-shift deletion and growth are both exercised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotIndex } from '../src/flow/slot-index.js';
import { mulberry32 } from './helpers/prng.js';

function lookup(ix: SlotIndex, slot: number, h: number): boolean {
  for (let i = ix.home(h); ; i = ix.next(i)) {
    const s = ix.slotAt(i);
    if (s < 0) return false;
    if (s === slot) { assert.equal(ix.hashAt(i), h); return true; }
  }
}

test('inserts and removals in a random order find exactly what a Map holds (colliding and wrapping hashes, growth)', () => {
  const next = mulberry32(7);
  const rnd = { next };
  const ix = new SlotIndex(4);
  const oracle = new Map<number, number>();
  let nextSlot = 0;
  for (let step = 0; step < 20_000; step++) {
    if (oracle.size && rnd.next() < 0.45) {
      const keys = [...oracle.keys()];
      const slot = keys[Math.floor(rnd.next() * keys.length)];
      assert.equal(ix.remove(slot, oracle.get(slot)!), true);
      oracle.delete(slot);
    } else {
      // Few distinct hashes, many near the top of the range: long runs that wrap.
      const h = rnd.next() < 0.5 ? 0xffffffff - Math.floor(rnd.next() * 4) : Math.floor(rnd.next() * 8);
      ix.insert(nextSlot, h >>> 0);
      oracle.set(nextSlot++, h >>> 0);
    }
    assert.equal(ix.size, oracle.size);
  }
  for (const [slot, h] of oracle) assert.ok(lookup(ix, slot, h), `slot ${slot}`);
  assert.equal(ix.remove(nextSlot + 1, 3), false);
});

test('reset empties the index', () => {
  const ix = new SlotIndex(2);
  for (let s = 0; s < 100; s++) ix.insert(s, s * 2654435761 >>> 0);
  ix.reset(10);
  assert.equal(ix.size, 0);
  assert.equal(lookup(ix, 5, 5 * 2654435761 >>> 0), false);
});
