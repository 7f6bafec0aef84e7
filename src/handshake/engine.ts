/**
 * The handshake engine: fed decoded packets in capture order, it keeps the clock, routes each
 * packet to its attempt (or to the midstream flows) and decides each attempt's verdict as soon
 * as the evidence allows. What a packet says is written by record.ts (after accept.ts has said
 * whether it counts), what a decision writes into its attempt by decision.ts, where attempts live
 * and for how long is lifecycle.ts, the server hosts' baselines and the rules' context are
 * hosts.ts, the rules themselves verdict/. Time comes only
 * from packet timestamps (or from the caller through `advance`), so replay is deterministic and
 * live capture uses the same code.
 */
import { TcpFlag } from '../decode/constants.js';
import type { DecodedPacket } from '../decode/decoder.js';
import { Stop } from '../decode/status.js';
import type { Attempt } from './attempt.js';
import { trackTcp } from './conn-track.js';
import { applyDecision } from './decision.js';
import { AttemptStore, type Decider } from './lifecycle.js';
import { ServerBaselines } from './hosts.js';
import { EvidenceRecorder, type PacketMeta } from './record.js';

export type { PacketMeta } from './record.js';
import { classify } from '../verdict/classify.js';
import type { Verdict } from '../model/verdict.js';

export interface EngineOptions {
  /** Seconds without any answer before an unanswered attempt is `filtered` (default 3). */
  handshakeTimeout?: number;
  /** Seconds to wait after a RST or ICMP answer for a racing SYN-ACK before deciding (default 0.5). */
  answerGrace?: number;
  /** Seconds a decided attempt stays in the table to absorb late retransmissions (default 150). */
  retain?: number;
  /** Full attempts beyond which unanswered ones (0.2 s old) are parked in compact form (default 10,000). */
  parkAbove?: number;
  /**
   * Most full attempts kept in the table at once. Beyond it, attempts that saw nothing but their
   * SYNs move to a compact store (up to 8x as many) and are decided on time; others, and the
   * compact store's overflow, are decided early (`incomplete`) with a warning.
   */
  maxAttempts?: number;
}

/** What the engine tells its consumer. */
export interface EngineEvents {
  /** An attempt's verdict is decided; `previous` is set when an earlier verdict was revised. */
  decided(a: Attempt, previous: Verdict | null): void;
  warning?(text: string): void;
  /**
   * Called between the decisions of one clock move, when no attempt is half-handled: a jump in
   * time (the end of a flood) can decide hundreds of thousands at once, and the consumer may
   * make final reports here instead of holding every one of them until the packet is done.
   */
  between?(): void;
}

export class HandshakeEngine {
  readonly timeout: number;
  private readonly grace: number;
  private readonly retain: number;
  readonly maxAttempts: number;
  /** Monotonic capture clock (timestamps that go backwards do not move it back). */
  now = 0;
  private warnedBackwards = false;
  stats = {
    invalidRst: 0, orphanSynAck: 0, orphanRst: 0, truncatedTcp: 0, evicted: 0, oddSyn: 0, duplicates: 0, icmpUnmatched: 0, parked: 0, quieted: 0, forgotten: 0,
    /** Handshakes completed without a captured SYN-ACK (the client's ACK proves it), and packets seen from attempts' servers. */
    inferredSynAck: 0, serverPackets: 0,
    /** ICMP errors matched by a quote cut before the sequence number; cut before the ports; matching more than one attempt. */
    icmpPartial: 0, icmpCut: 0, icmpAmbiguous: 0,
  };
  /** Server hosts' baselines and endpoints' liveness, and the context the rules get from them. */
  private readonly servers = new ServerBaselines(this.stats);

  constructor(private readonly events: EngineEvents, opts: EngineOptions = {}) {
    this.timeout = opts.handshakeTimeout ?? 3;
    this.grace = opts.answerGrace ?? 0.5;
    this.retain = Math.max(opts.retain ?? 150, this.timeout * 2);
    // A bound on memory under a SYN flood (roughly 1 KB per attempt waiting for its verdict).
    this.maxAttempts = opts.maxAttempts ?? 100_000;
    this.store = new AttemptStore(this.decider, this.stats, this.retain, this.maxAttempts, opts.parkAbove ?? 10_000);
    this.rec = new EvidenceRecorder(this.store, this.servers, this.stats, this.timeout, this.grace, this.retain, (a: Attempt) => { this.decide(a, true); });
  }

  /** The one writer of evidence into attempts (see record.ts). */
  private readonly rec: EvidenceRecorder;

  /** Flows seen without their SYN (not attempts). */
  get midstream(): number {
    return this.rec.midstream;
  }

  /** Attempts begun so far (first SYNs). */
  get attemptCount(): number {
    return this.rec.attemptCount;
  }

  /** Where attempts live and for how long (see lifecycle.ts). */
  private readonly store: AttemptStore;
  /** What the store asks of the engine. */
  private readonly decider: Decider = {
    review: (a, final) => this.review(a, final),
    decide: (a, final) => this.decide(a, final),
    between: () => this.events.between?.(),
  };

  /** Moves the capture clock to `t`, deciding and dropping attempts whose time has come. */
  advance(t: number): void {
    if (t < this.now) {
      if (t < this.now - 1 && !this.warnedBackwards) {
        this.warnedBackwards = true;
        this.events.warning?.(`packet timestamps go backwards by ${(this.now - t).toFixed(3)} s; synscope keeps its clock monotonic`);
      }
      return;
    }
    this.now = t;
    this.store.advance(t);
  }

  /**
   * A wake-up came: decide, or review a decision new evidence may change. False when the attempt
   * waits for more (it is scheduled again, a grace later).
   */
  private review(a: Attempt, final: boolean): boolean {
    if (!a.decided || a.needsReview) {
      if (!this.decide(a, final)) {
        const next = this.now + this.grace;
        // Times so large that adding the grace changes nothing (a corrupt timestamp) must not loop.
        if (next > this.now) { this.store.schedule(a, next); return false; }
        this.decide(a, true);
      }
      a.needsReview = false;
    }
    return true;
  }

  /** The consumer has made the attempt's final report (see AttemptStore.reported). */
  reported(a: Attempt): void {
    this.store.reported(a);
  }

  /** The consumer will never report this attempt (filtered out): its row goes once the engine lets it go. */
  unreported(a: Attempt): void {
    this.store.unreported(a);
  }

  /** Whether the attempt is still held, so that later packets can revise it. */
  holds(a: Attempt): boolean {
    return this.store.holds(a);
  }

  private decide(a: Attempt, final: boolean): boolean {
    const d = classify(a, this.servers.context(a, this.now, final, this.timeout, this.timeout + 2 * this.grace));
    if (!d) return false;
    const previous = applyDecision(a, d, this.now);
    if (previous !== undefined) this.events.decided(a, previous);
    return true;
  }

  /** VLAN context of the packet being handled (NetStart.vlanKey): part of every flow's key. */
  private vlan = 0;

  /** Feeds one decoded packet. */
  packet(p: DecodedPacket, m: PacketMeta): void {
    this.advance(m.t);
    this.vlan = p.net.vlanKey();
    // Event times follow the monotonic clock: a packet stamped earlier than one before it (clock
    // steps, merged interfaces) happens "now" for the state machine, never before an attempt began.
    m.backwards = m.t < this.now;
    if (m.backwards) m.t = this.now;
    this.rec.now = this.now;
    this.rec.vlan = this.vlan;
    if (p.hasTcp) this.tcp(p, m);
    else if (p.hasIcmp && p.icmp.quotes) {
      if (p.quotedIp.proto === 6 && p.quotedTcp.have >= 8) this.rec.icmp(p, m);
      // The snap length cut the quote after the ports (or the client port): addresses and ports still name the attempt.
      else if (p.quotedIp.proto === 6 && p.quotedTcp.have >= 2) this.rec.icmpPartial(p, m);
      else if (p.quoteStatus.kind === Stop.TRUNCATED || p.status.kind === Stop.TRUNCATED) { this.stats.icmpCut++; this.servers.noteCutIcmp(p, m.t, m.frame); }
      else this.stats.icmpUnmatched++;
    }
  }

  private tcp(p: DecodedPacket, m: PacketMeta): void {
    const ip = p.ip;
    const tcp = p.tcp;
    const f = tcp.flags;
    if (f < 0) { this.stats.truncatedTcp++; return; }
    const syn = (f & TcpFlag.SYN) !== 0;
    const ack = (f & TcpFlag.ACK) !== 0;
    const rst = (f & TcpFlag.RST) !== 0;
    const cut = p.status.kind === Stop.TRUNCATED;
    if (syn && !ack && !rst) {
      // A SYN with FIN is no connect(): a scan probe or a crafted packet (Linux drops it). It and
      // whatever answers it count as a midstream flow, never as an attempt.
      if (f & TcpFlag.FIN) { this.stats.oddSyn++; this.rec.midstreamPacket(p, m); return; }
      this.rec.clientSyn(p, m, cut);
      return;
    }
    if (syn && rst) { this.stats.oddSyn++; this.rec.midstreamPacket(p, m); return; }
    // One probe finds the attempt whichever side sent the packet.
    const a = this.store.findEither(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    const reversed = this.store.reversed;
    if (!a && this.rec.settledPacket(p, m)) return;
    if (!a) {
      if (!rst) this.servers.learnHost(p, m.ifKey, this.vlan);
      this.rec.midstreamPacket(p, m);
    } else if (reversed) {
      trackTcp(a, false, p, m.tsSec, m.tsNsec);
      this.stats.serverPackets++;
      if (!rst) {
        if (m.ifKey === a.ifKey && a.host) a.host.add(ip.ttl, ip.version, ip.flowLabel);
        else this.servers.learnHost(p, m.ifKey, this.vlan);
      }
      this.rec.serverPacket(a, p, m, cut);
    } else {
      trackTcp(a, true, p, m.tsSec, m.tsNsec);
      this.rec.clientPacket(a, p, m, cut);
    }
  }

  /** Most attempts held in compact form at once. */
  get maxParked(): number {
    return this.store.maxParked;
  }

  /** Attempts held now, by form (see AttemptStore.held). */
  held(): ReturnType<AttemptStore["held"]> {
    return this.store.held();
  }

  /** Most common TTL of the attempt's server host on the attempt's interface, or -1. */
  serverTtlOf(a: Attempt): number {
    return a.host ? a.host.bestTtl() : -1;
  }

  /** The capture has ended: every attempt still waiting is decided (see AttemptStore.finish). */
  finish(step?: () => void): void {
    this.store.finish(step);
  }
}
