/**
 * Reading a pipe (issue 13, item 10): `tcpdump -U -w - | synscope analyze -` decides attempts on
 * the wall clock while the pipe is silent, as live capture does, instead of waiting for the
 * writer to exit. A real pipe into the real binary: a SYN is written, stdin stays open, and the
 * `filtered` line must come after the handshake timeout (plus twice the answer grace).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PcapWriter } from '../src/capture/writer.js';
import { bin, root } from './helpers/cli-run.js';
import { tcp4 } from './helpers/packets.js';

function syn(w: PcapWriter, sec: number, sport: number, dport: number): void {
  w.writePacket(sec, 0, tcp4({ src: '198.51.100.10', dst: '203.0.113.20', sport, dport, seq: 1000 + sport, flags: 'S' }));
}

/** Spawns `synscope analyze - --format ndjson ...args`, writes `first`, and collects lines with their arrival times (s). */
function piped(args: string[]) {
  const child = spawn(process.execPath, [bin, 'analyze', '-', '--format', 'ndjson', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  const t0 = performance.now();
  const lines: Array<{ at: number; obj: Record<string, any> }> = [];
  let buf = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push({ at: (performance.now() - t0) / 1000, obj: JSON.parse(buf.slice(0, nl)) });
      buf = buf.slice(nl + 1);
      waiters.splice(0).forEach((f) => f());
    }
  });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  const until = (pred: () => boolean, ms: number) => new Promise<boolean>((res) => {
    const timer = setTimeout(() => res(false), ms);
    const check = () => { if (pred()) { clearTimeout(timer); res(true); } else waiters.push(check); };
    check();
  });
  return { child, lines, until, exited, stderr: () => stderr, t0 };
}

test('a pipe left open: an unanswered SYN is reported filtered after the timeout, before stdin closes', { timeout: 30_000 }, async () => {
  const w = new PcapWriter({ linkType: 1 });
  const now = Math.floor(Date.now() / 1000);
  syn(w, now, 40000, 8082);
  const p = piped(['--handshake-timeout', '1']);
  const start = performance.now();
  p.child.stdin.write(w.toBuffer());
  // analyze's ndjson writes each attempt once, with its final verdict: the decision, then the 10 s hold.
  const got = await p.until(() => p.lines.some((l) => l.obj.type === 'attempt'), 20_000);
  const waited = (performance.now() - start) / 1000;
  if (!got) p.child.kill();
  assert.ok(got, `no attempt line within 20 s with stdin open; stderr: ${p.stderr()}`);
  const a = p.lines.find((l) => l.obj.type === 'attempt')!.obj;
  assert.equal(a.verdict, 'filtered');
  assert.equal(a.server.port, 8082);
  // Handshake timeout 1 s + twice the 0.5 s answer grace, then the next 200 ms tick; final 10 s later.
  assert.ok(waited >= 11.9, `reported after ${waited.toFixed(2)} s: too early`);
  assert.equal(p.child.exitCode, null, 'still running: stdin is open');
  p.child.stdin.end();
  assert.equal(await p.exited, 0, p.stderr());
  const summary = p.lines.at(-1)!.obj;
  assert.equal(summary.type, 'summary');
  assert.deepEqual(summary.verdicts, { filtered: 1 });
});

test('a pipe that stops in the middle of a record (block-buffered writer) is not decided on the wall clock', { timeout: 30_000 }, async () => {
  const w = new PcapWriter({ linkType: 1 });
  const now = Math.floor(Date.now() / 1000);
  syn(w, now, 40001, 8082);
  syn(w, now, 40002, 8083);
  const all = w.toBuffer();
  const p = piped(['--handshake-timeout', '1']);
  p.child.stdin.write(all.subarray(0, all.length - 10)); // the second SYN cut: more is coming
  const early = await p.until(() => p.lines.some((l) => l.obj.type === 'attempt'), 3500);
  assert.equal(early, false, 'decided while a record was half written');
  p.child.stdin.end(all.subarray(all.length - 10));
  assert.equal(await p.exited, 0, p.stderr());
  assert.deepEqual(p.lines.at(-1)!.obj.verdicts, { incomplete: 2 }, 'decided at the end of the input, from the capture\'s own times');
});
