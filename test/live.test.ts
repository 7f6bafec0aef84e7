/**
 * Live capture for real: network namespaces (client, router, server) joined by veth pairs, with
 * documentation addresses only (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). The server has a
 * listener on 8080, nothing on 8081, an iptables REJECT on 8082 and a DROP on 8083; the router
 * answers SYNs to 8084 with `REJECT --reject-with tcp-reset`. `synscope live` captures on the
 * client's interface while the client connects from fixed source ports; the streamed verdicts,
 * their timing, and the verdicts of the written pcap are checked.
 *
 * Needs root, ip, iptables/ip6tables and a built cap. Skipped with the reason otherwise, except
 * with CI=true, where a missing piece fails the test instead.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { capAvailable } from '../src/capture/live.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'synscope.js');
const CI = process.env.CI === 'true';
const tmp = mkdtempSync(join(tmpdir(), 'synscope-live-'));

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the namespace tests cannot run here, or null. */
function missing(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces and capture need root)';
  for (const c of ['ip', 'iptables', 'ip6tables']) if (!have(c)) return `\`${c}\` is not installed`;
  if (!capAvailable()) return 'the cap module cannot be loaded (apt-get install libpcap-dev && npm rebuild cap)';
  return null;
}

const reason = missing();
/** Skip with the reason, except in CI, where the test runs and fails on the reason. */
function gate(why: string | null): { skip?: string } {
  return why && !CI ? { skip: `live capture test skipped: ${why}` } : {};
}
function requireRunnable(why: string | null): void {
  if (why) assert.fail(`CI=true, so live capture tests must run, but ${why}`);
}

const id = String(process.pid % 100000);
const NS = { c: `sslive-c${id}`, r: `sslive-r${id}`, s: `sslive-s${id}` };
const children: ChildProcess[] = [];
let nsCreated = false;

function sh(args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}
function inNs(ns: string, cmd: string[]): string {
  return sh(['ip', 'netns', 'exec', ns, ...cmd]);
}

function setUpNetwork(): void {
  nsCreated = true;
  for (const ns of Object.values(NS)) sh(['ip', 'netns', 'add', ns]);
  sh(['ip', 'link', 'add', 'c0', 'netns', NS.c, 'type', 'veth', 'peer', 'name', 'r0', 'netns', NS.r]);
  sh(['ip', 'link', 'add', 'r1', 'netns', NS.r, 'type', 'veth', 'peer', 'name', 's0', 'netns', NS.s]);
  const cfg: Array<[string, string, string[], string[]]> = [
    [NS.c, 'c0', ['198.51.100.2/24'], ['2001:db8:100::2/64']],
    [NS.r, 'r0', ['198.51.100.1/24'], ['2001:db8:100::1/64']],
    [NS.r, 'r1', ['203.0.113.1/24'], ['2001:db8:113::1/64']],
    [NS.s, 's0', ['203.0.113.2/24'], ['2001:db8:113::2/64']],
  ];
  // Router mode first: switching forwarding on later resets the interfaces' IPv6 state.
  inNs(NS.r, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  inNs(NS.r, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1']);
  for (const [ns, dev, v4, v6] of cfg) {
    for (const a of v4) inNs(ns, ['ip', 'addr', 'add', a, 'dev', dev]);
    for (const a of v6) inNs(ns, ['ip', '-6', 'addr', 'add', a, 'dev', dev, 'nodad']);
    inNs(ns, ['ip', 'link', 'set', dev, 'up']);
  }
  for (const ns of Object.values(NS)) inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  inNs(NS.c, ['ip', 'route', 'add', 'default', 'via', '198.51.100.1']);
  inNs(NS.c, ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:100::1']);
  inNs(NS.s, ['ip', 'route', 'add', 'default', 'via', '203.0.113.1']);
  inNs(NS.s, ['ip', '-6', 'route', 'add', 'default', 'via', '2001:db8:113::1']);
  for (const ipt of ['iptables', 'ip6tables']) {
    inNs(NS.s, [ipt, '-A', 'INPUT', '-p', 'tcp', '--dport', '8082', '-j', 'REJECT']);
    inNs(NS.s, [ipt, '-A', 'INPUT', '-p', 'tcp', '--dport', '8083', '-j', 'DROP']);
  }
  inNs(NS.r, ['iptables', '-A', 'FORWARD', '-p', 'tcp', '--dport', '8084', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
}

function track(p: ChildProcess): ChildProcess {
  children.push(p);
  return p;
}

/** Resolves with the first stdout/stderr text matching `re`, or rejects after `ms`. */
function waitFor(p: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms: number): Promise<void> {
  return new Promise((res, rej) => {
    let seen = '';
    const timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${re} on ${stream}; got: ${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) { clearTimeout(timer); p[stream]!.off('data', on); res(); }
    };
    p[stream]!.on('data', on);
    p.once('exit', (code) => { clearTimeout(timer); if (!re.test(seen)) rej(new Error(`exited (${code}) before ${re} on ${stream}; got: ${seen}`)); });
  });
}

function exitOf(p: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((res, rej) => {
    if (p.exitCode !== null) { res(p.exitCode); return; }
    const timer = setTimeout(() => rej(new Error(`process did not exit within ${ms} ms`)), ms);
    p.once('exit', (code) => { clearTimeout(timer); res(code); });
  });
}

const LISTENER = `
import net from 'node:net';
const srv = net.createServer((c) => { c.on('error', () => {}); c.on('data', () => c.end('ok')); });
srv.listen({ host: '::', port: 8080, ipv6Only: false }, () => console.log('ready'));
`;

const CLIENT = `
import net from 'node:net';
const plan = JSON.parse(process.argv[2]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (const s of plan) {
  if (s.pause) { await sleep(s.pause); continue; }
  const t = Date.now();
  const res = await new Promise((resolve) => {
    const sock = net.connect({ host: s.host, port: s.port, localAddress: s.local, localPort: s.lport });
    const timer = setTimeout(() => { sock.destroy(); resolve('timeout'); }, s.timeout ?? 2000);
    sock.on('connect', () => sock.write('hi'));
    sock.on('data', () => {});
    sock.on('end', () => { clearTimeout(timer); sock.end(); resolve('established'); });
    sock.on('error', (e) => { clearTimeout(timer); resolve(e.code); });
  });
  console.log(JSON.stringify({ lport: s.lport, t, res }));
}
`;

const V4 = { local: '198.51.100.2', host: '203.0.113.2' };
const V6 = { local: '2001:db8:100::2', host: '2001:db8:113::2' };
interface Step { local?: string; host?: string; port?: number; lport?: number; want?: string; timeout?: number; pause?: number }
const PLAN: Step[] = [
  { ...V4, port: 8080, lport: 40001, want: 'established' },
  { ...V6, port: 8080, lport: 40002, want: 'established' },
  { ...V4, port: 8081, lport: 40003, want: 'refused' },
  { ...V6, port: 8081, lport: 40004, want: 'refused' },
  { ...V4, port: 8082, lport: 40005, want: 'rejected' },
  { ...V6, port: 8082, lport: 40006, want: 'rejected' },
  // After the connections above, so the client has seen the server's own TTL (63, one hop).
  { ...V4, port: 8084, lport: 40007, want: 'forged-reset' },
  // Given up after 0.5 s, before the first SYN retransmission.
  { ...V4, port: 8083, lport: 40008, want: 'filtered', timeout: 500 },
  { ...V6, port: 8083, lport: 40009, want: 'filtered', timeout: 500 },
  // A packet after the filtered attempts' deadlines: a pcap file cannot say that the capture went
  // on after its last packet, so without it the file would call them incomplete.
  { pause: 3000 },
  { ...V4, port: 8081, lport: 40010, want: 'refused' },
];

before(() => {
  if (reason) return;
  setUpNetwork();
  writeFileSync(join(tmp, 'listener.mjs'), LISTENER);
  writeFileSync(join(tmp, 'client.mjs'), CLIENT);
});

after(() => {
  for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  if (nsCreated) for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  rmSync(tmp, { recursive: true, force: true });
});

test('live capture streams refused, established, rejected, forged-reset and filtered verdicts; the written pcap gives the same', gate(reason), async () => {
  requireRunnable(reason);
  const listener = track(spawn('ip', ['netns', 'exec', NS.s, process.execPath, join(tmp, 'listener.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor(listener, 'stdout', /ready/, 10_000);

  // Warm-up before capturing: neighbour discovery in fresh namespaces can hold the first IPv6
  // packets for a second, which would make the first attempts' timing depend on it.
  const warm = spawnSync('ip', ['netns', 'exec', NS.c, process.execPath, join(tmp, 'client.mjs'), JSON.stringify([
    { ...V4, port: 8080, lport: 39001, timeout: 4000 }, { ...V6, port: 8080, lport: 39002, timeout: 4000 }])], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(warm.status, 0, `warm-up client: ${warm.stderr}`);
  for (const l of warm.stdout.trim().split('\n')) assert.equal(JSON.parse(l).res, 'established', `warm-up connection: ${l}`);

  const pcap = join(tmp, 'live.pcap');
  const live = track(spawn('ip', ['netns', 'exec', NS.c, process.execPath, bin, 'live', '-i', 'c0', '--format', 'ndjson',
    '--duration', '30', '--handshake-timeout', '2', '-w', pcap], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  live.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines: Array<{ at: number; obj: Record<string, unknown> }> = [];
  let buf = '';
  const wanted = PLAN.filter((p) => p.want).length;
  let allSeen: () => void = () => {};
  const seen = new Promise<void>((res) => { allSeen = res; });
  live.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const text = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!text.trim()) continue;
      lines.push({ at: Date.now(), obj: JSON.parse(text) });
      if (lines.filter((l) => l.obj.type === 'attempt').length >= wanted) allSeen();
    }
  });
  await waitFor(live, 'stderr', /capturing on c0/, 10_000);

  const steps = PLAN.map(({ want, ...s }) => { void want; return s; });
  const client = track(spawn('ip', ['netns', 'exec', NS.c, process.execPath, join(tmp, 'client.mjs'), JSON.stringify(steps)], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let clientOut = '';
  client.stdout!.on('data', (d: Buffer) => { clientOut += d.toString(); });
  assert.equal(await exitOf(client, 15_000), 0, 'client script failed');
  const started = new Map<number, number>();
  for (const l of clientOut.trim().split('\n')) {
    const r = JSON.parse(l) as { lport: number; t: number; res: string };
    started.set(r.lport, r.t);
  }

  let limit: NodeJS.Timeout | undefined;
  await Promise.race([seen, new Promise((_, rej) => {
    limit = setTimeout(() => rej(new Error(`only ${lines.filter((l) => l.obj.type === 'attempt').length} of ${wanted} verdicts within 8 s; stderr: ${stderr}`)), 8000);
  })]).finally(() => clearTimeout(limit));
  live.kill('SIGINT');
  assert.equal(await exitOf(live, 5000), 0, `synscope live exit status; stderr: ${stderr}`);

  try {
    const attempts = lines.filter((l) => l.obj.type === 'attempt');
    const byPort = new Map<number, { at: number; verdict: string; reason: string }>();
    for (const l of attempts) {
      const c = l.obj.client as { port: number };
      byPort.set(c.port, { at: l.at, verdict: l.obj.verdict as string, reason: l.obj.reason as string });
    }
    for (const p of PLAN) {
      if (!p.want || !p.lport) continue;
      const got = byPort.get(p.lport);
      assert.ok(got, `no verdict for client port ${p.lport}`);
      assert.equal(got.verdict, p.want, `client port ${p.lport} -> ${p.host}:${p.port}: ${got.reason}`);
      const delay = got.at - started.get(p.lport)!;
      if (p.want === 'filtered') {
        assert.ok(delay >= 2000 && delay < 5000, `filtered ${p.lport} streamed ${delay} ms after its SYN (handshake timeout 2 s)`);
      } else if (p.want !== 'established') {
        assert.ok(delay < 1000, `${p.want} ${p.lport} streamed ${delay} ms after the attempt, not within a second`);
      }
    }
    const endpoints = lines.filter((l) => l.obj.type === 'endpoint');
    assert.ok(endpoints.length >= 5, 'endpoint lines at the end');
    const summary = lines.at(-1)!.obj as { type: string; attempts: number; capture: { drops: number | null; dropsNote: string; packets: number } };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.attempts, wanted);
    assert.equal(summary.capture.drops, null);
    assert.match(summary.capture.dropsNote, /cannot be had/);

    // The written file: nanosecond pcap, every captured packet, the same verdicts.
    const file = readFileSync(pcap);
    assert.equal(file.readUInt32LE(0), 0xa1b23c4d, 'nanosecond pcap magic');
    const report = await analyze(pcap, { handshakeTimeout: 2 });
    assert.equal(report.summary.packets, summary.capture.packets);
    const fromFile = new Map(report.attempts.map((a) => [a.client.port, a.verdict]));
    for (const [port, got] of byPort) assert.equal(fromFile.get(port), got.verdict, `file verdict for client port ${port}`);
    assert.equal(report.attempts.length, wanted);
  } catch (e) {
    // Keep the evidence: the capture and what synscope printed.
    const keep = join(tmpdir(), `synscope-live-failed-${process.pid}.pcap`);
    try { copyFileSync(pcap, keep); } catch { /* no capture written */ }
    (e as Error).message += `\n(capture kept in ${keep}; synscope stdout:\n${lines.map((l) => JSON.stringify(l.obj)).join('\n')}\nstderr: ${stderr})`;
    throw e;
  }
});

test('live --count stops after N packets, prints the table line, drops root with -Z', gate(reason), async () => {
  requireRunnable(reason);
  const p = track(spawn('ip', ['netns', 'exec', NS.c, process.execPath, bin, 'live', '-i', 'lo', '--count', '2', '--duration', '10', '-Z', 'nobody'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  await waitFor(p, 'stderr', /capturing on lo/, 10_000);
  inNs(NS.c, [process.execPath, '-e', "require('net').connect(1, '127.0.0.1').on('error', () => {})"]);
  assert.equal(await exitOf(p, 8000), 0, err);
  assert.match(err, /dropped root privileges: now running as user nobody \(uid 65534/);
  assert.match(out, /127\.0\.0\.1:\d+ -> 127\.0\.0\.1:1\s+refused\s+/);
  assert.match(out, /^2 packets, 1 connection attempts: refused 1$/m);
  assert.match(out, /capture: 2 packets captured on lo; libpcap drop counts cannot be had/);
});

/** How to run synscope without capture rights: as nobody if it can read the project, else root without CAP_NET_RAW. */
function unprivileged(): { cmd: string[]; why: string | null } {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { cmd: [process.execPath], why: null };
  if (!have('setpriv')) return { cmd: [], why: '`setpriv` is not installed' };
  const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath];
  const probe = spawnSync(nobody[0], [...nobody.slice(1), '-e', `require('fs').accessSync(${JSON.stringify(join(root, 'dist', 'src', 'capture', 'live.js'))})`], { stdio: 'ignore' });
  if (probe.status === 0) return { cmd: nobody, why: null };
  return { cmd: ['setpriv', '--bounding-set=-net_raw,-net_admin', '--inh-caps=-net_raw,-net_admin', process.execPath], why: null };
}

test('without capture rights: one line about privileges, exit 2', gate(capAvailable() ? unprivileged().why : 'the cap module cannot be loaded'), () => {
  requireRunnable(capAvailable() ? unprivileged().why : 'the cap module cannot be loaded');
  const { cmd } = unprivileged();
  const r = spawnSync(cmd[0], [...cmd.slice(1), bin, 'live', '-i', 'lo', '--duration', '1'], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 2, `exit status ${r.status}; stderr: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^synscope: no permission to capture on lo .*CAP_NET_RAW.*run as root.*setcap cap_net_raw,cap_net_admin\+eip/);
  assert.equal(r.stdout, '');
});

test('an unknown interface: one line listing the real ones, exit 2', gate(capAvailable() ? null : 'the cap module cannot be loaded'), () => {
  requireRunnable(capAvailable() ? null : 'the cap module cannot be loaded');
  const r = spawnSync(process.execPath, [bin, 'live', '-i', 'nosuchif0'], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^synscope: no capture interface "nosuchif0"; the interfaces are: .*\blo\b/);
});

test('a bad filter: one line echoing libpcap\'s message, exit 2', gate(reason), () => {
  requireRunnable(reason);
  const bad = spawnSync(process.execPath, [bin, 'live', '-i', 'lo', 'tcp[['], { cwd: root, encoding: 'utf8', timeout: 15_000 });
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(bad.stderr.trim(), /^synscope: bad capture filter "tcp\[\[": libpcap said: .*syntax error$/);
});

test('without a loadable cap: live says how to build it, analyze keeps working', () => {
  const env = { ...process.env, SYNSCOPE_CAP_MODULE: join(tmp, 'no-such-cap') };
  const nocap = spawnSync(process.execPath, [bin, 'live', '-i', 'lo'], { cwd: root, encoding: 'utf8', env, timeout: 15_000 });
  assert.equal(nocap.status, 2);
  const lines = nocap.stderr.trim().split('\n');
  assert.equal(lines.length, 1, nocap.stderr);
  assert.match(lines[0], /^synscope: live capture needs the cap module built against libpcap: apt-get install libpcap-dev && npm rebuild cap/);
  const file = spawnSync(process.execPath, [bin, 'analyze', join(root, 'fixtures', 'basic-v4-client.pcap'), '--format', 'json'], { cwd: root, encoding: 'utf8', env, timeout: 15_000 });
  assert.equal(file.status, 0, file.stderr);
});
