/**
 * A flow table keyed by a directed 4-tuple (client address and port -> server address and port)
 * within a VLAN context (the same tuple in two VLANs is two flows, as Zeek keys them).
 * Open addressing (SlotIndex) over entry positions, so a lookup hashes a few numbers and compares
 * fields: it builds no string and allocates nothing. Entries carry their own key.
 */
import { SlotIndex } from './slot-index.js';

/** A directed tuple within a VLAN context, and where its entry is in a table. */
export interface TupleKey {
  version: number;
  c0: number; c1: number; c2: number; c3: number;
  s0: number; s1: number; s2: number; s3: number;
  cport: number;
  sport: number;
  /** VLAN context (NetStart.vlanKey): 0 untagged. */
  vlan: number;
  hash: number;
  /** Index in the table's entry array, -1 when not in a table. */
  index: number;
}

/** Copies the tuple from decoded address words (IPv4 uses word 0 only). */
export function setTuple(k: TupleKey, version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): void {
  k.version = version;
  k.c0 = cli[0];
  k.s0 = srv[0];
  if (version === 6) {
    k.c1 = cli[1]; k.c2 = cli[2]; k.c3 = cli[3];
    k.s1 = srv[1]; k.s2 = srv[2]; k.s3 = srv[3];
  } else {
    k.c1 = k.c2 = k.c3 = k.s1 = k.s2 = k.s3 = 0;
  }
  k.cport = cport;
  k.sport = sport;
  k.vlan = vlan;
  k.hash = hashTuple(version, cli, cport, srv, sport, vlan);
}

/** Copies another entry's tuple (and its hash). */
export function copyTuple(k: TupleKey, from: TupleKey): void {
  k.version = from.version;
  k.c0 = from.c0; k.c1 = from.c1; k.c2 = from.c2; k.c3 = from.c3;
  k.s0 = from.s0; k.s1 = from.s1; k.s2 = from.s2; k.s3 = from.s3;
  k.cport = from.cport;
  k.sport = from.sport;
  k.vlan = from.vlan;
  k.hash = from.hash;
}

export function tupleMatches(k: TupleKey, version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean {
  if (k.cport !== cport || k.sport !== sport || k.c0 !== cli[0] || k.s0 !== srv[0] || k.version !== version || k.vlan !== vlan) return false;
  return version !== 6 || (k.c1 === cli[1] && k.c2 === cli[2] && k.c3 === cli[3]
    && k.s1 === srv[1] && k.s2 === srv[2] && k.s3 === srv[3]);
}

/** A table entry that carries its key in plain fields (hosts, endpoints, midstream flows). */
export class FlowKey implements TupleKey {
  version = 0;
  c0 = 0; c1 = 0; c2 = 0; c3 = 0;
  s0 = 0; s1 = 0; s2 = 0; s3 = 0;
  cport = 0;
  sport = 0;
  vlan = 0;
  hash = 0;
  index = -1;

  setKey(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan = 0): void {
    setTuple(this, version, cli, cport, srv, sport, vlan);
  }

  copyKey(k: TupleKey): void {
    copyTuple(this, k);
  }

  matches(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean {
    return tupleMatches(this, version, cli, cport, srv, sport, vlan);
  }
}

/** What a table needs of its entries. */
export interface FlowEntry extends TupleKey {
  matches(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean;
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

export class FlowTable<E extends FlowEntry> {
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
