/**
 * Connections whose verdict no later packet can change: established, and the server has taken
 * data (acknowledged the client's, or sent its own). A full `Attempt` would wait out its linger
 * (up to 150 s after its last packet) only to recognise the connection's later packets; a busy
 * capture keeps hundreds of thousands of those. What stays is the tuple, the ISN and the time of
 * the last packet: enough to absorb the rest of the connection (not a midstream flow, not a new
 * attempt) and to see port reuse.
 */
import { FlowKey, FlowTable } from '../flow/table.js';
import type { Attempt } from './attempt.js';
import type { HostEntry } from './evidence.js';

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
}

export const SETTLED_CLIENT_FIN = 1;
export const SETTLED_SERVER_FIN = 2;
export const SETTLED_RST = 4;

export class SettledFlows {
  private readonly table = new FlowTable<SettledFlow>();
  /** In order of settling; an entry whose last packet is recent goes to the back again. */
  private queue: SettledFlow[] = [];
  private head = 0;

  get size(): number {
    return this.table.size;
  }

  /** Set by findEither: the packet's source is the connection's server. */
  get reversed(): boolean {
    return this.table.reversed;
  }

  find(version: number, cli: ArrayLike<number>, cport: number, srv: ArrayLike<number>, sport: number): SettledFlow | undefined {
    return this.table.size ? this.table.find(version, cli, cport, srv, sport) : undefined;
  }

  findEither(version: number, a: ArrayLike<number>, aport: number, b: ArrayLike<number>, bport: number): SettledFlow | undefined {
    return this.table.size ? this.table.findEither(version, a, aport, b, bport) : undefined;
  }

  remove(s: SettledFlow): void {
    this.table.remove(s);
  }

  add(a: Attempt): void {
    const s = new SettledFlow();
    s.copyKey(a);
    s.isn = a.isn;
    s.lastT = s.queuedAt = a.lastT;
    if (a.cliFinFrame) s.closing |= SETTLED_CLIENT_FIN;
    if (a.srvFinFrame) s.closing |= SETTLED_SERVER_FIN;
    if (a.rstT >= 0 || a.cliRstT >= 0) s.closing |= SETTLED_RST;
    s.host = a.host;
    s.ifKey = a.ifKey;
    this.table.insert(s);
    this.queue.push(s);
  }

  /**
   * Forgets connections quiet for longer than their linger (`closed` seconds once both FINs or a
   * RST were seen, `open` otherwise). Bounded work per call: the front of the queue only. Entries
   * behind one that is not due wait for it (memory only: a settled flow is small).
   */
  expire(now: number, closed: number, open: number): void {
    const q = this.queue;
    for (let n = 0; n < 64 && this.head < q.length; n++) {
      const s = q[this.head];
      if (s.index < 0) { this.head++; continue; }
      const done = (s.closing & SETTLED_RST) !== 0 || (s.closing & 3) === 3;
      if (s.lastT + (done ? closed : open) <= now) {
        this.table.remove(s);
        this.head++;
        continue;
      }
      if (s.lastT === s.queuedAt) break;
      // Packets came since it was queued: its turn is later.
      s.queuedAt = s.lastT;
      q.push(s);
      this.head++;
    }
    if (this.head > 65536 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }
}
