/**
 * Prometheus metrics (`synscope live --metrics`) and `live --format json`.
 *
 * For real: two network namespaces joined by a veth pair (documentation addresses only); the
 * server listens on 8080, has nothing on 8081 and an iptables DROP on 8083. `synscope live` runs
 * in the client's namespace with only the capabilities the shipped systemd unit grants, serves
 * /metrics on [::1], and the client makes refused, established and filtered connections; the
 * scraped text is parsed by a strict text-format parser (and promtool, where installed), the
 * counters are asserted, and the JSON document written at SIGTERM is checked against the
 * contract. Needs root, iproute2, iptables, setpriv and a built cap; skipped with the reason
 * otherwise, except with CI=true.
 *
 * Without root: the library counts (a fixture, a revised verdict), the bounded `server` label,
 * the --metrics option's errors through the real binary, and the docs/ examples with promtool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { analyze } from '../src/analyze.js';
import { EndpointLabels, OTHER } from '../src/metrics/endpoint-labels.js';
import { SynscopeMetrics } from '../src/metrics/prometheus.js';
import { parseListenAddress, serveMetrics } from '../src/metrics/server.js';
import { VERDICTS } from '../src/model/verdict.js';
import type { Verdict } from '../src/model/verdict.js';
import { bin, fixture, noCapEnv, oneLine, root, run } from './helpers/cli-run.js';
import { CI, ECHO_LISTENER, exitOf, gate, have, inNs, Namespaces, namespacesMissing, PLAN_CLIENT, requireRunnable, waitFor } from './helpers/netns.js';
import { parsePromText, sampleValue, sumOf, type Family } from './helpers/prom-text.js';
import { ipTcp } from './helpers/packets.js';
import { runScenario, type Step } from './helpers/scenario.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-metrics-'));
const docs = join(root, 'docs');
const validator = resolve(root, '..', 'shared', 'validate-contract.mjs');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

after(() => rmSync(tmp, { recursive: true, force: true }));

/** The synscope_* families of a scrape, each with HELP and TYPE. */
function synscopeFamilies(families: Map<string, Family>): Family[] {
  const mine = [...families.values()].filter((f) => f.name.startsWith('synscope_'));
  for (const f of mine) {
    assert.ok(f.help && f.help.length > 10, `${f.name} has a HELP text`);
    assert.notEqual(f.type, 'untyped', `${f.name} has a TYPE line`);
    // Prometheus conventions: counters end in _total, nothing else does; units are base units.
    assert.equal(f.type === 'counter', f.name.endsWith('_total'), `${f.name}: _total is for counters only`);
    assert.doesNotMatch(f.name, /_(ms|milliseconds|kb|mb)(_|$)/, `${f.name}: base units (seconds, bytes)`);
  }
  return mine;
}

// ---- the bounded server label ---------------------------------------------------------------

test('server label: promoted at the 3rd attempt, at most N endpoints, every attempt counted under exactly one value', () => {
  const labels = new EndpointLabels({ limit: 2, promoteAfter: 3 });
  const counted = new Map<string, number>();
  const count = (ep: string) => { const l = labels.label(ep); counted.set(l, (counted.get(l) ?? 0) + 1); return l; };
  assert.equal(count('203.0.113.2:443'), OTHER);
  assert.equal(count('203.0.113.2:443'), OTHER);
  assert.equal(count('203.0.113.2:443'), '203.0.113.2:443', 'its third attempt is its own');
  assert.equal(count('203.0.113.2:443'), '203.0.113.2:443', 'and it keeps the label');
  for (let i = 0; i < 3; i++) count('[2001:db8::2]:80');
  assert.deepEqual(labels.labelled, ['203.0.113.2:443', '[2001:db8::2]:80']);
  // The two labels are taken: a third busy endpoint stays "other", however busy.
  for (let i = 0; i < 100; i++) assert.equal(count('203.0.113.2:25'), OTHER);
  assert.equal(labels.tracked, 0, 'with every label taken nothing is tracked');
  assert.equal([...counted.values()].reduce((a, b) => a + b, 0), 4 + 3 + 100, 'no attempt counted twice or lost');
  assert.deepEqual(Object.fromEntries(counted), { [OTHER]: 2 + 2 + 100, '203.0.113.2:443': 2, '[2001:db8::2]:80': 1 });
});

test('server label: a port scan promotes nothing and does not take the labels from a busy endpoint; memory stays bounded', () => {
  const labels = new EndpointLabels({ limit: 3, promoteAfter: 3, candidates: 64 });
  let busy = 0;
  for (let port = 1; port <= 20_000; port++) {
    assert.equal(labels.label(`203.0.113.2:${port}`), OTHER);
    // A real service with an attempt every 10 scanned ports.
    if (port % 10 === 0 && labels.label('203.0.113.9:443') !== OTHER) busy++;
    assert.ok(labels.tracked <= 64);
  }
  assert.deepEqual(labels.labelled, ['203.0.113.9:443']);
  assert.equal(busy, 2000 - 2, 'the busy endpoint counted under its own label from its 3rd attempt');
  const first = new EndpointLabels({ limit: 1, promoteAfter: 1 });
  assert.equal(first.label('a:1'), 'a:1', 'promoteAfter 1: the first N endpoints seen');
  assert.equal(first.label('b:1'), OTHER);
  assert.equal(new EndpointLabels({ limit: 0 }).label('a:1'), OTHER, '--metrics-endpoints 0: everything is other');
});

// ---- counting final verdicts ----------------------------------------------------------------

test('metrics of a fixture: the attempt counters equal the summary\'s verdict counts; the text is valid exposition format', async () => {
  const m = new SynscopeMetrics({ version: '9.9.9', limit: 1, processMetrics: false });
  const report = await analyze(fixture, { onFinal: (a) => m.final(a), onRevision: (a, p) => m.revision(p, a.verdict) });
  const fams = parsePromText(await m.text());
  synscopeFamilies(fams);
  for (const v of VERDICTS) {
    assert.equal(sumOf(fams, 'synscope_attempts_total', { verdict: v }), report.summary.verdicts[v] ?? 0, `${v} attempts`);
  }
  // One endpoint has a label of its own (limit 1): the first to reach 3 attempts, 203.0.113.20:8081.
  const servers = new Set(fams.get('synscope_attempts_total')!.samples.map((s) => s.labels.server));
  assert.deepEqual([...servers].sort(), ['203.0.113.20:8081', OTHER]);
  const refused = report.summary.verdicts.refused ?? 0;
  assert.ok(refused >= 3);
  assert.equal(sampleValue(fams, 'synscope_attempts_total', { verdict: 'refused', server: '203.0.113.20:8081' }), refused - 2);
  // Every verdict of a labelled endpoint exists from its promotion on, at 0 (increase() sees the first rise).
  assert.equal(sampleValue(fams, 'synscope_attempts_total', { verdict: 'backlog-drop', server: '203.0.113.20:8081' }), 0);
  const established = report.attempts.filter((a) => a.rttMs !== null);
  assert.equal(sumOf(fams, 'synscope_handshake_rtt_seconds_count', {}, 'synscope_handshake_rtt_seconds'), established.length);
  const rttSum = sumOf(fams, 'synscope_handshake_rtt_seconds_sum', {}, 'synscope_handshake_rtt_seconds');
  assert.ok(Math.abs(rttSum - established.reduce((s, a) => s + a.rttMs! / 1000, 0)) < 1e-9, 'RTTs observed in seconds');
  assert.equal(sampleValue(fams, 'synscope_build_info', { version: '9.9.9', node: process.version }), 1);
  assert.equal(fams.has('process_cpu_seconds_total'), false, 'processMetrics: false leaves out prom-client\'s process metrics');
});

test('a revised verdict is counted once, under the final verdict; the revision is counted on its own', async () => {
  const S = '203.0.113.20';
  const C = '198.51.100.10';
  const syn = (t: number): Step => ({ t, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: 1000, ack: 0, flags: 'S', ttl: 64 }) });
  const steps: Step[] = [
    syn(0), syn(1), syn(3),
    // The SYN-ACK comes after the handshake timeout (3 s, decided at 4 s): the verdict is revised.
    { t: 4.5, pkt: ipTcp({ src: S, dst: C, sport: 80, dport: 40000, seq: 5000, ack: 1001, flags: 'SA', ttl: 63 }) },
    { t: 4.501, pkt: ipTcp({ src: C, dst: S, sport: 40000, dport: 80, seq: 1001, ack: 5001, flags: 'A', ttl: 64 }) },
    // Much later, another attempt: the first one's report is final by then.
    { t: 40, pkt: ipTcp({ src: C, dst: S, sport: 40001, dport: 81, seq: 9000, ack: 0, flags: 'S', ttl: 64 }) },
    { t: 40.001, pkt: ipTcp({ src: S, dst: C, sport: 81, dport: 40001, seq: 0, ack: 9001, flags: 'RA', ttl: 63 }) },
  ];
  const m = new SynscopeMetrics({ version: 'test', processMetrics: false });
  const seen: Array<[Verdict, Verdict]> = [];
  const { report } = runScenario(steps, {
    onFinal: (a) => m.final(a),
    onRevision: (a, previous) => { seen.push([previous, a.verdict]); m.revision(previous, a.verdict); },
  });
  assert.equal(seen.length, 1, 'one revision');
  const [from, to] = seen[0];
  assert.notEqual(from, to);
  assert.equal(to, report.attempts[0].verdict, 'the revision gave the final verdict');
  const fams = parsePromText(await m.text());
  assert.equal(sumOf(fams, 'synscope_attempts_total', { verdict: to }), 1);
  assert.equal(sumOf(fams, 'synscope_attempts_total', { verdict: from }), 0, `the first verdict (${from}) is not counted`);
  assert.equal(sumOf(fams, 'synscope_attempts_total'), report.summary.attempts, 'every attempt once');
  assert.equal(sampleValue(fams, 'synscope_verdict_revisions_total', { from, to }), 1);
});

// ---- --metrics values -----------------------------------------------------------------------

test('parseListenAddress: [HOST:]PORT, HOST 127.0.0.1 by default, IPv6 in brackets', () => {
  assert.deepEqual(parseListenAddress('9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress(':9464'), { host: '127.0.0.1', port: 9464 });
  assert.deepEqual(parseListenAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
  assert.deepEqual(parseListenAddress('[::1]:9464'), { host: '::1', port: 9464 });
  assert.deepEqual(parseListenAddress('[2001:db8::7]:0'), { host: '2001:db8::7', port: 0 });
  assert.deepEqual(parseListenAddress('localhost:9464'), { host: 'localhost', port: 9464 });
  for (const bad of ['', 'abc', '99999', '127.0.0.1', '127.0.0.1:', '::1:9464', '[::1]9464', '[::1', '[127.0.0.1]:9464', '300.1.2.3:9464', 'a_b:9464', '1.2.3.4:-1', '9464x']) {
    assert.throws(() => parseListenAddress(bad), (e: Error) => /^--metrics "/.test(e.message) && /give \[HOST:\]PORT/.test(e.message), `"${bad}"`);
  }
});

test('bad --metrics and --metrics-endpoints values: one line naming the value, exit 2, before any capture', () => {
  const env = noCapEnv();
  oneLine(run(['live', '-i', 'lo', '--metrics', '::1:9464'], { env }), /^synscope: --metrics "::1:9464": an IPv6 address goes in brackets \(\[::1\]:9464\); give \[HOST:\]PORT/);
  oneLine(run(['live', '-i', 'lo', '--metrics', '70000'], { env }), /^synscope: --metrics "70000": the port must be a number 0-65535/);
  oneLine(run(['live', '-i', 'lo', '--metrics', 'web:'], { env }), /^synscope: --metrics "web:": the port must be a number 0-65535, and it is missing/);
  oneLine(run(['live', '-i', 'lo', '--metrics', '[::1]:9464', '--metrics-endpoints', 'many'], { env }), /^synscope: --metrics-endpoints takes a number of endpoints, 0\.\.10000, not "many"/);
  oneLine(run(['live', '-i', 'lo', '--metrics-endpoints', '5'], { env }), /^synscope: --metrics-endpoints sets the labels of --metrics; give --metrics \[HOST:\]PORT too/);
  // Not an address of this host (a documentation address): binding fails before the capture opens.
  oneLine(run(['live', '-i', 'lo', '--metrics', '198.51.100.77:9464'], { env }), /^synscope: --metrics 198\.51\.100\.77:9464: no interface of this host has that address; use 127\.0\.0\.1/);
});

test('serveMetrics: GET and HEAD /metrics, 404 elsewhere, 405 for other methods; close() ends kept-alive connections', async () => {
  let scrapes = 0;
  const source = { contentType: 'text/plain; version=0.0.4; charset=utf-8', text: async () => `# TYPE x_total counter\nx_total ${++scrapes}\n` };
  const server = await serveMetrics(source, { host: '127.0.0.1', port: 0 });
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const get = await fetch(server.url);
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('content-type'), source.contentType);
  assert.equal(await get.text(), '# TYPE x_total counter\nx_total 1\n');
  const head = await fetch(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), '');
  assert.equal((await fetch(server.url.replace('/metrics', '/nothing'))).status, 404);
  assert.equal((await fetch(`${server.url}?x=1`)).status, 200, 'a query string is ignored');
  const post = await fetch(server.url, { method: 'POST', body: 'x' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
  // fetch keeps its connection alive: close() must not wait for it.
  const closed = await Promise.race([server.close().then(() => true), new Promise((r) => setTimeout(() => r(false), 3000))]);
  assert.equal(closed, true, 'close() returned within 3 s');
  await assert.rejects(fetch(server.url), 'nothing listens after close()');
});

function listenOn(host: string): Promise<{ server: Server; port: number }> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen({ host, port: 0 }, () => res({ server, port: (server.address() as { port: number }).port }));
  });
}

test('a port already in use: one line, exit 2 (IPv4 and IPv6)', async () => {
  const env = noCapEnv();
  const v4 = await listenOn('127.0.0.1');
  try {
    const r = spawn(process.execPath, [bin, 'live', '-i', 'lo', '--metrics', String(v4.port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    r.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    r.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    // (Asynchronously: the listening socket lives in this process, whose event loop must keep running.)
    const code = await exitOf(r, 15_000);
    oneLine({ status: code, stderr, stdout } as never, new RegExp(`^synscope: --metrics ${v4.port}: the port is already in use \\(another synscope or exporter listens there\\); choose another port$`));
  } finally {
    v4.server.close();
  }
  const v6 = await listenOn('::1').catch(() => null);
  if (!v6) return; // no IPv6 loopback on this machine
  try {
    const r = spawn(process.execPath, [bin, 'live', '-i', 'lo', '--metrics', `[::1]:${v6.port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    r.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    assert.equal(await exitOf(r, 15_000), 2);
    assert.match(stderr, new RegExp(`^synscope: --metrics \\[::1\\]:${v6.port}: the port is already in use .*\\n$`));
  } finally {
    v6.server.close();
  }
});

// ---- docs/ examples ------------------------------------------------------------------------

const promtoolWhy = have('promtool') ? null : '`promtool` is not installed (apt-get install prometheus)';

test('docs: the scrape config, the alert rules and their unit tests pass promtool', gate(promtoolWhy, 'promtool check'), () => {
  requireRunnable(promtoolWhy, 'promtool checks');
  const check = (args: string[]) => {
    const r = spawnSync('promtool', args, { cwd: docs, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `promtool ${args.join(' ')}: ${r.stdout}${r.stderr}`);
    return r.stdout + r.stderr;
  };
  assert.match(check(['check', 'rules', 'synscope-alerts.yml']), /SUCCESS: 5 rules found/);
  assert.match(check(['check', 'config', 'prometheus.yml']), /valid prometheus config/);
  // The alerts fire for sustained refusals, backlog drops and forged resets, not for one probe.
  assert.match(check(['test', 'rules', 'synscope-alerts.test.yml']), /SUCCESS/);
  const rules = readFileSync(join(docs, 'synscope-alerts.yml'), 'utf8');
  for (const v of ['refused', 'backlog-drop', 'forged-reset']) {
    assert.match(rules, new RegExp(`sum by \\(instance, host, server\\) \\(increase\\(synscope_attempts_total\\{verdict="${v}"\\}\\[\\d+m\\]\\)\\)`), `an alert per endpoint on ${v}`);
  }
});

/** The unit's settings (the last value of each key wins, as in systemd). */
function unitSettings(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(docs, 'synscope.service'), 'utf8').split('\n')) {
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv) m.set(kv[1], kv[2]);
  }
  return m;
}

test('docs/synscope.service: capture capabilities only, no new privileges, restarts, metrics on localhost', () => {
  const u = unitSettings();
  assert.equal(u.get('AmbientCapabilities'), 'CAP_NET_RAW CAP_NET_ADMIN');
  assert.equal(u.get('CapabilityBoundingSet'), 'CAP_NET_RAW CAP_NET_ADMIN');
  assert.equal(u.get('NoNewPrivileges'), 'yes');
  assert.equal(u.get('DynamicUser'), 'yes');
  assert.equal(u.get('Restart'), 'on-failure');
  assert.match(u.get('ExecStart')!, /^\/\S+\/synscope live -i \$\{SYNSCOPE_INTERFACE\} --metrics 127\.0\.0\.1:9464 /);
  // The options of ExecStart are live's own.
  const help = run(['live', '--help']).stdout;
  for (const flag of u.get('ExecStart')!.match(/(?<=\s)--?[a-z][\w-]*/g)!) assert.match(help, new RegExp(`(^|[\\s,])${flag}[\\s,]`), flag);
  if (have('systemd-analyze')) {
    const copy = join(tmp, 'synscope.service');
    writeFileSync(copy, readFileSync(join(docs, 'synscope.service'), 'utf8').replace(/\/usr\/local\/bin\/synscope/, bin));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `systemd-analyze verify: ${r.stderr}`);
  }
});

// ---- live, in network namespaces -------------------------------------------------------------

const liveWhy = namespacesMissing() ?? (have('setpriv') ? null : '`setpriv` (util-linux) is not installed');
const id = String(process.pid % 100000);
const NS = { c: `ssmet-c${id}`, s: `ssmet-s${id}` };
const CLIENT_IP = '198.51.100.2';
const SERVER_IP = '198.51.100.3';
const nets = new Namespaces();
const children: ChildProcess[] = [];

const FETCH = `
const r = await fetch(process.argv[2], { signal: AbortSignal.timeout(5000) });
process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));
`;

before(() => {
  if (liveWhy) return;
  nets.add(NS.c);
  nets.add(NS.s);
  nets.link({ ns: NS.c, dev: 'c0', v4: `${CLIENT_IP}/24`, v6: '2001:db8:100::2/64' }, { ns: NS.s, dev: 's0', v4: `${SERVER_IP}/24`, v6: '2001:db8:100::3/64' });
  inNs(NS.s, ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '8083', '-j', 'DROP']);
  writeFileSync(join(tmp, 'listener.mjs'), ECHO_LISTENER);
  writeFileSync(join(tmp, 'client.mjs'), PLAN_CLIENT);
  writeFileSync(join(tmp, 'fetch.mjs'), FETCH);
});

after(() => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  nets.remove();
});

function scrape(url: string): { status: number; type: string; body: string } {
  const r = spawnSync('ip', ['netns', 'exec', NS.c, process.execPath, join(tmp, 'fetch.mjs'), url], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, `fetching ${url}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { status: number; type: string; body: string };
}

/** setpriv arguments that leave exactly the unit's capabilities (root without the others is as strong as its DynamicUser with them). */
function unitCapabilities(): string[] {
  const caps = unitSettings().get('AmbientCapabilities')!.split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  return ['setpriv', `--inh-caps=-all,${caps}`, `--ambient-caps=-all,${caps}`, `--bounding-set=-all,${caps}`, '--no-new-privs', '--'];
}

test('live --metrics in a namespace: /metrics over HTTP counts the refused, established and filtered attempts; --format json at SIGTERM', gate(liveWhy), async (t) => {
  requireRunnable(liveWhy);
  const listener = spawn('ip', ['netns', 'exec', NS.s, process.execPath, join(tmp, 'listener.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(listener);
  await waitFor(listener, 'stdout', /ready/, 10_000);

  const live = spawn('ip', ['netns', 'exec', NS.c, ...unitCapabilities(), process.execPath, bin, 'live', '-i', 'c0',
    '--metrics', '[::1]:9464', '--metrics-endpoints', '1', '--format', 'json', '--handshake-timeout', '1', '--duration', '120'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(live);
  let stdout = '';
  let stderr = '';
  live.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  live.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  await waitFor(live, 'stderr', /capturing on c0/, 15_000);
  assert.match(stderr, /^synscope: serving Prometheus metrics at http:\/\/\[::1\]:9464\/metrics$/m);
  // Only the capture capabilities (CAP_NET_ADMIN is bit 12, CAP_NET_RAW bit 13).
  const capEff = /^CapEff:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/${live.pid}/status`, 'utf8'))?.[1];
  assert.equal(capEff === undefined ? undefined : BigInt(`0x${capEff}`), (1n << 12n) | (1n << 13n), 'synscope live runs with CAP_NET_RAW and CAP_NET_ADMIN only');

  const url = 'http://[::1]:9464/metrics';
  const before = parsePromText(scrape(url).body);
  assert.equal(sumOf(before, 'synscope_attempts_total'), 0, 'no attempt yet');
  assert.equal(sampleValue(before, 'synscope_attempts_total', { verdict: 'refused', server: OTHER }), 0, 'the series exist from the start');

  const to = (port: number, lport: number, timeout?: number) => ({ local: CLIENT_IP, host: SERVER_IP, port, lport, timeout });
  // 8081 first: with --metrics-endpoints 1 it takes the only label (at its 3rd attempt); 8080 then stays "other".
  const plan = [to(8081, 41001), to(8081, 41002), to(8081, 41003), to(8081, 41004),
    to(8080, 41005), to(8080, 41006), to(8080, 41007), to(8083, 41008, 300), to(8083, 41009, 300)];
  const client = spawnSync('ip', ['netns', 'exec', NS.c, process.execPath, join(tmp, 'client.mjs'), JSON.stringify(plan)], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(client.status, 0, `client: ${client.stderr}`);
  assert.deepEqual(client.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { res: string }).res),
    ['ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'ECONNREFUSED', 'established', 'established', 'established', 'timeout', 'timeout']);

  // Final verdicts come about 10 s (the hold time) after the decision; filtered ones after the timeout too.
  let fams = before;
  const deadline = Date.now() + 40_000;
  for (;;) {
    const r = scrape(url);
    assert.equal(r.status, 200);
    assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    fams = parsePromText(r.body);
    if (sumOf(fams, 'synscope_attempts_total') >= plan.length || Date.now() > deadline) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const text = scrape(url).body;
  fams = parsePromText(text);
  const families = synscopeFamilies(fams);
  t.diagnostic(`scraped ${families.length} synscope families; attempts ${sumOf(fams, 'synscope_attempts_total')}`);
  const count = (verdict: string, server?: string) => server === undefined ? sumOf(fams, 'synscope_attempts_total', { verdict }) : sampleValue(fams, 'synscope_attempts_total', { verdict, server });
  assert.equal(count('refused'), 4, `refused; stderr: ${stderr}`);
  assert.equal(count('refused', `${SERVER_IP}:8081`), 2, 'from the third attempt on, under its own label');
  assert.equal(count('refused', OTHER), 2);
  assert.equal(count('established'), 3);
  assert.equal(count('established', OTHER), 3, 'the label limit (1) is taken: 8080 stays other');
  assert.equal(count('filtered'), 2, 'filtered, after the handshake timeout');
  assert.equal(count('filtered', OTHER), 2);
  assert.equal(sumOf(fams, 'synscope_attempts_total'), plan.length);
  assert.deepEqual(new Set(fams.get('synscope_attempts_total')!.samples.map((s) => s.labels.server)), new Set([OTHER, `${SERVER_IP}:8081`]));
  assert.equal(sampleValue(fams, 'synscope_handshake_rtt_seconds_count', { server: OTHER }, 'synscope_handshake_rtt_seconds'), 3);
  const rttSum = sampleValue(fams, 'synscope_handshake_rtt_seconds_sum', { server: OTHER }, 'synscope_handshake_rtt_seconds')!;
  assert.ok(rttSum > 0 && rttSum < 1, `RTT sum ${rttSum} s`);
  const packets = sampleValue(fams, 'synscope_packets_total')!;
  assert.ok(packets >= 4 * 2 + 3 * 3 + 2, `${packets} packets`);
  assert.equal(sampleValue(fams, 'synscope_packets_shed_total'), 0);
  assert.equal(sampleValue(fams, 'synscope_attempts_decided_early_total'), 0);
  assert.equal(sampleValue(fams, 'synscope_attempts_forgotten_total'), 0);
  assert.equal(sampleValue(fams, 'synscope_capture_errors_total', { kind: 'analysis' }), 0);
  assert.equal(sampleValue(fams, 'synscope_build_info', { version, node: process.version }), 1);
  assert.ok(fams.has('process_cpu_seconds_total') && fams.has('nodejs_heap_size_used_bytes'), 'prom-client\'s process metrics');
  // Every synscope metric is in the README's table, and the table names no other.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = new Set([...readme.matchAll(/^\| `(synscope_[a-z_]+)`/gm)].map((m) => m[1]));
  assert.deepEqual([...new Set(families.map((f) => f.name))].sort(), [...table].sort(), 'README metric table');
  if (have('promtool')) {
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    // promtool lints prom-client's own nodejs_active_*_total gauges; synscope's metrics must be clean.
    const problems = (lint.stdout + lint.stderr).split('\n').filter((l) => l.trim() && !/^nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(l));
    assert.deepEqual(problems, [], 'promtool check metrics');
  } else if (CI) {
    assert.fail('CI=true: promtool must be installed (.ci/run installs prometheus)');
  }

  live.kill('SIGTERM');
  assert.equal(await exitOf(live, 10_000), 0, `exit status; stderr: ${stderr}`);
  const doc = JSON.parse(stdout) as { attempts: Array<{ verdict: string; client: { port: number } }>; endpoints: unknown[]; summary: { attempts: number; verdicts: Record<string, number>; capture: { packets: number; interface: string } } };
  assert.deepEqual(doc.attempts.map((a) => [a.client.port, a.verdict]), plan.map((p, i) => [p.lport, i < 4 ? 'refused' : i < 7 ? 'established' : 'filtered']));
  assert.deepEqual(doc.summary.verdicts, { established: 3, refused: 4, filtered: 2 });
  assert.equal(doc.endpoints.length, 3);
  assert.equal(doc.summary.capture.interface, 'c0');
  assert.ok(doc.summary.capture.packets >= packets);
  if (existsSync(validator)) {
    const check = spawnSync(process.execPath, [validator], { input: stdout, encoding: 'utf8', timeout: 30_000 });
    assert.equal(check.status, 0, `contract validator: ${check.stdout}${check.stderr}`);
  }
});
