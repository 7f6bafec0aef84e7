/**
 * The handshake engine: fed decoded packets in capture order, it keeps one Attempt per client SYN
 * sequence, learns each server host's TTL from its own packets, matches RSTs, SYN-ACKs and ICMP
 * errors (by the quoted ports and sequence number) to attempts, and decides each attempt's
 * verdict as soon as the evidence allows. Time comes only from packet timestamps (or from the
 * caller through `advance`), so replay is deterministic and live capture uses the same code.
 * An attempt's state is dropped once its verdict is final and it has been quiet for a while.
 */
import { TcpFlag } from '../decode/constants.js';
import type { DecodedPacket } from '../decode/decoder.js';
import { Stop } from '../decode/status.js';
import { FlowKey, FlowTable } from '../flow/table.js';
import { seqAdd, seqGe, seqGt } from '../util/seq.js';
import { ackCompletes, ackProvesSynAck, acksSyn, icmpQuotesSyn, isCopy, isRstCopy, rstAnswersSyn, rstAnswersSynAck, rstInWindow, SYN_COPY_WINDOW, SYNACK_COPY_WINDOW } from './accept.js';
import { Attempt, pushFrame } from './attempt.js';
import { noteEnd, trackTcp } from './conn-track.js';
import { Queued, setQueued, type EndpointEntry } from './evidence.js';
import { AttemptStore, type Decider } from './lifecycle.js';
import { ServerBaselines } from './hosts.js';
import { classify } from '../verdict/classify.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { SETTLED_CLIENT_FIN, SETTLED_RST, SETTLED_SERVER_FIN } from './settled.js';
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

/** A SYN-ACK repeated sooner than this after the first is no retransmission by the server's timer (Linux: 1 s). */
const SYNACK_TIMER_MIN = 0.5;
/** A SYN repeated this long after a captured SYN-ACK means the SYN-ACK was lost on its way. */
const SYNACK_LOST_AFTER = 0.2;

/** A flow seen without its SYN; remembers a SYN-ACK in case its SYN comes later (reordering). */
class MidFlow extends FlowKey {
  t = 0;
  synAckFrame = 0;
  synAckT = -1;
  synAckAck = 0;
  synAckSeq = 0;
  synAckTtl = 0;
  synAckOpt = 0;
}

export interface PacketMeta {
  /** Relative time (seconds) of the packet. */
  t: number;
  tsSec: number;
  tsNsec: number;
  tsDigits: number;
  frame: number;
  file: number;
  /** Capture interface key (pcapng interface and cooked-header ifindex). */
  ifKey: number;
  /** Set by the engine: the packet's timestamp was earlier than the clock (it is handled as "now"). */
  backwards?: boolean;
}

export class HandshakeEngine {
  readonly timeout: number;
  private readonly grace: number;
  private readonly retain: number;
  readonly maxAttempts: number;
  private readonly mid = new FlowTable<MidFlow>();
  private nextSeq = 0;
  /** Monotonic capture clock (timestamps that go backwards do not move it back). */
  now = 0;
  midstream = 0;
  attemptCount = 0;
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

  /** Whether the attempt is still held, so that later packets can revise it. */
  holds(a: Attempt): boolean {
    return this.store.holds(a);
  }

  private decide(a: Attempt, final: boolean): boolean {
    const d = classify(a, this.servers.context(a, this.now, final, this.timeout, this.timeout + 2 * this.grace));
    if (!d) return false;
    const previous = a.decided ? a.verdict : null;
    if (previous !== null && previous !== d.verdict && !d.flags.includes('late-answer')) d.flags.push('late-answer');
    a.decided = true;
    a.verdict = d.verdict;
    a.flags = d.flags;
    a.why = d.why;
    a.why0 = d.w0;
    a.why1 = d.w1;
    a.why2 = d.w2;
    a.why3 = d.w3;
    a.frames = d.frames;
    if (d.rule === 'rate-limited' && a.endpoint) this.copyReject(a, a.endpoint);
    // The client gave up on a SYN-ACK (or the capture ended): the server's request leaves its queue count.
    if (a.queued === Queued.SYN_RCVD && (d.verdict === 'aborted' || d.verdict === 'incomplete')) setQueued(a, Queued.NONE, this.now);
    if (previous === null) this.events.decided(a, null);
    else if (previous !== d.verdict) {
      a.revised = true;
      this.events.decided(a, previous);
    }
    return true;
  }

  /** A rate-limited attempt quotes the rejection its neighbours got (for its report and reason). */
  private copyReject(a: Attempt, ep: EndpointEntry): void {
    a.icmpFamily = ep.rejectFamily;
    a.icmpType = ep.rejectType;
    a.icmpCode = ep.rejectCode;
    const w = ep.rejectSender;
    a.icmpSender = [w[0], w[1], w[2], w[3]];
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
    if (p.hasTcp) this.tcp(p, m);
    else if (p.hasIcmp && p.icmp.quotes) {
      if (p.quotedIp.proto === 6 && p.quotedTcp.have >= 8) this.icmp(p, m);
      // The snap length cut the quote after the ports (or the client port): addresses and ports still name the attempt.
      else if (p.quotedIp.proto === 6 && p.quotedTcp.have >= 2) this.icmpPartial(p, m);
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
      if (f & TcpFlag.FIN) { this.stats.oddSyn++; this.midstreamPacket(p, m); return; }
      this.clientSyn(p, m, cut);
      return;
    }
    if (syn && rst) { this.stats.oddSyn++; this.midstreamPacket(p, m); return; }
    // One probe finds the attempt whichever side sent the packet.
    const a = this.store.findEither(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    const reversed = this.store.reversed;
    if (!a && this.settledPacket(p, m)) return;
    if (!a) {
      if (!rst) this.servers.learnHost(p, m.ifKey, this.vlan);
      this.midstreamPacket(p, m);
    } else if (reversed) {
      trackTcp(a, false, p, m.tsSec, m.tsNsec);
      this.stats.serverPackets++;
      if (!rst) {
        if (m.ifKey === a.ifKey && a.host) a.host.add(ip.ttl, ip.version, ip.flowLabel);
        else this.servers.learnHost(p, m.ifKey, this.vlan);
      }
      this.serverPacket(a, p, m, cut);
    } else {
      trackTcp(a, true, p, m.tsSec, m.tsNsec);
      this.clientPacket(a, p, m, cut);
    }
  }

  /** A later packet of a settled connection: it only keeps the record (and the host's TTLs) fresh. */
  private settledPacket(p: DecodedPacket, m: PacketMeta): boolean {
    const ip = p.ip;
    const tcp = p.tcp;
    const s = this.store.settled.findEither(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    if (!s) return false;
    const fromServer = this.store.settled.reversed;
    const f = tcp.flags;
    s.lastT = m.t;
    if (fromServer) this.stats.serverPackets++;
    // The application took the connection up (it answered), or the connection is gone.
    if (s.queued !== Queued.NONE && ((f & TcpFlag.RST) || (fromServer && ((f & TcpFlag.FIN) || (tcp.have >= 20 && tcp.payloadLen > 0))))) this.store.settled.dequeue(s, m.t);
    if (f & TcpFlag.RST) this.store.settled.close(s, SETTLED_RST);
    else {
      if (f & TcpFlag.FIN) this.store.settled.close(s, fromServer ? SETTLED_SERVER_FIN : SETTLED_CLIENT_FIN);
      if (fromServer) {
        if (m.ifKey === s.ifKey && s.host) s.host.add(ip.ttl, ip.version, ip.flowLabel);
        else this.servers.learnHost(p, m.ifKey, this.vlan);
      }
    }
    return true;
  }

  private clientSyn(p: DecodedPacket, m: PacketMeta, cut: boolean): void {
    const ip = p.ip;
    const tcp = p.tcp;
    let a = this.store.find(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    if (a && a.isn === tcp.seq) {
      trackTcp(a, true, p, m.tsSec, m.tsNsec);
      // The same SYN captured again (on another interface, or twice on one) is not a retransmission.
      // (Another interface's copy may come late in a file whose interfaces were not merged in time order.)
      if (isCopy(m.ifKey, a.ifKey, m.t - a.lastSynT, m.backwards === true, SYN_COPY_WINDOW)) { this.copySeen(a, m); return; }
      a.synCount++;
      a.prevSynT = a.lastSynT;
      a.lastSynT = m.t;
      a.lastT = m.t;
      if (a.synAckT < 0) {
        a.synBeforeAckT = m.t;
        if (a.endpoint !== null && a.endpoint.queued > 0) a.busySyns++;
      } else if (a.ackT < 0 && m.t - a.synAckT > SYNACK_LOST_AFTER) {
        // The client never got the SYN-ACK the capture saw: it was lost on the way (no queue does that).
        a.endpoint?.mark?.noteLoss(m.t, m.frame);
      }
      if (cut) a.truncated = true;
      pushFrame(a.synFrames, m.frame);
      a.addHistory('T');
      if (a.decided) this.reconsider(a, m.t);
      return;
    }
    let reuse = false;
    const settled = a ? undefined : this.store.settled.find(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    if (settled) {
      // Its SYN again (a late retransmission) changes nothing; a new ISN is a new attempt.
      if (settled.isn === tcp.seq) { settled.lastT = m.t; return; }
      this.store.settled.remove(settled, m.t);
      reuse = true;
    }
    if (a) {
      // Same 4-tuple, new ISN: the old attempt is over, whatever it was waiting for.
      if (!a.decided) this.decide(a, true);
      this.store.drop(a);
      reuse = true;
    }
    a = this.store.create();
    a.setKey(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    a.seq = this.nextSeq++;
    a.file = m.file;
    a.isn = tcp.seq;
    a.startSec = m.tsSec;
    a.startNsec = m.tsNsec;
    a.tsDigits = m.tsDigits;
    a.ifKey = m.ifKey;
    a.t0 = a.lastSynT = a.prevSynT = a.synBeforeAckT = a.lastT = m.t;
    a.portReuse = reuse;
    a.synDataLen = tcp.have >= 20 ? tcp.payloadLen : 0;
    a.truncated = cut;
    a.synFrames = [m.frame]; // (a literal has room for exactly one: most attempts have one SYN)
    a.addHistory('S');
    trackTcp(a, true, p, m.tsSec, m.tsNsec);
    this.attemptCount++;
    this.servers.link(a, ip.dst);
    // Decide a little after the timeout: a router's host-unreachable comes after its own ~3 s of ARP.
    this.store.admit(a, m.t + this.timeout + 2 * this.grace);
    if (this.mid.size) this.adoptEarlySynAck(a, ip.src, ip.dst);
  }

  /** A SYN-ACK captured before its SYN (reordered capture) completes the attempt after all. */
  private adoptEarlySynAck(a: Attempt, cli: ArrayLike<number>, srv: ArrayLike<number>): void {
    const mf = this.mid.find(a.version, srv, a.sport, cli, a.cport, a.vlan);
    if (!mf || mf.synAckT < 0 || !acksSyn(mf.synAckAck, a.isn, a.synDataLen) || a.t0 - mf.synAckT > 1) return;
    this.mid.remove(mf);
    this.midstream--;
    a.synAckT = mf.synAckT;
    a.synAckFrame = mf.synAckFrame;
    a.synAckCount = 1;
    a.serverIsn = mf.synAckSeq;
    a.synAckTtl = mf.synAckTtl;
    a.synAckOptMask = mf.synAckOpt;
    a.synBeforeAckT = mf.synAckT;
    a.synsAtAnswer = 1;
    a.addHistory('h');
    const ep = a.endpoint;
    if (ep !== null) {
      a.aliveAtAnswer = ep.synAcks;
      a.aliveFrame = ep.lastSynAckFrame;
      ep.addSynAck(mf.synAckT, mf.synAckFrame);
      setQueued(a, Queued.SYN_RCVD, this.now);
    }
    this.store.schedule(a, this.now + this.timeout);
  }

  private clientPacket(a: Attempt, p: DecodedPacket, m: PacketMeta, cut: boolean): void {
    const tcp = p.tcp;
    const f = tcp.flags;
    a.lastT = m.t;
    if (cut) a.truncated = true;
    if (f & TcpFlag.RST) {
      if (a.cliRstT < 0) { a.cliRstT = m.t; a.cliRstFrame = m.frame; }
      setQueued(a, Queued.NONE, this.now);
      a.addHistory('R');
      if (a.ackT < 0) this.reconsider(a, m.t);
      else this.store.closing(a);
      return;
    }
    // An ACK from a client still waiting for its SYN-ACK proves one this capture does not hold.
    if (a.synAckT < 0 && a.rstT < 0 && ackProvesSynAck(f, tcp.seq, a.isn, a.synDataLen)) {
      this.inferSynAck(a, tcp.ack, m);
    }
    if (a.synAckT >= 0 && a.ackT < 0 && ackCompletes(f, tcp.ack, a.serverIsn)) {
      a.ackT = m.t;
      a.ackFrame = m.frame;
      a.addHistory('A');
      const ep = a.endpoint;
      if (ep !== null) {
        // Connections completed before it that the application has not taken yet: the accept queue in use.
        a.busyAtAck = ep.unserved - (a.queued === Queued.UNSERVED ? 1 : 0);
        // A SYN-ACK repeated before any ACK, then ACKed: the first one or the client's answer was lost.
        if (a.synAckCount > 1 && !a.oneSided) ep.mark?.noteLoss(m.t, a.synAckRetxFrame);
      }
      // (Without the server's direction nobody can tell whether it was served: it counts in no queue.)
      if (a.srvDataFrame === 0 && a.srvFinFrame === 0 && !a.oneSided) setQueued(a, Queued.UNSERVED, this.now);
      this.store.schedule(a, m.t + this.timeout);
    }
    if (tcp.have >= 20 && tcp.payloadLen > 0) {
      const next = seqAdd(tcp.seq, tcp.payloadLen);
      if (a.cliDataFrame === 0) { a.cliDataFrame = m.frame; a.cliDataT = m.t; a.cliDataSeq = tcp.seq; a.cliNextSeq = next; } else {
        // (The same segment seen on another capture interface is no retransmission.)
        if (tcp.seq === a.cliDataSeq && a.srvAckedDataFrame === 0 && m.ifKey === a.ifKey) a.cliDataRetx++;
        // Data sent again on a connection the server had already taken up: lost on the path.
        if (seqGe(a.cliNextSeq, next) && (a.srvAckedDataFrame !== 0 || a.srvDataFrame !== 0) && m.ifKey === a.ifKey) a.endpoint?.mark?.noteLoss(m.t, m.frame);
        if (seqGt(next, a.cliNextSeq)) a.cliNextSeq = next;
      }
      a.addHistory('D');
    }
    if (f & TcpFlag.FIN) {
      if (!a.cliFinFrame) { a.cliFinFrame = m.frame; a.cliFinT = m.t; } else if (a.srvAckedDataFrame === 0 && m.ifKey === a.ifKey) a.cliFinRetx++;
      a.addHistory('F');
      if (a.ackT < 0) this.reconsider(a, m.t);
      else this.store.closing(a);
    }
  }

  /**
   * The client acknowledged a SYN-ACK the capture does not hold: the handshake happened, and the
   * server's direction is missing (for this attempt at least). The first time a server host is
   * seen this way, its attempts decided as unanswered are looked at again.
   */
  private inferSynAck(a: Attempt, ack: number, m: PacketMeta): void {
    a.oneSided = true;
    a.synAckT = m.t;
    a.synAckFrame = 0;
    a.synAckCount = 1;
    a.serverIsn = seqAdd(ack, -1);
    a.srvNextSeq = ack;
    a.synAckIfKey = m.ifKey;
    this.stats.inferredSynAck++;
    const ep = a.endpoint;
    if (ep !== null) {
      a.aliveAtAnswer = ep.synAcks;
      a.aliveFrame = ep.lastSynAckFrame;
      ep.addSynAck(m.t, m.frame);
      const mark = ep.mark;
      if (mark !== null && mark.inferred++ === 0) this.reviewUnanswered(a);
    }
  }

  /** Attempts to `a`'s server host decided without any answer: classify them again (bounded by the table). */
  private reviewUnanswered(a: Attempt): void {
    const global = this.stats.serverPackets === 0 && this.stats.inferredSynAck === 1;
    for (const b of this.store.values()) {
      if (b === a || !b.decided || b.synAckT >= 0 || b.rstT >= 0 || b.icmpT >= 0) continue;
      if (!global && (b.version !== a.version || b.s0 !== a.s0 || b.s1 !== a.s1 || b.s2 !== a.s2 || b.s3 !== a.s3)) continue;
      this.reconsider(b, this.now);
    }
  }

  private serverPacket(a: Attempt, p: DecodedPacket, m: PacketMeta, cut: boolean): void {
    const tcp = p.tcp;
    const f = tcp.flags;
    const isn1 = seqAdd(a.isn, 1);
    a.lastT = m.t;
    if (cut) a.truncated = true;
    if (f & TcpFlag.RST) {
      if (a.synAckT < 0 || a.ackT < 0) {
        if (rstAnswersSyn(f, tcp.ack, a.isn, a.synDataLen, a.synAckT >= 0) || rstAnswersSynAck(tcp.seq, a.serverIsn, a.synAckT >= 0)) {
          if (a.rstT < 0) this.takeRst(a, p, m, false);
          else if (isRstCopy(m.ifKey, a.rstIfKey, a.lastSynT, a.lastRstT, m.t)) {
            this.copySeen(a, m); // the same RST seen again (another interface, or no SYN since)
          } else {
            // A SYN retransmitted after the RST (the RST did not reach the client) drew its own RST.
            a.rstAnswers++;
            a.lastRstT = m.t;
            a.addHistory('r');
          }
        } else {
          if (!a.invalidRstFrame) a.invalidRstFrame = m.frame;
          this.stats.invalidRst++;
          a.addHistory('x');
        }
      } else if (rstInWindow(tcp.seq, a.serverIsn, a.srvNextSeq)) {
        if (a.rstT < 0) this.takeRst(a, p, m, true);
      } else {
        if (!a.invalidRstFrame) a.invalidRstFrame = m.frame;
        this.stats.invalidRst++;
        a.addHistory('x');
      }
      return;
    }
    if (a.rstT >= 0 && !a.srvAfterRstFrame && !(f & TcpFlag.SYN)) a.srvAfterRstFrame = m.frame;
    if ((f & TcpFlag.SYN) && (f & TcpFlag.ACK)) {
      if (!acksSyn(tcp.ack, a.isn, a.synDataLen)) {
        if (!a.invalidRstFrame) a.addHistory('x');
        return;
      }
      if (a.synAckT < 0) {
        a.synAckT = m.t;
        a.synAckFrame = m.frame;
        a.synAckCount = 1;
        a.serverIsn = tcp.seq;
        a.srvNextSeq = seqAdd(tcp.seq, 1);
        a.synAckTtl = p.ip.ttl;
        a.synAckIfKey = m.ifKey;
        a.synAckOptMask = tcp.optionsComplete ? tcp.optMask : 0;
        a.synsAtAnswer = a.synCount;
        a.addHistory('h');
        const ep = a.endpoint;
        if (ep !== null) {
          a.aliveAtAnswer = ep.synAcks;
          a.aliveFrame = ep.lastSynAckFrame;
          ep.addSynAck(m.t, m.frame);
          if (a.ackT < 0 && a.rstT < 0) setQueued(a, Queued.SYN_RCVD, this.now);
        }
        this.reconsider(a, a.rstT >= 0 ? m.t : m.t + this.timeout);
      } else if (tcp.seq === a.serverIsn) {
        // The same SYN-ACK captured twice; on one interface only the first can have a copy so close.
        if (m.ifKey !== a.synAckIfKey || (a.synAckCount === 1 && isCopy(m.ifKey, a.synAckIfKey, m.t - a.synAckT, m.backwards === true, SYNACK_COPY_WINDOW))) { this.copySeen(a, m); return; }
        a.synAckCount++;
        if (!a.synAckRetxFrame) a.synAckRetxFrame = m.frame;
        // After the ACK, and on the server's retransmission timer (1 s on Linux): one sent a moment
        // after the first (an answer to a repeated SYN racing the timer) was already on its way.
        // (A packet stamped before the clock, from an interface merged out of time order, may well be older than the ACK.)
        if (a.ackT >= 0 && !a.synAckAfterAckFrame && !m.backwards && m.t - a.synAckT >= SYNACK_TIMER_MIN) a.synAckAfterAckFrame = m.frame;
        a.addHistory('t');
        if (a.decided) this.reconsider(a, m.t);
      }
      return;
    }
    if (a.synAckT < 0) return;
    const untaken = a.srvAckedDataFrame === 0 && a.srvDataFrame === 0;
    if ((f & TcpFlag.ACK) && seqGt(tcp.ack, seqAdd(isn1, a.synDataLen)) && !a.srvAckedDataFrame) {
      a.srvAckedDataFrame = m.frame;
      a.srvAckedDataT = m.t;
      a.addHistory('a');
    } else if ((f & TcpFlag.ACK) && a.ackT >= 0 && a.cliDataFrame !== 0 && !a.srvAckedDataFrame && !a.srvDupAckFrame && tcp.ack === seqAdd(isn1, a.synDataLen)) {
      // Data came, and the server's ACK still points at its first byte: a segment was lost on the way.
      a.srvDupAckFrame = m.frame;
      if (!a.oneSided) a.endpoint?.mark?.noteLoss(m.t, m.frame);
    }
    if (tcp.have >= 20 && tcp.payloadLen > 0) {
      if (!a.srvDataFrame) a.srvDataFrame = m.frame;
      const next = seqAdd(tcp.seq, tcp.payloadLen);
      if (seqGt(next, a.srvNextSeq)) a.srvNextSeq = next;
      // The server's data again (more than a keep-alive byte): lost on the path.
      else if (tcp.payloadLen > 1 && m.ifKey === a.synAckIfKey) a.endpoint?.mark?.noteLoss(m.t, m.frame);
      setQueued(a, Queued.NONE, this.now);
      a.addHistory('d');
    }
    if (f & TcpFlag.FIN) {
      if (!a.srvFinFrame) a.srvFinFrame = m.frame;
      // The FIN takes a sequence number: a RST after it carries the next one.
      const next = seqAdd(tcp.seq, (tcp.have >= 20 ? tcp.payloadLen : 0) + 1);
      if (seqGt(next, a.srvNextSeq)) a.srvNextSeq = next;
      setQueued(a, Queued.NONE, this.now);
      a.addHistory('f');
      this.store.closing(a);
    }
    // The server took the connection up: decide again (flags such as data-unacked change too).
    if ((a.srvAckedDataFrame || a.srvDataFrame) && (!a.decided || a.verdict !== 'established' || untaken)) this.reconsider(a, m.t);
    else this.store.settleIfFinal(a);
  }

  /**
   * The same packet captured again (another interface, or a mirror's copy): counted, and a decided
   * attempt is looked at again for its duplicate-frames flag (interfaces merged out of time order
   * bring copies after the decision).
   */
  private copySeen(a: Attempt, m: PacketMeta): void {
    a.dupFrames++;
    this.stats.duplicates++;
    if (a.decided && a.dupFrames === 1) this.reconsider(a, m.t);
  }

  private takeRst(a: Attempt, p: DecodedPacket, m: PacketMeta, afterAck: boolean): void {
    a.rstT = a.lastRstT = m.t;
    setQueued(a, Queued.NONE, this.now);
    a.rstFrame = m.frame;
    a.rstTtl = p.ip.ttl;
    a.rstIfKey = m.ifKey;
    a.rstFlowLabel = p.ip.flowLabel;
    a.rstAfterAck = afterAck || a.ackT >= 0;
    a.rstHasAck = (p.tcp.flags & TcpFlag.ACK) !== 0;
    a.addHistory('r');
    this.reconsider(a, m.t + this.grace);
  }

  /**
   * Asks for a (new) decision at `t`. A decided attempt is reviewed: its reason, flags and frames
   * are refreshed, and a changed verdict (an answer after the timeout) is reported as a revision.
   */
  private reconsider(a: Attempt, t: number): void {
    if (a.decided) a.needsReview = true;
    this.store.schedule(a, t);
  }

  private icmp(p: DecodedPacket, m: PacketMeta): void {
    const q = p.quotedIp;
    const qt = p.quotedTcp;
    if (q.proto !== 6) return;
    const a = this.store.find(q.version, q.src, qt.sport, q.dst, qt.dport, this.vlan);
    if (!a) {
      const s = this.store.settled.find(q.version, q.src, qt.sport, q.dst, qt.dport, this.vlan);
      if (!s || !icmpQuotesSyn(qt.seq, s.isn)) this.stats.icmpUnmatched++;
      return;
    }
    if (a.icmpT >= 0) return;
    if (!icmpQuotesSyn(qt.seq, a.isn)) { this.stats.icmpUnmatched++; return; }
    this.takeIcmp(a, p, m, false);
  }

  /**
   * An ICMP error whose quote ends before the sequence number (tcpdump -s 64 keeps 2 bytes of the
   * quoted TCP header, -s 68 six): the quoted addresses and ports (or the client port alone) name
   * an attempt still waiting for its answer. Not one attempt: the error is left unmatched.
   */
  private icmpPartial(p: DecodedPacket, m: PacketMeta): void {
    const q = p.quotedIp;
    const qt = p.quotedTcp;
    let a: Attempt | undefined;
    if (qt.have >= 4) a = this.store.find(q.version, q.src, qt.sport, q.dst, qt.dport, this.vlan);
    else {
      // Only the client port: a client may use one port towards several server ports at once.
      for (const b of this.store.values()) {
        if (b.cport !== qt.sport || b.version !== q.version || b.vlan !== this.vlan || b.c0 !== q.src[0] || b.s0 !== q.dst[0]) continue;
        if (b.version === 6 && (b.c1 !== q.src[1] || b.c2 !== q.src[2] || b.c3 !== q.src[3] || b.s1 !== q.dst[1] || b.s2 !== q.dst[2] || b.s3 !== q.dst[3])) continue;
        if (b.synAckT >= 0 || b.rstT >= 0 || b.icmpT >= 0) continue;
        if (a !== undefined) { this.stats.icmpAmbiguous++; return; }
        a = b;
      }
    }
    // Only an attempt still waiting for an answer: a cut quote cannot say it was about the SYN.
    if (!a || a.synAckT >= 0 || a.rstT >= 0 || a.icmpT >= 0) { this.stats.icmpUnmatched++; return; }
    this.stats.icmpPartial++;
    this.takeIcmp(a, p, m, true);
  }

  private takeIcmp(a: Attempt, p: DecodedPacket, m: PacketMeta, partial: boolean): void {
    a.icmpPartial = partial;
    a.icmpT = m.t;
    a.icmpFrame = m.frame;
    a.icmpFamily = p.icmp.family;
    a.icmpType = p.icmp.type;
    a.icmpCode = p.icmp.code;
    a.icmpTtl = p.ip.ttl;
    const src = p.ip.src;
    a.icmpSender = [src[0], src[1], src[2], src[3]];
    a.lastT = m.t;
    noteEnd(a, m.tsSec, m.tsNsec);
    a.addHistory('i');
    // The endpoint remembers its rejections: a neighbour left without ICMP meanwhile was rate-limited.
    const ep = a.endpoint;
    if (ep !== null && icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).verdict === 'rejected') {
      ep.addReject(m.t);
      ep.lastRejectFrame = m.frame;
      ep.rejectFamily = a.icmpFamily;
      ep.rejectType = a.icmpType;
      ep.rejectCode = a.icmpCode;
      ep.rejectSender.set(src);
    }
    this.reconsider(a, m.t + this.grace);
  }

  private midstreamPacket(p: DecodedPacket, m: PacketMeta): void {
    const ip = p.ip;
    const tcp = p.tcp;
    let mf = this.mid.findEither(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
    if (!mf) {
      if (this.mid.size >= 200_000) this.pruneMid();
      mf = new MidFlow();
      mf.setKey(ip.version, ip.src, tcp.sport, ip.dst, tcp.dport, this.vlan);
      this.mid.insert(mf);
      this.midstream++;
    }
    mf.t = m.t;
    const f = tcp.flags;
    if (f & TcpFlag.RST) this.stats.orphanRst++;
    if ((f & TcpFlag.SYN) && (f & TcpFlag.ACK) && mf.synAckT < 0) {
      this.stats.orphanSynAck++;
      mf.synAckT = m.t;
      mf.synAckFrame = m.frame;
      mf.synAckAck = tcp.ack;
      mf.synAckSeq = tcp.seq;
      mf.synAckTtl = ip.ttl;
      mf.synAckOpt = tcp.optionsComplete ? tcp.optMask : 0;
    }
  }

  private pruneMid(): void {
    for (const e of this.mid.values()) if (this.now - e.t > this.retain) this.mid.remove(e);
    if (this.mid.size >= 200_000) for (const e of this.mid.values()) this.mid.remove(e);
  }

  /** Most attempts held in compact form at once. */
  get maxParked(): number {
    return this.store.maxParked;
  }

  /** Attempts held now, by form (see AttemptStore.held). */
  held(): { attempts: number; parked: number; quiet: number; settled: number } {
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
