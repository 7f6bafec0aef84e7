/**
 * Handshake engine, one scenario per rule: hand-built packets (raw IP) fed through the same
 * Analysis object the CLI uses. Real-kernel captures are covered by verdicts.test.ts; these are
 * the shapes the kernel will not make on demand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analysis } from '../src/analyze.js';
import type { Report } from '../src/report/model.js';
import { runScenario, type Step } from './helpers/scenario.js';
import { icmpv4Unreachable, icmpv6Unreachable, ipTcp, ipv4, ipv6, tcp, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP } from './helpers/packets.js';

const C = '198.51.100.10';
const S = '203.0.113.20';
const R = '198.51.100.1';
const C6 = '2001:db8:1::10';
const S6 = '2001:db8:2::20';
const ISN = 1000;
const SISN = 5000;
function run(steps: Step[], opts: ConstructorParameters<typeof Analysis>[0] = {}): Report {
  return runScenario(steps, opts).report;
}

const syn = (t: number, o: Partial<Parameters<typeof ipTcp>[0]> = {}): Step =>
  ({ t, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 64, options: { mss: 1460, sackOk: true, ts: [1, 0], wscale: 7 }, ...o }) });
const synAck = (t: number, o: Partial<Parameters<typeof ipTcp>[0]> = {}): Step =>
  ({ t, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: SISN, ack: ISN + 1, flags: 'SA', ttl: 63, options: { mss: 1460, sackOk: true, ts: [9, 1], wscale: 7 }, ...o }) });
const ack = (t: number, o: Partial<Parameters<typeof ipTcp>[0]> = {}): Step =>
  ({ t, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN + 1, ack: SISN + 1, flags: 'A', ttl: 64, ...o }) });
const rst = (t: number, o: Partial<Parameters<typeof ipTcp>[0]> = {}): Step =>
  ({ t, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: 0, ack: ISN + 1, flags: 'RA', ttl: 63, ...o }) });
/** Another connection to the same server, completing, to give the server's TTL and liveness. */
const other = (t: number, port: number): Step[] => [
  syn(t, { sport: port, seq: 7000 }),
  synAck(t + 0.001, { dport: port, seq: 9000, ack: 7001 }),
  ack(t + 0.002, { sport: port, seq: 7001, ack: 9001 }),
  { t: t + 0.003, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: port, seq: 9001, ack: 7001, flags: 'PA', ttl: 63, payload: Buffer.from('hello') }) },
];
const only = (r: Report, port = 40000) => {
  const a = r.attempts.filter((x) => x.client.port === port);
  assert.equal(a.length, 1, `one attempt from port ${port}: ${JSON.stringify(r.attempts.map((x) => [x.client.port, x.verdict]))}`);
  return a[0];
};

test('established: SYN, SYN-ACK, ACK; rtt from the SYN that was answered', () => {
  const r = run([syn(0), synAck(0.010), ack(0.011)]);
  const a = only(r);
  assert.equal(a.verdict, 'established');
  assert.deepEqual(a.frames, [1, 2, 3]);
  assert.equal(a.rttMs, 10);
  assert.equal(a.history, 'ShA');
});

test('refused: RST|ACK acknowledging ISN+1 from the host, same TTL as its other packets', () => {
  const r = run([...other(0, 41000), syn(1), rst(1.0005)]);
  const a = only(r);
  assert.equal(a.verdict, 'refused');
  assert.match(a.reason, /same TTL 63/);
  assert.deepEqual(a.frames, [5, 6]);
});

test('refused without anything to compare with says so instead of guessing', () => {
  const a = only(run([syn(0), rst(0.001)]));
  assert.equal(a.verdict, 'refused');
  assert.match(a.reason, /no other packet from 203\.0\.113\.20/);
});

test('forged-reset: the RST TTL differs from the server host\'s own packets', () => {
  const a = only(run([...other(0, 41000), syn(1), rst(1.0005, { ttl: 64 })]));
  assert.equal(a.verdict, 'forged-reset');
  assert.ok(a.flags.includes('ttl-mismatch'));
  assert.equal(a.hops.server! - a.hops.rst!, 1);
});

test('forged-reset: a RST racing a real SYN-ACK for the same SYN', () => {
  const a = only(run([syn(0), rst(0.001, { ttl: 63 }), synAck(0.020)]));
  assert.equal(a.verdict, 'forged-reset');
  assert.match(a.reason, /SYN-ACK/);
});

test('an IPv6 RST with flow label 0 from a host whose packets carry one is not enough to call it forged', () => {
  const six = (src: string, dst: string, label: number, seg: Parameters<typeof tcp>[0]) =>
    ipv6({ src, dst, nextHeader: IPPROTO_TCP, hopLimit: 63, flowLabel: label }, tcp(seg, { srcIp: src, dstIp: dst }));
  const steps: Step[] = [
    { t: 0, pkt: ipTcp({ src: C6, dst: S6, sport: 41000, dport: 80, seq: 7000, flags: 'S', ttl: 64 }) },
    { t: 0.001, pkt: six(S6, C6, 0x12345, { sport: 80, dport: 41000, seq: 9000, ack: 7001, flags: 'SA' }) },
    { t: 1, pkt: ipTcp({ src: C6, dst: S6, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 64 }) },
    { t: 1.001, pkt: six(S6, C6, 0, { sport: 80, dport: 40000, seq: 0, ack: ISN + 1, flags: 'RA' }) },
  ];
  const a = only(run(steps));
  assert.equal(a.verdict, 'refused');
  assert.match(a.reason, /flow label is 0/);
  // With a hop-limit mismatch as well, the label is named as supporting evidence.
  steps[3] = { t: 1.001, pkt: ipv6({ src: S6, dst: C6, nextHeader: IPPROTO_TCP, hopLimit: 64, flowLabel: 0 },
    tcp({ sport: 80, dport: 40000, seq: 0, ack: ISN + 1, flags: 'RA' }, { srcIp: S6, dstIp: C6 })) };
  const f = only(run(steps));
  assert.equal(f.verdict, 'forged-reset');
  assert.match(f.reason, /flow label/);
});

test('a RST with the wrong ACK number is ignored, as the client stack ignores it', () => {
  const r = run([syn(0), rst(0.001, { ack: 12345 }), syn(1), syn(3), syn(7)]);
  const a = only(r);
  assert.notEqual(a.verdict, 'refused');
  assert.equal(a.verdict, 'filtered');
  assert.ok(a.flags.includes('invalid-rst'));
  assert.ok(r.summary.warnings.some((w) => /did not acknowledge/.test(w)));
});

test('a RST without ACK answering a SYN is not a refusal', () => {
  const a = only(run([syn(0), rst(0.001, { flags: 'R', ack: 0 }), syn(1), syn(3.5)]));
  assert.notEqual(a.verdict, 'refused');
});

test('rejected: ICMP port unreachable from the server quoting only 8 TCP bytes', () => {
  const s = ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 63 });
  const icmp = ipv4({ src: S, dst: C, proto: IPPROTO_ICMP, ttl: 63 }, icmpv4Unreachable(3, s, 20 + 8));
  const a = only(run([syn(0), { t: 0.001, pkt: icmp }]));
  assert.equal(a.verdict, 'rejected');
  assert.deepEqual(a.icmp, { type: 3, code: 3, name: 'port-unreach', sender: S, senderIsServer: true });
});

test('unreachable vs rejected is decided by the ICMP code, and the router is named', () => {
  const s = ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 63 });
  const host = only(run([syn(0), { t: 0.001, pkt: ipv4({ src: R, dst: C, proto: IPPROTO_ICMP }, icmpv4Unreachable(1, s)) }]));
  assert.equal(host.verdict, 'unreachable');
  assert.match(host.reason, /198\.51\.100\.1, a router/);
  const admin = only(run([syn(0), { t: 0.001, pkt: ipv4({ src: R, dst: C, proto: IPPROTO_ICMP }, icmpv4Unreachable(13, s)) }]));
  assert.equal(admin.verdict, 'rejected');
  assert.equal(admin.icmp?.name, 'admin-prohibited');
});

test('ICMPv6 admin-prohibited is rejected, no-route is unreachable', () => {
  const s = ipTcp({ src: C6, dst: S6, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 63 });
  const mk = (code: number) => ipv6({ src: '2001:db8:1::1', dst: C6, nextHeader: IPPROTO_ICMPV6 },
    icmpv6Unreachable(code, s, { srcIp: '2001:db8:1::1', dstIp: C6 }));
  const syn6 = { t: 0, pkt: ipTcp({ src: C6, dst: S6, sport: 40000, dport: 80, seq: ISN, flags: 'S', ttl: 64 }) };
  assert.equal(only(run([syn6, { t: 0.001, pkt: mk(1) }])).verdict, 'rejected');
  assert.equal(only(run([syn6, { t: 0.001, pkt: mk(0) }])).verdict, 'unreachable');
});

test('an ICMP error quoting another sequence number is not matched to the attempt', () => {
  const s = ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN + 99, flags: 'S' });
  const a = only(run([syn(0), { t: 0.001, pkt: ipv4({ src: S, dst: C, proto: IPPROTO_ICMP }, icmpv4Unreachable(3, s)) }]));
  assert.equal(a.verdict, 'incomplete');
});

test('filtered after the handshake timeout, incomplete before it', () => {
  const f = only(run([syn(0), syn(1), syn(3), syn(3.2, { sport: 50000, dport: 9 })]));
  assert.equal(f.verdict, 'filtered');
  assert.equal(f.synCount, 3);
  assert.ok(f.flags.includes('syn-retransmit'));
  const i = only(run([syn(0), syn(1)]));
  assert.equal(i.verdict, 'incomplete');
  const longer = only(run([syn(0), syn(1), syn(3), syn(3.2, { sport: 50000, dport: 9 })], { handshakeTimeout: 10 }));
  assert.equal(longer.verdict, 'incomplete');
});

test('backlog-drop: SYNs unanswered while the same listener completes other handshakes', () => {
  const r = run([syn(0), ...other(0.5, 41000), syn(1), ...other(2, 41001), syn(3), syn(4, { sport: 50000, dport: 9 })]);
  const a = only(r);
  assert.equal(a.verdict, 'backlog-drop');
  assert.ok(a.flags.includes('backlog-drop'));
  assert.ok(r.endpoints.find((e) => e.server.port === 80)!.hints.some((h) => h.includes('TcpExtListenOverflows')));
});

test('backlog-drop: SYN-ACK retransmitted after the client ACK (accept queue full)', () => {
  const a = only(run([syn(0), synAck(0.001), ack(0.002), synAck(1.2), ack(1.201), synAck(3.2), ack(3.201), syn(6, { sport: 50000, dport: 9 })]));
  assert.equal(a.verdict, 'backlog-drop');
  assert.ok(a.flags.includes('synack-retransmit'));
});

test('established with flag backlog-drop when the server finally accepts after SYN-ACK retransmissions', () => {
  const a = only(run([syn(0), synAck(0.001), ack(0.002), synAck(1.2), ack(1.201),
    { t: 1.3, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: SISN + 1, ack: ISN + 1, flags: 'PA', payload: Buffer.from('hi') }) }]));
  assert.equal(a.verdict, 'established');
  assert.ok(a.flags.includes('backlog-drop'));
});

test('backlog-drop: RST right after the handshake (tcp_abort_on_overflow)', () => {
  const a = only(run([syn(0), synAck(0.001), ack(0.002), rst(0.0021, { seq: SISN + 1, ack: 0, flags: 'R' })]));
  assert.equal(a.verdict, 'backlog-drop');
  assert.match(a.reason, /abort_on_overflow/);
});

test('backlog-drop: SYN-cookie SYN-ACK (MSS only) and the client data never acknowledged', () => {
  const data = (t: number) => ack(t, { flags: 'PA', payload: Buffer.from('GET /') });
  const a = only(run([syn(0, { options: { mss: 1460 } }), synAck(0.001, { options: { mss: 1460 } }), ack(0.002), data(0.003), data(0.3), data(0.9), syn(5, { sport: 50000, dport: 9 })]));
  assert.equal(a.verdict, 'backlog-drop');
  assert.ok(a.flags.includes('syn-cookie'));
  assert.ok(a.flags.includes('data-unacked'));
});

test('aborted: the client resets after the SYN-ACK; a client resetting its own SYN is never a refusal', () => {
  const a = only(run([syn(0), synAck(0.001), { t: 0.002, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN + 1, flags: 'R' }) }]));
  assert.equal(a.verdict, 'aborted');
  const own = only(run([syn(0), { t: 0.5, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN + 1, flags: 'R' }) }]));
  assert.equal(own.verdict, 'aborted');
});

test('a SYN-ACK captured before its SYN still completes the attempt', () => {
  const r = run([synAck(0), syn(0.0001), ack(0.002)]);
  const a = only(r);
  assert.equal(a.verdict, 'established');
  assert.equal(r.summary.midstream, 0);
});

test('flows without a SYN are midstream, never attempts', () => {
  const r = run([synAck(0), ack(0.001), rst(0.002)]);
  assert.equal(r.summary.attempts, 0);
  assert.equal(r.summary.midstream, 1);
});

test('port reuse: a new ISN on the same 4-tuple is a new attempt', () => {
  const r = run([syn(0), rst(0.001), syn(0.5, { seq: 77777 }), rst(0.501, { ack: 77778 })]);
  assert.equal(r.attempts.length, 2);
  assert.deepEqual(r.attempts.map((a) => a.verdict), ['refused', 'refused']);
  assert.ok(r.attempts[1].flags.includes('port-reuse'));
  assert.ok(!r.attempts[0].flags.includes('port-reuse'));
});

test('the same SYN captured twice (two interfaces) is not a retransmission', () => {
  const a = only(run([syn(0), syn(0.0001), rst(0.001)]));
  assert.equal(a.synCount, 1);
  assert.ok(a.flags.includes('duplicate-frames'));
  assert.ok(!a.flags.includes('syn-retransmit'));
});

test('an answer after the timeout revises filtered, with flag late-answer', () => {
  const revisions: Array<[string, string]> = [];
  const r = run([syn(0), syn(1), syn(3), syn(7), synAck(7.01), ack(7.02)], { onRevision: (x, was) => revisions.push([was, x.verdict]) });
  const a = only(r);
  assert.equal(a.verdict, 'established');
  assert.ok(a.flags.includes('late-answer'));
  assert.equal(a.synCount, 4);
  assert.deepEqual(revisions, [['filtered', 'established']]);
  assert.deepEqual(r.summary.verdicts, { established: 1 });
});

test('endpoint diagnosis: listener went away and came back', () => {
  const conn = (t: number, port: number, ok: boolean): Step[] => ok ? other(t, port)
    : [syn(t, { sport: port, seq: 100 + port }), rst(t + 0.001, { dport: port, ack: 101 + port })];
  const r = run([...conn(0, 41000, true), ...conn(1, 41001, false), ...conn(2, 41002, false), ...conn(3, 41003, true)]);
  const e = r.endpoints[0];
  assert.deepEqual(e.verdicts, { established: 2, refused: 2 });
  assert.match(e.diagnosis, /went away between .* and came back/);
});

test('host and port filters keep only matching attempts', () => {
  const steps = [syn(0), rst(0.001), syn(0.1, { dport: 81, sport: 40001 }), rst(0.101, { sport: 81, dport: 40001 })];
  assert.equal(run(steps, { ports: [81] }).attempts.length, 1);
  assert.equal(run(steps, { hosts: ['203.0.113.99'] }).attempts.length, 0);
  assert.equal(run(steps, { hosts: [S] }).attempts.length, 2);
});

test('TCP Fast Open: a SYN-ACK acknowledging the SYN\'s data completes the handshake', () => {
  const data = Buffer.from('GET / HTTP/1.1\r\n\r\n');
  const a = only(run([syn(0, { payload: data }), synAck(0.01, { ack: ISN + 1 + data.length }), ack(0.011, { seq: ISN + 1 + data.length })]));
  assert.equal(a.verdict, 'established');
});

test('the handshake ACK missing from the capture: the client\'s data acknowledging the SYN-ACK completes it', () => {
  const a = only(run([syn(0), synAck(0.01),
    { t: 0.02, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: SISN + 1, ack: ISN + 1, flags: 'PA', payload: Buffer.from('220 hello') }) },
    ack(0.03, { ack: SISN + 10, flags: 'PA', payload: Buffer.from('QUIT') })]));
  assert.equal(a.verdict, 'established');
});

test('sequence numbers wrapping past 2^32 are compared modulo 2^32', () => {
  const isn = 0xfffffff0;
  const a = only(run([syn(0, { seq: isn }), synAck(0.01, { ack: (isn + 1) >>> 0, seq: 0xffffffff }), ack(0.011, { seq: (isn + 1) >>> 0, ack: 0 })]));
  assert.equal(a.verdict, 'established');
});

test('a RST|ACK after the handshake comes from a socket that accepted: established, not a backlog drop', () => {
  const a = only(run([syn(0), synAck(0.001), ack(0.002), rst(0.05, { seq: SISN + 1, ack: ISN + 1, flags: 'RA' })]));
  assert.equal(a.verdict, 'established');
  assert.match(a.reason, /accepted and closed it with a reset/);
});

test('a RST whose TTL matches any of the TTLs the host was seen with is the host\'s own', () => {
  // The server's packets arrive over two paths (63 and 62); a RST with 62 is not forged.
  const other62 = other(0.5, 41001).map((st, i) => (i === 1 || i === 3
    ? { t: st.t, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 41001, seq: i === 1 ? 9000 : 9001, ack: 7001, flags: i === 1 ? 'SA' : 'PA', ttl: 62, payload: i === 3 ? Buffer.from('x') : undefined }) }
    : st));
  const a = only(run([...other(0, 41000), ...other(0.2, 41002), ...other62, syn(1), rst(1.0005, { ttl: 62 })]));
  assert.equal(a.verdict, 'refused');
});

// Reasons are written from what the decision fixed (Why and its numbers), when a report asks:
// these three sentences had no other test.
test('aborted: a SYN-ACK never acknowledged within the timeout', () => {
  const a = only(run([syn(0), synAck(0.01), syn(5, { sport: 40001, dport: 81, seq: 1 })]));
  assert.equal(a.verdict, 'aborted');
  assert.equal(a.reason, 'the client never acknowledged 1 SYN-ACK from 203.0.113.20:80 within 3 s: it abandoned the attempt (or its ACKs were lost on the way)');
});

test('aborted: the client resets its own SYN before any answer', () => {
  const a = only(run([syn(0), { t: 0.5, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: ISN + 1, flags: 'R', ttl: 64 }) }, syn(5, { sport: 40001, dport: 81, seq: 1 })]));
  assert.equal(a.verdict, 'aborted');
  assert.equal(a.reason, 'the client reset its own SYN to 203.0.113.20:80 before any answer: it gave up, nothing refused it');
});

test('forged-reset: the server kept sending after a RST in its name', () => {
  const a = only(run([syn(0), rst(0.01), { t: 0.02, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: 1, ack: ISN + 1, flags: 'A', ttl: 63 }) }, syn(5, { sport: 40001, dport: 81, seq: 1 })]));
  assert.equal(a.verdict, 'forged-reset');
  assert.equal(a.reason, 'the RST answering the SYN was not sent by 203.0.113.20: 203.0.113.20:80 kept sending after it (frame 3); a firewall or middlebox rejects with tcp-reset');
  assert.deepEqual(a.frames, [1, 2, 3]);
});
