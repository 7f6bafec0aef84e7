/**
 * Damaged input in scripts (issue 13, items 7 and 8), through the real binary: warnings on stderr
 * in table form (in the document for JSON and NDJSON), `--strict`, the count of records lost,
 * and rotated sets whose newest file is empty or one of whose files cannot be read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, json, oneLine, run, STACK } from './helpers/cli-run.js';
import { splitCapture } from './helpers/split.js';

const tmp = mkdtempSync(join(tmpdir(), 'synscope-damage-'));
const capture = readFileSync(fixture);

/** The fixture's records repeated to 100 records (later copies moved on by 100 s each). */
function hundredRecords(): Buffer {
  const recs: Buffer[] = [];
  for (let off = 24; off < capture.length;) {
    const len = 16 + capture.readUInt32LE(off + 8);
    recs.push(capture.subarray(off, off + len));
    off += len;
  }
  const out = [capture.subarray(0, 24)];
  for (let i = 0; i < 100; i++) {
    const r = Buffer.from(recs[i % recs.length]!);
    r.writeUInt32LE(r.readUInt32LE(0) + Math.floor(i / recs.length) * 100, 0);
    out.push(r);
  }
  return Buffer.concat(out);
}

/** Offset of record `n` (1-based). */
function recordAt(b: Buffer, n: number): number {
  let off = 24;
  for (let i = 1; i < n; i++) off += 16 + b.readUInt32LE(off + 8);
  return off;
}

/** 100 records, the 5th (4 % of the way in) claiming 200000 captured bytes: the file "ends inside" it. */
function corruptLength(): { path: string; offset: number } {
  const b = hundredRecords();
  const offset = recordAt(b, 5);
  b.writeUInt32LE(200000, offset + 8);
  const path = join(tmp, 'corrupt-length.pcap');
  writeFileSync(path, b);
  return { path, offset };
}

test('a record length corrupt 4 % of the way in: 96 records lost, counted; exit 0 without --strict', () => {
  const { path, offset } = corruptLength();
  const doc = json(run(['analyze', path, '--format', 'json']));
  assert.equal(doc.summary.packets, 4);
  const w = doc.summary.warnings.find((x: string) => x.startsWith(`${path}: byte ${offset}: `));
  assert.ok(w, doc.summary.warnings.join('\n'));
  assert.match(w, /record 5 claims a length of 200016 bytes, but only \d+ follow: its length is corrupt/);
  assert.match(w, /; 96 records lost \(\d+ bytes, 9\d\.\d% of the file\), 4 packets before it were analysed/);
  assert.doesNotMatch(w, /the last record was lost/);
});

test('records after the damage that cannot be counted are estimated: "about N"', () => {
  const b = hundredRecords();
  const offset = recordAt(b, 5);
  b.writeUInt32LE(200000, offset + 8);
  b.fill(0xee, offset + 16); // nothing after it looks like a record any more
  const path = join(tmp, 'corrupt-junk.pcap');
  writeFileSync(path, b);
  const doc = json(run(['analyze', path, '--format', 'json']));
  const w = doc.summary.warnings.find((x: string) => x.includes(`byte ${offset}`));
  assert.match(w, /its length is probably corrupt \(the 4 records before it averaged \d+ bytes\); about \d+ records lost/);
  const n = Number(/about (\d+) records/.exec(w)![1]);
  assert.ok(n >= 40 && n <= 200, `about ${n}: 96 were lost (an estimate from the 4 records before)`);
});

test('a file cut inside its last record: "the last record was lost"', () => {
  const path = join(tmp, 'cut.pcap');
  writeFileSync(path, capture.subarray(0, capture.length - 30));
  const w = json(run(['analyze', path, '--format', 'json'])).summary.warnings.join('\n');
  assert.match(w, /cut\.pcap: byte \d+: the file ends inside a record \(\d+ of its \d+ bytes present\); the last record was lost, 46 packets before it were analysed/);
});

test('a record length beyond any limit: the loss is estimated in records too', () => {
  const b = hundredRecords();
  const offset = recordAt(b, 5);
  b.writeUInt32LE(0xfffffff0, offset + 8);
  const path = join(tmp, 'huge-length.pcap');
  writeFileSync(path, b);
  const w = json(run(['analyze', path, '--format', 'json'])).summary.warnings.join('\n');
  assert.match(w, /record 5 claims 4294967280 captured bytes.*the rest is not read .*; about \d+ records lost, at the \d+ bytes the 4 records before it averaged \(\d+ bytes, 9\d\.\d% of the file\)$/);
});

test('table format: the warning goes to stderr, the table on stdout has none', () => {
  const { path } = corruptLength();
  const r = run(['analyze', path]);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout, /warning|records lost/);
  assert.match(r.stdout, /^4 packets, /m);
  assert.match(r.stderr, /^synscope: warning: .*corrupt-length\.pcap: byte \d+: .*96 records lost/m);
  const nd = run(['analyze', path, '--format', 'ndjson']).stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(nd.some((l) => l.type === 'warning' && /96 records lost/.test(l.message)));
});

test('--strict: exit 2 after the report when an input was damaged or cut off; exit 0 for a sound one', () => {
  const { path } = corruptLength();
  for (const format of ['table', 'json', 'ndjson']) {
    const r = run(['analyze', path, '--strict', '--format', format]);
    assert.equal(r.status, 2, `${format}: ${r.stderr}`);
    assert.match(r.stdout, format === 'table' ? /^4 packets/m : /"packets":\s?4/, 'the report is still printed');
    assert.match(r.stderr, /^synscope: --strict: .*corrupt-length\.pcap is damaged or cut off/m);
    assert.doesNotMatch(r.stderr, STACK);
  }
  const cut = join(tmp, 'cut-strict.pcap');
  writeFileSync(cut, capture.subarray(0, capture.length - 30));
  assert.equal(run(['analyze', cut, '--strict', '--format', 'json']).status, 2);
  const ok = run(['analyze', fixture, '--strict', '--format', 'json']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stderr, '');
  assert.match(run(['analyze', '--help']).stdout, /--strict/);
});

// ---------------------------------------------------------------------------
// rotated sets
// ---------------------------------------------------------------------------

/** A set as tcpdump -C leaves it while writing: two captures and the newest, still empty. */
async function rotated(name: string): Promise<string> {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  await splitCapture(fixture, 20, join(dir, 'cap.pcap'), join(dir, 'cap.pcap1'));
  writeFileSync(join(dir, 'cap.pcap2'), '');
  return dir;
}

test('a rotated set whose newest file is still empty: the pattern and the directory both skip it, with a warning', async () => {
  const dir = await rotated('empty-newest');
  for (const arg of [join(dir, 'cap.pcap*'), dir]) {
    const doc = json(run(['analyze', arg, '--format', 'json']));
    assert.equal(doc.summary.attempts, 13, arg);
    assert.deepEqual(doc.summary.files, [join(dir, 'cap.pcap'), join(dir, 'cap.pcap1')]);
    assert.ok(doc.summary.warnings.some((w: string) => w.startsWith(`${join(dir, 'cap.pcap2')}: empty (0 bytes`)), doc.summary.warnings.join('\n'));
    const table = run(['analyze', arg]);
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stderr, /^synscope: warning: .*cap\.pcap2: empty \(0 bytes.*skipped/m);
    // An empty file is no damage: --strict still passes.
    assert.equal(run(['analyze', arg, '--strict', '--format', 'json']).status, 0);
  }
});

test('one unreadable file in a set: a warning naming it, the others analysed; --strict fails on it', async () => {
  const dir = await rotated('one-bad');
  // A header cut short (a file copied while tcpdump wrote it) and a file that is no capture.
  writeFileSync(join(dir, 'cap.pcap3'), capture.subarray(0, 10));
  writeFileSync(join(dir, 'cap.pcap4'), 'not a capture at all');
  const pattern = join(dir, 'cap.pcap*');
  const doc = json(run(['analyze', pattern, '--format', 'json']));
  assert.equal(doc.summary.attempts, 13);
  const w = doc.summary.warnings.join('\n');
  assert.match(w, /cap\.pcap3: byte 0: file ends inside the capture header.*: skipped, the other files of the set were read \(--strict makes this an error\)/);
  assert.match(w, /cap\.pcap4: byte 0: not a pcap or pcapng capture.*: skipped/);
  oneLine(run(['analyze', pattern, '--strict']), /cap\.pcap3: byte 0: file ends inside the capture header/);
  // In a directory, a file that does not start like a capture is not part of the set; a cut header is.
  const fromDir = json(run(['analyze', dir, '--format', 'json']));
  assert.equal(fromDir.summary.attempts, 13);
  assert.match(fromDir.summary.warnings.join('\n'), /cap\.pcap3: byte 0: file ends inside the capture header.*skipped/);
  assert.doesNotMatch(fromDir.summary.warnings.join('\n'), /cap\.pcap4/);
  // Named on its own, an unreadable file is still the error it was.
  oneLine(run(['analyze', join(dir, 'cap.pcap3')]), /cap\.pcap3: byte 0: file ends inside the capture header/);
});

test('a pattern matching only files that cannot be read: one line, exit 2', () => {
  const dir = join(tmp, 'all-bad');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'x.pcap0'), '');
  writeFileSync(join(dir, 'x.pcap1'), 'junk');
  oneLine(run(['analyze', join(dir, 'x.pcap*')]), /x\.pcap\*: none of the 2 matching files can be read/);
});
