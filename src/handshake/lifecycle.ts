/**
 * Where attempts live between their first SYN and the moment the engine forgets them, and the
 * memory policy that bounds them: the table of full attempts with their wake-up queue, the
 * compact store (unanswered attempts, in two phases: parked, undecided; quiet, decided and
 * reported), the settled connections (established, the server took them up), the rows of the
 * attempt table, and the rules that move an attempt between them (linger, park, quiet, settle,
 * evict, forget). The engine routes packets and decides; this file decides how long state is kept
 * and in which form.
 *
 * (Attempts are rows of typed columns (attempt.ts, flow/row-table.ts); parked and quiet are phases
 * of one compact store. Issue 14 still asks that they be phases of the rows themselves, which needs
 * rows as small as a compact entry and no handle per row.)
 */
import { DeadlineHeap } from '../flow/deadlines.js';
import { FlowTable } from '../flow/table.js';
import { Attempt, AttemptQueue, AttemptTable } from './attempt.js';
import { Queued, setQueued } from './evidence.js';
import { CompactAttempts, isSynOnly, onlySyns, PARKED, QUIET } from './compact.js';
import { SettledFlows } from './settled.js';

/** Seconds a closed connection's state stays to recognise its last packets. */
export const CLOSED_LINGER = 5;
/** Seconds an unanswered attempt stays at least, waiting for its client's next retransmission. */
const UNANSWERED_LINGER = 30;

/** What the store asks of the engine. */
export interface Decider {
  /**
   * Decides (or reviews) an attempt whose wake-up came; false when it waits for more evidence
   * (the engine has scheduled it again), true when its lifecycle may go on.
   */
  review(a: Attempt, final: boolean): boolean;
  /** Decides now with what is known (`final`: nothing more will come). */
  decide(a: Attempt, final: boolean): boolean;
  /** Between the decisions of one clock move (see EngineEvents.between). */
  between(): void;
}

/** The engine's counters the store keeps. */
export interface StoreCounts {
  parked: number;
  quieted: number;
  forgotten: number;
  evicted: number;
}

export class AttemptStore {
  private readonly attempts = new FlowTable<Attempt>();
  private readonly heap = new DeadlineHeap<Attempt>();
  /** Unanswered attempts in compact form: parked (undecided), or quiet (decided and reported, until their quiet time ends). */
  private readonly compact: CompactAttempts;
  readonly settled = new SettledFlows();
  /** The rows of every attempt held in full (a row is freed once let go and reported). */
  private readonly rows = new AttemptTable();
  /** Attempts in creation order, candidates for parking (see parkOldSynOnly). */
  private readonly young = new AttemptQueue();
  /** Set by findEither: the packet's source is the attempt's server. */
  reversed = false;
  /** The store's view of the capture clock (the engine's, as of the last advance). */
  private now = 0;

  constructor(
    private readonly decider: Decider,
    private readonly counts: StoreCounts,
    /** Seconds a decided, open connection stays to absorb its late packets. */
    private readonly retain: number,
    /** Full attempts held at most; beyond, the compact stores take up to 8x as many. */
    readonly maxAttempts: number,
    /** Full attempts beyond which unanswered ones are parked. */
    private readonly parkAbove: number,
  ) {
    // Quiet entries (136 bytes) also take the room reported attempts once waited in as full rows
    // (about 650 bytes) when the quiet phase was full: maxAttempts more.
    this.compact = new CompactAttempts(8 * maxAttempts, 9 * maxAttempts);
  }

  /** Full attempts now. */
  get size(): number {
    return this.attempts.size;
  }

  /** Full attempts, in no order (a snapshot). */
  values(): Attempt[] {
    return this.attempts.values();
  }

  /** Moves the clock to `t`: attempts whose time has come are decided, quieted or let go. */
  advance(t: number): void {
    this.now = t;
    if (this.settled.size) this.settled.expire(t, CLOSED_LINGER, this.retain);
    const heap = this.heap;
    for (;;) {
      const when = heap.peekTime();
      const compact = this.compact;
      const p = compact.size(PARKED) ? compact.oldest(PARKED) : -1;
      if (p >= 0 && compact.deadline(p) <= t && compact.deadline(p) < when) {
        this.wakeParked(p);
        this.decider.between();
        continue;
      }
      const q = compact.size(QUIET) ? compact.oldest(QUIET) : -1;
      if (q >= 0 && compact.deadline(q) <= t) { compact.discard(q); continue; }
      if (when > t) return;
      const a = heap.pop()!;
      if (a.wakeAt > t) { heap.set(a, a.wakeAt); continue; } // its deadline moved later
      if (this.decider.review(a, false)) this.afterWake(a);
      this.decider.between();
    }
  }

  /** After a wake-up: a quiet attempt goes; an established one the server took is settled; others wait their linger. */
  private afterWake(a: Attempt): void {
    const dropAt = a.lastT + this.linger(a);
    if (this.now >= dropAt) { this.drop(a); return; }
    if (this.settles(a)) { this.settle(a); return; }
    this.schedule(a, dropAt);
  }

  /** A parked attempt's timeout has passed: it is decided as a full attempt would be. */
  private wakeParked(p: number): void {
    const a = this.compact.take(this.rows.alloc(), p);
    if (!this.decider.decide(a, false)) this.decider.decide(a, true);
    // It lingers like any decided attempt if the table has room; under a flood it is let go.
    const dropAt = a.lastT + this.linger(a);
    // (It must linger: a late retransmission of its SYN is not a new attempt.)
    if (this.attempts.size < this.maxAttempts && dropAt > this.now) {
      this.attempts.insert(a);
      this.schedule(a, dropAt);
    } else {
      if (dropAt > this.now) this.counts.forgotten++;
      this.release(a);
    }
  }

  /** The attempt of this tuple, full or compact (a compact one becomes full again). */
  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): Attempt | undefined {
    return this.attempts.find(version, cli, cport, srv, sport, vlan) ?? this.fromCompact(false, version, cli, cport, srv, sport, vlan);
  }

  /** The attempt this packet belongs to, whichever side sent it (sets `reversed`). */
  findEither(version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number, vlan: number): Attempt | undefined {
    const found = this.attempts.findEither(version, a, aport, b, bport, vlan);
    if (found) { this.reversed = this.attempts.reversed; return found; }
    return this.fromCompact(true, version, a, aport, b, bport, vlan);
  }

  /**
   * The attempt of this tuple in the compact store (either phase), made full again. `either`:
   * whichever side sent the packet (then `reversed` says whether it was the server).
   */
  private fromCompact(either: boolean, version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number, vlan: number): Attempt | undefined {
    const store = this.compact;
    if (store.total === 0) return undefined;
    const slot = either ? store.findEither(version, a, aport, b, bport, vlan) : store.find(version, a, aport, b, bport, vlan);
    if (slot < 0) return undefined;
    this.reversed = either && store.reversed;
    return this.restore(slot);
  }

  private restore(p: number): Attempt {
    const deadline = this.compact.deadline(p);
    const a = this.compact.take(this.rows.alloc(), p);
    this.attempts.insert(a);
    this.schedule(a, deadline);
    return a;
  }

  /** A blank attempt for a new first SYN (the engine sets its key and evidence, then admits it). */
  create(): Attempt {
    return this.rows.alloc();
  }

  /** A new attempt joins the table, to be looked at by `deadline`; the table makes room if it must. */
  admit(a: Attempt, deadline: number): void {
    this.attempts.insert(a);
    this.schedule(a, deadline);
    this.young.push(a, a.seq);
    if (this.attempts.size > this.maxAttempts) this.evictOne();
    // Also keeps the queue short when nothing is parked: settled entries leave its front.
    this.parkOldSynOnly();
  }

  /**
   * Most packets move an attempt's deadline later; the queue is only told when it moves earlier.
   * A wake-up that comes before `wakeAt` is queued again for then (see advance): one move
   * instead of one per packet, in a queue whose arrays are cold by the time the next packet comes.
   */
  schedule(a: Attempt, t: number): void {
    a.wakeAt = t;
    if (t < this.heap.timeOf(a)) this.heap.set(a, t);
  }

  /**
   * The consumer has made the attempt's final report. If no later packet can change it
   * (established, and the server took the connection), its full state goes now.
   */
  reported(a: Attempt): void {
    a.reported = true;
    if (a.index >= 0 && this.settles(a)) this.settle(a);
    else if (a.index >= 0) this.parkQuiet(a);
    else if (a.released) this.rows.free(a);
  }

  /**
   * No report will be made of the attempt (the consumer filtered it out): nothing else changes (it is
   * not settled or quieted, as a reported one may be), but its row is freed once it is let go.
   */
  unreported(a: Attempt): void {
    a.unreported = true;
    if (a.released) this.rows.free(a);
  }

  /** Whether the attempt is still in the table (not forgotten): later packets can still revise it. */
  holds(a: Attempt): boolean {
    return a.index >= 0;
  }

  /**
   * An unanswered attempt, decided and reported, waits for late retransmissions in compact form
   * if the table is busy and the quiet store can take it in its deadline order. When the quiet
   * phase is full, its oldest entry (nearest the end of its quiet time) is forgotten to make room.
   */
  private parkQuiet(a: Attempt): void {
    if (this.attempts.size <= this.parkAbove || !a.decided || a.needsReview || !onlySyns(a)) return;
    const until = a.lastT + this.linger(a);
    if (!this.compact.accepts(QUIET, until)) return;
    if (this.compact.size(QUIET) >= this.compact.quietLimit) {
      const q = this.compact.oldest(QUIET);
      if (q < 0) return;
      this.compact.discard(q);
      this.counts.forgotten++;
    }
    this.attempts.remove(a);
    this.heap.remove(a);
    this.compact.put(QUIET, a, until);
    this.counts.quieted++;
    this.rows.free(a);
  }

  private settles(a: Attempt): boolean {
    return a.reported && a.decided && !a.needsReview && a.verdict === 'established' && (a.srvAckedDataFrame > 0 || a.srvDataFrame > 0);
  }

  /** Settles the attempt if no later packet can change its report (see settles). */
  settleIfFinal(a: Attempt): void {
    if (this.settles(a)) this.settle(a);
  }

  private settle(a: Attempt): void {
    // The settled record takes over the attempt's place in its endpoint's queues.
    this.settled.add(a, this.now);
    a.queued = Queued.NONE;
    this.drop(a);
  }

  /**
   * How long a decided attempt stays in the table after its last packet, to recognise its late
   * packets (retransmissions, final ACKs) instead of counting them as midstream flows. A closed
   * connection or a refused attempt sees nothing more after a few seconds; a client still
   * retransmitting its SYN waits about twice its last back-off; an open connection waits long.
   */
  private linger(a: Attempt): number {
    if (a.rstT >= 0 || a.cliRstT >= 0 || (a.cliFinFrame && a.srvFinFrame)) return CLOSED_LINGER;
    if (a.verdict === 'refused' || a.verdict === 'rejected' || a.verdict === 'aborted') return CLOSED_LINGER;
    // Unanswered: wait for the next retransmission, which comes after about twice the last gap.
    if (a.synAckT < 0) return Math.min(this.retain, Math.max(UNANSWERED_LINGER, 2.5 * (a.lastSynT - a.prevSynT)));
    return this.retain;
  }

  /** A decided connection that closes needs its state only a little longer. */
  closing(a: Attempt): void {
    if (a.decided && !a.needsReview) this.schedule(a, a.lastT + this.linger(a));
  }

  /** The attempt leaves the table (its tuple's next SYN is a new attempt). */
  drop(a: Attempt): void {
    this.attempts.remove(a);
    this.release(a);
  }

  /** The engine forgets the attempt (it is in no table); once reported too, its row is freed. */
  private release(a: Attempt): void {
    this.heap.remove(a);
    setQueued(a, Queued.NONE, this.now);
    a.released = true;
    if (a.reported || a.unreported) this.rows.free(a);
  }

  /**
   * Past `parkAbove` full attempts, unanswered ones are parked oldest first, before the hard limit:
   * the compact form costs a fifth of the memory and nothing in the verdicts. Candidates come from
   * a queue in creation order (which is their deadline order), so each attempt is looked at once.
   */
  private parkOldSynOnly(): void {
    for (let n = 0; n < 8; n++) {
      const a = this.young.peek();
      if (!a) return;
      if (a.index < 0 || !isSynOnly(a)) { this.young.pop(); continue; } // answered, decided or gone
      // Most answers come within 0.2 s (then there is nothing to restore), unless attempts pile up faster.
      if (this.attempts.size <= this.parkAbove || (this.now - a.t0 < 0.2 && this.attempts.size <= 2 * this.parkAbove)) return;
      if (!this.compact.accepts(PARKED, a.wakeAt) || this.compact.size(PARKED) >= this.compact.parkedLimit) return;
      this.young.pop();
      this.park(a);
    }
  }

  private park(a: Attempt): void {
    this.attempts.remove(a);
    this.heap.remove(a);
    if (this.compact.size(PARKED) >= this.compact.parkedLimit) this.evictParked();
    this.compact.put(PARKED, a, a.wakeAt);
    this.counts.parked++;
    this.rows.free(a);
  }

  /**
   * Under a SYN flood the table would grow without bound. The attempts due soonest make room: a
   * SYN-only one is parked (nothing is lost), a decided and reported one is forgotten a little
   * early. One still waiting for its verdict or its report is passed over; only when those fill
   * twice the limit is the oldest of them decided early (or forgotten before its report).
   */
  private evictOne(): void {
    const passed: Attempt[] = [];
    while (this.attempts.size > this.maxAttempts && this.heap.size > 0 && passed.length < 64) {
      const a = this.heap.pop()!;
      // (A SYN-only attempt restored from the compact store and due before the newest parked one
      // stays full: the store decides in the order it parks.)
      if (isSynOnly(a) && this.compact.accepts(PARKED, a.wakeAt)) {
        this.park(a);
      } else if (a.decided && !a.needsReview && (a.reported || this.attempts.size > 2 * this.maxAttempts)) {
        // Reported already: later packets could only have made a revision.
        this.counts.forgotten++;
        this.drop(a);
      } else if (this.attempts.size > 2 * this.maxAttempts) {
        this.counts.evicted++;
        this.decider.decide(a, true);
        this.drop(a);
      } else {
        passed.push(a);
      }
    }
    for (const a of passed) this.schedule(a, a.wakeAt);
  }

  /** The compact store is full too: its oldest attempt is decided with what is known. */
  private evictParked(): void {
    const p = this.compact.oldest(PARKED);
    if (p < 0) return;
    const a = this.compact.take(this.rows.alloc(), p);
    this.counts.evicted++;
    this.decider.decide(a, true);
    this.release(a);
  }

  /** Most attempts held in compact form at once. */
  get maxParked(): number {
    return this.compact.parkedLimit;
  }

  /** Attempts held now: full, parked (compact, unanswered), quiet (compact, decided) and settled (compact, established). */
  held(): { attempts: number; parked: number; quiet: number; settled: number; rows: number } {
    return { attempts: this.attempts.size, parked: this.compact.size(PARKED), quiet: this.compact.size(QUIET), settled: this.settled.size, rows: this.rows.size };
  }

  /**
   * The capture has ended: decide every attempt still waiting, in creation order. Parked ones
   * become full attempts one at a time and are let go at once; `step` is called after each
   * decision so the caller can report (and so free) them as it goes: a flood may leave hundreds
   * of thousands parked.
   */
  finish(step?: () => void): void {
    const full: Attempt[] = [];
    for (const a of this.attempts.values()) if (!a.decided || a.needsReview) full.push(a);
    full.sort((x, y) => x.seq - y.seq);
    const compact = this.compact;
    const parked = compact.slots(PARKED);
    parked.sort((x, y) => compact.seqOf(x) - compact.seqOf(y));
    let i = 0;
    let j = 0;
    while (i < full.length || j < parked.length) {
      let a: Attempt;
      if (j < parked.length && (i === full.length || compact.seqOf(parked[j]) < full[i].seq)) {
        a = compact.take(this.rows.alloc(), parked[j++]);
        this.decider.decide(a, true);
        this.release(a);
      } else {
        a = full[i++];
        this.decider.decide(a, true);
        a.needsReview = false;
      }
      step?.();
    }
  }
}
