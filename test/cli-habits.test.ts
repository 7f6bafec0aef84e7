/**
 * synscope for tcpdump and tshark users (issue 13), through the real binary: options before or
 * after the files, repeatable --host/--port with comma lists and prefixes, a capture-filter
 * expression after the files or with -r / -f, -n, -F for the output format and -f for the filter,
 * one-line usage errors, --answer-grace, help texts and plurals.
 *
 * The expression tests assert real filtering; they are skipped while the filter engine
 * (src/filter/, wired in src/cli/filter-arg.ts) is not merged and makePacketFilter says
 * "not supported yet".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/analyze.js';
import { PcapWriter } from '../src/capture/writer.js';
import { fixture, fixture6, json, noCapEnv, oneLine, run } from './helpers/cli-run.js';
import { tcp4 } from './helpers/packets.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-habits-'));

/** Why the expression tests cannot run yet, or false once the filter engine is wired in. */
const probe = run(['analyze', fixture, 'tcp', '--format', 'json']);
const noEngine = /not supported yet/.test(probe.stderr) ? 'the capture-filter engine (src/filter/, compileFilter) is not merged yet: makePacketFilter says "not supported yet"' : false;

type Attempt = { client: { ip: string; port: number }; server: { ip: string; port: number } };
const touches = (a: Attempt, ip: string) => a.client.ip === ip || a.server.ip === ip;

// ---------------------------------------------------------------------------
// 1. options before or after the files; repeatable --host / --port with comma lists
// ---------------------------------------------------------------------------

test('--host before the file: not swallowed as a second address', () => {
  const doc = json(run(['analyze', '--host', '203.0.113.20', fixture, '--format', 'json']));
  assert.ok(doc.attempts.length > 0);
  assert.ok(doc.attempts.every((a) => touches(a as Attempt, '203.0.113.20')), JSON.stringify(doc.attempts.map((a) => a.server)));
  assert.ok(!doc.attempts.some((a) => touches(a as Attempt, '203.0.113.99')));
});

test('--port before the file, repeated, and as a comma list', () => {
  for (const args of [['--port', '8081', '--port', '8082', fixture], ['--port', '8081,8082', fixture], [fixture, '--port', '8081', '--port', '8082']]) {
    const doc = json(run(['analyze', ...args, '--format', 'json']));
    assert.deepEqual(doc.attempts.map((a) => a.server.port).sort(), [8081, 8081, 8081, 8082], args.join(' '));
  }
});

test('--host repeated and as a comma list', () => {
  const one = json(run(['analyze', '--host', '203.0.113.99', '--host', '198.51.100.77', fixture, '--format', 'json']));
  assert.equal(one.attempts.length, 1);
  const both = json(run(['analyze', '--host', '203.0.113.99,203.0.113.20', fixture, '--format', 'json']));
  const all = json(run(['analyze', fixture, '--format', 'json'])).attempts as Attempt[];
  assert.equal(both.attempts.length, all.filter((a) => touches(a, '203.0.113.99') || touches(a, '203.0.113.20')).length);
  assert.equal(both.attempts.length, all.length - 1, 'all but the one to 203.0.113.98');
});

test('live: --host and --port before a positional capture filter do not swallow it', () => {
  // cap cannot load here: getting to that error means the options parsed.
  const r = run(['live', '-i', 'lo', '--port', '443', '--host', '203.0.113.20', 'tcp port 443 or icmp'], { env: noCapEnv() });
  oneLine(r, /live capture needs the cap module/);
});

// ---------------------------------------------------------------------------
// 2. a capture-filter expression after the files, -r, -f
// ---------------------------------------------------------------------------

test('an expression after the file is an expression, not a missing file', () => {
  for (const args of [[fixture, 'tcp port 8081'], [fixture, 'tcp', 'port', '8081'], ['-r', fixture, 'tcp', 'port', '8081'], ['-f', 'tcp port 8081', fixture]]) {
    const r = run(['analyze', ...args, '--format', 'json']);
    assert.doesNotMatch(r.stderr, /no such file|too many|unknown option/, args.join(' '));
    if (noEngine) oneLine(r, /capture-filter expressions are not supported yet/);
    else assert.equal(r.status, 0, r.stderr);
  }
});

test('-r is repeatable; with -r every word after the options is the expression', () => {
  const r = json(run(['analyze', '-r', fixture, '-r', fixture6, '--format', 'json']));
  assert.equal(r.summary.files.length, 2);
  oneLine(run(['analyze', '-r', fixture, join(tmp, 'second.pcap')]), /second\.pcap: no such file/);
  const copy = join(tmp, 'copy.pcap');
  copyFileSync(fixture, copy);
  oneLine(run(['analyze', '-r', fixture, copy]), /with -r, the words after the options are the capture-filter expression.*own -r/);
});

test('a first argument that is no file stays the error it was; a later word that looks like a file is not an expression', () => {
  oneLine(run(['analyze', join(tmp, 'missing.pcap'), 'tcp port 80']), /missing\.pcap: no such file/);
  oneLine(run(['analyze', fixture, join(tmp, 'typo.pcapng')]), /typo\.pcapng: no such file/);
  oneLine(run(['analyze', fixture, join(tmp, 'nothing-*.pcap')]), /nothing-\*\.pcap: no file matches/);
});

test('the expression given twice (-f and after the files): one line', () => {
  oneLine(run(['analyze', fixture, '-f', 'tcp port 80', 'tcp port 81']), /given twice/);
});

test('library: AnalyzeOptions.packetFilter leaves packets out and counts them', async () => {
  const seen = { n: 0 };
  const report = await analyze(fixture, {
    packetFilter: { expression: 'port 8081 (test)', matches: (_rec, p) => { seen.n++; return p.hasTcp && (p.tcp.sport === 8081 || p.tcp.dport === 8081); } },
  });
  assert.equal(seen.n, report.summary.packets);
  assert.ok(report.attempts.length === 3 && report.attempts.every((a) => a.server.port === 8081), JSON.stringify(report.attempts.map((a) => a.server)));
  assert.ok(report.summary.filteredOut! > 0);
  assert.deepEqual(report.summary.filter, { expression: 'port 8081 (test)', kept: report.summary.packets - report.summary.filteredOut! });
  const plain = await analyze(fixture);
  assert.equal(plain.summary.filteredOut, undefined, 'no filter: no filteredOut in the summary');
});

test('expression "tcp port 8081" keeps only the 8081 attempts', { skip: noEngine }, () => {
  for (const args of [[fixture, 'tcp port 8081'], [fixture, 'tcp', 'port', '8081'], ['-r', fixture, 'tcp', 'port', '8081'], ['-nr', fixture, 'tcp port 8081'], [fixture, '-f', 'tcp port 8081']]) {
    const doc = json(run(['analyze', ...args, '--format', 'json']));
    assert.deepEqual(doc.attempts.map((a) => a.server.port), [8081, 8081, 8081], args.join(' '));
    assert.ok(doc.summary.filteredOut > 0);
    assert.equal(doc.summary.filter.kept, doc.summary.packets - doc.summary.filteredOut);
    assert.equal(doc.summary.filter.expression, 'tcp port 8081');
  }
});

test('expression "host 203.0.113.99" keeps one attempt; the summary line says what it kept', { skip: noEngine }, () => {
  const doc = json(run(['analyze', fixture, 'host 203.0.113.99', '--format', 'json']));
  assert.equal(doc.attempts.length, 1);
  assert.equal(doc.attempts[0]!.server.ip, '203.0.113.99');
  const table = run(['analyze', fixture, 'host 203.0.113.99']);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^${doc.summary.packets} packets; the filter "host 203\\.0\\.113\\.99" kept ${doc.summary.filter.kept} of them, 1 connection attempt: `, 'm'));
  const nd = run(['analyze', fixture, 'host 203.0.113.99', '--format', 'ndjson']);
  const summary = JSON.parse(nd.stdout.trim().split('\n').pop()!);
  assert.equal(summary.type, 'summary');
  assert.equal(summary.filteredOut, doc.summary.filteredOut);
});

test('an expression on TCP ports keeps the ICMP errors quoting matching packets: a REJECT stays rejected, not filtered', { skip: noEngine }, () => {
  const doc = json(run(['analyze', fixture, 'tcp port 8083 or tcp port 8085', '--format', 'json']));
  assert.deepEqual(doc.attempts.map((a) => [a.server.port, a.verdict]), [[8083, 'rejected'], [8085, 'rejected']]);
  // (tcpdump's own filter would drop the port-unreachable: its outer header is ICMP, not TCP.)
  assert.deepEqual(doc.summary.verdicts, { rejected: 2 });
});

test('a bad expression: one line, exit 2', { skip: noEngine }, () => {
  const r = run(['analyze', fixture, 'tcp port']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^synscope: /);
});

// ---------------------------------------------------------------------------
// 3. --host prefixes
// ---------------------------------------------------------------------------

test('--host takes IPv4 and IPv6 prefixes; a plain address is a /32 or /128', () => {
  const all = json(run(['analyze', fixture, '--format', 'json'])).attempts.length;
  assert.equal(json(run(['analyze', fixture, '--host', '203.0.113.0/24', '--format', 'json'])).attempts.length, all);
  assert.equal(json(run(['analyze', fixture, '--host', '203.0.113.96/30', '--format', 'json'])).attempts.length, 2, '.98 and .99');
  assert.equal(json(run(['analyze', fixture, '--host', '203.0.113.99/32', '--format', 'json'])).attempts.length, 1);
  assert.equal(json(run(['analyze', fixture, '--host', '192.0.2.0/24', '--format', 'json'])).attempts.length, 0);
  const v6 = json(run(['analyze', fixture6, '--format', 'json'])).attempts as Attempt[];
  const in64 = v6.filter((a) => a.server.ip.startsWith('2001:db8:2::')).length;
  assert.ok(in64 > 0);
  assert.equal(json(run(['analyze', fixture6, '--host', '2001:db8:2::/64', '--format', 'json'])).attempts.length, v6.length, 'the clients are in 2001:db8:1::/64, every server in 2001:db8:2::/64');
  const server98 = v6.filter((a) => touches(a, '2001:db8:2::98')).length;
  assert.equal(json(run(['analyze', fixture6, '--host', '2001:db8:2::98/128', '--format', 'json'])).attempts.length, server98);
  assert.equal(json(run(['analyze', fixture6, '--host', '2001:db8:2::98', '--format', 'json'])).attempts.length, server98);
  oneLine(run(['analyze', fixture, '--host', '203.0.113.0/33']), /--host takes IPv4 or IPv6 addresses or prefixes .*not "203\.0\.113\.0\/33"/);
  oneLine(run(['analyze', fixture, '--host', '2001:db8::/129']), /--host takes .*not "2001:db8::\/129"/);
});

// ---------------------------------------------------------------------------
// 4. -n
// ---------------------------------------------------------------------------

test('-n is accepted and ignored; the help says synscope never resolves names', () => {
  assert.equal(run(['analyze', '-n', fixture, '--format', 'json']).stdout, run(['analyze', fixture, '--format', 'json']).stdout);
  assert.equal(json(run(['analyze', '-nr', fixture, '--format', 'json'])).summary.attempts, 13);
  assert.match(run(['analyze', '--help']).stdout, /-n\s+accepted .*never resolves names/s);
  assert.match(run(['live', '--help']).stdout, /-n\s+accepted .*never resolves names/s);
  oneLine(run(['live', '-n', '-i', 'lo'], { env: noCapEnv() }), /live capture needs the cap module/);
});

// ---------------------------------------------------------------------------
// 5. -f is the capture filter, -F the output format
// ---------------------------------------------------------------------------

test('live: -f is the capture filter, as in tshark; -F the output format', () => {
  oneLine(run(['live', '-i', 'lo', '-f', 'tcp port 80'], { env: noCapEnv() }), /live capture needs the cap module/);
  oneLine(run(['live', '-i', 'lo', '-F', 'ndjson', '-f', 'tcp port 80 or icmp'], { env: noCapEnv() }), /live capture needs the cap module/);
  oneLine(run(['live', '-i', 'lo', '-f', 'tcp', 'port 80'], { env: noCapEnv() }), /capture filter is given twice/);
});

test('-F is the output format in analyze, info and devices', () => {
  assert.equal(json(run(['analyze', fixture, '-F', 'json'])).summary.attempts, 13);
  const nd = run(['analyze', fixture, '-F', 'ndjson']);
  assert.equal(JSON.parse(nd.stdout.trim().split('\n').pop()!).type, 'summary');
  assert.equal(JSON.parse(run(['info', fixture, '-F', 'json']).stdout).packets, 47);
  oneLine(run(['devices', '-F', 'json'], { env: noCapEnv() }), /live capture needs the cap module/);
});

test('-f json (the old spelling of the format): one line saying -f is the filter now, exit 2', () => {
  for (const [cmd, ...rest] of [['analyze', fixture], ['info', fixture], ['live', '-i', 'lo'], ['devices']] as string[][]) {
    for (const word of ['json', 'ndjson', 'table', 'text']) {
      oneLine(run([cmd!, ...rest, '-f', word], { env: noCapEnv() }), /^synscope: -f is the capture filter \(as in tshark\); the output format is -F json$/);
    }
  }
});

// ---------------------------------------------------------------------------
// 6. no arguments; usage errors in synscope's own one-line form
// ---------------------------------------------------------------------------

test('synscope without arguments: the help on stderr, exit 0', () => {
  const r = run([]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Usage: synscope /);
  assert.match(r.stderr, /analyze/);
});

test('every usage error: one line starting "synscope: ", exit 2, never commander\'s "error:"', () => {
  const env = noCapEnv();
  const cases: Array<[string[], RegExp]> = [
    [['analyze', fixture, '--frobnicate'], /unknown option '--frobnicate'; see synscope analyze --help/],
    [['analyze', fixture, '--formt', 'json'], /unknown option '--formt' \(did you mean --format\?\)/],
    [['frobnicate'], /unknown command 'frobnicate'; see synscope --help/],
    [['analyze'], /analyze needs a capture/],
    [['info'], /missing required argument 'file'/],
    [['analyze', fixture, '--port'], /option '--port <port>' argument missing/],
    [['analyze', fixture, '-F', 'nope'], /option '-F, --format <format>' argument 'nope' is invalid\. Allowed choices are table, json, ndjson, html, zeek, zeek-json; see synscope analyze --help/],
    [['info', fixture, '-F', 'table'], /argument 'table' is invalid\. Allowed choices are text, json/],
    [['live', '-i', 'lo', '-F', 'text'], /argument 'text' is invalid\. Allowed choices are table, json, ndjson/],
    [['live'], /required option '-i, --interface <iface>' not specified; see synscope live --help/],
    [['devices', 'extra'], /too many arguments for 'devices'/],
    [['--frobnicate'], /unknown option '--frobnicate'; see synscope --help/],
  ];
  for (const [args, re] of cases) oneLine(run(args, { env }), re);
});

// ---------------------------------------------------------------------------
// 11. --answer-grace
// ---------------------------------------------------------------------------

/** A SYN answered by a SYN-ACK 3.8 s later (handshake timeout 3 s), then the client's ACK. */
function lateSynAck(): string {
  const w = new PcapWriter({ linkType: 1 });
  const c = '198.51.100.10';
  const s = '203.0.113.20';
  const t = 1_790_000_000;
  w.writePacket(t, 0, tcp4({ src: c, dst: s, sport: 40100, dport: 8080, seq: 1000, flags: 'S' }));
  w.writePacket(t + 3, 800_000_000, tcp4({ src: s, dst: c, sport: 8080, dport: 40100, seq: 5000, ack: 1001, flags: 'SA' }));
  w.writePacket(t + 3, 810_000_000, tcp4({ src: c, dst: s, sport: 40100, dport: 8080, seq: 1001, ack: 5001, flags: 'A' }));
  const p = join(tmp, 'late-synack.pcap');
  writeFileSync(p, w.toBuffer());
  return p;
}

test('--answer-grace: a SYN-ACK 3.8 s after the SYN is in time with the default 0.5 s (decided at 3 + 2 x 0.5 s), late with 0.1 s', () => {
  const p = lateSynAck();
  const def = json(run(['analyze', p, '--format', 'json'])).attempts;
  assert.equal(def.length, 1);
  assert.equal(def[0]!.verdict, 'established');
  assert.ok(!def[0]!.flags.includes('late-answer'), JSON.stringify(def[0]));
  const short = json(run(['analyze', p, '--answer-grace', '0.1', '--format', 'json'])).attempts;
  assert.equal(short[0]!.verdict, 'established');
  assert.ok(short[0]!.flags.includes('late-answer'), JSON.stringify(short[0]));
  const nd = run(['analyze', p, '--answer-grace', '0.1', '--format', 'ndjson']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(nd.filter((l) => l.type === 'attempt').map((l) => [l.verdict, l.flags.includes('late-answer')]), [['established', true]], 'a file: one line, the final verdict');
  // Read from a pipe, lines come as they are decided: filtered at 3.2 s, then revised.
  const piped = run(['analyze', '-', '--answer-grace', '0.1', '--format', 'ndjson'], { input: readFileSync(p) }).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(piped.filter((l) => l.type === 'attempt').map((l) => [l.verdict, l.revises ?? false]), [['filtered', false], ['established', true]]);
  assert.equal(piped.at(-1).type, 'summary');
  assert.deepEqual(piped.at(-1).verdicts, { established: 1 });
  oneLine(run(['analyze', p, '--answer-grace', '-1']), /--answer-grace takes seconds from 0 to 60, not "-1"/);
  oneLine(run(['live', '-i', 'lo', '--answer-grace', 'x'], { env: noCapEnv() }), /--answer-grace takes seconds from 0 to 60, not "x"/);
  oneLine(run(['live', '-i', 'lo', '--answer-grace', '0.2'], { env: noCapEnv() }), /live capture needs the cap module/);
});

// ---------------------------------------------------------------------------
// 13. help and plurals
// ---------------------------------------------------------------------------

test('analyze --help: files merged by first-packet time, directories and patterns, the --max-attempts default', () => {
  const h = run(['analyze', '--help']).stdout.replace(/\s+/g, ' ');
  assert.doesNotMatch(h, /in the order given/);
  assert.match(h, /time order of their first packets/);
  assert.match(h, /directories/);
  assert.match(h, /patterns/);
  assert.match(h, /--max-attempts <n> .*\(default: "100000"\)/);
  assert.match(h, /--strict/);
  assert.match(h, /--answer-grace <seconds> .*\(default: "0\.5"\)/);
  assert.match(h, /-r, --read <file>/);
  assert.match(h, /-f, --filter <expression>/);
  assert.match(h, /-F, --format <format>/);
});

test('one attempt is "1 connection attempt"; one packet "1 packet"', () => {
  const r = run(['analyze', fixture, '--port', '8082']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^47 packets, 1 connection attempt: filtered 1$/m);
  const w = new PcapWriter({ linkType: 1 });
  w.writePacket(1_790_000_000, 0, tcp4({ src: '198.51.100.10', dst: '203.0.113.20', sport: 40000, dport: 8082, seq: 1, flags: 'S' }));
  const one = join(tmp, 'one.pcap');
  writeFileSync(one, w.toBuffer());
  assert.match(run(['analyze', one]).stdout, /^1 packet, 1 connection attempt: incomplete 1$/m);
});
