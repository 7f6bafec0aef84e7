/**
 * `--workers 2`: the attempts' JSON is written by a second thread from packed records. The
 * document must be the very same bytes as the single-threaded one, for every fixture, for a
 * rotated set (frames in other files), and for a stream of attempts large enough to fill every
 * shared batch; a reader that closes the pipe early ends it quietly, as it does the main thread.
 * `--workers auto` (the default) takes the second thread for large inputs only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyze } from '../src/analyze.js';
import { inputBytes } from '../src/capture/inputs.js';
import { PcapWriter } from '../src/capture/writer.js';
import { AUTO_WORKERS_MIN_BYTES, jsonThreads } from '../src/report/json-stream.js';
import { ipTcp } from './helpers/packets.js';
import { splitCapture } from './helpers/split.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'bin', 'synscope.js');
const tmp = mkdtempSync(join(tmpdir(), 'synscope-workers-'));

function json(files: string[], workers: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, [bin, 'analyze', ...files, '--format', 'json', '--workers', workers], { cwd: root, maxBuffer: 1 << 30 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function same(files: string[]): void {
  const one = json(files, '1');
  const two = json(files, '2');
  assert.equal(two.status, one.status, two.stderr);
  assert.equal(two.stderr, one.stderr);
  assert.ok(two.stdout.equals(one.stdout), `${files.join(' ')}: --workers 2 wrote other bytes (${two.stdout.length} vs ${one.stdout.length})`);
}

test('every fixture: the same JSON document with --workers 2', () => {
  const captures = [
    ...readdirSync(join(root, 'fixtures')).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f)).map((f) => join('fixtures', f)),
    ...readdirSync(join(root, 'fixtures', 'adversarial')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join('fixtures', 'adversarial', f)),
  ];
  assert.ok(captures.length >= 30, `${captures.length} fixtures`);
  for (const c of captures) same([c]);
});

test('a rotated set: attempts spanning two files come out the same', async () => {
  const a = join(tmp, 'set.pcap1');
  const b = join(tmp, 'set.pcap2');
  const fixture = join(root, 'fixtures', 'basic-v4-client.pcap');
  // Split between the filtered attempt's first and second SYN.
  const syns = (await analyze(fixture)).attempts.find((x) => x.verdict === 'filtered')!.frames;
  await splitCapture(fixture, syns[0], a, b);
  same([b, a]);
  const doc = JSON.parse(json([a, b], '2').stdout.toString());
  assert.ok(doc.attempts.some((x: { otherFrames?: unknown[] }) => x.otherFrames?.length), 'an attempt with frames in the other file');
});

/** 20,000 attempts of every answer kind, IPv4 and IPv6: more than all the shared batches hold. */
let big: string | null = null;

function bigCapture(): string {
  if (big) return big;
  const file = join(tmp, 'big.pcap');
  const w = new PcapWriter({ linkType: 101 });
  const t0 = 1_790_000_000;
  let t = 0;
  const at = (dt: number): [number, number] => [t0 + Math.floor(t + dt), Math.floor(((t + dt) % 1) * 1e6) * 1000];
  for (let i = 0; i < 20_000; i++) {
    const v6 = i % 5 === 0;
    const c = v6 ? `2001:db8:1::${(i % 4000).toString(16)}` : `198.51.100.${1 + (i % 250)}`;
    const s = v6 ? '2001:db8:2::1' : `203.0.113.${1 + (i % 7)}`;
    const sport = 10_000 + Math.floor(i / 250);
    const isn = (i * 7919) >>> 0;
    t += 0.0005;
    w.writePacket(...at(0), ipTcp({ src: c, dst: s, sport, dport: 80, seq: isn, flags: 'S', ttl: 64 }));
    if (i % 3 === 0) w.writePacket(...at(0.001), ipTcp({ src: s, dst: c, sport: 80, dport: sport, seq: 0, ack: isn + 1, flags: 'RA', ttl: 60 }));
    else if (i % 3 === 1) {
      w.writePacket(...at(0.001), ipTcp({ src: s, dst: c, sport: 80, dport: sport, seq: 5, ack: isn + 1, flags: 'SA', ttl: 60 }));
      w.writePacket(...at(0.002), ipTcp({ src: c, dst: s, sport, dport: 80, seq: isn + 1, ack: 6, flags: 'A', ttl: 64 }));
    }
  }
  writeFileSync(file, w.toBuffer());
  return (big = file);
}

test('20,000 attempts (every shared batch filled many times over): the same bytes', () => {
  const file = bigCapture();
  same([file]);
  const doc = JSON.parse(json([file], '2').stdout.toString());
  assert.equal(doc.attempts.length, 20_000);
  assert.equal(doc.summary.attempts, 20_000);
});

test('a reader that closes the pipe early: exit 0, nothing on stderr', async () => {
  const file = bigCapture();
  const child = spawn(process.execPath, [bin, 'analyze', file, '--format', 'json', '--workers', '2'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  child.stdout.once('data', () => child.stdout.destroy());
  const status = await new Promise<number | null>((res) => child.on('close', (code) => res(code)));
  assert.equal(status, 0, err);
  assert.equal(err, '');
});

test('an input error before any attempt leaves stdout empty, as with one thread; --workers 2 is for --format json', () => {
  for (const workers of ['1', '2']) {
    const r = json(['no-such-file.pcap'], workers);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stdout.length, 0, `--workers ${workers} wrote ${r.stdout.toString()}`);
    assert.match(r.stderr, /^synscope: no-such-file\.pcap: no such file/);
  }
  const r = spawnSync(process.execPath, [bin, 'analyze', 'fixtures/basic-v4-client.pcap', '--workers', '2'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^synscope: --workers 2 speeds up --format json only/);
});

test('--workers auto: two threads only for a large input of known size on two or more CPUs', async () => {
  const big = AUTO_WORKERS_MIN_BYTES;
  assert.equal(jsonThreads('auto', big, 2), 2);
  assert.equal(jsonThreads('auto', big - 1, 2), 1, 'a small input does not win back the thread start');
  assert.equal(jsonThreads('auto', big, 1), 1, 'one CPU: one thread');
  assert.equal(jsonThreads('auto', null, 8), 1, 'standard input: size unknown');
  assert.equal(jsonThreads('1', big, 8), 1);
  assert.equal(jsonThreads('2', 0, 1), 2, 'an explicit choice is kept');
  // The size is that of every capture the arguments name, directories and patterns expanded.
  const dir = join(root, 'fixtures', 'adversarial');
  const files = readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(dir, f));
  const sum = files.reduce((n, f) => n + statSync(f).size, 0);
  assert.equal(await inputBytes([dir]), sum);
  assert.equal(await inputBytes([files[0], files[1]]), statSync(files[0]).size + statSync(files[1]).size);
  assert.equal(await inputBytes([files[0], '-']), null);
  assert.equal(await inputBytes([join(tmp, 'no-such-file.pcap')]), null, 'the analysis, not the sizing, reports a missing file');
});
