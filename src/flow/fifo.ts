/**
 * A first-in first-out queue over an array and a head index: taking from the front is a
 * increment, not an Array.prototype.shift. Entries before the head are cut off once they are at
 * least half the array (and over COMPACT_ABOVE), so the array stays within twice the queue and
 * taken entries are not kept alive for long (amortised: each entry is copied at most once per cut).
 */
const COMPACT_ABOVE = 4096;

export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(x: T): void {
    this.items.push(x);
  }

  /** The front entry (undefined when empty); it stays queued. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** Drops the front entry. */
  shift(): void {
    if (++this.head > COMPACT_ABOVE && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
