/**
 * What the engine learns beyond single attempts: each server host's TTL / hop limit and IPv6
 * flow labels per capture interface (the baseline a RST is compared with), and each server
 * endpoint's recent signs of a live listener (SYN-ACKs and completed handshakes).
 */
import { FlowKey } from '../flow/table.js';

const TTL_SLOTS = 4;
/** Interface key (beyond any real one) of the entry that marks an address as some attempt's server. */
export const SERVER_MARK = 0x7fffffff;

/** A host's own packets, per capture interface: the baseline a RST's TTL is compared with. */
export class HostEntry extends FlowKey {
  readonly ttls = new Int16Array(TTL_SLOTS).fill(-1);
  readonly counts = new Uint32Array(TTL_SLOTS);
  labelZero = 0;
  labelNonZero = 0;

  add(ttl: number, version: number, label: number): void {
    let free = -1;
    for (let i = 0; i < TTL_SLOTS; i++) {
      if (this.ttls[i] === ttl) { this.counts[i]++; free = -2; break; }
      if (this.ttls[i] < 0 && free === -1) free = i;
    }
    if (free >= 0) { this.ttls[free] = ttl; this.counts[free] = 1; }
    if (version === 6) { if (label === 0) this.labelZero++; else this.labelNonZero++; }
  }

  /** Whether `ttl` is among the TTLs this host's own packets were seen with. */
  has(ttl: number): boolean {
    for (let i = 0; i < this.ttls.length; i++) if (this.ttls[i] === ttl && this.counts[i] > 0) return true;
    return false;
  }

  /** The most common TTL (-1: none seen). */
  bestTtl(): number {
    let b = -1;
    let n = 0;
    for (let i = 0; i < TTL_SLOTS; i++) if (this.ttls[i] >= 0 && this.counts[i] > n) { n = this.counts[i]; b = this.ttls[i]; }
    return b;
  }

  /** Packets seen. */
  packets(): number {
    let total = 0;
    for (let i = 0; i < TTL_SLOTS; i++) total += this.counts[i];
    return total;
  }
}

const ALIVE_RING = 32;

/** A server endpoint's recent SYN-ACKs and completed handshakes: proof that a listener was alive then. */
export class EndpointEntry extends FlowKey {
  /** The server host's entry for the capture interface `hostIfKey` (a lookup saved per attempt). */
  host: HostEntry | null = null;
  hostIfKey = -1;
  /** Its address and `ip:port` as text, made once for the reasons of all its attempts. */
  ipText: string | null = null;
  text: string | null = null;
  readonly times = new Float64Array(ALIVE_RING).fill(-Infinity);
  readonly frames = new Float64Array(ALIVE_RING);
  n = 0;

  add(t: number, frame: number): void {
    const i = this.n++ % ALIVE_RING;
    this.times[i] = t;
    this.frames[i] = frame;
  }

  /** SYN-ACKs in [from, to] other than `exceptFrame`; `lastFrame` is then the frame of one of them (0: none). */
  between(from: number, to: number, exceptFrame: number): number {
    let count = 0;
    let frame = 0;
    for (let i = 0; i < ALIVE_RING; i++) {
      const t = this.times[i];
      if (t >= from && t <= to && this.frames[i] !== exceptFrame) { count++; frame = this.frames[i]; }
    }
    this.lastFrame = frame;
    return count;
  }

  /** See between. */
  lastFrame = 0;
}

