/**
 * Unanswered attempts in compact form. Under a SYN flood most attempts are a single SYN waiting
 * out its handshake timeout, then, decided and reported, waiting out their quiet time (a late SYN
 * retransmission must find its attempt, not start a new one). A row of the attempt table for each
 * (about 400 bytes and a handle) would make memory grow with the flood's rate. When the table is
 * busy, an attempt that has seen nothing but its own SYNs moves here: 196 bytes in typed arrays
 * while parked, 132 once quiet, no object. It keeps its place in time (it is decided at the same
 * deadline, from the same evidence), so a flood is still called `filtered` or `backlog-drop` rather
 * than cut short, and a packet that concerns it turns it back into a row.
 *
 * One store, two phases: PARKED (undecided: its deadline is its decision) and QUIET (decided and
 * reported: its deadline is when it is forgotten). Entries live in slots that never move (the store
 * grows by segments), found by tuple through one SlotIndex whatever
 * their phase, and taken in deadline order from one ring of slot numbers per phase (the engine
 * parks the attempt due soonest, so each ring is in deadline order); an entry taken early leaves a
 * stale ring position (8 bytes) that its ring skips, its slot is free at once. Two stores, one per
 * phase, each a ring of whole entries, kept both peaks (a flood's parked and quiet attempts:
 * 525 k + 800 k entries of room for 961 k live) and searched twice per packet.
 *
 * The server's half of the tuple is not stored: every attempt in the engine has its endpoint
 * (HostIndex.link), whose key is that half. Nor is a quiet entry's report part (its file, start
 * and end times, client packets, SYN frames and IP bytes: 64 bytes): its final report is written,
 * and a later packet can change nothing but a count (Analysis.afterFinal), so only a parked entry
 * has one, in a pool of its own. A flood's 900 k quiet entries take 113 MiB instead of 165.
 */
import { hashTuple } from '../flow/table.js';
import { SlotIndex } from '../flow/slot-index.js';
import { VERDICTS, verdictIndex } from '../model/verdict.js';
import { MAX_FRAMES, type Attempt } from './attempt.js';
import { synOnlyConn } from './conn-track.js';
import type { EndpointEntry, HostEntry } from './evidence.js';

export const PARKED = 0;
export const QUIET = 1;
export type Phase = typeof PARKED | typeof QUIET;

// Per-slot layout. 32-bit words: the client address, hash, ISN, generation.
const U = 7;
const U_HASH = 4, U_ISN = 5, U_GEN = 6;
// Small integers: client port, packed bits, creation number, SYN counts, busy SYNs, the report
// part's slot (-1: none).
const I = 8;
const I_CPORT = 0, I_BITS = 1, I_SEQ = 2, I_SYNS = 3, I_SYN_DATA = 4, I_DUPS = 5, I_BUSY = 6, I_REPORT = 7;
// Doubles: engine times, the deadline, a count that may pass 2^31, the interface key.
const D = 7;
const D_T0 = 0, D_LAST_SYN = 1, D_PREV_SYN = 2, D_LAST = 3, D_DEADLINE = 4, D_ALIVE = 5, D_IF_KEY = 6;
// The report part: file, nanoseconds, client packets and SYN frames (32-bit words), capture seconds
// and IP bytes (doubles).
const RU = 4 + MAX_FRAMES;
const RU_FILE = 0, RU_START_NSEC = 1, RU_END_NSEC = 2, RU_PKTS = 3, RU_FRAMES = 4;
const RD = 3;
const RD_START_SEC = 0, RD_IP_BYTES = 1, RD_END_SEC = 2;
// I_BITS: flags, then the timestamp digits (4 bits), the SYN frame count (3), the verdict + 1 (5),
// the phase + 1 (2: 0 is a free slot).
const BIT_REUSE = 1;
const BIT_TRUNCATED = 2;
const BIT_RETRANSMIT_SEEN = 4; // history "ST" rather than "S"
const BIT_REVISED = 8;
const SHIFT_DIGITS = 4, SHIFT_COUNT = 8, SHIFT_VERDICT = 11, SHIFT_PHASE = 16;
/**
 * Slots are kept in segments of 2^14 that never move: growing by copying would hold the old
 * arrays and the new (one and a half times the store) until the collector frees the old ones.
 */
const SEG_BITS = 14;
const SEG = 1 << SEG_BITS;
const SEG_MASK = SEG - 1;
/** An empty store of more segments than this gives its memory back. */
const KEEP_SEGMENTS = 4;

/** Slots of one phase in the order they were put there (deadline order), with their generations. */
class SlotRing {
  slots = new Int32Array(0);
  gens = new Uint32Array(0);
  head = 0;
  used = 0;
  /** Live entries of this phase (the ring also holds stale positions). */
  size = 0;
  /** Deadline of the entry put last: the ring stays in deadline order only behind it. */
  tailDeadline = -Infinity;

  push(slot: number, gen: number): void {
    if (this.used === this.slots.length) this.grow();
    const i = (this.head + this.used) % this.slots.length;
    this.slots[i] = slot;
    this.gens[i] = gen;
    this.used++;
  }

  private grow(): void {
    const cap = Math.max(1024, this.slots.length * 2);
    const slots = new Int32Array(cap);
    const gens = new Uint32Array(cap);
    for (let k = 0; k < this.used; k++) {
      const i = (this.head + k) % this.slots.length;
      slots[k] = this.slots[i];
      gens[k] = this.gens[i];
    }
    this.slots = slots;
    this.gens = gens;
    this.head = 0;
  }

  clear(): void {
    this.slots = new Int32Array(0);
    this.gens = new Uint32Array(0);
    this.head = this.used = 0;
  }
}

/** One segment's columns. */
class Segment {
  readonly u = new Uint32Array(SEG * U);
  readonly ints = new Int32Array(SEG * I);
  readonly dbl = new Float64Array(SEG * D);
  readonly hosts: Array<HostEntry | null> = new Array<HostEntry | null>(SEG).fill(null);
  readonly endpoints: Array<EndpointEntry | null> = new Array<EndpointEntry | null>(SEG).fill(null);
}

/** One segment of report parts. */
class ReportSegment {
  readonly u = new Uint32Array(SEG * RU);
  readonly dbl = new Float64Array(SEG * RD);
}

/** Slots in segments that never move, with a stack of free ones: the entries' pool and the report parts'. */
class SlotPool<S> {
  segs: S[] = [];
  private cap = 0;
  /** Free slots below `top` (a stack), and the first slot never used. */
  private free = new Int32Array(0);
  private freeCount = 0;
  private top = 0;

  constructor(private readonly make: () => S) {}

  alloc(): number {
    if (this.freeCount > 0) return this.free[--this.freeCount];
    if (this.top === this.cap) this.grow();
    return this.top++;
  }

  release(s: number): void {
    this.free[this.freeCount++] = s;
  }

  /**
   * Every slot is free again: more than KEEP_SEGMENTS go back to the system (returns true), fewer
   * are kept for reuse.
   */
  empty(): boolean {
    this.freeCount = this.top = 0;
    if (this.segs.length <= KEEP_SEGMENTS) return false;
    this.segs = [];
    this.cap = 0;
    this.free = new Int32Array(0);
    return true;
  }

  private grow(): void {
    this.segs.push(this.make());
    this.cap += SEG;
    if (this.free.length < this.cap) {
      const free = new Int32Array(Math.max(this.cap, 2 * this.free.length));
      free.set(this.free.subarray(0, this.freeCount));
      this.free = free;
    }
  }
}

export class CompactAttempts {
  private readonly pool = new SlotPool(() => new Segment());
  private readonly reportParts = new SlotPool(() => new ReportSegment());
  private readonly index = new SlotIndex(0);
  private readonly rings = [new SlotRing(), new SlotRing()];
  /** Set by findEither: the packet's source is the attempt's server. */
  reversed = false;

  /** Entries held at most in each phase (the store does not check: its user does, before a put). */
  constructor(readonly parkedLimit: number, readonly quietLimit: number) {}

  /** Entries in this phase. */
  size(phase: Phase): number {
    return this.rings[phase].size;
  }

  /** Entries in both phases. */
  get total(): number {
    return this.rings[PARKED].size + this.rings[QUIET].size;
  }

  /** Whether the phase can take an entry due at `deadline` without it jumping the queue. */
  accepts(phase: Phase, deadline: number): boolean {
    const ring = this.rings[phase];
    return deadline >= ring.tailDeadline || ring.size === 0;
  }

  /**
   * Stores the attempt (unanswered, with its endpoint) in `phase`, due at `deadline`. A quiet one's
   * report part is not kept (see the top of this file): taken out, it has no file, times or frames.
   */
  put(phase: Phase, a: Attempt, deadline: number): void {
    const s = this.pool.alloc();
    const g = this.pool.segs[s >>> SEG_BITS];
    const o = s & SEG_MASK;
    const u = g.u;
    const ub = o * U;
    u[ub] = a.c0; u[ub + 1] = a.c1; u[ub + 2] = a.c2; u[ub + 3] = a.c3;
    u[ub + U_HASH] = a.hash; u[ub + U_ISN] = a.isn;
    const count = phase === PARKED ? Math.min(a.synFrames.length, MAX_FRAMES) : 0;
    const r = phase === PARKED ? this.putReportPart(a, count) : -1;
    const n = g.ints;
    const ib = o * I;
    n[ib + I_CPORT] = a.cport;
    n[ib + I_BITS] = (a.portReuse ? BIT_REUSE : 0) | (a.truncated ? BIT_TRUNCATED : 0)
      | (a.history === 'ST' ? BIT_RETRANSMIT_SEEN : 0) | (a.revised ? BIT_REVISED : 0)
      | (a.tsDigits << SHIFT_DIGITS) | (count << SHIFT_COUNT)
      | ((a.decided ? verdictIndex(a.verdict) + 1 : 0) << SHIFT_VERDICT) | ((phase + 1) << SHIFT_PHASE);
    n[ib + I_SEQ] = a.seq; n[ib + I_SYNS] = a.synCount; n[ib + I_SYN_DATA] = a.synDataLen;
    n[ib + I_DUPS] = a.dupFrames; n[ib + I_BUSY] = a.busySyns; n[ib + I_REPORT] = r;
    const d = g.dbl;
    const db = o * D;
    d[db + D_T0] = a.t0; d[db + D_LAST_SYN] = a.lastSynT; d[db + D_PREV_SYN] = a.prevSynT;
    d[db + D_LAST] = a.lastT; d[db + D_DEADLINE] = deadline; d[db + D_ALIVE] = a.aliveAtT0; d[db + D_IF_KEY] = a.ifKey;
    g.hosts[o] = a.host;
    g.endpoints[o] = a.endpoint;
    this.index.insert(s, a.hash);
    const ring = this.rings[phase];
    ring.tailDeadline = deadline;
    ring.size++;
    ring.push(s, u[ub + U_GEN]);
  }

  /** Slot of the attempt with this tuple (client first), or -1. */
  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): number {
    if (this.index.size === 0) return -1;
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
    if (this.index.size === 0) return -1;
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
    const g = this.pool.segs[s >>> SEG_BITS];
    const o = s & SEG_MASK;
    const u = g.u;
    const b = o * U;
    const e = g.endpoints[o]!;
    if (g.ints[o * I + I_CPORT] !== cport || u[b] !== cli[0] || e.sport !== sport || e.s0 !== srv[0] || e.version !== version || e.vlan !== vlan) return false;
    return version !== 6 || (u[b + 1] === cli[1] && u[b + 2] === cli[2] && u[b + 3] === cli[3]
      && e.s1 === srv[1] && e.s2 === srv[2] && e.s3 === srv[3]);
  }

  /** The phase of the entry in this slot. */
  phaseOf(s: number): Phase {
    return ((this.pool.segs[s >>> SEG_BITS].ints[(s & SEG_MASK) * I + I_BITS] >>> SHIFT_PHASE) - 1) as Phase;
  }

  /** The slot of this phase put there longest ago, or -1 (stale ring positions are dropped on the way). */
  oldest(phase: Phase): number {
    const ring = this.rings[phase];
    const len = ring.slots.length;
    while (ring.used > 0) {
      const s = ring.slots[ring.head];
      if (this.genOf(s) === ring.gens[ring.head]) return s;
      ring.head = (ring.head + 1) % len;
      ring.used--;
    }
    return -1;
  }

  seqOf(s: number): number {
    return this.pool.segs[s >>> SEG_BITS].ints[(s & SEG_MASK) * I + I_SEQ];
  }

  deadline(s: number): number {
    return this.pool.segs[s >>> SEG_BITS].dbl[(s & SEG_MASK) * D + D_DEADLINE];
  }

  private genOf(s: number): number {
    return this.pool.segs[s >>> SEG_BITS].u[(s & SEG_MASK) * U + U_GEN];
  }

  /** Takes the attempt out into `a` (a blank row), in no table; its slot is free. */
  take(a: Attempt, s: number): Attempt {
    const g = this.pool.segs[s >>> SEG_BITS];
    const o = s & SEG_MASK;
    const e = g.endpoints[o]!;
    const u = g.u;
    const ub = o * U;
    a.version = e.version;
    a.c0 = u[ub]; a.c1 = u[ub + 1]; a.c2 = u[ub + 2]; a.c3 = u[ub + 3];
    a.s0 = e.s0; a.s1 = e.s1; a.s2 = e.s2; a.s3 = e.s3;
    a.sport = e.sport;
    a.vlan = e.vlan;
    a.hash = u[ub + U_HASH];
    a.isn = u[ub + U_ISN];
    const n = g.ints;
    const ib = o * I;
    a.cport = n[ib + I_CPORT];
    const bits = n[ib + I_BITS];
    a.portReuse = (bits & BIT_REUSE) !== 0;
    a.truncated = (bits & BIT_TRUNCATED) !== 0;
    a.history = bits & BIT_RETRANSMIT_SEEN ? 'ST' : 'S';
    a.revised = (bits & BIT_REVISED) !== 0;
    a.tsDigits = (bits >>> SHIFT_DIGITS) & 15;
    a.seq = n[ib + I_SEQ]; a.synCount = n[ib + I_SYNS]; a.synDataLen = n[ib + I_SYN_DATA];
    a.dupFrames = n[ib + I_DUPS]; a.busySyns = n[ib + I_BUSY];
    const d = g.dbl;
    const db = o * D;
    a.t0 = d[db + D_T0]; a.lastSynT = d[db + D_LAST_SYN]; a.prevSynT = d[db + D_PREV_SYN];
    a.lastT = d[db + D_LAST]; a.aliveAtT0 = d[db + D_ALIVE]; a.ifKey = d[db + D_IF_KEY];
    a.synBeforeAckT = a.lastSynT;
    const r = n[ib + I_REPORT];
    if (r >= 0) this.takeReportPart(a, r, (bits >>> SHIFT_COUNT) & 7);
    else a.synFrames = []; // (a retransmission appends to it)
    synOnlyConn(a);
    const verdict = (bits >>> SHIFT_VERDICT) & 31;
    if (verdict > 0) {
      // Quiet after its final report (see AttemptStore.reported): a later packet can only make a
      // revision, compared with this verdict.
      a.decided = true;
      a.reported = true;
      a.verdict = VERDICTS[verdict - 1];
    }
    a.host = g.hosts[o];
    a.endpoint = e;
    this.remove(s);
    return a;
  }

  /** A parked entry's report part: what only its report reads. Returns its slot. */
  private putReportPart(a: Attempt, count: number): number {
    const r = this.reportParts.alloc();
    const g = this.reportParts.segs[r >>> SEG_BITS];
    const u = g.u;
    const ub = (r & SEG_MASK) * RU;
    u[ub + RU_FILE] = a.file; u[ub + RU_START_NSEC] = a.startNsec; u[ub + RU_END_NSEC] = a.endNsec; u[ub + RU_PKTS] = a.origPkts;
    for (let i = 0; i < count; i++) u[ub + RU_FRAMES + i] = a.synFrames[i];
    const d = g.dbl;
    const db = (r & SEG_MASK) * RD;
    d[db + RD_START_SEC] = a.startSec; d[db + RD_IP_BYTES] = a.origIpBytes; d[db + RD_END_SEC] = a.endSec;
    return r;
  }

  /** Copies report part `r` (with its `count` SYN frames) into `a`; remove() frees it. */
  private takeReportPart(a: Attempt, r: number, count: number): void {
    const g = this.reportParts.segs[r >>> SEG_BITS];
    const u = g.u;
    const ub = (r & SEG_MASK) * RU;
    a.file = u[ub + RU_FILE]; a.startNsec = u[ub + RU_START_NSEC]; a.endNsec = u[ub + RU_END_NSEC]; a.origPkts = u[ub + RU_PKTS];
    const d = g.dbl;
    const db = (r & SEG_MASK) * RD;
    a.startSec = d[db + RD_START_SEC]; a.origIpBytes = d[db + RD_IP_BYTES]; a.endSec = d[db + RD_END_SEC];
    // At its exact size: an array grown by push from [] keeps room for 16 (152 bytes), and under a
    // flood every attempt passes through here.
    if (count === 1) {
      a.synFrames = [u[ub + RU_FRAMES]];
    } else {
      const frames: number[] = [];
      for (let i = 0; i < count; i++) frames.push(u[ub + RU_FRAMES + i]);
      a.synFrames = frames.slice();
    }
  }

  /** Lets the attempt in this slot go without taking it out. */
  discard(s: number): void {
    this.remove(s);
  }

  /** Every slot of this phase, oldest first (a snapshot). */
  slots(phase: Phase): number[] {
    const ring = this.rings[phase];
    const out: number[] = [];
    for (let k = 0; k < ring.used; k++) {
      const i = (ring.head + k) % ring.slots.length;
      const s = ring.slots[i];
      if (this.genOf(s) === ring.gens[i]) out.push(s);
    }
    return out;
  }

  private remove(s: number): void {
    const g = this.pool.segs[s >>> SEG_BITS];
    const o = s & SEG_MASK;
    this.rings[this.phaseOf(s)].size--;
    this.index.remove(s, g.u[o * U + U_HASH]);
    // A new generation: the ring position that named this entry is stale now.
    g.u[o * U + U_GEN]++;
    g.ints[o * I + I_BITS] = 0;
    g.hosts[o] = null;
    g.endpoints[o] = null;
    const r = g.ints[o * I + I_REPORT];
    if (r >= 0) this.reportParts.release(r);
    this.pool.release(s);
    if (this.index.size === 0) {
      // A flood's store empties after its burst: its memory goes with it (a small one is kept for reuse).
      const gaveBack = this.pool.empty();
      this.reportParts.empty();
      for (const ring of this.rings) {
        if (gaveBack) ring.clear();
        else ring.head = ring.used = 0;
      }
      if (gaveBack) this.index.reset(0);
    }
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
    // (Zeek's view of such an attempt is rebuilt on taking it out: one S, nothing from the server.)
    && a.zHistory === 'S' && a.respPkts === 0
    // (The server's half of its tuple is its endpoint's key.)
    && a.endpoint !== null;
}
