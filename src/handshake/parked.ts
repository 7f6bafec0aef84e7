/**
 * Unanswered attempts in compact form. Under a SYN flood most attempts are a single SYN waiting
 * out its handshake timeout; a full `Attempt` (over 1 KB, and work for the garbage collector) for
 * each would make memory grow with the flood's rate. When the attempt table is full, an attempt
 * that has seen nothing but its own SYNs moves here: about 210 bytes in typed arrays, no object.
 * It keeps its place in time (it is decided at the same deadline, from the same evidence), so a
 * flood is still called `filtered` or `backlog-drop` rather than cut short, and a packet that
 * concerns it turns it back into an Attempt.
 *
 * The engine keeps a second store of the same form for unanswered attempts already decided and
 * reported, waiting out their quiet time (a late SYN retransmission must find its attempt, not
 * start a new one): a flood's decided SYNs would otherwise fill the table with full attempts.
 *
 * Storage is a ring in parking order, which is deadline order (the engine parks the attempt due
 * soonest), so the oldest entry is always at the head; an entry restored early leaves a hole that
 * the head skips. The flow layer's SlotIndex finds an entry by its tuple.
 */
import { hashTuple } from '../flow/table.js';
import { SlotIndex } from '../flow/slot-index.js';
import { VERDICTS, verdictIndex } from '../model/verdict.js';
import { MAX_FRAMES, type Attempt } from './attempt.js';
import { synOnlyConn } from './conn-track.js';
import type { EndpointEntry, HostEntry } from './evidence.js';

// Per-slot layout: key words, doubles, small integers.
const K = 13; // version, c0..c3, s0..s3, cport, sport, hash, vlan
const KH = 11;
const KV = 12;
const D = 10; // startSec, t0, lastSynT, prevSynT, lastT, deadline, aliveAtT0, origIpBytes, endSec, ifKey
const I = 14; // tsDigits, seq, synCount, synDataLen, dupFrames, bits, frame count, verdict, origPkts, file, isn, startNsec, busySyns, endNsec
const BIT_REUSE = 1;
const BIT_TRUNCATED = 2;
const BIT_RETRANSMIT_SEEN = 4; // history "ST" rather than "S"
const BIT_REVISED = 8;
/** Slots of a new ring; an empty ring larger than RELEASE_ABOVE gives its memory back. */
const MIN_CAP = 4096;
const RELEASE_ABOVE = 65536;

export class ParkedSyns {
  private cap = 0;
  private keys = new Uint32Array(0);
  private dbl = new Float64Array(0);
  private ints = new Int32Array(0);
  private frames = new Uint32Array(0);
  private hosts: Array<HostEntry | null> = [];
  private endpoints: Array<EndpointEntry | null> = [];
  /** Slot is in use (1) or a hole (0). */
  private live = new Uint8Array(0);
  private head = 0;
  /** Slots from head, live or holes. */
  private used = 0;
  private readonly index = new SlotIndex(0);
  size = 0;
  /** Set by findEither: the packet's source is the attempt's server. */
  reversed = false;

  constructor(readonly limit: number) {}

  /** Deadline of the attempt parked last: the ring stays in deadline order only behind it. */
  private tailDeadline = -Infinity;

  /** Whether an attempt due at `deadline` can join the ring without jumping the queue. */
  accepts(deadline: number): boolean {
    return deadline >= this.tailDeadline || this.size === 0;
  }

  park(a: Attempt, deadline: number): void {
    this.tailDeadline = deadline;
    if (this.used >= this.cap) this.oldest();
    if (this.used >= this.cap) this.grow();
    const s = (this.head + this.used) % this.cap;
    this.used++;
    this.size++;
    const k = this.keys;
    const kb = s * K;
    k[kb] = a.version;
    k[kb + 1] = a.c0; k[kb + 2] = a.c1; k[kb + 3] = a.c2; k[kb + 4] = a.c3;
    k[kb + 5] = a.s0; k[kb + 6] = a.s1; k[kb + 7] = a.s2; k[kb + 8] = a.s3;
    k[kb + 9] = a.cport;
    k[kb + 10] = a.sport;
    k[kb + KH] = a.hash;
    k[kb + KV] = a.vlan;
    const d = this.dbl;
    const db = s * D;
    d[db] = a.startSec; d[db + 1] = a.t0; d[db + 2] = a.lastSynT; d[db + 3] = a.prevSynT; d[db + 4] = a.lastT;
    d[db + 5] = deadline; d[db + 6] = a.aliveAtT0; d[db + 7] = a.origIpBytes; d[db + 8] = a.endSec; d[db + 9] = a.ifKey;
    const n = this.ints;
    const ib = s * I;
    n[ib] = a.tsDigits; n[ib + 1] = a.seq; n[ib + 2] = a.synCount; n[ib + 3] = a.synDataLen; n[ib + 4] = a.dupFrames;
    n[ib + 5] = (a.portReuse ? BIT_REUSE : 0) | (a.truncated ? BIT_TRUNCATED : 0) | (a.history === 'ST' ? BIT_RETRANSMIT_SEEN : 0)
      | (a.revised ? BIT_REVISED : 0);
    const count = Math.min(a.synFrames.length, MAX_FRAMES);
    n[ib + 6] = count;
    n[ib + 7] = a.decided ? verdictIndex(a.verdict) + 1 : 0;
    n[ib + 8] = a.origPkts;
    // (The attempt's own columns are 32-bit for these: attempt.ts.)
    n[ib + 9] = a.file; n[ib + 10] = a.isn; n[ib + 11] = a.startNsec; n[ib + 12] = a.busySyns; n[ib + 13] = a.endNsec;
    for (let i = 0; i < count; i++) this.frames[s * MAX_FRAMES + i] = a.synFrames[i];
    this.hosts[s] = a.host;
    this.endpoints[s] = a.endpoint;
    this.live[s] = 1;
    this.index.insert(s, a.hash);
  }

  /** Slot of the attempt with this tuple (client first), or -1. */
  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): number {
    if (this.size === 0) return -1;
    const h = hashTuple(version, cli, cport, srv, sport, vlan);
    const ix = this.index;
    for (let i = ix.home(h); ; i = ix.next(i)) {
      const s = ix.slotAt(i);
      if (s < 0) return -1;
      if (ix.hashAt(i) === h && this.matches(s, version, cli, cport, srv, sport, vlan)) return s;
    }
  }

  /** Slot of the attempt this packet belongs to in either direction (sets `reversed`), or -1. */
  findEither(version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number, vlan: number): number {
    if (this.size === 0) return -1;
    const h = hashTuple(version, a, aport, b, bport, vlan);
    const ix = this.index;
    for (let i = ix.home(h); ; i = ix.next(i)) {
      const s = ix.slotAt(i);
      if (s < 0) return -1;
      if (ix.hashAt(i) !== h) continue;
      if (this.matches(s, version, a, aport, b, bport, vlan)) { this.reversed = false; return s; }
      if (this.matches(s, version, b, bport, a, aport, vlan)) { this.reversed = true; return s; }
    }
  }

  private matches(s: number, version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): boolean {
    const k = this.keys;
    const b = s * K;
    if (k[b] !== version || k[b + 9] !== cport || k[b + 10] !== sport || k[b + 1] !== cli[0] || k[b + 5] !== srv[0] || k[b + KV] !== vlan) return false;
    return version !== 6 || (k[b + 2] === cli[1] && k[b + 3] === cli[2] && k[b + 4] === cli[3]
      && k[b + 6] === srv[1] && k[b + 7] === srv[2] && k[b + 8] === srv[3]);
  }

  /** The slot parked longest ago, or -1 (holes at the head are reclaimed on the way). */
  oldest(): number {
    while (this.used > 0 && this.live[this.head] === 0) {
      this.head = (this.head + 1) % this.cap;
      this.used--;
    }
    return this.used > 0 ? this.head : -1;
  }

  seqOf(slot: number): number {
    return this.ints[slot * I + 1];
  }

  deadline(slot: number): number {
    return this.dbl[slot * D + 5];
  }

  /** Takes the attempt out into `a` (a blank Attempt), in no table. */
  unpark(a: Attempt, s: number): Attempt {
    const k = this.keys;
    const kb = s * K;
    a.version = k[kb];
    a.c0 = k[kb + 1]; a.c1 = k[kb + 2]; a.c2 = k[kb + 3]; a.c3 = k[kb + 4];
    a.s0 = k[kb + 5]; a.s1 = k[kb + 6]; a.s2 = k[kb + 7]; a.s3 = k[kb + 8];
    a.cport = k[kb + 9];
    a.sport = k[kb + 10];
    a.hash = k[kb + KH];
    a.vlan = k[kb + KV];
    const d = this.dbl;
    const db = s * D;
    a.startSec = d[db]; a.t0 = d[db + 1]; a.lastSynT = d[db + 2]; a.prevSynT = d[db + 3]; a.lastT = d[db + 4];
    a.aliveAtT0 = d[db + 6]; a.origIpBytes = d[db + 7]; a.endSec = d[db + 8]; a.ifKey = d[db + 9];
    a.synBeforeAckT = a.lastSynT;
    const n = this.ints;
    const ib = s * I;
    a.tsDigits = n[ib]; a.seq = n[ib + 1]; a.synCount = n[ib + 2]; a.synDataLen = n[ib + 3]; a.dupFrames = n[ib + 4];
    const bits = n[ib + 5];
    a.portReuse = (bits & BIT_REUSE) !== 0;
    a.truncated = (bits & BIT_TRUNCATED) !== 0;
    a.history = bits & BIT_RETRANSMIT_SEEN ? 'ST' : 'S';
    a.revised = (bits & BIT_REVISED) !== 0;
    a.origPkts = n[ib + 8];
    a.file = n[ib + 9]; a.isn = n[ib + 10] >>> 0; a.startNsec = n[ib + 11]; a.busySyns = n[ib + 12]; a.endNsec = n[ib + 13];
    synOnlyConn(a);
    const verdict = n[ib + 7];
    if (verdict > 0) {
      // Parked after its final report (see HandshakeEngine.reported): a later packet can only
      // make a revision, compared with this verdict.
      a.decided = true;
      a.reported = true;
      a.verdict = VERDICTS[verdict - 1];
    }
    const synFrames: number[] = [];
    for (let i = 0; i < n[ib + 6]; i++) synFrames.push(this.frames[s * MAX_FRAMES + i]);
    a.synFrames = synFrames;
    a.host = this.hosts[s];
    a.endpoint = this.endpoints[s];
    this.remove(s, a.hash);
    return a;
  }

  /** Lets the attempt in this slot go without taking it out. */
  discard(s: number): void {
    this.remove(s, this.keys[s * K + KH]);
  }

  /** Every parked slot, oldest first (a snapshot). */
  slots(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.used; i++) {
      const s = (this.head + i) % this.cap;
      if (this.live[s]) out.push(s);
    }
    return out;
  }

  private remove(s: number, hash: number): void {
    this.live[s] = 0;
    this.hosts[s] = null;
    this.endpoints[s] = null;
    this.size--;
    this.index.remove(s, hash);
    if (this.size === 0) {
      this.head = 0;
      this.used = 0;
      // A flood's store empties after its burst: its memory goes with it (a small one is kept for reuse).
      if (this.cap > RELEASE_ABOVE) this.release();
    }
  }

  private release(): void {
    this.cap = 0;
    this.keys = new Uint32Array(0); this.dbl = new Float64Array(0); this.ints = new Int32Array(0);
    this.frames = new Uint32Array(0); this.live = new Uint8Array(0);
    this.hosts = []; this.endpoints = [];
    this.index.reset(0);
  }

  /**
   * Doubles the ring (holes included: they are reclaimed as the head passes), but not past the
   * store's limit the first time it is reached: a full flood store would be a fifth empty.
   */
  private grow(): void {
    let cap = Math.max(MIN_CAP, this.cap * 2);
    if (this.cap < this.limit && cap > this.limit) cap = Math.max(MIN_CAP, this.limit);
    const keys = new Uint32Array(cap * K);
    const dbl = new Float64Array(cap * D);
    const ints = new Int32Array(cap * I);
    const frames = new Uint32Array(cap * MAX_FRAMES);
    const live = new Uint8Array(cap);
    const hosts: Array<HostEntry | null> = new Array(cap).fill(null);
    const endpoints: Array<EndpointEntry | null> = new Array(cap).fill(null);
    // The used slots are at most two runs: head to the end of the ring, then from its start.
    const first = Math.min(this.used, this.cap - this.head);
    for (const [from, to, n] of [[this.head, 0, first], [0, first, this.used - first]]) {
      if (n === 0) continue;
      keys.set(this.keys.subarray(from * K, (from + n) * K), to * K);
      dbl.set(this.dbl.subarray(from * D, (from + n) * D), to * D);
      ints.set(this.ints.subarray(from * I, (from + n) * I), to * I);
      frames.set(this.frames.subarray(from * MAX_FRAMES, (from + n) * MAX_FRAMES), to * MAX_FRAMES);
      live.set(this.live.subarray(from, from + n), to);
      for (let i = 0; i < n; i++) {
        hosts[to + i] = this.hosts[from + i];
        endpoints[to + i] = this.endpoints[from + i];
      }
    }
    this.keys = keys; this.dbl = dbl; this.ints = ints; this.frames = frames; this.live = live;
    this.hosts = hosts; this.endpoints = endpoints;
    this.cap = cap;
    this.head = 0;
    // Rows moved: the index is made again (sized for the whole ring, so it never grows between).
    this.index.reset(cap);
    for (let i = 0; i < this.used; i++) if (live[i]) this.index.insert(i, keys[i * K + KH]);
  }
}

/** An attempt that may be parked: undecided, and nothing but its own SYNs seen. */
export function isSynOnly(a: Attempt): boolean {
  return !a.decided && onlySyns(a);
}

/** Nothing but the client's own SYNs seen: the compact form holds all the attempt knows. */
export function onlySyns(a: Attempt): boolean {
  return a.synAckT < 0 && a.rstT < 0 && a.icmpT < 0 && a.cliRstT < 0 && a.cliFinFrame === 0
    && a.cliDataFrame === 0 && a.invalidRstFrame === 0 && (a.history === 'S' || a.history === 'ST')
    // (Zeek's view of such an attempt is rebuilt on unparking: one S, nothing from the server.)
    && a.zHistory === 'S' && a.respPkts === 0;
}

