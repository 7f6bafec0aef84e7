/**
 * The verdict of one attempt, from its recorded evidence: a pure function (Zeek decides
 * conn_state the same way), so every rule can be tested without packets. Rules follow what a
 * real stack accepts (RFC 9293 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the
 * SYN, i.e. ACK = ISN + 1) and what Linux does when a listen queue overflows.
 */
import type { Flag, Verdict } from '../model/verdict.js';
import { icmpMeaning } from './icmp-names.js';
import type { Attempt } from './attempt.js';

export interface ClassifyContext {
  /** Current capture time (relative seconds). */
  now: number;
  /** The capture has ended: no more evidence will come. */
  final: boolean;
  /** Seconds without any answer after which an attempt counts as filtered. */
  timeout: number;
  /** Most common TTL / hop limit of the server host's own packets on this interface (-1: none seen). */
  serverTtl: number;
  serverTtlPackets: number;
  /** The RST's TTL is one the server host's own packets were also seen with (then it is no mismatch). */
  rstTtlSeen: boolean;
  /** IPv6 flow labels of the server host's own packets: how many were zero and non-zero. */
  serverLabelZero: number;
  serverLabelNonZero: number;
  /** SYN-ACKs the same server endpoint sent to other attempts while this one waited (until its own answer). */
  aliveCount: number;
  aliveFrame: number;
  /** Other attempts sat in the endpoint's queues (SYN-ACKed, or completed and not yet served) at some time since this one's first SYN. */
  busy: boolean;
  /** Other attempts in the endpoint's queues now. */
  queuedOthers: number;
  /** Packet loss was seen on the server host's connections from shortly before this attempt on (see HostEntry.noteLoss). */
  loss: boolean;
  lossFrame: number;
  /** The server's direction is missing from the capture for this host (see Attempt.oneSided). */
  oneSided: boolean;
  /** ICMP rejections of the endpoint's other attempts around this one's wait (0: none), and the last one's frame. */
  rejects: number;
  rejectFrame: number;
  /** Frame of an ICMP error to this attempt's client, soon after its first SYN, whose quote the snap length cut before the ports (0: none). */
  unreadableIcmp: number;
  /**
   * The capture was taken on the server (its own packets carry an initial TTL): a SYN, ACK or data
   * segment seen there and not answered reached the server, so no path loss explains it.
   */
  atServer: boolean;
}

/**
 * Which sentence explains a decision. The sentence is written only when a report needs it
 * (reasonOf), from these and the numbers it quotes, fixed at the decision: built at every decision,
 * the sentences were the largest part of the garbage that outlived its attempt's first collections.
 */
export const Why = {
  none: 0, forgedRace: 1, clientEnded: 2, noAck: 3, incompleteAfterSynAck: 4, forgedEvidence: 5, refused: 6,
  icmp: 7, clientResetSyn: 8, backlogUnanswered: 9, filtered: 10, incompleteSyn: 11,
  appReset: 12, abortOnOverflow: 13, lateSynAckRetx: 14, finalAckDropped: 15, dataUnacked: 16, established: 17,
  oneSidedStopped: 18, filteredOneSided: 19, rateLimited: 20, appClosedReset: 21, lateReset: 22, ackLost: 23,
  cookieAckDropped: 24, cookieOrLoss: 25, icmpUnreadable: 26,
} as const;

export interface Decision {
  verdict: Verdict;
  flags: Flag[];
  /** A Why value, and the numbers its sentence quotes (see reasonOf). */
  why: number;
  w0: number;
  w1: number;
  w2: number;
  w3: number;
  frames: number[];
}

/** Bits of w3 for Why.forgedEvidence. */
const TTL_EVIDENCE = 1;
const LABEL_EVIDENCE = 2;

/** Initial TTL a sender most likely used (64 Linux/macOS, 128 Windows, 255 network gear). */
export function initialTtl(ttl: number): number {
  return ttl <= 64 ? 64 : ttl <= 128 ? 128 : 255;
}

export function hopsOf(ttl: number): number {
  return initialTtl(ttl) - ttl;
}

function ms(sec: number): string {
  const v = sec * 1000;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Room to build a flag or frame list before copying it at its exact size (the copy is what an attempt keeps). */
const scratchFlags: Flag[] = [];
const scratchFrames: number[] = [];

/** Flags every decision of the attempt carries, in their fixed order, then `extra` ones not already there. */
function decisionFlags(a: Attempt, extra?: readonly Flag[]): Flag[] {
  const flags = scratchFlags;
  flags.length = 0;
  if (a.synCount > 1) flags.push('syn-retransmit');
  if (a.synAckCount > 1) flags.push('synack-retransmit');
  if (a.portReuse) flags.push('port-reuse');
  if (a.truncated) flags.push('truncated');
  if (a.invalidRstFrame) flags.push('invalid-rst');
  if (a.dupFrames) flags.push('duplicate-frames');
  if (a.oneSided) flags.push('one-sided');
  if (extra) for (const f of extra) if (!flags.includes(f)) flags.push(f);
  return flags.length === 0 ? [] : flags.slice();
}

/** The frames given, without zeros and repeats, in ascending order (a new array: `frames` may be the attempt's own). */
export function evidenceFrames(frames: readonly number[]): number[] {
  const out = scratchFrames;
  out.length = 0;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (!(f > 0)) continue;
    let j = out.length;
    while (j > 0 && out[j - 1] > f) j--;
    if (j > 0 && out[j - 1] === f) continue;
    out.push(f);
    for (let k = out.length - 1; k > j; k--) out[k] = out[k - 1];
    out[j] = f;
  }
  return out.slice();
}

/** A verdict with its reason and the frames that prove it (built only once the verdict is known: classify runs at every wake-up). */
function decision(a: Attempt, verdict: Verdict, why: number, frames: readonly number[], extra?: readonly Flag[], w0 = 0, w1 = 0, w2 = 0, w3 = 0): Decision {
  return { verdict, flags: decisionFlags(a, extra), why, w0, w1, w2, w3, frames: evidenceFrames(frames) };
}

function synText(synCount: number): string {
  return synCount > 1 ? `${synCount} SYNs` : 'the SYN';
}

const TTL_MISMATCH: readonly Flag[] = ['ttl-mismatch'];
const BACKLOG_DROP: readonly Flag[] = ['backlog-drop'];
const ONE_SIDED: readonly Flag[] = ['one-sided'];
const PARTIAL_QUOTE: readonly Flag[] = ['partial-quote'];
const BACKLOG_ONE_SIDED: readonly Flag[] = ['backlog-drop', 'one-sided'];
const BACKLOG_UNACKED: readonly Flag[] = ['backlog-drop', 'data-unacked'];
const RATE_LIMITED: readonly Flag[] = ['icmp-rate-limited'];
/** A RST this soon after the handshake's ACK answers the ACK (or the data right behind it). */
const ABORT_WITHIN = 1;

/** Returns null when the verdict cannot be known yet (more capture time may decide it). */
export function classify(a: Attempt, ctx: ClassifyContext): Decision | null {
  const syn0 = a.synFrames[0];
  const synList = a.synFrames;

  if (a.synAckT >= 0) {
    // A RST answering the SYN plus a SYN-ACK acknowledging the same SYN: a real host sends one
    // or the other, never both, so the RST was injected by someone else.
    if (a.rstT >= 0 && !a.rstAfterAck) {
      const ttl = ctx.serverTtl >= 0 && !ctx.rstTtlSeen ? TTL_MISMATCH : undefined;
      return decision(a, 'forged-reset', Why.forgedRace, [syn0, a.rstFrame, a.synAckFrame], ttl, a.rstTtl, a.synAckTtl);
    }
    if (a.ackT >= 0) return completed(a, ctx);
    if (a.cliRstT >= 0 || a.cliFinFrame) {
      const f = a.cliRstT >= 0 ? a.cliRstFrame : a.cliFinFrame;
      return decision(a, 'aborted', Why.clientEnded, [syn0, a.synAckFrame, f], undefined, a.cliRstT >= 0 ? 1 : 0);
    }
    if (ctx.now - a.synAckT >= ctx.timeout) {
      return decision(a, 'aborted', Why.noAck, [syn0, a.synAckFrame], undefined, a.synAckCount, ctx.timeout);
    }
    if (ctx.final) return decision(a, 'incomplete', Why.incompleteAfterSynAck, [syn0, a.synAckFrame], undefined, ctx.now - a.synAckT);
    return null;
  }

  if (a.rstT >= 0) {
    // A host whose packets arrive with more than one TTL (paths of different length) proves nothing
    // against a RST carrying any of them.
    const ttlEvidence = ctx.serverTtl >= 0 && !ctx.rstTtlSeen;
    // A zero IPv6 flow label among labelled packets only supports other evidence: some kernels
    // send their own resets unlabelled, and a refusal called a firewall is the worst mistake.
    const label = a.rstFlowLabel === 0 && ctx.serverLabelNonZero > 0 && ctx.serverLabelZero === 0 && a.version === 6;
    if (ttlEvidence || a.srvAfterRstFrame) {
      return decision(a, 'forged-reset', Why.forgedEvidence, [syn0, a.rstFrame, a.srvAfterRstFrame], ttlEvidence ? TTL_MISMATCH : undefined,
        a.rstTtl, ctx.serverTtl, a.srvAfterRstFrame, (ttlEvidence ? TTL_EVIDENCE : 0) | (label ? LABEL_EVIDENCE : 0));
    }
    return decision(a, 'refused', Why.refused, [...synList, a.rstFrame], undefined, a.synCount, a.rstTtl, ctx.serverTtlPackets > 0 ? 1 : 0, label ? 1 : 0);
  }

  if (a.icmpT >= 0) {
    const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
    if (m.verdict) return decision(a, m.verdict, Why.icmp, [syn0, a.icmpFrame], a.icmpPartial ? PARTIAL_QUOTE : undefined, a.icmpPartial ? 1 : 0);
  }

  if (a.cliRstT >= 0) {
    return decision(a, 'aborted', Why.clientResetSyn, [syn0, a.cliRstFrame]);
  }

  const waited = ctx.now - a.t0;
  if (waited >= ctx.timeout) {
    // Without the server's direction, what the client did next is the evidence: a stack that gets a
    // RST or an ICMP error stops, one that gets nothing retransmits.
    if (ctx.oneSided && a.synCount === 1) return decision(a, 'incomplete', Why.oneSidedStopped, synList, ONE_SIDED, waited);
    // The client stopped after one SYN, and an ICMP error came its way that the snap length made unreadable.
    if (ctx.unreadableIcmp > 0 && a.synCount === 1) return decision(a, 'incomplete', Why.icmpUnreadable, [syn0, ctx.unreadableIcmp], undefined, waited, ctx.unreadableIcmp);
    // Neighbours rejected by ICMP while this one got nothing: the same rule, its ICMP rate-limited.
    if (ctx.rejects > 0) return decision(a, 'rejected', Why.rateLimited, [...synList, ctx.rejectFrame], RATE_LIMITED, a.synCount, waited, ctx.rejects);
    // The listener answered others, or held others in its queues, while this attempt's SYNs went unanswered.
    if (ctx.aliveCount > 0 || ctx.busy) {
      return decision(a, 'backlog-drop', Why.backlogUnanswered, [...synList, ctx.aliveFrame], ctx.oneSided ? BACKLOG_ONE_SIDED : BACKLOG_DROP,
        a.synCount, waited, ctx.aliveCount, ctx.queuedOthers);
    }
    if (ctx.oneSided) return decision(a, 'filtered', Why.filteredOneSided, synList, ONE_SIDED, a.synCount, waited);
    return decision(a, 'filtered', Why.filtered, synList, undefined, a.synCount, waited);
  }
  if (ctx.final) {
    return decision(a, 'incomplete', Why.incompleteSyn, synList, undefined, waited, ctx.timeout);
  }
  return null;
}

/** The frames of the handshake, and one more that proves the verdict (0: none). */
function handshakeFrames(a: Attempt, more = 0): number[] {
  return [a.synFrames[0], a.synAckFrame, a.ackFrame, more];
}

/**
 * The handshake completed on the wire (SYN, SYN-ACK, ACK): established, or a backlog drop after it.
 * What looks like a full queue from one attempt (a SYN repeated, a SYN-ACK repeated after the ACK,
 * data repeated before the server's first ACK) is also what path loss looks like; it counts as the
 * queue only when no loss was seen on the server's other connections at the time, or when other
 * connections were waiting in the listener's queues.
 */
function completed(a: Attempt, ctx: ClassifyContext): Decision | null {
  const accepted = a.srvAckedDataFrame > 0 || a.srvDataFrame > 0;
  // Loss seen elsewhere explains a repeated packet only where the packet may have been lost: not
  // on the server's own capture, which saw it arrive.
  const pathLoss = ctx.loss && !ctx.atServer;
  // (A SYN-ACK repeated after the ACK says the server never made the connection: see below.)
  if (a.rstT >= 0 && a.rstAfterAck && !accepted && !a.synAckAfterAckFrame) {
    // A RST with the ACK flag comes from a socket: an application that accepted and reset.
    if (a.rstHasAck) return decision(a, 'established', Why.appReset, handshakeFrames(a, a.rstFrame), undefined, a.rstT - a.ackT);
    // A bare RST after the server's own FIN answers data sent to a socket the application closed.
    if (a.srvFinFrame) return decision(a, 'established', Why.appClosedReset, handshakeFrames(a, a.rstFrame), undefined, a.rstT - a.ackT, a.srvFinFrame);
    // Linux answers the final ACK (or the data right behind it) of a connection its full accept queue
    // cannot take with a bare RST (seq = the ACK's ack number): tcp_abort_on_overflow.
    if (a.rstT - a.ackT <= ABORT_WITHIN) {
      return decision(a, 'backlog-drop', Why.abortOnOverflow, handshakeFrames(a, a.rstFrame), BACKLOG_DROP, a.rstT - a.ackT);
    }
    return decision(a, 'established', Why.lateReset, handshakeFrames(a, a.rstFrame), undefined, a.rstT - a.ackT);
  }
  // Another connection waiting to be accepted when this one's ACK came: the accept queue was in use.
  const queueInUse = a.busyAtAck > 0;
  if (a.synAckAfterAckFrame) {
    if (accepted) {
      if (pathLoss && !queueInUse) {
        return decision(a, 'established', Why.ackLost, handshakeFrames(a, a.synAckAfterAckFrame), undefined, ctx.lossFrame);
      }
      return decision(a, 'established', Why.lateSynAckRetx, handshakeFrames(a, a.synAckAfterAckFrame), BACKLOG_DROP);
    }
    // Wait while either side still retransmits: a slow listener may yet accept the connection (a
    // RST at last: its request expired, and the connection was never made).
    if (ctx.final || ctx.now - a.lastT >= ctx.timeout || a.rstT >= 0) {
      return decision(a, 'backlog-drop', Why.finalAckDropped, handshakeFrames(a, a.synAckAfterAckFrame), a.cliDataFrame ? BACKLOG_UNACKED : BACKLOG_DROP);
    }
    return null;
  }
  const cookie = a.synAckOptMask === 1; // MSS only: what a SYN cookie carries without timestamps
  // The client's first data, or its FIN when it sent none: what the server must acknowledge.
  const sentFrame = a.cliDataFrame || a.cliFinFrame;
  const sentT = a.cliDataFrame ? a.cliDataT : a.cliFinT;
  const sentRetx = a.cliDataFrame ? a.cliDataRetx : a.cliFinRetx;
  // (Not when the server's direction is missing: its ACKs are simply not in the capture.)
  if (sentFrame && !accepted && a.synAckCount === 1 && a.rstT < 0 && !a.oneSided) {
    const waited = ctx.now - sentT;
    // Only a wait as long as the handshake timeout says the data was never taken, or a capture that
    // ends after the client sent it twice more in vain (its retransmission timer expired twice); a
    // capture that ends sooner says nothing about it.
    const unanswered = waited >= ctx.timeout || (ctx.final && sentRetx >= 2);
    if (unanswered && (ctx.final || ctx.now - a.lastT >= ctx.timeout)) {
      const extra: Flag[] = ['backlog-drop', 'data-unacked'];
      if (cookie) extra.push('syn-cookie');
      return decision(a, 'backlog-drop', Why.dataUnacked, handshakeFrames(a, sentFrame), extra, sentRetx + 1, waited, cookie ? 1 : 0, a.cliDataFrame ? 0 : 1);
    }
    if (!ctx.final) return null;
  }
  const extra: Flag[] = [];
  if (cookie) extra.push('syn-cookie');
  // The client's first data repeated before the server took it: the final ACK was dropped (a SYN
  // cookie's ACK meeting a full accept queue leaves no state; the next segment makes the connection).
  // Loss on the path looks the same (the first segment lost): without a cookie or a queue in use,
  // or with loss seen elsewhere, the queue is not blamed.
  if (a.cliDataRetx > 0 && a.srvAckedDataFrame > 0) {
    const overTime = a.srvAckedDataT - a.cliDataT;
    if (pathLoss || (!cookie && !queueInUse) || a.srvDupAckFrame) {
      return decision(a, 'established', Why.cookieOrLoss, handshakeFrames(a, a.srvAckedDataFrame), extra, a.cliDataRetx + 1, overTime, ctx.lossFrame || a.srvDupAckFrame);
    }
    extra.push('backlog-drop');
    return decision(a, 'established', Why.cookieAckDropped, handshakeFrames(a, a.srvAckedDataFrame), extra, a.cliDataRetx + 1, overTime, cookie ? 1 : 0, a.busyAtAck);
  }
  // SYNs repeated before the answer while the listener answered or held others: a full queue,
  // unless the path was losing packets then.
  const retried = a.synsAtAnswer > 1;
  const queueEvidence = ctx.aliveCount > 0 || a.busySyns > 0;
  const delayed = retried && queueEvidence && !pathLoss;
  if (delayed) extra.push('backlog-drop');
  const waitedData = a.cliDataFrame ? ctx.now - a.cliDataT : 0;
  if (a.cliDataFrame && !accepted && waitedData >= ctx.timeout && !a.oneSided) extra.push('data-unacked');
  return decision(a, 'established', Why.established, handshakeFrames(a), extra, a.oneSided ? -1 : a.synAckT - a.synBeforeAckT,
    delayed ? a.synsAtAnswer - 1 : -1, retried && queueEvidence && pathLoss ? 1 : 0, ctx.lossFrame);
}

/** What reasonOf reads: an engine Attempt, or one unpacked in the JSON worker. */
export interface ReasonFields {
  readonly why: number;
  readonly why0: number;
  readonly why1: number;
  readonly why2: number;
  readonly why3: number;
  readonly version: number;
  readonly icmpFamily: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  icmpSenderIp(): string;
  /** The server's address, and `ip:port`, as text. */
  serverIpText(): string;
  serverText(): string;
}

/** The sentence of the attempt's decision ('' before the first), from what the decision fixed (see Why). */
export function reasonOf(a: ReasonFields): string {
  switch (a.why) {
    case Why.none:
      return '';
    case Why.forgedRace:
      return `a RST in ${a.serverText()}'s name (TTL ${a.why0}) answered the SYN while the server itself sent a SYN-ACK (TTL ${a.why1}): a middlebox injected the reset`;
    case Why.clientEnded:
      return `the client ${a.why0 ? 'reset' : 'closed'} the attempt after ${a.serverText()} answered with a SYN-ACK instead of completing the handshake (half-open scan, or the client had already timed out)`;
    case Why.noAck:
      return `the client never acknowledged ${plural(a.why0, 'SYN-ACK')} from ${a.serverText()} within ${a.why1} s: it abandoned the attempt (or its ACKs were lost on the way)`;
    case Why.incompleteAfterSynAck:
      return `the capture ended ${ms(a.why0)} after ${a.serverText()}'s SYN-ACK, before the client's ACK`;
    case Why.forgedEvidence: {
      const serverIp = a.serverIpText();
      const evidence: string[] = [];
      if (a.why3 & TTL_EVIDENCE) {
        const dh = hopsOf(a.why1) - hopsOf(a.why0);
        const where = dh > 0 ? `, ${plural(dh, 'hop')} closer than the server` : dh < 0 ? `, ${plural(-dh, 'hop')} farther than the server` : ', sent with another initial TTL';
        evidence.push(`its TTL ${a.why0} differs from the TTL ${a.why1} of ${serverIp}'s own packets${where}`);
      }
      if (a.why2) evidence.push(`${a.serverText()} kept sending after it (frame ${a.why2})`);
      if (a.why3 & LABEL_EVIDENCE) evidence.push(`its IPv6 flow label is 0 while every other packet from ${serverIp} carries one`);
      return `the RST answering the SYN was not sent by ${serverIp}: ${evidence.join('; ')}; a firewall or middlebox rejects with tcp-reset`;
    }
    case Why.refused: {
      const hop = a.version === 6 ? 'hop limit' : 'TTL';
      const basis = a.why2
        ? `with the same ${hop} ${a.why1} as its other packets`
        : `(no other packet from ${a.serverIpText()} in the capture to compare its ${hop} ${a.why1} with, so a host firewall's tcp-reset would look the same)`;
      const caveat = a.why3 ? ' (its flow label is 0 unlike the host\'s other packets, which some kernels do for their own resets too)' : '';
      return `${a.serverText()} answered ${synText(a.why0)} with RST ${basis}${caveat}: nothing is listening on that port, or a firewall on that host rejects it with tcp-reset (the same packet: iptables -S | grep tcp-reset; nft list ruleset | grep reset)`;
    }
    case Why.icmp: {
      const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
      const sender = a.icmpSenderIp();
      const who = sender === a.serverIpText() ? `the server ${sender} itself (host firewall)` : `${sender}, a router on the way`;
      const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
      const what = m.verdict === 'rejected' ? 'a REJECT rule' : 'no route to the destination';
      const cut = a.why0 ? ' (its quote was cut by the snap length before the sequence number; matched by addresses, protocol and client port)' : '';
      return `${kind} ${m.name} from ${who} answered the SYN to ${a.serverText()}${cut}: ${what}`;
    }
    case Why.clientResetSyn:
      return `the client reset its own SYN to ${a.serverText()} before any answer: it gave up, nothing refused it`;
    case Why.backlogUnanswered: {
      const live: string[] = [];
      if (a.why2 > 0) live.push(`answered ${plural(a.why2, 'other handshake')}`);
      if (a.why3 > 0) live.push(`held ${plural(a.why3, 'other connection')} in its queues (handshake begun or completed, not yet served by the application)`);
      if (live.length === 0) live.push('held other connections in its queues');
      return `${synText(a.why0)} to ${a.serverText()} went unanswered for ${a.why1.toFixed(1)} s while the same listener ${live.join(' and ')}: its listen queue was full (a firewall that limits new connections, such as connlimit or a full conntrack table, looks the same from one capture point: on the server, nstat -az TcpExtListenOverflows rises with a full queue, conntrack -S counts drops of a full table)`;
    }
    case Why.filtered:
      return `${synText(a.why0)} to ${a.serverText()} got no answer at all for ${a.why1.toFixed(1)} s: a firewall drops them silently, or the host is down`;
    case Why.incompleteSyn:
      return `the capture ended ${ms(a.why0)} after the first SYN to ${a.serverText()}, before an answer or the ${a.why1} s handshake timeout`;
    case Why.appReset:
      return `${a.serverText()} completed the handshake, then reset the connection ${ms(a.why0)} later before any data (the application accepted and closed it with a reset)`;
    case Why.abortOnOverflow:
      return `${a.serverText()} reset the connection ${ms(a.why0)} after the handshake completed, before any data: the accept queue was full and net.ipv4.tcp_abort_on_overflow is on`;
    case Why.lateSynAckRetx:
      return `established, but only after ${a.serverText()} retransmitted its SYN-ACK following the client's ACK: the accept queue was full and the ACK was dropped`;
    case Why.finalAckDropped:
      return `${a.serverText()} retransmitted its SYN-ACK after the client's ACK: the listener's accept queue was full and dropped the final ACK`;
    case Why.dataUnacked: {
      const why = a.why2 ? 'its SYN-ACK was a SYN cookie (MSS only), and the full accept queue dropped the connection the final ACK created'
        : 'it sent nothing after its SYN-ACK, as when a SYN-cookie connection is dropped by a full accept queue';
      const what = a.why3 ? 'FIN (it sent no data)' : 'data';
      return `the handshake completed on the wire but ${a.serverText()} never acknowledged the client's ${what} (${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s): ${why}`;
    }
    case Why.established: {
      const delayed = a.why1 >= 0 ? `, after ${a.why1} SYN retransmission(s) while the listener answered or held other connections (listen queue overflow)` : '';
      const loss = a.why2 ? `; its SYN was retransmitted, not counted as a listen queue drop: packets were lost on other connections of this server at the time (frame ${a.why3}), so the path lost it` : '';
      const how = a.why0 < 0 ? 'the client acknowledged the server\'s SYN-ACK, which this capture does not hold: the server\'s direction is missing' : `SYN-ACK after ${ms(a.why0)}, client ACK`;
      return `${a.serverText()} completed the handshake (${how})${delayed}${loss}`;
    }
    case Why.oneSidedStopped:
      return `the client sent one SYN to ${a.serverText()} and nothing more for ${a.why0.toFixed(1)} s, as a stack does when a RST or an ICMP error arrives; this capture holds no packets from the server's direction, so whether the port refused it or a firewall rejected it cannot be told`;
    case Why.filteredOneSided:
      return `the client sent ${synText(a.why0)} to ${a.serverText()} over ${a.why1.toFixed(1)} s and kept retransmitting, so no answer reached it: a firewall drops them, or the host is down (this capture holds no packets from the server's direction)`;
    case Why.rateLimited: {
      const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
      const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
      return `${synText(a.why0)} to ${a.serverText()} got no answer for ${a.why1.toFixed(1)} s while the same endpoint's other attempts were rejected by ${kind} ${m.name} from ${a.icmpSenderIp()} (${plural(a.why2, 'rejection')}): the same REJECT rule, its ICMP errors rate-limited (Linux sends about one per second per destination after a short burst: net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit), not a separate DROP`;
    }
    case Why.icmpUnreadable:
      return `the client sent one SYN to ${a.serverText()} and stopped; an ICMP error reached it meanwhile (frame ${a.why1}) whose quote the snap length cut before the ports, so it cannot be tied to this attempt: probably a rejection or an unreachable route, but not provably (capture with -s 128 or more)`;
    case Why.appClosedReset:
      return `${a.serverText()}'s application accepted the connection and closed it (FIN, frame ${a.why1}) before reading; the client's later data drew a bare RST ${ms(a.why0)} after the handshake: a normal close, not a full queue`;
    case Why.lateReset:
      return `${a.serverText()} reset the connection ${ms(a.why0)} after the handshake without a FIN: the connection was lost on the server's side (restart, or a middlebox's timeout), not a listen queue`;
    case Why.ackLost:
      return `established after ${a.serverText()} retransmitted its SYN-ACK following the client's ACK; packets were lost on other connections of this server at the time (frame ${a.why0}) and no other connection waited in its queues, so the ACK was most likely lost on the way, not dropped by a full accept queue`;
    case Why.cookieAckDropped: {
      const why = a.why2 ? 'its SYN-ACK was a SYN cookie (MSS only) and' : `${plural(a.why3, 'other connection')} waited to be accepted and`;
      return `established, but ${a.serverText()} acknowledged the client's data only after ${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s: ${why} the full accept queue dropped the final ACK; the connection was made from a later segment`;
    }
    case Why.cookieOrLoss: {
      const why = a.why2 ? `the path was losing packets at the time (frame ${a.why2}: data sent again, or a server ACK pointing at a missing segment)` : 'its SYN-ACK was no SYN cookie and no other connection waited to be accepted';
      return `established; ${a.serverText()} acknowledged the client's data only after ${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s, not counted as a listen queue drop: ${why}, so the path most likely lost it`;
    }
    default:
      return '';
  }
}
