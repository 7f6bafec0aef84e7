/**
 * Bounded memory without changed verdicts: attempts beyond --max-attempts that saw only their
 * SYNs are parked in compact form and decided on time; established connections the server took
 * shrink to a small record once reported. Each test compares against the same packets analysed
 * with room to spare, so a change in any verdict, flag, frame or count shows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analysis, type AnalyzeOptions } from '../src/analyze.js';
import type { Report } from '../src/report/model.js';
import { ipTcp } from './helpers/packets.js';
import { mulberry32 } from './helpers/prng.js';
import { runScenario, type Step } from './helpers/scenario.js';

const S = '203.0.113.20';
/** Steps are sorted by time first (the scenarios below are built out of order). */
function run(steps: Step[], opts: AnalyzeOptions = {}, probe?: (an: Analysis) => void): { report: Report; an: Analysis } {
  return runScenario(steps.sort((x, y) => x.t - y.t), opts, probe);
}

const client = (i: number) => `198.51.100.${1 + (i % 200)}`;
const sport = (i: number) => 20000 + i;
const isn = (i: number) => (i * 7919 + 1000) >>> 0;

function syn(t: number, i: number, dport = 80): Step {
  return { t, pkt: ipTcp({ src: client(i), dst: S, sport: sport(i), dport, seq: isn(i), flags: 'S', ttl: 64, options: { mss: 1460, sackOk: true, ts: [1, 0], wscale: 7 } }) };
}

/** A complete connection: SYN, SYN-ACK, ACK, request, response, then both FINs `closeAfter` later. */
function connection(t: number, i: number, closeAfter = 1): Step[] {
  const c = client(i);
  const p = sport(i);
  const s = 900_000 + i;
  return [
    syn(t, i),
    { t: t + 0.001, pkt: ipTcp({ src: S, dst: c, sport: 80, dport: p, seq: s, ack: isn(i) + 1, flags: 'SA', ttl: 63, options: { mss: 1460 } }) },
    { t: t + 0.002, pkt: ipTcp({ src: c, dst: S, sport: p, dport: 80, seq: isn(i) + 1, ack: s + 1, flags: 'A', ttl: 64 }) },
    { t: t + 0.003, pkt: ipTcp({ src: c, dst: S, sport: p, dport: 80, seq: isn(i) + 1, ack: s + 1, flags: 'PA', ttl: 64, payload: Buffer.from('GET') }) },
    { t: t + 0.004, pkt: ipTcp({ src: S, dst: c, sport: 80, dport: p, seq: s + 1, ack: isn(i) + 4, flags: 'PA', ttl: 63, payload: Buffer.from('200') }) },
    { t: t + closeAfter, pkt: ipTcp({ src: c, dst: S, sport: p, dport: 80, seq: isn(i) + 4, ack: s + 4, flags: 'FA', ttl: 64 }) },
    { t: t + closeAfter + 0.001, pkt: ipTcp({ src: S, dst: c, sport: 80, dport: p, seq: s + 4, ack: isn(i) + 5, flags: 'FA', ttl: 63 }) },
  ];
}

/**
 * Fails at the first attempt whose report differs, naming the fields. `serverTtl: false` skips
 * the server host's TTL, and `history: false` the history: a report is made once the attempts
 * before it are reported too, which is sooner when some of those left memory early, so the host's
 * TTL or a connection's closing letters may come after it.
 */
/**
 * What an attempt saw up to its final report: a full table makes that report earlier (its later
 * packets then belong to a settled record), so these go with `history`.
 */
const SEEN_UNTIL_REPORT = new Set(['history', 'end', 'durationMs', 'origPkts', 'origBytes', 'origIpBytes', 'respPkts', 'respBytes', 'respIpBytes', 'zeek']);

function sameAttempts(x: Report, y: Report, serverTtl = true, note = '', history = true): void {
  assert.equal(x.attempts.length, y.attempts.length, 'attempt count');
  const strip = (o: unknown) => serverTtl ? o : { ...(o as object), server: undefined };
  x.attempts.forEach((a, i) => {
    const b = y.attempts[i] as unknown as Record<string, unknown>;
    const diff = Object.entries(a).filter(([k]) => history || !SEEN_UNTIL_REPORT.has(k)).filter(([k, v]) => JSON.stringify(k === 'ttl' || k === 'hops' ? strip(v) : v) !== JSON.stringify(k === 'ttl' || k === 'hops' ? strip(b[k]) : b[k]));
    assert.deepEqual(diff, [], `attempt ${i} (client port ${a.client.port}) differs: ${JSON.stringify(diff.map(([k, v]) => [k, v, b[k]]))} ${note}`);
  });
}

function verdicts(r: Report): Record<string, number> {
  return Object.fromEntries(Object.entries(r.summary.verdicts).filter(([, n]) => n));
}

test('a SYN flood beyond --max-attempts is parked and still decided filtered, on time', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 600; i++) steps.push(syn(i / 600, i));
  steps.push(...connection(12, 5000)); // moves the clock past every SYN's timeout
  const { report, an } = run(steps, { maxAttempts: 150 });
  assert.deepEqual(verdicts(report), { established: 1, filtered: 600 });
  assert.ok(an.engine.stats.parked >= 400, `parked ${an.engine.stats.parked}`);
  assert.equal(an.engine.stats.evicted, 0);
  assert.ok(!report.summary.warnings.some((w) => /decided early/.test(w)), report.summary.warnings.join('\n'));
  // Same reports as with room for everyone.
  sameAttempts(report, run(steps, { maxAttempts: 1_000_000 }).report, false);
});

test('a parked attempt is restored when its answer comes, and parked ones still see the live listener', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 100; i++) steps.push(syn(i / 1000, i));
  // The first SYN is answered after every other has been parked.
  const c = client(0);
  steps.push({ t: 0.5, pkt: ipTcp({ src: S, dst: c, sport: 80, dport: sport(0), seq: 77, ack: isn(0) + 1, flags: 'SA', ttl: 63 }) });
  steps.push({ t: 0.501, pkt: ipTcp({ src: c, dst: S, sport: sport(0), dport: 80, seq: isn(0) + 1, ack: 78, flags: 'A', ttl: 64 }) });
  steps.push(...connection(12, 5000));
  const { report, an } = run(steps, { maxAttempts: 30 });
  const first = report.attempts.find((a) => a.client.port === sport(0))!;
  assert.equal(first.verdict, 'established');
  assert.equal(first.history.startsWith('ShA'), true, first.history);
  // The others went unanswered while the same listener completed a handshake: a full queue.
  assert.deepEqual(verdicts(report), { established: 2, 'backlog-drop': 99 });
  assert.ok(an.engine.stats.parked > 0);
  sameAttempts(report, run(steps, { maxAttempts: 1_000_000 }).report);
});

test('when the compact store is full too, the oldest are decided early and a warning says how many', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 200; i++) steps.push(syn(i / 1000, i));
  steps.push(...connection(12, 5000));
  const { report, an } = run(steps, { maxAttempts: 5 });
  const early = an.engine.stats.evicted;
  assert.ok(early > 0 && early < 200, `evicted ${early}`);
  assert.equal(report.summary.verdicts.incomplete, early);
  assert.equal(report.summary.verdicts.filtered, 200 - early);
  assert.ok(report.summary.warnings.some((w) => w.includes(`${early} attempt(s) were decided early`)), report.summary.warnings.join('\n'));
});

test('attempts a filter leaves out free their rows once let go: memory does not grow with them', () => {
  const steps: Step[] = [];
  // 400 connections to port 80, each closing 1 s after it opened; the analysis wants port 81 only.
  for (let i = 0; i < 400; i++) steps.push(...connection(i / 10, i, 1));
  let held: ReturnType<Analysis['engine']['held']> | undefined;
  const { report } = run(steps, { ports: [81] }, (an) => { held = an.engine.held(); });
  assert.equal(report.summary.attempts, 0);
  // No report will be made of them, so nothing but the table may hold their rows.
  assert.ok(held!.attempts < 100, JSON.stringify(held));
  assert.equal(held!.rows, held!.attempts, JSON.stringify(held));
});

test('established connections shrink to a small record once reported; their later packets are not midstream flows', () => {
  const steps: Step[] = [];
  // 400 connections over 40 s, each closing 60 s after it opened (long after its report).
  for (let i = 0; i < 400; i++) steps.push(...connection(i / 10, i, 60));
  let held: ReturnType<Analysis['engine']['held']> | undefined;
  const { report } = run(steps, {}, (an) => { held = an.engine.held(); });
  assert.deepEqual(verdicts(report), { established: 400 });
  assert.equal(report.summary.midstream, 0);
  // At the end (t = 99.9 s) the connections are small settled records, not full attempts, and a
  // closed one stays only 5 s after its FINs: the 50 that closed after t = 94.9 s (opened at 35 s
  // or later) are left.
  assert.equal(held!.settled, 50, JSON.stringify(held));
  assert.ok(held!.attempts < 50, JSON.stringify(held));
  // A new SYN on a settled connection's tuple with another ISN is a new attempt with port reuse.
  const reuse = [...connection(0, 1, 60), syn(30, 1)];
  reuse[reuse.length - 1] = { t: 30, pkt: ipTcp({ src: client(1), dst: S, sport: sport(1), dport: 80, seq: 424242, flags: 'S', ttl: 64 }) };
  reuse.push(...connection(40, 9));
  const r2 = run(reuse).report;
  assert.equal(r2.attempts.length, 3);
  assert.deepEqual(r2.attempts[1].flags.includes('port-reuse'), true, JSON.stringify(r2.attempts[1]));
});

test('a random mix analysed with a tiny table gives the same reports as with a large one', () => {
  const rnd = mulberry32(7);
  const steps: Step[] = [];
  for (let i = 0; i < 1500; i++) {
    const t = rnd() * 30;
    const kind = rnd();
    if (kind < 0.5) steps.push(...connection(t, i, 0.5 + rnd() * 20));
    else if (kind < 0.8) {
      steps.push(syn(t, i));
      if (rnd() < 0.5) steps.push({ t: t + 1, pkt: syn(t, i).pkt }); // a retransmission
    } else {
      steps.push(syn(t, i, 81));
      steps.push({ t: t + 0.001, pkt: ipTcp({ src: S, dst: client(i), sport: 81, dport: sport(i), seq: 0, ack: isn(i) + 1, flags: 'RA', ttl: 63 }) });
    }
  }
  steps.push(...connection(80, 9999));
  const small = run(steps.slice(), { maxAttempts: 500 });
  const large = run(steps.slice(), { maxAttempts: 1_000_000 });
  const st = small.an.engine.stats;
  assert.ok(st.parked > 0, 'the small table parked attempts');
  // Parking loses nothing; deciding early would. (Decided attempts forgotten before their linger
  // ends change no report here: no packet of theirs comes late enough to matter.)
  assert.equal(st.evicted, 0, JSON.stringify(st));
  assert.deepEqual(verdicts(small.report), verdicts(large.report));
  sameAttempts(small.report, large.report, false, JSON.stringify(st), false);
});

test('reading waits while the output is full (drain), so a slow pipe does not fill memory', async () => {
  const { readCapture } = await import('../src/capture/reader.js');
  const file = new URL('../../fixtures/backlog-synq-v4-client.pcap', import.meta.url).pathname;
  let records = 0;
  let waiting = false;
  let waits = 0;
  let duringWait = 0;
  await readCapture(file, () => {
    records++;
    if (waiting) duringWait++;
  }, {
    chunkSize: 512,
    drain: () => {
      if (waits >= 3) return null;
      waits++;
      waiting = true;
      return new Promise<void>((resolve) => setTimeout(() => { waiting = false; resolve(); }, 20));
    },
  });
  assert.equal(waits, 3);
  assert.equal(duringWait, 0, 'no record was delivered while the output was full');
  assert.ok(records > 0);
});

test('attempts parked early (past parkAbove) keep absorbing their late SYN retransmissions: no extra attempts', () => {
  const rnd = mulberry32(11);
  const steps: Step[] = [];
  for (let i = 0; i < 800; i++) {
    const t = rnd() * 20;
    const kind = rnd();
    if (kind < 0.4) steps.push(...connection(t, i, 0.5 + rnd() * 5));
    else {
      // The SYN again after the 3 s verdict (a slow client back-off), then much later.
      for (const dt of [0, 5, 11]) steps.push({ t: t + dt, pkt: syn(t, i).pkt });
    }
  }
  steps.push(...connection(60, 9999));
  const soft = run(steps.slice(), { parkAbove: 30 });
  const plain = run(steps.slice());
  assert.ok(soft.an.engine.stats.parked > 100, `parked ${soft.an.engine.stats.parked}`);
  assert.equal(soft.report.summary.attempts, plain.report.summary.attempts);
  assert.deepEqual(verdicts(soft.report), verdicts(plain.report));
  sameAttempts(soft.report, plain.report, false, JSON.stringify(soft.an.engine.stats), false);
});

test('decided unanswered attempts wait out their quiet time in compact form: late SYNs are absorbed, a late answer still revises', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 400; i++) {
    const t = i / 100;
    steps.push(syn(t, i));
    // Long after the verdict and its final report (about 14 s later): a slow client's SYN again...
    if (i % 10 === 0 && i % 7 !== 0) steps.push({ t: t + 20, pkt: syn(t, i).pkt });
    // ...or a client retrying (1, 3, 7, 15 s) gets the server's SYN-ACK at last, and ACKs it (the
    // listener is alive: the other traffic below reaches it, so the unanswered SYNs were backlog
    // drops until then). Its final report waits while the client still retries, so it is revised.
    if (i % 7 === 0) {
      for (const dt of [1, 3, 7, 15]) steps.push({ t: t + dt, pkt: syn(t, i).pkt });
      steps.push({ t: t + 15.01, pkt: ipTcp({ src: S, dst: client(i), sport: 80, dport: sport(i), seq: 5000 + i, ack: isn(i) + 1, flags: 'SA', ttl: 63 }) });
      steps.push({ t: t + 15.011, pkt: ipTcp({ src: client(i), dst: S, sport: sport(i), dport: 80, seq: isn(i) + 1, ack: 5001 + i, flags: 'A', ttl: 64 }) });
    }
  }
  // Other traffic keeps the clock moving (verdicts are decided when time passes their deadline).
  for (let k = 0; k < 240; k++) steps.push(...connection(k / 4, 10_000 + k, 0.5));
  steps.push(...connection(60, 9999));
  const soft = run(steps.slice(), { parkAbove: 20 });
  const plain = run(steps.slice());
  assert.ok(soft.an.engine.stats.quieted > 200, JSON.stringify(soft.an.engine.stats));
  assert.equal(plain.an.engine.stats.quieted, 0);
  assert.equal(soft.report.summary.attempts, 641);
  assert.equal(soft.report.summary.midstream, 0);
  assert.deepEqual(verdicts(soft.report), verdicts(plain.report));
  assert.equal(soft.report.summary.verdicts.established, 241 + Math.ceil(400 / 7));
  // Revised before the final report, so every part of the report says established (with the flags).
  const revised = (r: Report) => r.attempts.filter((a) => a.verdict === 'established' && a.flags.includes('late-answer') && a.flags.includes('backlog-drop')).length;
  assert.equal(revised(soft.report), Math.ceil(400 / 7));
  assert.equal(revised(plain.report), Math.ceil(400 / 7));
  assert.ok(!soft.report.summary.warnings.some((w) => /after their report was final/.test(w)), soft.report.summary.warnings.join('\n'));
  sameAttempts(soft.report, plain.report, false, JSON.stringify(soft.an.engine.stats), false);
});

test('a jump in time that decides a flood at once hands out final reports as it goes', () => {
  const steps: Step[] = [];
  const n = 48_000;
  for (let i = 0; i < n; i++) {
    steps.push({ t: i / 40_000, pkt: ipTcp({ src: client(i), dst: S, sport: 1024 + Math.floor(i / 200), dport: 80, seq: isn(i), flags: 'S', ttl: 64 }) });
  }
  steps.push(...connection(30, 9999)); // one packet decides every SYN above
  let decided = 0;
  let finals = 0;
  let most = 0;
  const { report } = run(steps, {
    collect: false,
    onAttempt: () => { decided++; most = Math.max(most, decided - finals); },
    onFinal: () => { finals++; },
  });
  assert.equal(report.summary.verdicts.filtered, n);
  // Decided but not yet reported: never more than twice the report queue's limit (20,000), not all n.
  assert.ok(most <= 40_001, `${most} attempts decided and waiting for their final report at once`);
});

test('SYNs arriving faster than they can age 0.2 s are parked young once the table holds twice parkAbove', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 3000; i++) steps.push(syn(i / 30_000, i)); // 3,000 SYNs in 0.1 s
  let held: ReturnType<Analysis['engine']['held']> | undefined;
  const { report } = run(steps, { parkAbove: 100 }, (an) => { held = an.engine.held(); });
  assert.ok(held!.attempts <= 2 * 100 + 8, JSON.stringify(held));
  assert.equal(held!.attempts + held!.parked, 3000, JSON.stringify(held));
  assert.deepEqual(verdicts(report), { incomplete: 3000 });
});

test('when the quiet phase is full, its oldest entry makes room: reported attempts do not pile up as full rows, and no report changes', () => {
  const steps: Step[] = [];
  // 1,000 single SYNs at 10 a second: each decided 3 s later and reported half a second after
  // that (hold 0.5), then quiet for 30 s: 300 at once, more than the quiet phase's 9x
  // maxAttempts = 180. The table itself has room for the rest (20).
  for (let i = 0; i < 1000; i++) steps.push(syn(i / 10, i));
  // A connection every 2 s keeps the clock moving (and shows the listener alive).
  for (let k = 0; k < 55; k++) steps.push(...connection(1 + 2 * k, 10_000 + k, 0.5));
  let held: ReturnType<Analysis['engine']['held']> | undefined;
  const { report, an } = run(steps.slice(), { maxAttempts: 20, parkAbove: 4, hold: 0.5 }, (x) => { held = x.engine.held(); });
  // The quiet phase is at its limit and its oldest entries went (nearest the end of their quiet
  // time anyway); the table holds only attempts waiting for their verdict or report. Before,
  // reported attempts the quiet phase could not take stayed full rows (about 650 bytes each,
  // against 136) until the table was full (19 of 20 here), and those were forgotten instead.
  assert.equal(held!.quiet, 180, JSON.stringify(held));
  assert.ok(held!.attempts <= 10, JSON.stringify(held));
  assert.ok(an.engine.stats.forgotten > 0, JSON.stringify(an.engine.stats));
  assert.ok(report.summary.warnings.some((w) => w.includes(`${an.engine.stats.forgotten} decided attempt(s) were forgotten`)), report.summary.warnings.join('\n'));
  assert.equal(report.summary.attempts, 1055);
  assert.equal(report.summary.midstream, 0);
  sameAttempts(report, run(steps.slice(), { hold: 0.5 }).report, true, '', false);
});
