/**
 * What the engine learns beyond single attempts: each server host's TTL / hop limit and IPv6
 * flow labels per capture interface (the baseline a RST is compared with) and the loss seen on
 * its connections, and each server endpoint's signs of a live listener (SYN-ACKs, connections
 * waiting in its queues, ICMP rejections of its other attempts).
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
  /**
   * Packet loss seen on connections of this host (SERVER_MARK entry only): retransmitted data
   * of a connection already under way, a SYN repeated after a captured SYN-ACK, a SYN-ACK
   * repeated before the client's ACK. A listen queue explains none of these.
   */
  losses = 0;
  /** Handshakes to this host proven only by the client's ACK (no SYN-ACK captured: SERVER_MARK entry only). */
  inferred = 0;
  lastLossT = -Infinity;
  lastLossFrame = 0;

  noteLoss(t: number, frame: number): void {
    this.losses++;
    this.lastLossT = t;
    this.lastLossFrame = frame;
  }

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

/**
 * A server endpoint (address and port): what the capture shows of its listener while attempts
 * wait. Counters, not lists, so that no burst can push old evidence out (a ring of the last 32
 * SYN-ACKs did, and which attempts of a 200-connection burst were called a queue overflow then
 * depended on timing): an attempt keeps the counter's value at its first SYN and compares.
 */
export class EndpointEntry extends FlowKey {
  /** The server host's entry for the capture interface `hostIfKey` (a lookup saved per attempt). */
  host: HostEntry | null = null;
  hostIfKey = -1;
  /** The host's entry across interfaces (SERVER_MARK): where loss seen on its connections is kept. */
  mark: HostEntry | null = null;
  /** Its address and `ip:port` as text, made once for the reasons of all its attempts. */
  ipText: string | null = null;
  text: string | null = null;
  /** SYN-ACKs the endpoint sent (first ones per attempt), and handshakes inferred without one. */
  synAcks = 0;
  lastSynAckT = -Infinity;
  lastSynAckFrame = 0;
  /**
   * Its queues as far as the capture shows them: attempts SYN-ACKed but not yet ACKed (the SYN
   * queue) and connections whose handshake completed that the application has not served yet
   * (no data, FIN or RST from the server: what sits in the accept queue until accept()).
   */
  synRcvd = 0;
  unserved = 0;
  /** Last time both counts were 0 after being above (-Infinity: never busy). */
  idleSince = -Infinity;
  /** ICMP rejections of attempts to this endpoint: how many, the times of the last few, the last one's frame and what it was. */
  rejects = 0;
  private rejectTimes: Float64Array | null = null;
  lastRejectFrame = 0;
  rejectFamily = 0;
  rejectType = 0;
  rejectCode = 0;
  readonly rejectSender = new Uint32Array(4);

  /** Attempts to the endpoint waiting in its queues (see synRcvd, unserved). */
  get queued(): number {
    return this.synRcvd + this.unserved;
  }

  /** The endpoint's queues held something at some time since `t` (or hold something now). */
  busySince(t: number): boolean {
    return this.synRcvd + this.unserved > 0 || this.idleSince >= t;
  }

  addReject(t: number): void {
    const times = (this.rejectTimes ??= new Float64Array(REJECTS_KEPT).fill(-Infinity));
    times[this.rejects++ % REJECTS_KEPT] = t;
  }

  /** Rejections at or after `t` (at most REJECTS_KEPT: enough to tell a rate limit). */
  rejectsSince(t: number): number {
    const times = this.rejectTimes;
    if (times === null) return 0;
    let n = 0;
    for (let i = 0; i < REJECTS_KEPT; i++) if (times[i] >= t) n++;
    return n;
  }

  addSynAck(t: number, frame: number): void {
    this.synAcks++;
    this.lastSynAckT = t;
    this.lastSynAckFrame = frame;
  }
}

const REJECTS_KEPT = 16;

/** Where an attempt stands in its endpoint's queues (see EndpointEntry.synRcvd / unserved). */
export const Queued = { NONE: 0, SYN_RCVD: 1, UNSERVED: 2 } as const;

/** Moves an attempt between its endpoint's queue counters (Queued values), at time `t`. */
export function requeue(ep: EndpointEntry, from: number, to: number, t: number): void {
  if (from === to) return;
  if (from === Queued.SYN_RCVD) ep.synRcvd--;
  else if (from === Queued.UNSERVED) ep.unserved--;
  if (to === Queued.SYN_RCVD) ep.synRcvd++;
  else if (to === Queued.UNSERVED) ep.unserved++;
  if (ep.synRcvd + ep.unserved === 0) ep.idleSince = t;
}

/** Moves the attempt to queue `q` of its endpoint's counters (a Queued value), at time `t`. */
export function setQueued(a: { queued: number; endpoint: EndpointEntry | null }, q: number, t: number): void {
  if (a.queued === q) return;
  if (a.endpoint) requeue(a.endpoint, a.queued, q, t);
  a.queued = q;
}
