/**
 * The one open-addressing index of the flow layer: a hash -> slot map with linear probing, used by
 * the object table (FlowTable: slot = entry position) and by the typed-array stores (slot = row),
 * so probing, growth and deletion exist once. Each index position holds the slot (plus one: 0 is
 * empty) and the entry's hash, so a probe skips other hashes without reading the entry, and a
 * removal shifts the run back (no tombstones) without asking anyone for hashes.
 *
 * Lookups are the caller's loop, because only the caller can compare keys without a call:
 *
 *     for (let i = ix.home(h); ; i = ix.next(i)) {
 *       const s = ix.slotAt(i);            // -1: not found
 *       if (s < 0) return -1;
 *       if (ix.hashAt(i) === h && keyOf(s) matches) return s;
 *     }
 */
export class SlotIndex {
  private vals: Int32Array;
  private hashes: Uint32Array;
  private mask: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.vals = new Int32Array(cap);
    this.hashes = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** First probe position of hash `h`. */
  home(h: number): number {
    return h & this.mask;
  }

  /** The probe position after `i`. */
  next(i: number): number {
    return (i + 1) & this.mask;
  }

  /** The slot stored at probe position `i`, or -1 (empty: the probe run ends there). */
  slotAt(i: number): number {
    return this.vals[i] - 1;
  }

  hashAt(i: number): number {
    return this.hashes[i];
  }

  /** Adds `slot` under hash `h` (the caller knows it is not there yet). */
  insert(slot: number, h: number): void {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    this.place(slot + 1, h);
    this.size++;
  }

  private place(value: number, h: number): void {
    const vals = this.vals;
    const mask = this.mask;
    let i = h & mask;
    while (vals[i] !== 0) i = (i + 1) & mask;
    vals[i] = value;
    this.hashes[i] = h;
  }

  /** Removes `slot` (stored under hash `h`); false if it is not there. */
  remove(slot: number, h: number): boolean {
    const vals = this.vals;
    const hashes = this.hashes;
    const mask = this.mask;
    const value = slot + 1;
    let i = h & mask;
    while (vals[i] !== value) {
      if (vals[i] === 0) return false;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion keeps every probe run unbroken.
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const v = vals[j];
      if (v === 0) break;
      const home = hashes[j] & mask;
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!between) {
        vals[i] = v;
        hashes[i] = hashes[j];
        i = j;
      }
    }
    vals[i] = 0;
    this.size--;
    return true;
  }

  /** Empties the index, sized for `capacity` entries (a store that gives its memory back). */
  reset(capacity: number): void {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.vals = new Int32Array(cap);
    this.hashes = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
  }

  private grow(): void {
    const vals = this.vals;
    const hashes = this.hashes;
    const cap = vals.length * 2;
    this.vals = new Int32Array(cap);
    this.hashes = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== 0) this.place(vals[i], hashes[i]);
  }
}
