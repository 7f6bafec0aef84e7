/**
 * What a decision writes into its attempt (handshake/decision.ts), from plain Decision objects:
 * a first verdict, the same verdict again, a revision, the rejection a rate-limited attempt
 * quotes, and the queue count a client that gave up leaves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAttempt } from '../src/handshake/attempt.js';
import { applyDecision } from '../src/handshake/decision.js';
import { EndpointEntry, Queued, setQueued } from '../src/handshake/evidence.js';
import type { Decision } from '../src/verdict/classify.js';
import type { Flag, Verdict } from '../src/model/verdict.js';
import type { RuleId } from '../src/verdict/rules.js';
import { decisionFlags, NO_FLAGS } from '../src/verdict/flags.js';

function decision(verdict: Verdict, rule: RuleId, flags: Flag[] = []): Decision {
  return { verdict, rule, flags, why: 7, w0: 1, w1: 2, w2: 3, w3: 4, frames: [5, 9] };
}

test('a first decision is written in full and reported as new (null)', () => {
  const a = blankAttempt();
  assert.equal(applyDecision(a, decision('filtered', 'filtered'), 10), null);
  assert.equal(a.decided, true);
  assert.equal(a.verdict, 'filtered');
  assert.deepEqual([a.why, a.why0, a.why1, a.why2, a.why3], [7, 1, 2, 3, 4]);
  assert.deepEqual(a.frames, [5, 9]);
  assert.deepEqual(a.flags, []);
  assert.equal(a.revised, false);
});

test('the same verdict again is no event (undefined) and no late-answer', () => {
  const a = blankAttempt();
  applyDecision(a, decision('refused', 'refused'), 1);
  const again = decision('refused', 'refused');
  assert.equal(applyDecision(a, again, 2), undefined);
  assert.deepEqual(a.flags, []);
  assert.equal(a.revised, false);
});

test('a revision returns the verdict it replaces, flags late-answer once and marks the attempt revised', () => {
  const a = blankAttempt();
  applyDecision(a, decision('filtered', 'filtered'), 4);
  const d = decision('established', 'established', ['late-answer']);
  assert.equal(applyDecision(a, d, 9), 'filtered');
  assert.equal(a.verdict, 'established');
  assert.deepEqual(a.flags, ['late-answer'], 'not added twice');
  assert.equal(a.revised, true);
  const b = blankAttempt();
  applyDecision(b, decision('filtered', 'filtered'), 4);
  applyDecision(b, decision('refused', 'refused'), 9);
  assert.deepEqual(b.flags, ['late-answer']);
});

test('a rate-limited attempt quotes the rejection its endpoint last saw', () => {
  const a = blankAttempt();
  const ep = new EndpointEntry();
  ep.rejectFamily = 4;
  ep.rejectType = 3;
  ep.rejectCode = 3;
  ep.rejectSender.set([0xcb007101, 0, 0, 0]);
  a.endpoint = ep;
  applyDecision(a, decision('rejected', 'rate-limited', ['icmp-rate-limited']), 3);
  assert.deepEqual([a.icmpFamily, a.icmpType, a.icmpCode], [4, 3, 3]);
  assert.deepEqual(a.icmpSender, [0xcb007101, 0, 0, 0]);
  const other = blankAttempt();
  other.endpoint = ep;
  applyDecision(other, decision('rejected', 'icmp-rejected'), 3);
  assert.equal(other.icmpFamily, 0, 'only the rate-limited rule copies it');
});

test('a client that gave up on a SYN-ACK leaves its endpoint\'s queue count; an established one stays in it', () => {
  const ep = new EndpointEntry();
  const gaveUp = blankAttempt();
  gaveUp.endpoint = ep;
  setQueued(gaveUp, Queued.SYN_RCVD, 1);
  const done = blankAttempt();
  done.endpoint = ep;
  setQueued(done, Queued.SYN_RCVD, 1);
  assert.equal(ep.synRcvd, 2);
  applyDecision(gaveUp, decision('aborted', 'no-ack'), 5);
  assert.equal(gaveUp.queued, Queued.NONE);
  assert.equal(ep.synRcvd, 1);
  assert.equal(ep.idleSince === 5, false, 'the other is still queued');
  applyDecision(done, decision('established', 'established'), 6);
  assert.equal(done.queued, Queued.SYN_RCVD);
  assert.equal(ep.synRcvd, 1);
});

test('a revision of an attempt decided without flags gets a list of its own: the shared empty one stays empty', () => {
  const a = blankAttempt();
  applyDecision(a, decision('filtered', 'filtered', NO_FLAGS), 1);
  assert.equal(a.flags, NO_FLAGS);
  // decisionFlags hands out the same frozen list to every decision without a flag.
  assert.equal(decisionFlags(blankAttempt()), NO_FLAGS);
  assert.equal(applyDecision(a, decision('established', 'established', decisionFlags(blankAttempt())), 2), 'filtered');
  assert.deepEqual(a.flags, ['late-answer']);
  assert.equal(NO_FLAGS.length, 0);
  assert.ok(Object.isFrozen(NO_FLAGS));
});
