/**
 * The one writer of evidence into attempts: what each packet of an attempt says (its SYNs, the
 * server's SYN-ACK or RST, the client's ACK, data and FIN, an ICMP error quoting it, copies of
 * packets seen twice), after accept.ts has said whether the packet counts. Every write asks for
 * a (new) decision through the store's wake-up queue; the engine decides. Flows seen without their
 * SYN are kept here too, as midstream flows (a SYN-ACK among them may still find its SYN).
 */
import { TcpFlag } from '../decode/constants.js';
import type { DecodedPacket } from '../decode/decoder.js';
import { FlowKey, FlowTable } from '../flow/table.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { seqAdd, seqGe, seqGt } from '../util/seq.js';
import { ackCompletes, ackProvesSynAck, acksSyn, icmpQuotesSyn, isCopy, isRstCopy, rstAnswersSyn, rstAnswersSynAck, rstInWindow, SYN_COPY_WINDOW, SYNACK_COPY_WINDOW } from './accept.js';
import { pushFrame, type Attempt } from './attempt.js';
import { noteEnd, trackTcp } from './conn-track.js';
import { Queued, setQueued } from './evidence.js';
import type { ServerBaselines } from './hosts.js';
import type { AttemptStore } from './lifecycle.js';
import { SETTLED_CLIENT_FIN, SETTLED_RST, SETTLED_SERVER_FIN } from './settled.js';

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

/** What the engine knows of a packet besides its decoded fields: when, which frame of which file, which interface. */
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

/** The engine's counters the recorder keeps. */
export interface RecordCounts {
  invalidRst: number; orphanSynAck: number; orphanRst: number; duplicates: number; icmpUnmatched: number;
  inferredSynAck: number; serverPackets: number; icmpPartial: number; icmpAmbiguous: number;
}

/**
 * The attempt's own SYN-ACK (captured at `t`, frame `frame`, or proven by the client's ACK): its
 * endpoint counts one more sign of a live listener, and the attempt remembers how many it had
 * seen before (what the endpoint answered others while this one waited). False without an endpoint.
 */
function answeredAlive(a: Attempt, t: number, frame: number): boolean {
  const ep = a.endpoint;
  if (ep === null) return false;
  a.aliveAtAnswer = ep.synAcks;
  a.aliveFrame = ep.lastSynAckFrame;
  ep.addSynAck(t, frame);
  return true;
}

export class EvidenceRecorder {
  /** The capture clock and the VLAN context of the packet being handled (set by the engine for each packet). */
  now = 0;
  vlan = 0;
  private readonly mid = new FlowTable<MidFlow>();
  midstream = 0;
  attemptCount = 0;
  private nextSeq = 0;

  constructor(
    private readonly store: AttemptStore,
    private readonly servers: ServerBaselines,
    private readonly stats: RecordCounts,
    private readonly timeout: number,
    private readonly grace: number,
    private readonly retain: number,
    /** Decides an attempt now, with what is known (its tuple starts a new attempt). */
    private readonly decideNow: (a: Attempt) => void,
  ) {}

  /** A later packet of a settled connection: it only keeps the record (and the host's TTLs) fresh. */
  settledPacket(p: DecodedPacket, m: PacketMeta): boolean {
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

  clientSyn(p: DecodedPacket, m: PacketMeta, cut: boolean): void {
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
      if (!a.decided) this.decideNow(a);
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
    if (answeredAlive(a, mf.synAckT, mf.synAckFrame)) setQueued(a, Queued.SYN_RCVD, this.now);
    this.store.schedule(a, this.now + this.timeout);
  }

  clientPacket(a: Attempt, p: DecodedPacket, m: PacketMeta, cut: boolean): void {
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
    if (answeredAlive(a, m.t, m.frame)) {
      const mark = ep!.mark;
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

  serverPacket(a: Attempt, p: DecodedPacket, m: PacketMeta, cut: boolean): void {
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
        if (answeredAlive(a, m.t, m.frame) && a.ackT < 0 && a.rstT < 0) setQueued(a, Queued.SYN_RCVD, this.now);
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

  icmp(p: DecodedPacket, m: PacketMeta): void {
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
  icmpPartial(p: DecodedPacket, m: PacketMeta): void {
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

  midstreamPacket(p: DecodedPacket, m: PacketMeta): void {
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
}
