/**
 * Connections whose verdict no later packet can change: established, and the server has taken
 * data (acknowledged the client's, or sent its own). A full `Attempt` would wait out its linger
 * (up to 150 s after its last packet) only to recognise the connection's later packets; a busy
 * capture keeps hundreds of thousands of those. What stays is the tuple, the ISN and the time of
 * the last packet: enough to absorb the rest of the connection (not a midstream flow, not a new
 * attempt) and to see port reuse.
 */
import { Fifo } from '../flow/fifo.js';
import { FlowKey, FlowTable } from '../flow/table.js';
import type { Attempt } from './attempt.js';
import { Queued, requeue, type EndpointEntry, type HostEntry } from './evidence.js';

export class SettledFlow extends FlowKey {
  isn = 0;
  lastT = 0;
  /** FIN seen from the client (1) and from the server (2), or a RST (4): the connection is closing. */
  closing = 0;
  /** lastT when it was (re)queued for expiry. */
  queuedAt = 0;
  /** The server host's baseline on the attempt's interface (its later packets still feed it). */
  host: HostEntry | null = null;
  ifKey = 0;
  /**
   * A connection the application has not served yet (Queued.UNSERVED: the server kernel ACKs data
   * of a connection waiting in the accept queue) keeps its place in the endpoint's queue count.
   */
  queued = 0;
  endpoint: EndpointEntry | null = null;
}

/** The flow leaves its endpoint's queue count (it was served, reset, or is forgotten). */
function dequeueFlow(s: SettledFlow, t: number): void {
  if (s.queued !== Queued.NONE && s.endpoint !== null) requeue(s.endpoint, s.queued, Queued.NONE, t);
  s.queued = Queued.NONE;
}

export const SETTLED_CLIENT_FIN = 1;
export const SETTLED_SERVER_FIN = 2;
export const SETTLED_RST = 4;

/** FIN both ways, or a RST: the connection is over and needs only the short linger. */
function isDone(s: SettledFlow): boolean {
  return (s.closing & SETTLED_RST) !== 0 || (s.closing & 3) === 3;
}

/**
 * Flows in the order they were queued; a flow queued again (packets came since) goes to the back.
 * Entries already removed from the table are skipped when they reach the front.
 */
class ExpiryQueue {
  private readonly q = new Fifo<SettledFlow>();

  push(s: SettledFlow): void {
    this.q.push(s);
  }

  /**
   * Removes from `table` the flows at the front whose `linger` has passed; stops at the first
   * that is not due (behind it the flows came later). Bounded work per call.
   */
  expire(now: number, linger: number, table: FlowTable<SettledFlow>, done: ExpiryQueue | null): void {
    const q = this.q;
    for (let n = 0, s = q.peek(); n < 64 && s !== undefined; n++, s = q.peek()) {
      if (s.index < 0) { q.shift(); continue; }
      if (done !== null && isDone(s)) { q.shift(); continue; } // closed meanwhile: it is in `done` now
      if (s.lastT + linger <= now) {
        dequeueFlow(s, now);
        table.remove(s);
        q.shift();
        continue;
      }
      if (s.lastT === s.queuedAt) break;
      // Packets came since it was queued: its turn is later.
      s.queuedAt = s.lastT;
      q.shift();
      q.push(s);
    }
  }
}

export class SettledFlows {
  private readonly table = new FlowTable<SettledFlow>();
  /**
   * Two queues, one per linger: with one, a connection left open (150 s) at the front held every
   * closed one behind it (5 s) in memory long after it had left the table: 26,000 records, most
   * of them gone, by the end of the 1 GB bench file, and growing with the file.
   */
  private readonly open = new ExpiryQueue();
  private readonly closed = new ExpiryQueue();

  get size(): number {
    return this.table.size;
  }

  /** Set by findEither: the packet's source is the connection's server. */
  get reversed(): boolean {
    return this.table.reversed;
  }

  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number, vlan: number): SettledFlow | undefined {
    return this.table.size ? this.table.find(version, cli, cport, srv, sport, vlan) : undefined;
  }

  findEither(version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number, vlan: number): SettledFlow | undefined {
    return this.table.size ? this.table.findEither(version, a, aport, b, bport, vlan) : undefined;
  }

  remove(s: SettledFlow, t: number): void {
    dequeueFlow(s, t);
    this.table.remove(s);
  }

  /** The connection was served or reset: it leaves its endpoint's queue count. */
  dequeue(s: SettledFlow, t: number): void {
    dequeueFlow(s, t);
  }

  /** Takes over the attempt's connection, and its place in the endpoint's queue count. */
  add(a: Attempt, t: number): void {
    const s = new SettledFlow();
    s.queued = a.queued;
    s.endpoint = a.endpoint;
    if (a.rstT >= 0 || a.cliRstT >= 0) dequeueFlow(s, t);
    s.copyKey(a);
    s.isn = a.isn;
    s.lastT = s.queuedAt = a.lastT;
    if (a.cliFinFrame) s.closing |= SETTLED_CLIENT_FIN;
    if (a.srvFinFrame) s.closing |= SETTLED_SERVER_FIN;
    if (a.rstT >= 0 || a.cliRstT >= 0) s.closing |= SETTLED_RST;
    s.host = a.host;
    s.ifKey = a.ifKey;
    this.table.insert(s);
    (isDone(s) ? this.closed : this.open).push(s);
  }

  /** A FIN or RST of the connection (SETTLED_* bits): once it is over, it takes the short linger. */
  close(s: SettledFlow, bits: number): void {
    const was = isDone(s);
    s.closing |= bits;
    if (was || !isDone(s)) return;
    s.queuedAt = s.lastT;
    this.closed.push(s);
  }

  /**
   * Forgets connections quiet for longer than their linger (`closed` seconds once both FINs or a
   * RST were seen, `open` otherwise). Bounded work per call: the fronts of the queues only.
   */
  expire(now: number, closed: number, open: number): void {
    this.closed.expire(now, closed, this.table, null);
    this.open.expire(now, open, this.table, this.closed);
  }
}
