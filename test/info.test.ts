/**
 * `synscope info` against tshark: every capture under fixtures/ (found at test time, recursively,
 * so new fixtures are covered) that has a `<file>.tshark.json` (written by
 * fixtures/tshark-counts.sh) must give tshark's packet, SYN, SYN-ACK, RST and ICMP-unreachable
 * counts and link types. Also: timestamp precision in first/last, and the CLI's JSON output and
 * error behaviour.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { fileInfo, type FileInfo } from '../src/info/info.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'fixtures');
const CRAFTED = join(FIXTURES, 'crafted');

const tmp = mkdtempSync(join(tmpdir(), 'synscope-info-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface TsharkCounts {
  packets: number;
  syn: number;
  synAck: number;
  rst: number;
  icmpUnreachable: number;
  linkTypes: number[];
  nonPacketRecords?: number;
  tsharkError?: string;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && !e.name.endsWith('.tshark.json') && existsSync(`${p}.tshark.json`)) out.push(p);
  }
  return out.sort();
}

const withTshark = walk(FIXTURES);

test('at least 20 fixtures carry tshark counts', () => {
  assert.ok(withTshark.length >= 20, `found only ${withTshark.length} captures with a .tshark.json under ${FIXTURES}`);
});

for (const file of withTshark) {
  const name = relative(FIXTURES, file);
  test(`info matches tshark: ${name}`, async () => {
    const want = JSON.parse(readFileSync(`${file}.tshark.json`, 'utf8')) as TsharkCounts;
    const got = await fileInfo(file);
    // tshark's "packets" already leaves out non-packet records (pcapng custom blocks).
    assert.deepEqual(
      { packets: got.packets, syn: got.syn, synAck: got.synAck, rst: got.rst, icmpUnreachable: got.icmpUnreachable },
      { packets: want.packets, syn: want.syn, synAck: want.synAck, rst: want.rst, icmpUnreachable: want.icmpUnreachable },
    );
    // tshark-counts.sh lists link types sorted; info lists them in order of appearance.
    assert.deepEqual([...got.linkTypes].sort((a, b) => a - b), want.linkTypes);
    assert.equal(got.linkTypeNames.length, got.linkTypes.length);
    // Where tshark could not read to the end, we must say so too.
    if (want.tsharkError) assert.ok(got.warnings.length > 0, `tshark: ${want.tsharkError}; synscope gave no warning`);
    if (got.packets > 0) {
      assert.notEqual(got.first, null);
      assert.notEqual(got.last, null);
    }
  });
}

// ---------------------------------------------------------------------------
// precision
// ---------------------------------------------------------------------------

function fraction(iso: string | null): string {
  const m = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d+))?Z$/.exec(iso ?? '');
  assert.ok(m, `not an ISO time: ${iso}`);
  return m[1] ?? '';
}

test('nanosecond precision survives to first/last; microsecond files show 6 digits', async () => {
  const ns = await fileInfo(join(CRAFTED, 'be-nsec.pcap'));
  assert.equal(ns.first, '2026-03-14T09:28:13.123456789Z');
  assert.equal(ns.last, '2026-03-14T09:28:13.987655320Z');
  assert.equal(ns.tsPrecision, 'nanosecond');
  assert.equal((await fileInfo(join(CRAFTED, 'le-nsec.pcap'))).last, '2026-03-14T09:28:13.987655320Z');
  const us = await fileInfo(join(CRAFTED, 'be-usec.pcap'));
  assert.equal(us.first, '2026-03-14T09:28:13.123456Z');
  assert.equal(us.last, '2026-03-14T09:28:13.987655Z');
  assert.equal(us.tsPrecision, 'microsecond');
  assert.ok(Math.abs(ns.durationSec! - 0.864198531) < 1e-9, String(ns.durationSec));
  // pcapng with a µs and a ns interface: the finest wins.
  const mixed = await fileInfo(join(CRAFTED, 'multi-if.pcapng'));
  assert.equal(mixed.first, '2026-03-14T09:28:23.000000000Z');
  assert.equal(mixed.last, '2026-03-14T09:28:24.012345000Z');
  const two = await fileInfo(join(CRAFTED, 'two-sections.pcapng'));
  assert.equal(two.last, '2026-03-14T09:28:27.012345679Z');
});

test('every classic pcap fixture: 9 fractional digits for ns magic, 6 for µs', async () => {
  let checked = 0;
  for (const file of withTshark) {
    const head = Buffer.alloc(4);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, head, 0, 4, 0);
    } finally {
      closeSync(fd);
    }
    const magic = [head.readUInt32LE(0), head.readUInt32BE(0)];
    const digits = magic.includes(0xa1b23c4d) ? 9 : magic.includes(0xa1b2c3d4) ? 6 : 0;
    if (digits === 0) continue;
    const info = await fileInfo(file);
    if (info.packets === 0) continue;
    assert.equal(fraction(info.first).length, digits, `${file} first ${info.first}`);
    assert.equal(fraction(info.last).length, digits, `${file} last ${info.last}`);
    checked++;
  }
  assert.ok(checked >= 10, `only ${checked} classic pcap files checked`);
});

test('a gzip-compressed capture gives the same info as the plain file', async () => {
  const plain = join(CRAFTED, 'icmp-quote.pcap');
  const gz = join(tmp, 'icmp-quote.pcap.gz');
  writeFileSync(gz, gzipSync(readFileSync(plain)));
  const a = await fileInfo(plain);
  const b = await fileInfo(gz);
  assert.equal(b.compression, 'gzip');
  const pick = (i: FileInfo) => [i.packets, i.syn, i.synAck, i.rst, i.icmpUnreachable, i.icmpErrors, i.tcp, i.first, i.last, i.linkTypes];
  assert.deepEqual(pick(b), pick(a));
});

// ---------------------------------------------------------------------------
// the CLI
// ---------------------------------------------------------------------------

function cli(...args: string[]) {
  return spawnSync(process.execPath, ['bin/synscope.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
}

const PICK = ['packets', 'syn', 'synAck', 'rst', 'icmpUnreachable', 'linkTypes', 'first', 'last', 'format', 'byteOrder'] as const;

function pickFields(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(PICK.map((k) => [k, o[k]]));
}

test('synscope info --format json prints the fields for one file', async () => {
  const rel = 'fixtures/crafted/multi-if.pcapng';
  const r = cli('info', rel, '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.ok(!Array.isArray(out), 'one file gives one object');
  assert.equal(out.file, rel);
  const direct = await fileInfo(join(ROOT, rel));
  assert.deepEqual(pickFields(out), pickFields(direct as unknown as Record<string, unknown>));
  assert.deepEqual(out.linkTypes, [1, 101]);
  assert.equal(out.packets, 8);
  assert.equal(out.first, '2026-03-14T09:28:23.000000000Z');
});

test('synscope info --format json prints an array for several files, in order', () => {
  const files = ['fixtures/crafted/be-nsec.pcap', 'fixtures/crafted/icmp-quote.pcap', 'fixtures/crafted/sll2.pcap'];
  const r = cli('info', ...files, '--format', 'json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown>[];
  assert.ok(Array.isArray(out));
  assert.deepEqual(out.map((o) => o.file), files);
  for (const [i, f] of files.entries()) {
    const want = JSON.parse(readFileSync(join(ROOT, `${f}.tshark.json`), 'utf8')) as TsharkCounts;
    assert.equal(out[i]!.packets, want.packets, f);
    assert.equal(out[i]!.syn, want.syn, f);
    assert.equal(out[i]!.icmpUnreachable, want.icmpUnreachable, f);
  }
  assert.equal(out[0]!.last, '2026-03-14T09:28:13.987655320Z');
  assert.deepEqual(out[2]!.linkTypes, [276]);
});

function assertOneErrorLine(r: ReturnType<typeof cli>, ...parts: string[]): void {
  assert.equal(r.status, 2, `exit status; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${r.stderr}`);
  assert.ok(lines[0]!.startsWith('synscope: '), lines[0]);
  assert.ok(!/\n\s+at /.test(r.stderr) && !/Error:/.test(r.stderr), `no stack trace: ${r.stderr}`);
  for (const p of parts) assert.ok(lines[0]!.includes(p), `${JSON.stringify(lines[0])} should contain ${JSON.stringify(p)}`);
}

test('synscope info on a non-capture: exit 2, one line, no stack trace', () => {
  const f = join(tmp, 'not-a-capture.txt');
  writeFileSync(f, 'this is plain text, not packets\n');
  assertOneErrorLine(cli('info', f, '--format', 'json'), f, 'byte 0');
  assertOneErrorLine(cli('info', f), f);
});

test('synscope info on a missing file: exit 2, one line naming it', () => {
  const f = join(tmp, 'missing.pcap');
  assertOneErrorLine(cli('info', f, '--format', 'json'), f, 'no such file');
});
