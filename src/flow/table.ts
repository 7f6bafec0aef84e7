/**
 * A flow table keyed by a directed 4-tuple (client address and port -> server address and port),
 * hashed from numbers so a lookup builds no string. Entries carry their own key and chain
 * through `next`, so inserting allocates only the entry itself and lookups allocate nothing.
 */

export class FlowKey {
  version = 0;
  readonly cli = new Uint32Array(4);
  readonly srv = new Uint32Array(4);
  cport = 0;
  sport = 0;
  hash = 0;
  /** Next entry with the same hash (collision chain). */
  next: FlowKey | null = null;

  /** Copies the tuple from decoded address words. */
  setKey(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number): void {
    this.version = version;
    for (let i = 0; i < 4; i++) {
      this.cli[i] = cli[i];
      this.srv[i] = srv[i];
    }
    this.cport = cport;
    this.sport = sport;
    this.hash = hashTuple(version, cli, cport, srv, sport);
  }

  matches(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number): boolean {
    if (this.cport !== cport || this.sport !== sport || this.version !== version) return false;
    const c = this.cli;
    const s = this.srv;
    return c[0] === cli[0] && s[0] === srv[0] && c[1] === cli[1] && s[1] === srv[1]
      && c[2] === cli[2] && s[2] === srv[2] && c[3] === cli[3] && s[3] === srv[3];
  }
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

export function hashTuple(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number): number {
  let h = version;
  h = mix(h, cli[0]); h = mix(h, srv[0]);
  if (version === 6) {
    h = mix(h, cli[1]); h = mix(h, cli[2]); h = mix(h, cli[3]);
    h = mix(h, srv[1]); h = mix(h, srv[2]); h = mix(h, srv[3]);
  }
  h = mix(h, (cport << 16) | sport);
  // Small integers keep V8's Map on its fast path for number keys.
  return h & 0x3fffffff;
}

export class FlowTable<E extends FlowKey> {
  private readonly buckets = new Map<number, E>();
  size = 0;

  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number): E | undefined {
    let e: FlowKey | null | undefined = this.buckets.get(hashTuple(version, cli, cport, srv, sport));
    while (e) {
      if (e.matches(version, cli, cport, srv, sport)) return e as E;
      e = e.next;
    }
    return undefined;
  }

  /** Adds an entry whose key is set; an entry with the same tuple must have been removed first. */
  insert(e: E): void {
    const head = this.buckets.get(e.hash);
    e.next = head ?? null;
    this.buckets.set(e.hash, e);
    this.size++;
  }

  remove(e: E): boolean {
    const head = this.buckets.get(e.hash);
    if (!head) return false;
    if (head === e) {
      if (e.next) this.buckets.set(e.hash, e.next as E);
      else this.buckets.delete(e.hash);
      e.next = null;
      this.size--;
      return true;
    }
    let prev: FlowKey = head;
    while (prev.next && prev.next !== e) prev = prev.next;
    if (prev.next !== e) return false;
    prev.next = e.next;
    e.next = null;
    this.size--;
    return true;
  }

  *values(): IterableIterator<E> {
    for (const head of this.buckets.values()) {
      let e: FlowKey | null = head;
      while (e) {
        const next: FlowKey | null = e.next;
        yield e as E;
        e = next;
      }
    }
  }
}
