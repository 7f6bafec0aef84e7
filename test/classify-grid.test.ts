/**
 * The verdict rules as a grid of facts x expected decision (smoltcp's socket tests in spirit):
 * each row builds an attempt's recorded evidence and the context around it by hand, with no
 * packets, and states the verdict, the flags that must and must not be there, and the sentence
 * (the rule, whose id is the report's reasonCode) that decides it. One row per rule and per precedence pair between rules; a rule taken
 * out, or two swapped, fails a row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blankAttempt, type Attempt } from '../src/handshake/attempt.js';
import { classify } from '../src/verdict/classify.js';
import type { ClassifyContext } from '../src/verdict/context.js';
import { RULES, type RuleId } from '../src/verdict/rules.js';
import type { Flag, Verdict } from '../src/model/verdict.js';

type Facts = Partial<Record<keyof Attempt, unknown>>;

/** An attempt: one SYN at t = 0 (frame 1), ISN 1000, nothing else, then `facts` on top. */
function attempt(facts: Facts): Attempt {
  const a = blankAttempt();
  a.version = 4;
  a.isn = 1000;
  a.synFrames = [1];
  a.history = 'S';
  Object.assign(a, facts);
  return a;
}

/** The context of a quiet capture at `now`: no baseline, nothing else at the endpoint. */
function context(c: Partial<ClassifyContext> = {}): ClassifyContext {
  return {
    now: 10, final: false, timeout: 3, serverTtl: -1, serverTtlPackets: 0, rstTtlSeen: false, serverLabelZero: 0, serverLabelNonZero: 0,
    aliveCount: 0, aliveFrame: 0, busy: false, queuedOthers: 0, loss: false, lossFrame: 0, oneSided: false, rejects: 0, rejectFrame: 0,
    unreadableIcmp: 0, atServer: false, ...c,
  };
}

/** A SYN-ACK (frame 2) 10 ms after the SYN. */
const SYNACK: Facts = { synAckT: 0.01, synAckFrame: 2, synAckCount: 1, serverIsn: 5000, synAckTtl: 63, synsAtAnswer: 1, aliveAtAnswer: 0 };
/** ...and the client's ACK (frame 3). */
const HANDSHAKE: Facts = { ...SYNACK, ackT: 0.011, ackFrame: 3, busyAtAck: 0 };
/** ...and data the server took (it acknowledged it, frame 5). */
const TAKEN: Facts = { ...HANDSHAKE, cliDataFrame: 4, cliDataT: 0.012, srvAckedDataFrame: 5, srvAckedDataT: 0.013 };
const RST: Facts = { rstT: 0.001, rstFrame: 2, rstTtl: 63, rstHasAck: true };
const PORT_UNREACH: Facts = { icmpT: 0.001, icmpFrame: 2, icmpFamily: 4, icmpType: 3, icmpCode: 3, icmpSender: [0xcb007114, 0, 0, 0] };
const HOST_UNREACH: Facts = { ...PORT_UNREACH, icmpCode: 1 };
/** Three SYNs, retransmitted at 1 s and 3 s, all unanswered. */
const RETRIED: Facts = { synCount: 3, synFrames: [1, 2, 3], lastSynT: 3, prevSynT: 1 };

interface Row {
  rule: string;
  facts: Facts;
  ctx?: Partial<ClassifyContext>;
  /** null: not decided yet. */
  verdict: Verdict | null;
  /** The rule that must decide it (its id: the report's reasonCode). */
  why?: RuleId;
  flags?: Flag[];
  not?: Flag[];
}

const rows: Row[] = [
  // Answers to the SYN, and which wins
  { rule: 'SYN-ACK, ACK, data taken: established', facts: TAKEN, verdict: 'established', why: 'established', not: ['backlog-drop'] },
  { rule: 'RST acknowledging the SYN, same TTL as the host: refused', facts: RST, ctx: { serverTtl: 63, serverTtlPackets: 5, rstTtlSeen: true }, verdict: 'refused', why: 'refused' },
  { rule: 'RST with nothing to compare its TTL with: refused (the reason says so)', facts: RST, verdict: 'refused', why: 'refused' },
  { rule: 'RST whose TTL the host never sends with: forged-reset', facts: RST, ctx: { serverTtl: 63, serverTtlPackets: 5, rstTtlSeen: false }, verdict: 'forged-reset', why: 'forged-evidence', flags: ['ttl-mismatch'] },
  { rule: 'the server kept sending after "its" RST: forged-reset', facts: { ...RST, srvAfterRstFrame: 9 }, verdict: 'forged-reset', why: 'forged-evidence' },
  { rule: 'precedence: a RST and a SYN-ACK for the same SYN: forged-reset (a host sends one or the other)', facts: { ...SYNACK, ...RST }, verdict: 'forged-reset', why: 'forged-race' },
  { rule: 'precedence: a RST beats an ICMP error about the same SYN', facts: { ...PORT_UNREACH, ...RST, rstT: 0.002 }, verdict: 'refused', why: 'refused' },
  { rule: 'ICMP port unreachable: rejected', facts: PORT_UNREACH, verdict: 'rejected', why: 'icmp-rejected', not: ['partial-quote'] },
  { rule: 'ICMP host unreachable: unreachable', facts: HOST_UNREACH, verdict: 'unreachable', why: 'icmp-unreachable' },
  { rule: 'ICMP quote cut by the snap length: rejected, partial-quote', facts: { ...PORT_UNREACH, icmpPartial: true }, verdict: 'rejected', why: 'icmp-rejected', flags: ['partial-quote'] },
  { rule: 'precedence: an ICMP error beats the client giving up', facts: { ...PORT_UNREACH, cliRstT: 0.5, cliRstFrame: 3 }, verdict: 'rejected', why: 'icmp-rejected' },
  { rule: 'the client reset its own SYN: aborted', facts: { cliRstT: 0.5, cliRstFrame: 2 }, verdict: 'aborted', why: 'client-reset-syn' },
  // Nothing came back
  { rule: 'nothing for the timeout, nothing at the endpoint: filtered', facts: RETRIED, verdict: 'filtered', why: 'filtered', not: ['backlog-drop'] },
  { rule: 'before the timeout: undecided', facts: RETRIED, ctx: { now: 2 }, verdict: null },
  { rule: 'the capture ends before the timeout: incomplete', facts: {}, ctx: { now: 2, final: true }, verdict: 'incomplete', why: 'incomplete-syn' },
  { rule: 'unanswered while the endpoint answered others: backlog-drop', facts: RETRIED, ctx: { aliveCount: 4, aliveFrame: 7 }, verdict: 'backlog-drop', why: 'backlog-unanswered', flags: ['backlog-drop'] },
  { rule: 'unanswered while the endpoint held connections it never served (full accept queue): backlog-drop', facts: RETRIED, ctx: { busy: true, queuedOthers: 2 }, verdict: 'backlog-drop', why: 'backlog-unanswered' },
  { rule: 'unanswered while neighbours were rejected by ICMP: rejected, icmp-rate-limited', facts: RETRIED, ctx: { rejects: 6, rejectFrame: 8 }, verdict: 'rejected', why: 'rate-limited', flags: ['icmp-rate-limited'] },
  { rule: 'precedence: rate-limited rejection beats a busy endpoint', facts: RETRIED, ctx: { rejects: 6, rejectFrame: 8, aliveCount: 3 }, verdict: 'rejected', why: 'rate-limited' },
  { rule: 'one SYN and silence, server direction missing: incomplete (refused or rejected, cannot tell)', facts: {}, ctx: { oneSided: true }, verdict: 'incomplete', why: 'one-sided-stopped', flags: ['one-sided'] },
  { rule: 'retried, server direction missing: filtered, one-sided', facts: RETRIED, ctx: { oneSided: true }, verdict: 'filtered', why: 'filtered-one-sided', flags: ['one-sided'] },
  { rule: 'precedence: one-sided beats rate-limited for a single SYN', facts: {}, ctx: { oneSided: true, rejects: 6 }, verdict: 'incomplete', why: 'one-sided-stopped' },
  { rule: 'one SYN, then an ICMP error cut before its ports came to the client: incomplete', facts: {}, ctx: { unreadableIcmp: 4 }, verdict: 'incomplete', why: 'icmp-unreadable' },
  { rule: 'retried despite an unreadable ICMP error: still filtered', facts: RETRIED, ctx: { unreadableIcmp: 4 }, verdict: 'filtered', why: 'filtered' },
  // After the SYN-ACK
  { rule: 'SYN-ACK and no ACK for the timeout: aborted', facts: SYNACK, verdict: 'aborted', why: 'no-ack' },
  { rule: 'SYN-ACK, then the client resets: aborted', facts: { ...SYNACK, cliRstT: 0.02, cliRstFrame: 3 }, verdict: 'aborted', why: 'client-ended' },
  { rule: 'SYN-ACK and the capture ends: incomplete', facts: SYNACK, ctx: { now: 1, final: true }, verdict: 'incomplete', why: 'incomplete-after-synack' },
  { rule: 'the handshake proven by the client\'s ACK alone: established, one-sided', facts: { ...HANDSHAKE, synAckFrame: 0, oneSided: true, cliDataFrame: 4, cliDataT: 0.012 }, verdict: 'established', flags: ['one-sided'], not: ['backlog-drop', 'data-unacked'] },
  // After the handshake: a full queue, or the application, or the path
  { rule: 'bare RST right after the ACK, nothing before it: backlog-drop (tcp_abort_on_overflow)', facts: { ...HANDSHAKE, rstT: 0.012, rstFrame: 4, rstAfterAck: true, rstHasAck: false }, verdict: 'backlog-drop', why: 'abort-on-overflow' },
  { rule: 'RST with the ACK flag after the ACK: established (the application reset it)', facts: { ...HANDSHAKE, rstT: 0.012, rstFrame: 4, rstAfterAck: true, rstHasAck: true }, verdict: 'established', why: 'app-reset', not: ['backlog-drop'] },
  { rule: 'bare RST after the server\'s FIN: established (data sent to a closed socket)', facts: { ...HANDSHAKE, srvFinFrame: 4, rstT: 0.02, rstFrame: 6, rstAfterAck: true, rstHasAck: false }, verdict: 'established', why: 'app-closed-reset' },
  { rule: 'bare RST long after the handshake: established (the server lost the connection)', facts: { ...HANDSHAKE, rstT: 30, rstFrame: 6, rstAfterAck: true, rstHasAck: false }, verdict: 'established', why: 'late-reset' },
  { rule: 'SYN-ACK repeated after the ACK, data taken later: established, backlog-drop', facts: { ...TAKEN, synAckCount: 2, synAckAfterAckFrame: 6 }, verdict: 'established', why: 'late-synack-retx', flags: ['backlog-drop'] },
  { rule: 'the same with loss on the path and no queue in use: established, no flag (the ACK was lost)', facts: { ...TAKEN, synAckCount: 2, synAckAfterAckFrame: 6 }, ctx: { loss: true, lossFrame: 9 }, verdict: 'established', why: 'ack-lost', not: ['backlog-drop'] },
  { rule: 'SYN-ACK repeated after the ACK and the connection never taken: backlog-drop', facts: { ...HANDSHAKE, synAckCount: 2, synAckAfterAckFrame: 6, lastT: 2 }, verdict: 'backlog-drop', why: 'final-ack-dropped' },
  { rule: 'precedence: a SYN-ACK repeated after the ACK beats a later RST (the request expired)', facts: { ...HANDSHAKE, synAckCount: 2, synAckAfterAckFrame: 6, rstT: 8, rstFrame: 9, rstAfterAck: true, lastT: 8 }, ctx: { now: 8.5 }, verdict: 'backlog-drop', why: 'final-ack-dropped' },
  { rule: 'data never acknowledged for the timeout: backlog-drop, data-unacked', facts: { ...HANDSHAKE, cliDataFrame: 4, cliDataT: 0.012, cliDataRetx: 3, lastT: 1 }, verdict: 'backlog-drop', why: 'data-unacked', flags: ['data-unacked'] },
  { rule: 'capture ends 0.2 ms after the client\'s data: established, no accusation', facts: { ...HANDSHAKE, cliDataFrame: 4, cliDataT: 0.0112, lastT: 0.0112 }, ctx: { now: 0.0114, final: true }, verdict: 'established', not: ['backlog-drop', 'data-unacked'] },
  { rule: 'data repeated until the server took it, SYN cookie: established, backlog-drop', facts: { ...TAKEN, synAckOptMask: 1, cliDataRetx: 3, srvAckedDataT: 1.5 }, verdict: 'established', why: 'cookie-ack-dropped', flags: ['backlog-drop', 'syn-cookie'] },
  { rule: 'data repeated until taken, another connection waiting to be accepted: established, backlog-drop', facts: { ...TAKEN, cliDataRetx: 2, srvAckedDataT: 0.6, busyAtAck: 3 }, verdict: 'established', why: 'cookie-ack-dropped', flags: ['backlog-drop'] },
  { rule: 'data repeated until taken, no cookie, nothing queued: established, no flag (the path lost it)', facts: { ...TAKEN, cliDataRetx: 2, srvAckedDataT: 0.6 }, verdict: 'established', why: 'cookie-or-loss', not: ['backlog-drop'] },
  { rule: 'data repeated, the server had ACKed short of it: established, no flag (a lost segment)', facts: { ...TAKEN, synAckOptMask: 1, cliDataRetx: 2, srvAckedDataT: 0.6, srvDupAckFrame: 7 }, verdict: 'established', why: 'cookie-or-loss', not: ['backlog-drop'] },
  { rule: 'SYN retransmitted while the endpoint answered others: established, backlog-drop', facts: { ...TAKEN, synCount: 2, synsAtAnswer: 2, aliveAtAnswer: 5 }, ctx: { aliveCount: 5 }, verdict: 'established', why: 'established', flags: ['backlog-drop', 'syn-retransmit'] },
  { rule: 'SYN retransmitted while others waited in the queues: established, backlog-drop', facts: { ...TAKEN, synCount: 2, synsAtAnswer: 2, busySyns: 1 }, verdict: 'established', flags: ['backlog-drop'] },
  { rule: 'SYN retransmitted, the endpoint idle: established, no flag', facts: { ...TAKEN, synCount: 2, synsAtAnswer: 2 }, verdict: 'established', flags: ['syn-retransmit'], not: ['backlog-drop'] },
  { rule: 'SYN retransmitted while the endpoint was busy but loss was seen: established, no flag', facts: { ...TAKEN, synCount: 2, synsAtAnswer: 2 }, ctx: { aliveCount: 5, loss: true, lossFrame: 9 }, verdict: 'established', not: ['backlog-drop'] },
  { rule: 'the same on the server\'s own capture (the SYN arrived and was ignored): established, backlog-drop', facts: { ...TAKEN, synCount: 2, synsAtAnswer: 2 }, ctx: { aliveCount: 5, loss: true, lossFrame: 9, atServer: true }, verdict: 'established', flags: ['backlog-drop'] },
  { rule: 'data repeated until taken, queue in use, loss seen, on the server\'s capture: established, backlog-drop', facts: { ...TAKEN, cliDataRetx: 2, srvAckedDataT: 0.6, busyAtAck: 3 }, ctx: { loss: true, lossFrame: 9, atServer: true }, verdict: 'established', why: 'cookie-ack-dropped', flags: ['backlog-drop'] },
  { rule: 'a FIN (no data) never acknowledged for the timeout: backlog-drop, data-unacked', facts: { ...HANDSHAKE, cliFinFrame: 4, cliFinT: 0.012, cliFinRetx: 3, lastT: 1 }, verdict: 'backlog-drop', why: 'data-unacked', flags: ['data-unacked'] },
];

for (const r of rows) {
  test(`rule: ${r.rule}`, () => {
    const d = classify(attempt(r.facts), context(r.ctx));
    if (r.verdict === null) { assert.equal(d, null); return; }
    assert.ok(d, 'decided');
    assert.equal(d.verdict, r.verdict);
    if (r.why !== undefined) assert.equal(d.rule, r.why);
    for (const f of r.flags ?? []) assert.ok(d.flags.includes(f), `flag ${f} in ${d.flags.join()}`);
    for (const f of r.not ?? []) assert.ok(!d.flags.includes(f), `no flag ${f} in ${d.flags.join()}`);
  });
}

test('every rule has a row (a new rule needs a row that tests it)', () => {
  const tested = new Set(rows.map((r) => r.why).filter((w) => w !== undefined));
  assert.deepEqual(RULES.map((r) => r.id).filter((id) => !tested.has(id)), []);
});
