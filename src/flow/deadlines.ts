/** What the heap needs from an item: the slot where it sits (-1 when it is not queued). */
export interface Queued {
  heapPos: number;
}

/**
 * A min-heap of items by deadline, used to wake flows when capture time passes it. Each item is
 * queued at most once and knows its position, so a changed deadline moves it in place and a
 * forgotten flow leaves at once: no stale entries pile up behind long deadlines (an established
 * connection may wait minutes), and no per-wake-up object is allocated.
 */
export class DeadlineHeap<T extends Queued> {
  private times = new Float64Array(1024);
  private items: Array<T | undefined> = [];

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items.length ? this.times[0] : Infinity;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Queues the item at `time`, or moves it there if it is queued already. */
  set(item: T, time: number): void {
    const i = item.heapPos;
    if (i < 0) {
      const n = this.items.length;
      if (n === this.times.length) {
        const grown = new Float64Array(n * 2);
        grown.set(this.times);
        this.times = grown;
      }
      this.items.push(item);
      this.up(n, item, time);
    } else if (time < this.times[i]) {
      this.up(i, item, time);
    } else {
      this.down(i, item, time);
    }
  }

  /** Takes the item out of the queue (nothing happens if it is not queued). */
  remove(item: T): void {
    const i = item.heapPos;
    if (i < 0) return;
    item.heapPos = -1;
    const last = this.items.pop()!;
    const n = this.items.length;
    if (i === n) return;
    const lastT = this.times[n];
    if (lastT < this.times[i]) this.up(i, last, lastT);
    else this.down(i, last, lastT);
  }

  /** Removes and returns the earliest item (its time was peekTime()). */
  pop(): T | undefined {
    const top = this.items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  private up(i: number, item: T, time: number): void {
    const t = this.times;
    const it = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (t[parent] <= time) break;
      const p = it[parent]!;
      t[i] = t[parent];
      it[i] = p;
      p.heapPos = i;
      i = parent;
    }
    t[i] = time;
    it[i] = item;
    item.heapPos = i;
  }

  private down(i: number, item: T, time: number): void {
    const t = this.times;
    const it = this.items;
    const n = it.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && t[r] < t[l] ? r : l;
      if (t[c] >= time) break;
      const child = it[c]!;
      t[i] = t[c];
      it[i] = child;
      child.heapPos = i;
      i = c;
    }
    t[i] = time;
    it[i] = item;
    item.heapPos = i;
  }
}
