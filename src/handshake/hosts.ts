/**
 * What the engine knows beyond single attempts, and the context a verdict rule is given from it:
 * each server host's baseline per capture interface (its TTLs and IPv6 flow labels, which a RST
 * is compared with, and the loss seen on its connections), each server endpoint's signs of a live
 * listener (HostEntry, EndpointEntry in evidence.ts), and the ICMP errors whose quote the snap
 * length cut before anyone could match them. `context()` reads all of it and changes nothing.
 */
import type { DecodedPacket } from '../decode/decoder.js';
import { FlowTable } from '../flow/table.js';
import type { ClassifyContext } from '../verdict/context.js';
import type { Attempt } from './attempt.js';
import { EndpointEntry, HostEntry, Queued, SERVER_MARK } from './evidence.js';

const NO_ADDR = new Uint32Array(4);
/** Loss seen this many seconds before an attempt's first SYN (or later) speaks against a queue drop. */
const LOSS_WINDOW = 10;
/**
 * ICMP rejections of other attempts during an unanswered attempt's wait that show a REJECT rule
 * rate-limited: Linux's per-destination bucket allows a burst of 6, then one a second.
 */
const RATE_LIMIT_EVIDENCE = 3;
/** Cut ICMP errors remembered (see cutIcmpFor). */
const CUT_ICMP_KEPT = 32;

/** The engine's counters the context reads (whether the capture holds the servers' direction at all). */
export interface DirectionCounts {
  readonly icmpCut: number;
  readonly inferredSynAck: number;
  readonly serverPackets: number;
}

export class ServerBaselines {
  private readonly hosts = new FlowTable<HostEntry>();
  private readonly endpoints = new FlowTable<EndpointEntry>();

  constructor(private readonly counts: DirectionCounts) {}

  /**
   * TTLs are compared per capture interface: a capture taken on both sides of a router sees the
   * same packet with two TTLs. Any host that is the server of some attempt gets a baseline on
   * every interface its packets appear on.
   */
  learnHost(p: DecodedPacket, ifKey: number, vlan: number): void {
    const ip = p.ip;
    const h = this.hosts.find(ip.version, ip.src, ifKey, NO_ADDR, 0, vlan)
      ?? (this.hosts.find(ip.version, ip.src, SERVER_MARK, NO_ADDR, 0, vlan) ? this.hostEntry(ip.version, ip.src, ifKey, vlan) : null);
    h?.add(ip.ttl, ip.version, ip.flowLabel);
  }

  /** Links a new attempt to its server host's baseline and its endpoint's liveness record. */
  link(a: Attempt, srv: ArrayLike<number>): void {
    let e = this.endpoints.find(a.version, NO_ADDR, 0, srv, a.sport, a.vlan);
    if (!e) {
      e = new EndpointEntry();
      e.setKey(a.version, NO_ADDR, 0, srv, a.sport, a.vlan);
      this.endpoints.insert(e);
    }
    a.endpoint = e;
    // The endpoint remembers its host's entry for the last interface seen: usually the same one.
    if (e.host === null || e.hostIfKey !== a.ifKey) {
      e.host = this.hostEntry(a.version, srv, a.ifKey, a.vlan);
      e.hostIfKey = a.ifKey;
      e.mark = this.hostEntry(a.version, srv, SERVER_MARK, a.vlan);
    }
    a.host = e.host;
    a.aliveAtT0 = e.synAcks;
    if (e.queued > 0) a.busySyns = 1;
  }

  private hostEntry(version: number, ip: ArrayLike<number>, ifKey: number, vlan: number): HostEntry {
    let h = this.hosts.find(version, ip, ifKey, NO_ADDR, 0, vlan);
    if (!h) {
      h = new HostEntry();
      h.setKey(version, ip, ifKey, NO_ADDR, 0, vlan);
      this.hosts.insert(h);
    }
    return h;
  }

  /**
   * The last ICMP errors whose quote the snap length cut before the ports, by time and by the
   * client they were sent to: an attempt of that client that stopped after one SYN got an answer
   * after all, only one nobody can read.
   */
  private readonly cutIcmpT = new Float64Array(CUT_ICMP_KEPT).fill(-Infinity);
  private readonly cutIcmpFrame = new Float64Array(CUT_ICMP_KEPT);
  private readonly cutIcmpDst = new Uint32Array(CUT_ICMP_KEPT * 4);
  private cutIcmpN = 0;

  noteCutIcmp(p: DecodedPacket, t: number, frame: number): void {
    const i = this.cutIcmpN++ % CUT_ICMP_KEPT;
    this.cutIcmpT[i] = t;
    this.cutIcmpFrame[i] = frame;
    this.cutIcmpDst.set(p.ip.dst, i * 4);
  }

  /** Frame of a cut ICMP error sent to `a`'s client within `within` seconds of its first SYN (0: none). */
  private cutIcmpFor(a: Attempt, within: number): number {
    const d = this.cutIcmpDst;
    for (let i = 0; i < CUT_ICMP_KEPT; i++) {
      const t = this.cutIcmpT[i];
      if (t < a.t0 || t > a.t0 + within || d[i * 4] !== a.c0) continue;
      if (a.version === 6 && (d[i * 4 + 1] !== a.c1 || d[i * 4 + 2] !== a.c2 || d[i * 4 + 3] !== a.c3)) continue;
      return this.cutIcmpFrame[i];
    }
    return 0;
  }

  /** The one context object, filled again for each classification (classify keeps nothing of it). */
  private readonly ctx: ClassifyContext = {
    now: 0, final: false, timeout: 0, serverTtl: -1, serverTtlPackets: 0, rstTtlSeen: false, serverLabelZero: 0,
    serverLabelNonZero: 0, aliveCount: 0, aliveFrame: 0, busy: false, queuedOthers: 0, loss: false, lossFrame: 0,
    oneSided: false, rejects: 0, rejectFrame: 0, unreadableIcmp: 0, atServer: false,
  };

  /**
   * What the rules may know about `a` besides its own evidence, now. `unreadableWithin`: how long
   * after its first SYN a cut ICMP error to its client still counts as its answer.
   */
  context(a: Attempt, now: number, final: boolean, timeout: number, unreadableWithin: number): ClassifyContext {
    // A RST is compared with the host's packets captured on the same interface as the RST.
    const host = a.rstT >= 0 && a.rstIfKey !== a.ifKey ? this.hosts.find(a.version, a.srv, a.rstIfKey, NO_ADDR, 0, a.vlan) ?? null : a.host;
    const ep = a.endpoint;
    const c = this.ctx;
    c.now = now;
    c.final = final;
    c.timeout = timeout;
    c.serverTtl = host ? host.bestTtl() : -1;
    // The server's own packets arrive with an initial TTL: the capture was taken on the server.
    c.atServer = c.serverTtl === 64 || c.serverTtl === 128 || c.serverTtl === 255;
    c.serverTtlPackets = host ? host.packets() : 0;
    c.rstTtlSeen = a.rstT >= 0 && host !== null && host.has(a.rstTtl);
    c.serverLabelZero = host?.labelZero ?? 0;
    c.serverLabelNonZero = host?.labelNonZero ?? 0;
    // SYN-ACKs to other attempts between this one's first SYN and its own answer (or now).
    if (ep) {
      c.aliveCount = (a.aliveAtAnswer >= 0 ? a.aliveAtAnswer : ep.synAcks) - a.aliveAtT0;
      c.aliveFrame = a.aliveAtAnswer >= 0 ? a.aliveFrame : ep.lastSynAckFrame;
      // Other attempts sat in the endpoint's queues at some time since this one's first SYN.
      c.queuedOthers = a.queued === Queued.NONE ? ep.queued : ep.queued - 1;
      c.busy = c.queuedOthers > 0 || (a.queued === Queued.NONE && ep.idleSince >= a.t0);
      // ICMP rejections of the endpoint's other attempts from just before this one's first SYN on: a
      // few mean a REJECT rule whose errors ran out of tokens (one would have been left for it otherwise).
      const rejects = ep.rejectsSince(a.t0 - 1);
      c.rejects = rejects >= RATE_LIMIT_EVIDENCE ? rejects : 0;
      c.rejectFrame = ep.lastRejectFrame;
    } else {
      c.aliveCount = 0; c.aliveFrame = 0; c.busy = false; c.queuedOthers = 0; c.rejects = 0; c.rejectFrame = 0;
    }
    // Packet loss on the server host's other connections from a little before this attempt on.
    const mark = ep?.mark ?? null;
    c.loss = mark !== null && mark.lastLossT >= a.t0 - LOSS_WINDOW;
    c.lossFrame = c.loss ? mark!.lastLossFrame : 0;
    // The server's direction is missing: the host sent nothing the capture saw, and handshakes to it
    // were proven by the clients' ACKs alone (or the whole capture holds no server packet at all).
    const hostPackets = a.host?.packets() ?? 0;
    const n = this.counts;
    c.unreadableIcmp = n.icmpCut > 0 && a.synAckT < 0 && a.rstT < 0 && a.icmpT < 0 ? this.cutIcmpFor(a, unreadableWithin) : 0;
    c.oneSided = a.oneSided || (hostPackets === 0 && ((mark?.inferred ?? 0) > 0 || (n.inferredSynAck > 0 && n.serverPackets === 0)));
    return c;
  }
}
