/**
 * The verdict rules: one ordered table. The first rule whose guard holds decides the attempt; the
 * order is the precedence (a RST racing a SYN-ACK before the SYN-ACK, a RST before an ICMP error,
 * an ICMP error before the client giving up, ...). A guard may say WAIT: the verdict cannot be known
 * yet, and more capture time will tell. Each guard is written out in full over the attempt's facts
 * and the context (no rule relies on an earlier one failing, except where the guard says so by
 * naming it), so a rule reads on its own.
 *
 * A rule's `id` is stable: it is the report's `reasonCode`, the key of its sentence
 * (verdict/reasons.ts) and of its row in the grid test. Rules follow what a real stack accepts
 * (RFC 9293 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN; the engine admits
 * only those) and what Linux does when a listen queue overflows.
 */
import { icmpMeaning } from '../model/icmp-names.js';
import type { Flag, Verdict } from '../model/verdict.js';
import type { ClassifyContext } from './context.js';
import type { AttemptFacts } from './facts.js';
import { NO_FLAGS } from './flags.js';

/** A guard's answer: this rule decides, it does not apply, or nothing can be decided yet. */
export const YES = 1;
export const NO = 0;
export const WAIT = 2;
export type Match = typeof YES | typeof NO | typeof WAIT;

/**
 * What a deciding rule cites: the frames that prove it, flags beyond the ones every decision
 * carries (verdict/flags.ts), and up to four numbers its sentence quotes (verdict/reasons.ts).
 */
export interface Evidence {
  frames: readonly number[];
  flags?: readonly Flag[];
  n?: readonly [number, number?, number?, number?];
}

export interface Rule {
  readonly id: string;
  /** The verdict it gives; a rule whose verdict depends on the packet (ICMP) names each in its own rule. */
  readonly verdict: Verdict;
  /** One line for people: what the packets show (the README's rule table). */
  readonly shows: string;
  readonly when: (f: AttemptFacts, c: ClassifyContext) => Match;
  readonly evidence: (f: AttemptFacts, c: ClassifyContext) => Evidence;
}

const yes = (b: boolean): Match => (b ? YES : NO);

/** A RST this soon after the handshake's ACK answers the ACK (or the data right behind it). */
export const ABORT_WITHIN = 1;

/** Bits of the fourth number of `forged-evidence`: which evidence spoke against the RST. */
export const TTL_EVIDENCE = 1;
export const LABEL_EVIDENCE = 2;

const TTL_MISMATCH: readonly Flag[] = ['ttl-mismatch'];
const BACKLOG_DROP: readonly Flag[] = ['backlog-drop'];
const ONE_SIDED: readonly Flag[] = ['one-sided'];
const PARTIAL_QUOTE: readonly Flag[] = ['partial-quote'];
const BACKLOG_ONE_SIDED: readonly Flag[] = ['backlog-drop', 'one-sided'];
const BACKLOG_UNACKED: readonly Flag[] = ['backlog-drop', 'data-unacked'];
const RATE_LIMITED: readonly Flag[] = ['icmp-rate-limited'];
const SYN_COOKIE: readonly Flag[] = ['syn-cookie'];

// Facts the guards share, named once.

/** The server answered the SYN with a SYN-ACK (seen, or proven by the client's ACK). */
const answered = (f: AttemptFacts): boolean => f.synAckT >= 0;
/** A RST answered the SYN itself (not something after the handshake). */
const rstAnsweredSyn = (f: AttemptFacts): boolean => f.rstT >= 0 && !f.rstAfterAck;
/** The handshake completed on the wire (SYN, SYN-ACK, the client's ACK), and no RST raced the SYN-ACK. */
const handshake = (f: AttemptFacts): boolean => f.synAckT >= 0 && f.ackT >= 0 && !rstAnsweredSyn(f);
/** A SYN-ACK that no RST raced, and no ACK (yet). */
const synAckOnly = (f: AttemptFacts): boolean => f.synAckT >= 0 && f.ackT < 0 && !rstAnsweredSyn(f);
/** The server took the connection up: it acknowledged the client's data, or sent its own. */
const accepted = (f: AttemptFacts): boolean => f.srvAckedDataFrame > 0 || f.srvDataFrame > 0;
/** Loss seen elsewhere explains a repeated packet only where it may have been lost: not on the server's own capture. */
const pathLoss = (c: ClassifyContext): boolean => c.loss && !c.atServer;
/** Another connection waited to be accepted when this one's ACK came: the accept queue was in use. */
const queueInUse = (f: AttemptFacts): boolean => f.busyAtAck > 0;
/** An MSS-only SYN-ACK: what a SYN cookie carries without timestamps. */
const cookie = (f: AttemptFacts): boolean => f.synAckOptMask === 1;
/** The RST came after the handshake, before the server took anything, and no SYN-ACK was repeated after the ACK. */
const resetAfterHandshake = (f: AttemptFacts): boolean =>
  handshake(f) && f.rstT >= 0 && f.rstAfterAck && !accepted(f) && !f.synAckAfterAckFrame;
/** The SYN-ACK was repeated after the client's ACK: the server never made the connection from that ACK. */
const synAckAfterAck = (f: AttemptFacts): boolean => handshake(f) && f.synAckAfterAckFrame > 0;
/** The client's first data, or its FIN when it sent none: what the server must acknowledge. */
const sentFrame = (f: AttemptFacts): number => f.cliDataFrame || f.cliFinFrame;
const sentT = (f: AttemptFacts): number => (f.cliDataFrame ? f.cliDataT : f.cliFinT);
const sentRetx = (f: AttemptFacts): number => (f.cliDataFrame ? f.cliDataRetx : f.cliFinRetx);
/** Data (or FIN) the server never took, on a handshake nothing else explains (not when its direction is missing). */
const sentUntaken = (f: AttemptFacts): boolean =>
  handshake(f) && !f.synAckAfterAckFrame && sentFrame(f) > 0 && !accepted(f) && f.synAckCount === 1 && f.rstT < 0 && !f.oneSided;
/** The client's data was repeated before the server acknowledged it. */
const dataRepeated = (f: AttemptFacts): boolean =>
  handshake(f) && !resetAfterHandshake(f) && !f.synAckAfterAckFrame && f.cliDataRetx > 0 && f.srvAckedDataFrame > 0;
/** The RST's TTL is one the server host's own packets never carry. */
const ttlEvidence = (c: ClassifyContext): boolean => c.serverTtl >= 0 && !c.rstTtlSeen;
/** A zero IPv6 flow label among labelled packets: it only supports other evidence (some kernels send their own resets unlabelled). */
const labelEvidence = (f: AttemptFacts, c: ClassifyContext): boolean =>
  f.rstFlowLabel === 0 && c.serverLabelNonZero > 0 && c.serverLabelZero === 0 && f.version === 6;
const unanswered = (f: AttemptFacts): boolean => f.synAckT < 0 && f.rstT < 0;
const icmpVerdict = (f: AttemptFacts): Verdict | null => (f.icmpT >= 0 ? icmpMeaning(f.icmpFamily, f.icmpType, f.icmpCode).verdict : null);
/** Nothing decided the attempt and the handshake timeout has passed since its first SYN. */
const silentForTimeout = (f: AttemptFacts, c: ClassifyContext): boolean =>
  unanswered(f) && icmpVerdict(f) === null && f.cliRstT < 0 && c.now - f.t0 >= c.timeout;

const handshakeFrames = (f: AttemptFacts, more = 0): number[] => [f.synFrames[0], f.synAckFrame, f.ackFrame, more];
const waitedSinceSyn = (f: AttemptFacts, c: ClassifyContext): number => c.now - f.t0;

export const RULES = [
  // The SYN-ACK was seen.
  {
    id: 'forged-race',
    verdict: 'forged-reset',
    shows: 'a RST answering the SYN and a SYN-ACK for the same SYN: a host sends one or the other, so the RST was injected',
    when: (f) => yes(answered(f) && rstAnsweredSyn(f)),
    evidence: (f, c) => ({ frames: [f.synFrames[0], f.rstFrame, f.synAckFrame], flags: ttlEvidence(c) ? TTL_MISMATCH : undefined, n: [f.rstTtl, f.synAckTtl] }),
  },
  {
    id: 'app-reset',
    verdict: 'established',
    shows: 'the handshake, then a RST with the ACK flag before any data: a socket reset it (the application accepted and reset)',
    when: (f) => yes(resetAfterHandshake(f) && f.rstHasAck),
    evidence: (f) => ({ frames: handshakeFrames(f, f.rstFrame), n: [f.rstT - f.ackT] }),
  },
  {
    id: 'app-closed-reset',
    verdict: 'established',
    shows: 'the handshake, the server\'s FIN, then a bare RST: data sent to a socket the application closed',
    when: (f) => yes(resetAfterHandshake(f) && !f.rstHasAck && f.srvFinFrame > 0),
    evidence: (f) => ({ frames: handshakeFrames(f, f.rstFrame), n: [f.rstT - f.ackT, f.srvFinFrame] }),
  },
  {
    id: 'abort-on-overflow',
    verdict: 'backlog-drop',
    shows: 'the handshake, then a bare RST within 1 s and nothing before it: Linux\'s tcp_abort_on_overflow answering the ACK a full accept queue cannot take',
    when: (f) => yes(resetAfterHandshake(f) && !f.rstHasAck && !f.srvFinFrame && f.rstT - f.ackT <= ABORT_WITHIN),
    evidence: (f) => ({ frames: handshakeFrames(f, f.rstFrame), flags: BACKLOG_DROP, n: [f.rstT - f.ackT] }),
  },
  {
    id: 'late-reset',
    verdict: 'established',
    shows: 'the handshake, then a bare RST more than 1 s later without a FIN: the server lost the connection',
    when: (f) => yes(resetAfterHandshake(f) && !f.rstHasAck && !f.srvFinFrame && f.rstT - f.ackT > ABORT_WITHIN),
    evidence: (f) => ({ frames: handshakeFrames(f, f.rstFrame), n: [f.rstT - f.ackT] }),
  },
  {
    id: 'ack-lost',
    verdict: 'established',
    shows: 'the SYN-ACK repeated after the ACK, data taken later, loss on the server\'s other connections and no queue in use: the ACK was lost on the way',
    when: (f, c) => yes(synAckAfterAck(f) && accepted(f) && pathLoss(c) && !queueInUse(f)),
    evidence: (f, c) => ({ frames: handshakeFrames(f, f.synAckAfterAckFrame), n: [c.lossFrame] }),
  },
  {
    id: 'late-synack-retx',
    verdict: 'established',
    shows: 'the SYN-ACK repeated after the ACK, data taken later: the full accept queue dropped the ACK (flag backlog-drop)',
    when: (f, c) => yes(synAckAfterAck(f) && accepted(f) && !(pathLoss(c) && !queueInUse(f))),
    evidence: (f) => ({ frames: handshakeFrames(f, f.synAckAfterAckFrame), flags: BACKLOG_DROP }),
  },
  {
    id: 'final-ack-dropped',
    verdict: 'backlog-drop',
    shows: 'the SYN-ACK repeated after the ACK and the connection never taken (decided once both sides stop, at a RST, or at the end)',
    // Wait while either side still retransmits: a slow listener may yet accept the connection.
    when: (f, c) => (synAckAfterAck(f) && !accepted(f) ? (c.final || c.now - f.lastT >= c.timeout || f.rstT >= 0 ? YES : WAIT) : NO),
    evidence: (f) => ({ frames: handshakeFrames(f, f.synAckAfterAckFrame), flags: f.cliDataFrame ? BACKLOG_UNACKED : BACKLOG_DROP }),
  },
  {
    id: 'data-unacked',
    verdict: 'backlog-drop',
    shows: 'the handshake completed but the server never acknowledged the client\'s data or FIN for the timeout (or two retransmissions before the end): a SYN-cookie connection a full accept queue dropped',
    // Only a wait as long as the handshake timeout says the data was never taken, or a capture that
    // ends after the client sent it twice more in vain; a capture that ends sooner says nothing (the
    // rules below decide it).
    when: (f, c) => {
      if (!sentUntaken(f)) return NO;
      const neverTaken = c.now - sentT(f) >= c.timeout || (c.final && sentRetx(f) >= 2);
      if (neverTaken && (c.final || c.now - f.lastT >= c.timeout)) return YES;
      return c.final ? NO : WAIT;
    },
    evidence: (f, c) => ({
      frames: handshakeFrames(f, sentFrame(f)),
      flags: cookie(f) ? ['backlog-drop', 'data-unacked', 'syn-cookie'] : BACKLOG_UNACKED,
      n: [sentRetx(f) + 1, c.now - sentT(f), cookie(f) ? 1 : 0, f.cliDataFrame ? 0 : 1],
    }),
  },
  {
    id: 'cookie-or-loss',
    verdict: 'established',
    shows: 'the client\'s data repeated before the server took it, with loss seen elsewhere, a duplicate ACK, or neither a SYN cookie nor a queue in use: the path lost it',
    when: (f, c) => yes(dataRepeated(f) && (pathLoss(c) || (!cookie(f) && !queueInUse(f)) || f.srvDupAckFrame > 0)),
    evidence: (f, c) => ({
      frames: handshakeFrames(f, f.srvAckedDataFrame),
      flags: cookie(f) ? SYN_COOKIE : undefined,
      n: [f.cliDataRetx + 1, f.srvAckedDataT - f.cliDataT, c.lossFrame || f.srvDupAckFrame],
    }),
  },
  {
    id: 'cookie-ack-dropped',
    verdict: 'established',
    shows: 'the client\'s data repeated before the server took it, after a SYN cookie or while others waited to be accepted, with no loss seen: the full accept queue dropped the ACK (flag backlog-drop)',
    when: (f, c) => yes(dataRepeated(f) && !pathLoss(c) && (cookie(f) || queueInUse(f)) && !f.srvDupAckFrame),
    evidence: (f) => ({
      frames: handshakeFrames(f, f.srvAckedDataFrame),
      flags: cookie(f) ? ['syn-cookie', 'backlog-drop'] : BACKLOG_DROP,
      n: [f.cliDataRetx + 1, f.srvAckedDataT - f.cliDataT, cookie(f) ? 1 : 0, f.busyAtAck],
    }),
  },
  {
    id: 'established',
    verdict: 'established',
    shows: 'SYN, SYN-ACK, the client\'s ACK (flag backlog-drop when SYNs were repeated while the listener answered or held others and no loss was seen)',
    when: (f) => yes(handshake(f)),
    evidence: (f, c) => {
      const retried = f.synsAtAnswer > 1;
      const queueEvidence = c.aliveCount > 0 || f.busySyns > 0;
      const delayed = retried && queueEvidence && !pathLoss(c);
      const flags: Flag[] = [];
      if (cookie(f)) flags.push('syn-cookie');
      if (delayed) flags.push('backlog-drop');
      if (f.cliDataFrame && !accepted(f) && c.now - f.cliDataT >= c.timeout && !f.oneSided) flags.push('data-unacked');
      return {
        frames: handshakeFrames(f),
        flags: flags.length ? flags : NO_FLAGS,
        n: [f.oneSided ? -1 : f.synAckT - f.synBeforeAckT, delayed ? f.synsAtAnswer - 1 : -1, retried && queueEvidence && pathLoss(c) ? 1 : 0, c.lossFrame],
      };
    },
  },
  {
    id: 'client-ended',
    verdict: 'aborted',
    shows: 'a SYN-ACK, then the client\'s RST or FIN instead of its ACK: a half-open scan, or a client that had timed out',
    when: (f) => yes(synAckOnly(f) && (f.cliRstT >= 0 || f.cliFinFrame > 0)),
    evidence: (f) => ({ frames: [f.synFrames[0], f.synAckFrame, f.cliRstT >= 0 ? f.cliRstFrame : f.cliFinFrame], n: [f.cliRstT >= 0 ? 1 : 0] }),
  },
  {
    id: 'no-ack',
    verdict: 'aborted',
    shows: 'a SYN-ACK and no ACK from the client for the handshake timeout',
    when: (f, c) => yes(synAckOnly(f) && f.cliRstT < 0 && !f.cliFinFrame && c.now - f.synAckT >= c.timeout),
    evidence: (f, c) => ({ frames: [f.synFrames[0], f.synAckFrame], n: [f.synAckCount, c.timeout] }),
  },
  {
    id: 'incomplete-after-synack',
    verdict: 'incomplete',
    shows: 'a SYN-ACK, then the capture ended before the client\'s ACK or the timeout',
    when: (f, c) => (synAckOnly(f) && f.cliRstT < 0 && !f.cliFinFrame && c.now - f.synAckT < c.timeout ? (c.final ? YES : WAIT) : NO),
    evidence: (f, c) => ({ frames: [f.synFrames[0], f.synAckFrame], n: [c.now - f.synAckT] }),
  },
  // No SYN-ACK: a RST in the server's name.
  {
    id: 'forged-evidence',
    verdict: 'forged-reset',
    shows: 'a RST whose TTL the server host\'s own packets never carry, or after which the server kept sending',
    when: (f, c) => yes(!answered(f) && f.rstT >= 0 && (ttlEvidence(c) || f.srvAfterRstFrame > 0)),
    evidence: (f, c) => ({
      frames: [f.synFrames[0], f.rstFrame, f.srvAfterRstFrame],
      flags: ttlEvidence(c) ? TTL_MISMATCH : undefined,
      n: [f.rstTtl, c.serverTtl, f.srvAfterRstFrame, (ttlEvidence(c) ? TTL_EVIDENCE : 0) | (labelEvidence(f, c) ? LABEL_EVIDENCE : 0)],
    }),
  },
  {
    id: 'refused',
    verdict: 'refused',
    shows: 'a RST acknowledging the SYN, with the TTL of the server host\'s own packets (or nothing to compare it with: the reason says so)',
    when: (f, c) => yes(!answered(f) && f.rstT >= 0 && !ttlEvidence(c) && !f.srvAfterRstFrame),
    evidence: (f, c) => ({ frames: [...f.synFrames, f.rstFrame], n: [f.synCount, f.rstTtl, c.serverTtlPackets > 0 ? 1 : 0, labelEvidence(f, c) ? 1 : 0] }),
  },
  // No SYN-ACK, no RST: an ICMP error quoting the SYN.
  {
    id: 'icmp-rejected',
    verdict: 'rejected',
    shows: 'ICMP / ICMPv6 destination unreachable, administratively prohibited or port unreachable (flag partial-quote when the snap length cut the quote)',
    when: (f) => yes(unanswered(f) && icmpVerdict(f) === 'rejected'),
    evidence: (f) => ({ frames: [f.synFrames[0], f.icmpFrame], flags: f.icmpPartial ? PARTIAL_QUOTE : undefined, n: [f.icmpPartial ? 1 : 0] }),
  },
  {
    id: 'icmp-unreachable',
    verdict: 'unreachable',
    shows: 'ICMP / ICMPv6 host, net or address unreachable',
    when: (f) => yes(unanswered(f) && icmpVerdict(f) === 'unreachable'),
    evidence: (f) => ({ frames: [f.synFrames[0], f.icmpFrame], flags: f.icmpPartial ? PARTIAL_QUOTE : undefined, n: [f.icmpPartial ? 1 : 0] }),
  },
  {
    id: 'client-reset-syn',
    verdict: 'aborted',
    shows: 'the client reset its own SYN before any answer',
    when: (f) => yes(unanswered(f) && icmpVerdict(f) === null && f.cliRstT >= 0),
    evidence: (f) => ({ frames: [f.synFrames[0], f.cliRstFrame] }),
  },
  // Nothing answered for the handshake timeout.
  {
    id: 'one-sided-stopped',
    verdict: 'incomplete',
    shows: 'one SYN and silence, in a capture without the server\'s direction: a client stops like that after a RST or an ICMP error, so refused or rejected cannot be told',
    when: (f, c) => yes(silentForTimeout(f, c) && c.oneSided && f.synCount === 1),
    evidence: (f, c) => ({ frames: f.synFrames, flags: ONE_SIDED, n: [waitedSinceSyn(f, c)] }),
  },
  {
    id: 'icmp-unreadable',
    verdict: 'incomplete',
    shows: 'one SYN and silence, and an ICMP error to the client whose quote the snap length cut before the ports',
    when: (f, c) => yes(silentForTimeout(f, c) && !c.oneSided && c.unreadableIcmp > 0 && f.synCount === 1),
    evidence: (f, c) => ({ frames: [f.synFrames[0], c.unreadableIcmp], n: [waitedSinceSyn(f, c), c.unreadableIcmp] }),
  },
  {
    id: 'rate-limited',
    verdict: 'rejected',
    shows: 'no answer while the same endpoint\'s other attempts were rejected by ICMP: the same REJECT rule, its ICMP errors rate-limited (flag icmp-rate-limited)',
    when: (f, c) => yes(silentForTimeout(f, c) && !(c.oneSided && f.synCount === 1) && !(c.unreadableIcmp > 0 && f.synCount === 1) && c.rejects > 0),
    evidence: (f, c) => ({ frames: [...f.synFrames, c.rejectFrame], flags: RATE_LIMITED, n: [f.synCount, waitedSinceSyn(f, c), c.rejects] }),
  },
  {
    id: 'backlog-unanswered',
    verdict: 'backlog-drop',
    shows: 'SYNs unanswered for the timeout while the same listener answered others or held others in its queues',
    when: (f, c) => yes(silentForTimeout(f, c) && !(c.oneSided && f.synCount === 1) && !(c.unreadableIcmp > 0 && f.synCount === 1) && c.rejects === 0 && (c.aliveCount > 0 || c.busy)),
    evidence: (f, c) => ({
      frames: [...f.synFrames, c.aliveFrame],
      flags: c.oneSided ? BACKLOG_ONE_SIDED : BACKLOG_DROP,
      n: [f.synCount, waitedSinceSyn(f, c), c.aliveCount, c.queuedOthers],
    }),
  },
  {
    id: 'filtered-one-sided',
    verdict: 'filtered',
    shows: 'SYNs retransmitted for the timeout, in a capture without the server\'s direction: no answer reached the client',
    when: (f, c) => yes(silentForTimeout(f, c) && c.oneSided && f.synCount > 1 && c.rejects === 0 && !(c.aliveCount > 0 || c.busy)),
    evidence: (f, c) => ({ frames: f.synFrames, flags: ONE_SIDED, n: [f.synCount, waitedSinceSyn(f, c)] }),
  },
  {
    id: 'filtered',
    verdict: 'filtered',
    shows: 'the SYN and its retransmissions got no reply at all for the handshake timeout, and the endpoint showed no life meanwhile',
    when: (f, c) => yes(silentForTimeout(f, c) && !c.oneSided && !(c.unreadableIcmp > 0 && f.synCount === 1) && c.rejects === 0 && !(c.aliveCount > 0 || c.busy)),
    evidence: (f, c) => ({ frames: f.synFrames, n: [f.synCount, waitedSinceSyn(f, c)] }),
  },
  {
    id: 'incomplete-syn',
    verdict: 'incomplete',
    shows: 'the capture ended before an answer or the handshake timeout',
    when: (f, c) => (unanswered(f) && icmpVerdict(f) === null && f.cliRstT < 0 && c.now - f.t0 < c.timeout ? (c.final ? YES : WAIT) : NO),
    evidence: (f, c) => ({ frames: f.synFrames, n: [waitedSinceSyn(f, c), c.timeout] }),
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

/** A rule's number in the table (1-based: 0 means no decision), as attempts store it. */
export const RULE_NUMBER = Object.fromEntries(RULES.map((r, i) => [r.id, i + 1])) as Readonly<Record<RuleId, number>>;

/** The id of the rule an attempt's stored number names ('' for 0: not decided). */
export function ruleIdOf(n: number): RuleId | '' {
  return n >= 1 && n <= RULES.length ? RULES[n - 1].id : '';
}
