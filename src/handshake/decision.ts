/**
 * A decision written into its attempt: the verdict, flags, reason numbers and evidence frames of
 * the first rule whose guard held (verdict/classify.ts), `late-answer` when it revises an earlier
 * verdict, the rejection a rate-limited attempt quotes, and the endpoint's queue count once the
 * client gave up on a SYN-ACK. The engine says when to decide; this is what deciding does.
 */
import type { Verdict } from '../model/verdict.js';
import type { Decision } from '../verdict/classify.js';
import type { Attempt } from './attempt.js';
import { Queued, setQueued, type EndpointEntry } from './evidence.js';

/**
 * Writes `d` into `a` at capture time `now`. Returns the verdict it replaces (a revision), null
 * for a first decision, or undefined when the verdict is the one already reported.
 */
export function applyDecision(a: Attempt, d: Decision, now: number): Verdict | null | undefined {
  const previous = a.decided ? a.verdict : null;
  // (A new list: d.flags may be the shared empty one.)
  if (previous !== null && previous !== d.verdict && !d.flags.includes('late-answer')) d.flags = [...d.flags, 'late-answer'];
  a.decided = true;
  a.verdict = d.verdict;
  a.flags = d.flags;
  a.why = d.why;
  a.why0 = d.w0;
  a.why1 = d.w1;
  a.why2 = d.w2;
  a.why3 = d.w3;
  a.frames = d.frames;
  if (d.rule === 'rate-limited' && a.endpoint) copyReject(a, a.endpoint);
  // The client gave up on a SYN-ACK (or the capture ended): the server's request leaves its queue count.
  if (a.queued === Queued.SYN_RCVD && (d.verdict === 'aborted' || d.verdict === 'incomplete')) setQueued(a, Queued.NONE, now);
  if (previous === null) return null;
  if (previous === d.verdict) return undefined;
  a.revised = true;
  return previous;
}

/** A rate-limited attempt quotes the rejection its neighbours got (for its report and reason). */
function copyReject(a: Attempt, ep: EndpointEntry): void {
  a.icmpFamily = ep.rejectFamily;
  a.icmpType = ep.rejectType;
  a.icmpCode = ep.rejectCode;
  const w = ep.rejectSender;
  a.icmpSender = [w[0], w[1], w[2], w[3]];
}
