/** What the heap needs from an item: a small number of its own, unique among live items. */
export interface Queued {
  readonly uid: number;
}

/**
 * A min-heap of items by deadline, used to wake flows when capture time passes it. Each item is
 * queued at most once and its position is kept, so a changed deadline moves it in place and a
 * forgotten flow leaves at once: no stale entries pile up behind long deadlines (an established
 * connection may wait minutes), and no per-wake-up object is allocated.
 *
 * Positions live in a typed array indexed by the item's uid, and each slot's uid beside its time:
 * moving an entry then touches only this heap's compact arrays, never the (scattered, cache-cold)
 * flow objects.
 * Four children per node halve the levels of a binary heap; comparing four neighbouring times is
 * cheap.
 */
export class DeadlineHeap<T extends Queued> {
  private times = new Float64Array(1024);
  /** The uid of the item in each slot (read here, not from the item: that would touch it). */
  private uids = new Int32Array(1024);
  private items: T[] = [];
  /** Position + 1 of each uid's item; 0: not queued. */
  private pos = new Int32Array(1024);

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items.length ? this.times[0] : Infinity;
  }

  /** The time the item is queued at (Infinity: not queued). */
  timeOf(item: T): number {
    const i = item.uid < this.pos.length ? this.pos[item.uid] - 1 : -1;
    return i < 0 ? Infinity : this.times[i];
  }

  has(item: T): boolean {
    return item.uid < this.pos.length && this.pos[item.uid] !== 0;
  }

  /** Queues the item at `time`, or moves it there if it is queued already. */
  set(item: T, time: number): void {
    const u = item.uid;
    if (u >= this.pos.length) {
      const grown = new Int32Array(Math.max(u + 1, this.pos.length * 2));
      grown.set(this.pos);
      this.pos = grown;
    }
    const i = this.pos[u] - 1;
    if (i < 0) {
      const n = this.items.length;
      if (n === this.times.length) {
        const times = new Float64Array(n * 2);
        times.set(this.times);
        this.times = times;
        const uids = new Int32Array(n * 2);
        uids.set(this.uids);
        this.uids = uids;
      }
      this.items.push(item);
      this.up(n, item, time, u);
    } else if (time < this.times[i]) {
      this.up(i, item, time, u);
    } else {
      this.down(i, item, time, u);
    }
  }

  /** Takes the item out of the queue (nothing happens if it is not queued). */
  remove(item: T): void {
    if (!this.has(item)) return;
    const i = this.pos[item.uid] - 1;
    this.pos[item.uid] = 0;
    const last = this.items.pop()!;
    const n = this.items.length;
    if (i === n) return;
    const lastT = this.times[n];
    const lastU = this.uids[n];
    if (lastT < this.times[i]) this.up(i, last, lastT, lastU);
    else this.down(i, last, lastT, lastU);
  }

  /** Removes and returns the earliest item (its time was peekTime()). */
  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    const top = this.items[0];
    this.remove(top);
    return top;
  }

  private up(i: number, item: T, time: number, uid: number): void {
    const t = this.times;
    const it = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      if (t[parent] <= time) break;
      this.place(i, it[parent], t[parent], this.uids[parent]);
      i = parent;
    }
    this.place(i, item, time, uid);
  }

  private place(i: number, item: T, time: number, uid: number): void {
    this.times[i] = time;
    this.uids[i] = uid;
    this.items[i] = item;
    this.pos[uid] = i + 1;
  }

  private down(i: number, item: T, time: number, uid: number): void {
    const t = this.times;
    const it = this.items;
    const n = it.length;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      const last = Math.min(first + 4, n);
      let c = first;
      for (let k = first + 1; k < last; k++) if (t[k] < t[c]) c = k;
      if (t[c] >= time) break;
      this.place(i, it[c], t[c], this.uids[c]);
      i = c;
    }
    this.place(i, item, time, uid);
  }
}
