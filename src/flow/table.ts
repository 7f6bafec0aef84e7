/**
 * A flow table keyed by a directed 4-tuple (client address and port -> server address and port)
 * within a VLAN context (the same tuple in two VLANs is two flows, as Zeek keys them).
 * Open addressing (SlotIndex) over entry positions, so a lookup hashes a few numbers and compares
 * fields: it builds no string and allocates nothing. Entries carry their own key.
 */
import { SlotIndex } from './slot-index.js';

export class FlowKey {
  version = 0;
  c0 = 0; c1 = 0; c2 = 0; c3 = 0;
  s0 = 0; s1 = 0; s2 = 0; s3 = 0;
  cport = 0;
  sport = 0;
  /** VLAN context (NetStart.vlanKey): 0 untagged. */
  vlan = 0;
  hash = 0;
  /** Index in the table's entry array, -1 when not in a table. */
  index = -1;

  /** Copies the tuple from decoded address words (IPv4 uses word 0 only). */
  setKey(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): void {
    this.version = version;
    this.c0 = cli[0];
    this.s0 = srv[0];
    if (version === 6) {
      this.c1 = cli[1]; this.c2 = cli[2]; this.c3 = cli[3];
      this.s1 = srv[1]; this.s2 = srv[2]; this.s3 = srv[3];
    } else {
      this.c1 = this.c2 = this.c3 = this.s1 = this.s2 = this.s3 = 0;
    }
    this.cport = cport;
    this.sport = sport;
    this.vlan = vlan;
    this.hash = hashTuple(version, cli, cport, srv, sport, vlan);
  }

  /** Copies another entry's tuple (and its hash). */
  copyKey(k: FlowKey): void {
    this.version = k.version;
    this.c0 = k.c0; this.c1 = k.c1; this.c2 = k.c2; this.c3 = k.c3;
    this.s0 = k.s0; this.s1 = k.s1; this.s2 = k.s2; this.s3 = k.s3;
    this.cport = k.cport;
    this.sport = k.sport;
    this.vlan = k.vlan;
    this.hash = k.hash;
  }

  matches(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean {
    if (this.cport !== cport || this.sport !== sport || this.c0 !== cli[0] || this.s0 !== srv[0] || this.version !== version || this.vlan !== vlan) return false;
    return version !== 6 || (this.c1 === cli[1] && this.c2 === cli[2] && this.c3 === cli[3]
      && this.s1 === srv[1] && this.s2 === srv[2] && this.s3 === srv[3]);
  }

  /** Address words, for reports (allocates). */
  get cli(): number[] {
    return [this.c0, this.c1, this.c2, this.c3];
  }

  get srv(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return h ^ (h >>> 15);
}

function endpointHash(version: number, ip: ArrayLike<number>, port: number): number {
  // Address and port are mixed in turn, never combined first: 198.51.100.5 port 1000 and
  // 198.51.100.4 port 1001 must not collide.
  let h = mix(0x2545f491, ip[0]);
  if (version === 6) { h = mix(h, ip[1]); h = mix(h, ip[2]); h = mix(h, ip[3]); }
  return mix(h, port);
}

/**
 * Symmetric in its two endpoints, so one probe sequence finds a flow whichever side sent the
 * packet (see FlowTable.findEither).
 */
export function hashTuple(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): number {
  let h = (endpointHash(version, cli, cport) + endpointHash(version, srv, sport) + version + Math.imul(vlan, 0x27d4eb2f)) | 0;
  // murmur3's finaliser: every input bit reaches the low bits the table indexes with.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class FlowTable<E extends FlowKey> {
  private readonly index: SlotIndex;
  private entries: Array<E | undefined> = [];
  private free: number[] = [];

  constructor(initialCapacity = 1024) {
    this.index = new SlotIndex(initialCapacity);
  }

  get size(): number {
    return this.index.size;
  }

  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): E | undefined {
    const ix = this.index;
    const h = hashTuple(version, cli, cport, srv, sport, vlan);
    for (let i = ix.home(h); ; i = ix.next(i)) {
      const s = ix.slotAt(i);
      if (s < 0) return undefined;
      if (ix.hashAt(i) !== h) continue;
      const e = this.entries[s]!;
      if (e.matches(version, cli, cport, srv, sport, vlan)) return e;
    }
  }

  /** Set by findEither: the entry found has the packet's source as its server. */
  reversed = false;

  /** The entry for this packet in either direction (a from b, or b from a); sets `reversed`. */
  findEither(version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number, vlan = 0): E | undefined {
    const ix = this.index;
    const h = hashTuple(version, a, aport, b, bport, vlan);
    for (let i = ix.home(h); ; i = ix.next(i)) {
      const s = ix.slotAt(i);
      if (s < 0) return undefined;
      if (ix.hashAt(i) !== h) continue;
      const e = this.entries[s]!;
      if (e.matches(version, a, aport, b, bport, vlan)) { this.reversed = false; return e; }
      if (e.matches(version, b, bport, a, aport, vlan)) { this.reversed = true; return e; }
    }
  }

  /** Adds an entry whose key is set (an entry with the same tuple must not be in the table). */
  insert(e: E): void {
    const idx = this.free.length ? this.free.pop()! : this.entries.length;
    this.entries[idx] = e;
    e.index = idx;
    this.index.insert(idx, e.hash);
  }

  remove(e: E): boolean {
    const idx = e.index;
    if (idx < 0 || this.entries[idx] !== e) return false;
    if (!this.index.remove(idx, e.hash)) return false;
    this.entries[idx] = undefined;
    this.free.push(idx);
    e.index = -1;
    return true;
  }

  /** Entries, in no particular order (a snapshot: safe to remove while iterating). */
  values(): E[] {
    return this.entries.filter((e): e is E => e !== undefined);
  }
}

/** The VLAN key of VLAN IDs as reports give them (outer first; none: untagged): the inverse of vlanIds. */
export function vlanKeyOf(ids: readonly number[] | undefined): number {
  return ids === undefined || ids.length === 0 ? 0 : ids[0]! * 4096 + (ids[1] ?? 0);
}

/** The VLAN IDs of a VLAN key (NetStart.vlanKey: vlan * 4096 + inner vlan), outer first; empty: untagged. */
export function vlanIds(key: number): number[] {
  if (key === 0) return [];
  const inner = key & 0xfff;
  return inner ? [key >>> 12, inner] : [key >>> 12];
}
