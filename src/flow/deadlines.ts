/**
 * A min-heap of (time, item) used to wake flows when capture time passes a deadline. Entries are
 * never updated in place: a changed deadline pushes a new entry, and a popped entry whose time no
 * longer equals the item's current deadline is stale and skipped by the caller.
 */
export class DeadlineHeap<T> {
  private times: number[] = [];
  private items: T[] = [];

  get size(): number {
    return this.times.length;
  }

  push(time: number, item: T): void {
    const t = this.times;
    const it = this.items;
    let i = t.length;
    t.push(time);
    it.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent] <= time) break;
      t[i] = t[parent];
      it[i] = it[parent];
      i = parent;
    }
    t[i] = time;
    it[i] = item;
  }

  peekTime(): number {
    return this.times.length ? this.times[0] : Infinity;
  }

  /** Removes the earliest entry and returns its item (its time was peekTime()). */
  pop(): T | undefined {
    const t = this.times;
    const it = this.items;
    if (t.length === 0) return undefined;
    const top = it[0];
    const lastT = t.pop()!;
    const lastI = it.pop()!;
    const n = t.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && t[r] < t[l] ? r : l;
        if (t[c] >= lastT) break;
        t[i] = t[c];
        it[i] = it[c];
        i = c;
      }
      t[i] = lastT;
      it[i] = lastI;
    }
    return top;
  }
}
