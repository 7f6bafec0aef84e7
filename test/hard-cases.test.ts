/**
 * The cases that sent people to the wrong team (issue 12), one scenario each, built from packets
 * the way the kernel sends them; the real-kernel captures of the same cases are in fixtures/ and
 * checked by verdicts.test.ts. Each test fails if the rule it names is taken out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PcapWriter } from '../src/capture/writer.js';
import type { AttemptReport, Report } from '../src/report/model.js';
import { runScenario, T0, type Step } from './helpers/scenario.js';
import { ethernet, icmpv4Unreachable, ipTcp, ipv4, IPPROTO_ICMP } from './helpers/packets.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'synscope.js');

const S = '203.0.113.20';
const R = '198.51.100.1';
const cli = (i: number) => `198.51.100.${10 + (i % 200)}`;
const port = (i: number) => 40000 + i;
const isn = (i: number) => 1000 + i * 100_000;
const sisn = (i: number) => 5_000_000 + i * 100_000;
type Opts = Partial<Parameters<typeof ipTcp>[0]>;

/** Packets of client i's connection to S:80 (client ISN isn(i), server ISN sisn(i)). */
const c2s = (i: number, t: number, flags: string, o: Opts = {}): Step =>
  ({ t, pkt: ipTcp({ src: cli(i), dst: S, sport: port(i), dport: 80, seq: isn(i) + (flags.includes('S') ? 0 : 1), ack: flags.includes('A') ? sisn(i) + 1 : 0, flags, ttl: 64, ...o }) });
const s2c = (i: number, t: number, flags: string, o: Opts = {}): Step =>
  ({ t, pkt: ipTcp({ src: S, dst: cli(i), sport: 80, dport: port(i), seq: sisn(i) + (flags.includes('S') ? 0 : 1), ack: isn(i) + 1, flags, ttl: 63, options: flags.includes('S') ? { mss: 1460, sackOk: true, ts: [9, 1], wscale: 7 } : undefined, ...o }) });
const data = (s: string) => Buffer.from(s);

function run(steps: Step[]): Report {
  return runScenario(steps.sort((x, y) => x.t - y.t)).report;
}
const byPort = (r: Report, i: number): AttemptReport => {
  const a = r.attempts.filter((x) => x.client.port === port(i));
  assert.equal(a.length, 1, `one attempt from port ${port(i)}: ${JSON.stringify(r.attempts.map((x) => [x.client.port, x.verdict]))}`);
  return a[0];
};
/** Linux's SYN retransmission times (tcp_syn_linear_timeouts=0): 1, 3, 7 s after the first. */
const synsAt = (i: number, t0: number, retries = [1, 3, 7]): Step[] => [c2s(i, t0, 'S'), ...retries.map((d) => c2s(i, t0 + d, 'S'))];
/** A completed handshake the application never serves: the kernel ACKs its data and FIN. */
const queuedConnection = (i: number, t: number): Step[] => [
  c2s(i, t, 'S'), s2c(i, t + 0.0001, 'SA'), c2s(i, t + 0.0002, 'A'),
  c2s(i, t + 0.0003, 'PA', { payload: data('GET /') }), s2c(i, t + 0.0004, 'A', { ack: isn(i) + 6 }),
  c2s(i, t + 0.0005, 'FA', { seq: isn(i) + 6 }), s2c(i, t + 0.0006, 'A', { ack: isn(i) + 7 }),
];
/** A normal connection that is served: request, reply, FINs. */
const servedConnection = (i: number, t: number): Step[] => [
  c2s(i, t, 'S'), s2c(i, t + 0.0001, 'SA'), c2s(i, t + 0.0002, 'A'),
  c2s(i, t + 0.0003, 'PA', { payload: data('GET /') }), s2c(i, t + 0.0004, 'PA', { ack: isn(i) + 6, payload: data('200 OK') }),
  c2s(i, t + 0.0005, 'FA', { seq: isn(i) + 6, ack: sisn(i) + 7 }), s2c(i, t + 0.0006, 'FA', { seq: sisn(i) + 7, ack: isn(i) + 7 }),
];

test('listen(1) that never accepts: 2 connections queued, 8 SYNs unanswered -> backlog-drop, not filtered', () => {
  const steps: Step[] = [...queuedConnection(0, 0), ...queuedConnection(1, 0.001)];
  // The other eight start after the two got in (the queue is already full): no SYN-ACK to them at all.
  for (let i = 2; i < 10; i++) steps.push(...synsAt(i, 0.002 + i * 0.0001));
  const r = run(steps);
  assert.deepEqual(r.summary.verdicts, { established: 2, 'backlog-drop': 8 });
  for (let i = 2; i < 10; i++) {
    const a = byPort(r, i);
    assert.ok(a.flags.includes('backlog-drop') && a.flags.includes('syn-retransmit'), a.flags.join());
    assert.match(a.reason, /held 2 other connections in its queues/);
    assert.match(a.reason, /conntrack/); // the look-alike cause and the command that tells them apart
  }
  const e = r.endpoints[0];
  assert.match(e.diagnosis, /listen backlog overflow/);
  assert.ok(e.hints.some((h) => /TcpExtListenOverflows/.test(h)));
  assert.ok(!e.hints.some((h) => /iptables -S INPUT \| grep -E 'DROP/.test(h)), e.hints.join('\n'));
});

test('a silent endpoint with nothing queued and nothing answered is still filtered', () => {
  const r = run([...synsAt(0, 0), ...servedConnection(1, 20)]);
  assert.equal(byPort(r, 0).verdict, 'filtered');
});

test('a burst: SYNs retransmitted while the listener answered 100 others get the backlog-drop flag, however many came between', () => {
  const steps: Step[] = [c2s(0, 0, 'S'), c2s(0, 1, 'S'), c2s(0, 3, 'S'), s2c(0, 3.0001, 'SA'), c2s(0, 3.0002, 'A'),
    c2s(0, 3.0003, 'PA', { payload: data('x') }), s2c(0, 3.0004, 'PA', { ack: isn(0) + 2, payload: data('y') })];
  // 100 handshakes of others in between (a ring of the last 32 SYN-ACKs forgot these).
  for (let i = 1; i <= 100; i++) steps.push(...servedConnection(i, 0.01 + i * 0.02));
  const a = byPort(run(steps), 0);
  assert.equal(a.verdict, 'established');
  assert.ok(a.flags.includes('backlog-drop'), `${a.flags.join()}: ${a.reason}`);
  assert.match(a.reason, /2 SYN retransmission/);
});

test('decided backlog-drop at the timeout, answered later: established, and the backlog-drop flag stays', () => {
  const steps: Step[] = [...queuedConnection(1, 0), ...synsAt(0, 0.01, [1, 3, 7]), s2c(0, 7.02, 'SA'), c2s(0, 7.021, 'A')];
  const r = run(steps);
  const a = byPort(r, 0);
  assert.equal(a.verdict, 'established');
  assert.ok(a.flags.includes('backlog-drop') && a.flags.includes('late-answer'), a.flags.join());
  // One story: the summary and the endpoint count the same final verdicts.
  assert.deepEqual(r.summary.verdicts, { established: 2 });
  assert.deepEqual(r.endpoints[0].verdicts, { established: 2 });
});

test('random path loss is no backlog overflow: a retransmitted SYN while other connections of the host retransmit data', () => {
  const steps: Step[] = [c2s(0, 0, 'S'), c2s(0, 1, 'S'), s2c(0, 1.0001, 'SA'), c2s(0, 1.0002, 'A')];
  for (let i = 1; i <= 5; i++) steps.push(...servedConnection(i, 0.1 * i));
  // Connection 9 loses a data segment: the client sends it again after the server had taken up the connection.
  steps.push(c2s(9, 0.5, 'S'), s2c(9, 0.5001, 'SA'), c2s(9, 0.5002, 'A'), c2s(9, 0.5003, 'PA', { payload: data('one') }),
    s2c(9, 0.5004, 'PA', { ack: isn(9) + 4, payload: data('ok') }), c2s(9, 0.5005, 'PA', { seq: isn(9) + 4, ack: sisn(9) + 3, payload: data('two') }),
    s2c(9, 0.7006, 'A', { seq: sisn(9) + 3, ack: isn(9) + 7 }));
  const again = c2s(9, 0.7005, 'PA', { seq: isn(9) + 4, ack: sisn(9) + 3, payload: data('two') });
  const a = byPort(run([...steps, again]), 0);
  assert.equal(a.verdict, 'established');
  assert.ok(!a.flags.includes('backlog-drop'), a.flags.join());
  assert.match(a.reason, /lost on other connections/);
  // Without the lost segment, the same attempt is a queue drop (the listener answered others meanwhile).
  const clean = byPort(run(steps), 0);
  assert.ok(clean.flags.includes('backlog-drop'), clean.flags.join());
});

test('applications that accept and close at once are established, not tcp_abort_on_overflow', () => {
  const steps: Step[] = [
    // 0: accept, then close with SO_LINGER 0: RST with the ACK flag
    c2s(0, 0, 'S'), s2c(0, 0.0001, 'SA'), c2s(0, 0.0002, 'A'), s2c(0, 0.001, 'RA'),
    // 1: accept, close (FIN) before reading; the client's data afterwards draws a bare RST
    c2s(1, 1, 'S'), s2c(1, 1.0001, 'SA'), c2s(1, 1.0002, 'A'), s2c(1, 1.001, 'FA'),
    c2s(1, 1.002, 'PA', { payload: data('GET'), ack: sisn(1) + 2 }), s2c(1, 1.0021, 'R', { seq: sisn(1) + 2, ack: 0 }),
    // 2: the bare RST right after the ACK, no FIN before it: the accept queue was full (tcp_abort_on_overflow)
    c2s(2, 2, 'S'), s2c(2, 2.0001, 'SA'), c2s(2, 2.0002, 'A'), s2c(2, 2.0003, 'R', { seq: sisn(2) + 1, ack: 0 }),
  ];
  const r = run(steps);
  assert.equal(byPort(r, 0).verdict, 'established');
  assert.equal(byPort(r, 1).verdict, 'established');
  assert.match(byPort(r, 1).reason, /closed it \(FIN/);
  assert.equal(byPort(r, 2).verdict, 'backlog-drop');
});

test('a capture that ends 0.2 ms after the client\'s data does not say the server never acknowledged it', () => {
  const a = byPort(run([c2s(0, 0, 'S'), s2c(0, 0.0001, 'SA'), c2s(0, 0.0002, 'A'), c2s(0, 0.0003, 'PA', { payload: data('GET') })]), 0);
  assert.equal(a.verdict, 'established');
  assert.ok(!a.flags.includes('data-unacked') && !a.flags.includes('backlog-drop'), a.flags.join());
});

test('a SYN-cookie ACK dropped by the full accept queue: data repeated until the server takes it -> established + backlog-drop', () => {
  const steps: Step[] = [c2s(0, 0, 'S'), s2c(0, 0.0001, 'SA', { options: { mss: 1460 } }), c2s(0, 0.0002, 'A'),
    c2s(0, 0.0003, 'PA', { payload: data('GET') }), c2s(0, 0.21, 'PA', { payload: data('GET') }), c2s(0, 0.63, 'PA', { payload: data('GET') }),
    c2s(0, 1.47, 'PA', { payload: data('GET') }), s2c(0, 1.4701, 'A', { ack: isn(0) + 4 }), s2c(0, 1.5, 'PA', { ack: isn(0) + 4, payload: data('ok') })];
  const a = byPort(run(steps), 0);
  assert.equal(a.verdict, 'established');
  assert.ok(a.flags.includes('backlog-drop') && a.flags.includes('syn-cookie'), a.flags.join());
  assert.match(a.reason, /SYN cookie/);
});

test('one direction captured (client to server only): the client\'s ACK proves the handshake; one-SYN attempts are not called filtered', () => {
  const steps: Step[] = [
    // established: SYN, ACK of the server's ISN, data, FIN (the SYN-ACK and all server packets missing)
    c2s(0, 0, 'S'), c2s(0, 0.0005, 'A'), c2s(0, 0.0006, 'PA', { payload: data('GET') }), c2s(0, 0.01, 'FA', { seq: isn(0) + 4, ack: sisn(0) + 10 }),
    // refused or rejected: one SYN and nothing more from the client
    c2s(1, 1, 'S'),
    // filtered: the client retransmits
    ...synsAt(2, 2, [1, 3]),
  ];
  const r = run(steps);
  const est = byPort(r, 0);
  assert.equal(est.verdict, 'established');
  assert.ok(est.flags.includes('one-sided'));
  assert.equal(est.rttMs, null);
  const one = byPort(r, 1);
  assert.equal(one.verdict, 'incomplete');
  assert.match(one.reason, /refused it or a firewall rejected it cannot be told/);
  const retried = byPort(r, 2);
  assert.equal(retried.verdict, 'filtered');
  assert.ok(retried.flags.includes('one-sided'));
  assert.ok(!/176618088|e\+/.test(JSON.stringify(r)), 'no absurd durations');
  assert.ok(r.summary.warnings.some((w) => /one-directional/.test(w)), r.summary.warnings.join('\n'));
});

test('one direction captured (server to client only): nothing is invented, and the summary says why', () => {
  const r = run([s2c(0, 0, 'SA'), s2c(0, 0.01, 'PA', { payload: data('ok') }), s2c(1, 1, 'RA', { seq: 0 })]);
  assert.equal(r.attempts.length, 0);
  assert.ok(r.summary.warnings.some((w) => /one-directional|one direction/.test(w)), r.summary.warnings.join('\n'));
});

/** ICMP port unreachable from `from` quoting client i's SYN, cut to `quoteTcpBytes` bytes of its TCP header. */
function icmpCut(i: number, t: number, from: string, code: number, quoteTcpBytes: number): Step {
  const quoted = ipTcp({ src: cli(i), dst: S, sport: port(i), dport: 80, seq: isn(i), flags: 'S', ttl: 63 });
  const cut = quoted.subarray(0, 20 + quoteTcpBytes);
  return { t, pkt: ipv4({ src: from, dst: cli(i), proto: IPPROTO_ICMP, ttl: 64 }, icmpv4Unreachable(code, cut)) };
}

test('snap length 64: an ICMP quote cut after the client port still identifies the attempt (rejected, partial-quote)', () => {
  const r = run([c2s(0, 0, 'S'), icmpCut(0, 0.001, R, 10, 2), c2s(1, 1, 'S'), icmpCut(1, 1.001, S, 3, 6), ...synsAt(2, 2)]);
  const a = byPort(r, 0);
  assert.equal(a.verdict, 'rejected');
  assert.ok(a.flags.includes('partial-quote'));
  assert.match(a.reason, /cut by the snap length/);
  const b = byPort(r, 1);
  assert.equal(b.verdict, 'rejected');
  assert.ok(b.flags.includes('partial-quote'));
  assert.equal(byPort(r, 2).verdict, 'filtered');
});

test('RSTs answering separate SYN retransmissions are not duplicate frames', () => {
  const r = run([c2s(0, 0, 'S'), s2c(0, 0.0001, 'RA', { seq: 0 }), c2s(0, 0.55, 'S'), s2c(0, 0.5501, 'RA', { seq: 0 }), c2s(0, 1.1, 'S'), s2c(0, 1.1001, 'RA', { seq: 0 })]);
  const a = byPort(r, 0);
  assert.equal(a.verdict, 'refused');
  assert.ok(!a.flags.includes('duplicate-frames'), a.flags.join());
  assert.ok(!r.summary.warnings.some((w) => /captured more than once/.test(w)), r.summary.warnings.join('\n'));
});

test('the refusal reason always names a host firewall\'s tcp-reset and how to look for it', () => {
  const r = run([...servedConnection(1, 0), c2s(0, 1, 'S'), s2c(0, 1.0001, 'RA', { seq: 0 })]);
  const a = byPort(r, 0);
  assert.equal(a.verdict, 'refused');
  assert.match(a.reason, /tcp-reset/);
  assert.ok(r.endpoints[0].hints.some((h) => /tcp-reset/.test(h)), r.endpoints[0].hints.join('\n'));
});

test('a REJECT whose ICMP is rate-limited: neighbours rejected meanwhile, this one got nothing -> rejected, icmp-rate-limited', () => {
  const steps: Step[] = [];
  for (let i = 0; i < 12; i++) {
    steps.push(...synsAt(i, i * 0.001, [1, 3]));
    // The first six get their ICMP at once (the bucket's burst), two more on a retransmission, the rest nothing.
    const quoted = ipTcp({ src: cli(i), dst: S, sport: port(i), dport: 80, seq: isn(i), flags: 'S', ttl: 63 });
    const when = i < 6 ? i * 0.001 + 0.0005 : i < 8 ? (i - 6) + 1.0005 : -1;
    if (when >= 0) steps.push({ t: when, pkt: ipv4({ src: R, dst: cli(i), proto: IPPROTO_ICMP, ttl: 64 }, icmpv4Unreachable(3, quoted)) });
  }
  const r = run(steps);
  assert.equal(r.summary.verdicts.filtered, undefined, JSON.stringify(r.summary.verdicts));
  for (let i = 8; i < 12; i++) {
    const a = byPort(r, i);
    assert.equal(a.verdict, 'rejected');
    assert.ok(a.flags.includes('icmp-rate-limited'));
    assert.match(a.reason, /rate-limited/);
  }
  assert.ok(!byPort(r, 0).flags.includes('icmp-rate-limited'));
  assert.match(r.endpoints[0].diagnosis, /rate-limited/);
});

test('the same 4-tuple in two VLANs is two connections', () => {
  const vlanStep = (s: Step, vid: number): Step => ({ t: s.t, pkt: ethernet({ vlans: [vid] }, s.pkt), linkType: 1 });
  const one = servedConnection(0, 0).map((s) => vlanStep(s, 10));
  // The other VLAN's connection: same addresses and ports, another ISN, its handshake interleaved.
  const other = [c2s(0, 0.00005, 'S', { seq: 777 }), s2c(0, 0.00015, 'SA', { seq: 888, ack: 778 }), c2s(0, 0.00025, 'A', { seq: 778, ack: 889 })]
    .map((s) => vlanStep(s, 20));
  const r = runScenario([...one, ...other].sort((x, y) => x.t - y.t)).report;
  assert.equal(r.attempts.length, 2, JSON.stringify(r.attempts.map((a) => [a.verdict, a.flags])));
  for (const a of r.attempts) {
    assert.equal(a.verdict, 'established');
    assert.ok(!a.flags.includes('port-reuse') && !a.flags.includes('backlog-drop') && !a.flags.includes('synack-retransmit'), a.flags.join());
  }
});

test('--format ndjson: each attempt is one line with its final verdict (the library still reports the revision), and the lines agree with the summary', () => {
  const steps: Step[] = [...queuedConnection(1, 0), ...synsAt(0, 0.01, [1, 3, 7]), s2c(0, 7.02, 'SA'), c2s(0, 7.021, 'A'), ...servedConnection(5, 30)];
  steps.sort((x, y) => x.t - y.t);
  const revisions: [string, string][] = [];
  runScenario(steps, { onRevision: (a, previous) => { if (a.client.port === port(0)) revisions.push([previous, a.verdict]); } });
  assert.deepEqual(revisions, [['backlog-drop', 'established']], 'first decided at the timeout, revised by the late SYN-ACK');
  const w = new PcapWriter({ linkType: 101, nanosecond: true });
  for (const s of steps) w.writePacket(T0 + Math.floor(s.t), Math.round((s.t % 1) * 1e9), s.pkt);
  const dir = mkdtempSync(join(tmpdir(), 'synscope-revise-'));
  try {
    const file = join(dir, 'revise.pcap');
    writeFileSync(file, w.toBuffer());
    const out = spawnSync(process.execPath, [bin, 'analyze', file, '--format', 'ndjson'], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    const lines = out.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const mine = lines.filter((l) => l.type === 'attempt' && l.client.port === port(0));
    assert.deepEqual(mine.map((l) => [l.verdict, l.revises ?? false]), [['established', false]]);
    assert.ok(mine[0].flags.includes('backlog-drop'), mine[0].flags.join());
    assert.equal(lines.filter((l) => l.type === 'attempt').length, 3, 'one line per attempt');
    const summary = lines.at(-1);
    assert.equal(summary.type, 'summary');
    assert.deepEqual(summary.verdicts, { established: 3 });
    assert.ok(!lines.some((l) => l.type === 'warning' && /revised/.test(l.message)), 'no free-text revision warning');
    // The JSON document tells the same story in every part.
    const doc = JSON.parse(spawnSync(process.execPath, [bin, 'analyze', file, '--format', 'json'], { encoding: 'utf8' }).stdout);
    assert.deepEqual(doc.attempts.map((a: AttemptReport) => a.verdict), ['established', 'established', 'established']);
    assert.deepEqual(doc.summary.verdicts, { established: 3 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A pcapng block (little-endian): type, total length, body, total length. */
function block(type: number, body: Buffer): Buffer {
  const pad = (4 - (body.length % 4)) % 4;
  const len = 12 + body.length + pad;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}
const u64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeUInt32LE(Number(v >> 32n), 0); b.writeUInt32LE(Number(v & 0xffffffffn), 4); return b; };

test('pcapng: an interface statistics end time written in microseconds on a nanosecond interface (dumpcap 4.0) is read as such, never as a time long before the packets', async () => {
  const { readCapture } = await import('../src/capture/reader.js');
  // Section header (byte-order magic, version 1.0, length unknown); interface: raw IP (101), snap
  // length 262144, if_tsresol = 9 (nanoseconds), end of options.
  const shb = block(0x0a0d0d0a, Buffer.from('4d3c2b1a01000000ffffffffffffffff', 'hex'));
  const idb = block(1, Buffer.from('65000000000004000900010009000000' + '00000000', 'hex'));
  const t = 1_796_228_586n;
  const pkt = ipTcp({ src: cli(0), dst: S, sport: port(0), dport: 80, seq: isn(0), flags: 'S', ttl: 64 });
  const epb = (ns: bigint) => block(6, Buffer.concat([Buffer.from([0, 0, 0, 0]), u64(ns), Buffer.from([pkt.length, 0, 0, 0, pkt.length, 0, 0, 0]), pkt]));
  const isb = (units: bigint) => block(5, Buffer.concat([Buffer.from([0, 0, 0, 0]), u64(units)]));
  const dir = mkdtempSync(join(tmpdir(), 'synscope-isb-'));
  try {
    const end = async (isbUnits: bigint) => {
      const file = join(dir, 'isb.pcapng');
      writeFileSync(file, Buffer.concat([shb, idb, epb(t * 1_000_000_000n), isb(isbUnits)]));
      return (await readCapture(file, () => {})).captureEnd;
    };
    assert.deepEqual(await end((t + 5n) * 1_000_000_000n), [Number(t) + 5, 0], 'a nanosecond end time');
    assert.deepEqual(await end((t + 5n) * 1_000_000n), [Number(t) + 5, 0], 'dumpcap 4.0: microseconds');
    assert.equal(await end(12345n), undefined, 'an end before the packets is no end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('expect files: !flag asserts a flag is absent', async () => {
  const { compareExpect, parseExpect } = await import('../src/report/expect.js');
  const r = run([...synsAt(0, 0), ...servedConnection(1, 20)]);
  const ok = parseExpect('198.51.100.10:40000 203.0.113.20:80 filtered syn-retransmit,!backlog-drop\n198.51.100.11:40001 203.0.113.20:80 established\n', 'x');
  assert.deepEqual(compareExpect(ok, r.attempts), []);
  const bad = parseExpect('198.51.100.10:40000 203.0.113.20:80 filtered !syn-retransmit\n198.51.100.11:40001 203.0.113.20:80 established\n', 'x');
  assert.match(compareExpect(bad, r.attempts).join('\n'), /flag\(s\) syn-retransmit must not be there/);
});
