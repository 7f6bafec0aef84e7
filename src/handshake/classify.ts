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
  /** Text forms for the reason sentence. */
  server: string;
  serverIp: string;
  icmpSender: string;
}

export interface Decision {
  verdict: Verdict;
  flags: Flag[];
  reason: string;
  frames: number[];
}

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
function decision(a: Attempt, verdict: Verdict, reason: string, frames: readonly number[], extra?: readonly Flag[]): Decision {
  return { verdict, flags: decisionFlags(a, extra), reason, frames: evidenceFrames(frames) };
}

function synText(a: Attempt): string {
  return a.synCount > 1 ? `${a.synCount} SYNs` : 'the SYN';
}

/** Returns null when the verdict cannot be known yet (more capture time may decide it). */
export function classify(a: Attempt, ctx: ClassifyContext): Decision | null {
  const syn0 = a.synFrames[0];
  const synList = a.synFrames;

  if (a.synAckT >= 0) {
    // A RST answering the SYN plus a SYN-ACK acknowledging the same SYN: a real host sends one
    // or the other, never both, so the RST was injected by someone else.
    if (a.rstT >= 0 && !a.rstAfterAck) {
      const ttl: Flag[] = ctx.serverTtl >= 0 && !ctx.rstTtlSeen ? ['ttl-mismatch'] : [];
      return decision(a, 'forged-reset',
        `a RST in ${ctx.server}'s name (TTL ${a.rstTtl}) answered the SYN while the server itself sent a SYN-ACK (TTL ${a.synAckTtl}): a middlebox injected the reset`,
        [syn0, a.rstFrame, a.synAckFrame], ttl);
    }
    if (a.ackT >= 0) return completed(a, ctx);
    if (a.cliRstT >= 0 || a.cliFinFrame) {
      const f = a.cliRstT >= 0 ? a.cliRstFrame : a.cliFinFrame;
      return decision(a, 'aborted', `the client ${a.cliRstT >= 0 ? 'reset' : 'closed'} the attempt after ${ctx.server} answered with a SYN-ACK instead of completing the handshake (half-open scan, or the client had already timed out)`,
        [syn0, a.synAckFrame, f]);
    }
    if (ctx.now - a.synAckT >= ctx.timeout) {
      return decision(a, 'aborted', `the client never acknowledged ${plural(a.synAckCount, 'SYN-ACK')} from ${ctx.server} within ${ctx.timeout} s: it abandoned the attempt (or its ACKs were lost on the way)`,
        [syn0, a.synAckFrame]);
    }
    if (ctx.final) return decision(a, 'incomplete', `the capture ended ${ms(ctx.now - a.synAckT)} after ${ctx.server}'s SYN-ACK, before the client's ACK`, [syn0, a.synAckFrame]);
    return null;
  }

  if (a.rstT >= 0) {
    const evidence: string[] = [];
    const extra: Flag[] = [];
    // A host whose packets arrive with more than one TTL (paths of different length) proves nothing
    // against a RST carrying any of them.
    if (ctx.serverTtl >= 0 && !ctx.rstTtlSeen) {
      extra.push('ttl-mismatch');
      const dh = hopsOf(ctx.serverTtl) - hopsOf(a.rstTtl);
      const where = dh > 0 ? `, ${plural(dh, 'hop')} closer than the server` : dh < 0 ? `, ${plural(-dh, 'hop')} farther than the server` : ', sent with another initial TTL';
      evidence.push(`its TTL ${a.rstTtl} differs from the TTL ${ctx.serverTtl} of ${ctx.serverIp}'s own packets${where}`);
    }
    if (a.srvAfterRstFrame) evidence.push(`${ctx.server} kept sending after it (frame ${a.srvAfterRstFrame})`);
    // A zero IPv6 flow label among labelled packets only supports other evidence: some kernels
    // send their own resets unlabelled, and a refusal called a firewall is the worst mistake.
    const label = a.rstFlowLabel === 0 && ctx.serverLabelNonZero > 0 && ctx.serverLabelZero === 0 && a.version === 6;
    if (evidence.length) {
      if (label) evidence.push(`its IPv6 flow label is 0 while every other packet from ${ctx.serverIp} carries one`);
      return decision(a, 'forged-reset', `the RST answering the SYN was not sent by ${ctx.serverIp}: ${evidence.join('; ')}; a firewall or middlebox rejects with tcp-reset`,
        [syn0, a.rstFrame, a.srvAfterRstFrame], extra);
    }
    const basis = ctx.serverTtlPackets > 0
      ? `with the same ${a.version === 6 ? 'hop limit' : 'TTL'} ${a.rstTtl} as its other packets`
      : `(no other packet from ${ctx.serverIp} in the capture to compare its ${a.version === 6 ? 'hop limit' : 'TTL'} ${a.rstTtl} with, so a host firewall's tcp-reset would look the same)`;
    const caveat = label ? ` (its flow label is 0 unlike the host's other packets, which some kernels do for their own resets too)` : '';
    return decision(a, 'refused', `${ctx.server} answered ${synText(a)} with RST ${basis}${caveat}: nothing is listening on that port`, [...synList, a.rstFrame]);
  }

  if (a.icmpT >= 0) {
    const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
    if (m.verdict) {
      const own = ctx.icmpSender === ctx.serverIp;
      const who = own ? `the server ${ctx.icmpSender} itself (host firewall)` : `${ctx.icmpSender}, a router on the way`;
      const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
      const what = m.verdict === 'rejected' ? 'a REJECT rule' : 'no route to the destination';
      return decision(a, m.verdict, `${kind} ${m.name} from ${who} answered the SYN to ${ctx.server}: ${what}`, [syn0, a.icmpFrame]);
    }
  }

  if (a.cliRstT >= 0) {
    return decision(a, 'aborted', `the client reset its own SYN to ${ctx.server} before any answer: it gave up, nothing refused it`, [syn0, a.cliRstFrame]);
  }

  const waited = ctx.now - a.t0;
  if (waited >= ctx.timeout) {
    if (ctx.aliveCount > 0) {
      return decision(a, 'backlog-drop',
        `${synText(a)} to ${ctx.server} went unanswered for ${waited.toFixed(1)} s while the same listener answered ${plural(ctx.aliveCount, 'other handshake')}: its listen queue was full`,
        [...synList, ctx.aliveFrame], ['backlog-drop']);
    }
    return decision(a, 'filtered', `${synText(a)} to ${ctx.server} got no answer at all for ${waited.toFixed(1)} s: a firewall drops them silently, or the host is down`, synList);
  }
  if (ctx.final) {
    return decision(a, 'incomplete', `the capture ended ${ms(waited)} after the first SYN to ${ctx.server}, before an answer or the ${ctx.timeout} s handshake timeout`, synList);
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
    return decision(a, 'established', `${ctx.server} completed the handshake, then reset the connection ${ms(a.rstT - a.ackT)} later before any data (the application accepted and closed it with a reset)`,
      handshakeFrames(a, a.rstFrame));
  }
  if (a.rstT >= 0 && a.rstAfterAck && !accepted) {
    return decision(a, 'backlog-drop', `${ctx.server} reset the connection ${ms(a.rstT - a.ackT)} after the handshake completed, before any data: the accept queue was full and net.ipv4.tcp_abort_on_overflow is on`,
      handshakeFrames(a, a.rstFrame), ['backlog-drop']);
  }
  if (a.synAckAfterAckFrame) {
    if (accepted) {
      return decision(a, 'established', `established, but only after ${ctx.server} retransmitted its SYN-ACK following the client's ACK: the accept queue was full and the ACK was dropped`,
        handshakeFrames(a, a.synAckAfterAckFrame), ['backlog-drop']);
    }
    // Wait while either side still retransmits: a slow listener may yet accept the connection.
    if (ctx.final || ctx.now - a.lastT >= ctx.timeout) {
      return decision(a, 'backlog-drop', `${ctx.server} retransmitted its SYN-ACK after the client's ACK: the listener's accept queue was full and dropped the final ACK`,
        handshakeFrames(a, a.synAckAfterAckFrame), ['backlog-drop']);
    }
    return null;
  }
  const cookie = a.synAckOptMask === 1; // MSS only: what a SYN cookie carries without timestamps
  if (a.cliDataFrame && !accepted && a.synAckCount === 1 && a.rstT < 0) {
    const waited = ctx.now - a.cliDataT;
    if (ctx.final || ctx.now - a.lastT >= ctx.timeout) {
      const extra: Flag[] = ['backlog-drop', 'data-unacked'];
      if (cookie) extra.push('syn-cookie');
      const why = cookie ? 'its SYN-ACK was a SYN cookie (MSS only), and the full accept queue dropped the connection the final ACK created'
        : 'it sent nothing after its SYN-ACK, as when a SYN-cookie connection is dropped by a full accept queue';
      return decision(a, 'backlog-drop', `the handshake completed on the wire but ${ctx.server} never acknowledged the client's data (${plural(a.cliDataRetx + 1, 'transmission')} over ${waited.toFixed(1)} s): ${why}`,
        handshakeFrames(a, a.cliDataFrame), extra);
    }
    if (!ctx.final) return null;
  }
  const extra: Flag[] = [];
  if (cookie && a.synAckOptMask) extra.push('syn-cookie');
  let delayed = '';
  if (a.synCount > 1 && ctx.aliveCount > 0) {
    extra.push('backlog-drop');
    delayed = `, after ${a.synCount - 1} SYN retransmission(s) while the listener answered other handshakes (listen queue overflow)`;
  }
  if (a.cliDataFrame && !accepted) extra.push('data-unacked');
  const rtt = a.synAckT - a.synBeforeAckT;
  return decision(a, 'established', `${ctx.server} completed the handshake (SYN-ACK after ${ms(rtt)}, client ACK)${delayed}`, handshakeFrames(a), extra);
}
