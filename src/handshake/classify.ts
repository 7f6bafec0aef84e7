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
  /** SYN-ACKs the same server endpoint sent to other attempts while this one waited. */
  aliveCount: number;
  aliveFrame: number;
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
    if (m.verdict) return decision(a, m.verdict, Why.icmp, [syn0, a.icmpFrame]);
  }

  if (a.cliRstT >= 0) {
    return decision(a, 'aborted', Why.clientResetSyn, [syn0, a.cliRstFrame]);
  }

  const waited = ctx.now - a.t0;
  if (waited >= ctx.timeout) {
    if (ctx.aliveCount > 0) {
      return decision(a, 'backlog-drop', Why.backlogUnanswered, [...synList, ctx.aliveFrame], BACKLOG_DROP, a.synCount, waited, ctx.aliveCount);
    }
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

/** The handshake completed on the wire (SYN, SYN-ACK, ACK): established, or a backlog drop after it. */
function completed(a: Attempt, ctx: ClassifyContext): Decision | null {
  const accepted = a.srvAckedDataFrame > 0 || a.srvDataFrame > 0;
  // Linux answers the final ACK of a connection its full accept queue cannot take with a bare RST
  // (seq = the ACK's ack number, no ACK flag): that is the reset of tcp_abort_on_overflow. A RST
  // with the ACK flag comes from a socket, i.e. an application that accepted and then reset.
  if (a.rstT >= 0 && a.rstAfterAck && !accepted && a.rstHasAck) {
    return decision(a, 'established', Why.appReset, handshakeFrames(a, a.rstFrame), undefined, a.rstT - a.ackT);
  }
  if (a.rstT >= 0 && a.rstAfterAck && !accepted) {
    return decision(a, 'backlog-drop', Why.abortOnOverflow, handshakeFrames(a, a.rstFrame), BACKLOG_DROP, a.rstT - a.ackT);
  }
  if (a.synAckAfterAckFrame) {
    if (accepted) {
      return decision(a, 'established', Why.lateSynAckRetx, handshakeFrames(a, a.synAckAfterAckFrame), BACKLOG_DROP);
    }
    // Wait while either side still retransmits: a slow listener may yet accept the connection.
    if (ctx.final || ctx.now - a.lastT >= ctx.timeout) {
      return decision(a, 'backlog-drop', Why.finalAckDropped, handshakeFrames(a, a.synAckAfterAckFrame), BACKLOG_DROP);
    }
    return null;
  }
  const cookie = a.synAckOptMask === 1; // MSS only: what a SYN cookie carries without timestamps
  if (a.cliDataFrame && !accepted && a.synAckCount === 1 && a.rstT < 0) {
    const waited = ctx.now - a.cliDataT;
    if (ctx.final || ctx.now - a.lastT >= ctx.timeout) {
      const extra: Flag[] = ['backlog-drop', 'data-unacked'];
      if (cookie) extra.push('syn-cookie');
      return decision(a, 'backlog-drop', Why.dataUnacked, handshakeFrames(a, a.cliDataFrame), extra, a.cliDataRetx + 1, waited, cookie ? 1 : 0);
    }
    if (!ctx.final) return null;
  }
  const extra: Flag[] = [];
  if (cookie && a.synAckOptMask) extra.push('syn-cookie');
  // SYN retransmissions while the listener answered others: the attempt waited in a full queue.
  const delayed = a.synCount > 1 && ctx.aliveCount > 0;
  if (delayed) extra.push('backlog-drop');
  if (a.cliDataFrame && !accepted) extra.push('data-unacked');
  return decision(a, 'established', Why.established, handshakeFrames(a), extra, a.synAckT - a.synBeforeAckT, delayed ? a.synCount - 1 : -1);
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
      return `${a.serverText()} answered ${synText(a.why0)} with RST ${basis}${caveat}: nothing is listening on that port`;
    }
    case Why.icmp: {
      const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
      const sender = a.icmpSenderIp();
      const who = sender === a.serverIpText() ? `the server ${sender} itself (host firewall)` : `${sender}, a router on the way`;
      const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
      const what = m.verdict === 'rejected' ? 'a REJECT rule' : 'no route to the destination';
      return `${kind} ${m.name} from ${who} answered the SYN to ${a.serverText()}: ${what}`;
    }
    case Why.clientResetSyn:
      return `the client reset its own SYN to ${a.serverText()} before any answer: it gave up, nothing refused it`;
    case Why.backlogUnanswered:
      return `${synText(a.why0)} to ${a.serverText()} went unanswered for ${a.why1.toFixed(1)} s while the same listener answered ${plural(a.why2, 'other handshake')}: its listen queue was full`;
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
      return `the handshake completed on the wire but ${a.serverText()} never acknowledged the client's data (${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s): ${why}`;
    }
    case Why.established: {
      const delayed = a.why1 >= 0 ? `, after ${a.why1} SYN retransmission(s) while the listener answered other handshakes (listen queue overflow)` : '';
      return `${a.serverText()} completed the handshake (SYN-ACK after ${ms(a.why0)}, client ACK)${delayed}`;
    }
    default:
      return '';
  }
}
