/**
 * Network namespaces for live-capture tests (the approach of test/live.test.ts): the test creates
 * them, joins them by veth pairs with documentation addresses, runs programs inside with
 * `ip netns exec`, and deletes them at the end. Skipped with the reason when the machine cannot do
 * it (not root, no iproute2/iptables, no cap), except with CI=true, where the test runs and fails
 * on the reason instead.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { capAvailable } from '../../src/capture/live.js';

export const CI = process.env.CI === 'true';

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why namespace tests cannot run here, or null. */
export function namespacesMissing(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not root (network namespaces and capture need root)';
  for (const c of ['ip', 'iptables', 'ip6tables']) if (!have(c)) return `\`${c}\` is not installed`;
  if (!capAvailable()) return 'the cap module cannot be loaded (apt-get install libpcap-dev && npm rebuild cap)';
  return null;
}

/** node:test options: skip with the reason, except in CI, where the test runs (and fails on it). */
export function gate(why: string | null, what = 'live capture test'): { skip?: string } {
  return why && !CI ? { skip: `${what} skipped: ${why}` } : {};
}

export function requireRunnable(why: string | null, what = 'live capture tests'): void {
  if (why) assert.fail(`CI=true, so ${what} must run, but ${why}`);
}

export function sh(args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

export function inNs(ns: string, cmd: string[]): string {
  return sh(['ip', 'netns', 'exec', ns, ...cmd]);
}

/** Interface addresses: one veth end in one namespace. */
export interface VethEnd { ns: string; dev: string; v4: string; v6: string }

/** Namespaces made by a test; `remove()` deletes every one (also after a failure half-way). */
export class Namespaces {
  private readonly made: string[] = [];

  add(ns: string): string {
    sh(['ip', 'netns', 'add', ns]);
    this.made.push(ns);
    inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A veth pair between two namespaces, addressed and up (IPv6 without duplicate detection, so usable at once). */
  link(a: VethEnd, b: VethEnd): void {
    sh(['ip', 'link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      inNs(end.ns, ['ip', 'addr', 'add', end.v4, 'dev', end.dev]);
      inNs(end.ns, ['ip', '-6', 'addr', 'add', end.v6, 'dev', end.dev, 'nodad']);
      inNs(end.ns, ['ip', 'link', 'set', end.dev, 'up']);
    }
  }

  remove(): void {
    for (const ns of this.made.splice(0)) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
  }
}

/** Resolves with the first stdout/stderr text matching `re`, or rejects after `ms`. */
export function waitFor(p: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp, ms: number): Promise<string> {
  return new Promise((res, rej) => {
    let seen = '';
    const timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms waiting for ${re} on ${stream}; got: ${seen}`)), ms);
    const on = (d: Buffer) => {
      seen += d.toString();
      const m = re.exec(seen);
      if (m) { clearTimeout(timer); p[stream]!.off('data', on); res(m[0]); }
    };
    p[stream]!.on('data', on);
    p.once('exit', (code) => { clearTimeout(timer); if (!re.test(seen)) rej(new Error(`exited (${code}) before ${re} on ${stream}; got: ${seen}`)); });
  });
}

export function exitOf(p: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((res, rej) => {
    if (p.exitCode !== null) { res(p.exitCode); return; }
    const timer = setTimeout(() => rej(new Error(`process did not exit within ${ms} ms`)), ms);
    p.once('exit', (code) => { clearTimeout(timer); res(code); });
  });
}

/** A listener on port 8080 (IPv4 and IPv6) that answers "ok" to any data; prints "ready" once listening. */
export const ECHO_LISTENER = `
import net from 'node:net';
const srv = net.createServer((c) => { c.on('error', () => {}); c.on('data', () => c.end('ok')); });
srv.listen({ host: '::', port: 8080, ipv6Only: false }, () => console.log('ready'));
`;

/**
 * A client that runs a plan (JSON in argv[2]): connects from `local`:`lport` to `host`:`port`, sends
 * "hi", and prints one JSON line per step `{lport, t, res}` (res: established, timeout or the error
 * code); a step `{pause: ms}` waits.
 */
export const PLAN_CLIENT = `
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
