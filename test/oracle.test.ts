/**
 * Differential test: our capture reader against the `pcap-parser` npm package as an oracle.
 *
 * Every classic-pcap file under fixtures/ (found at test time, recursively, by magic number, so
 * real captures dropped in later are covered too; gzip-wrapped ones included) is read by both,
 * and the records must agree: count, timestamp, caplen, origLen and bytes.
 *
 * What pcap-parser 0.2.1 cannot read is skipped with a diagnostic saying why (see
 * node_modules/pcap-parser/lib/pcap-parser.js): it knows only the two microsecond magics
 * (a1b2c3d4 in either byte order), so nanosecond (a1b23c4d) and "modified" (a1b2cd34) files are
 * rejected with "unknown magic number", and it knows nothing of pcapng or gzip (we hand it a
 * gunzip stream for .gz files). Nanosecond files are still compared: pcap-parser is given the
 * bytes with the magic relabelled as microsecond, so its `timestampMicroseconds` is the raw
 * nanosecond field, which must equal our tsNsec.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, createReadStream, existsSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { constants as zc, createGunzip, crc32, gunzipSync, gzipSync } from 'node:zlib';

import { readCapture, type ReadOptions } from '../src/capture/reader.js';
import type { CaptureInfo } from '../src/capture/record.js';
import { PcapWriter } from '../src/capture/writer.js';
import { mulberry32 } from './helpers/prng.js';

// ---------------------------------------------------------------------------
// pcap-parser (CommonJS, untyped)
// ---------------------------------------------------------------------------

interface PpHeader {
  timestampSeconds: number;
  timestampMicroseconds: number;
  capturedLength: number;
  originalLength: number;
}
interface PpParser {
  on(ev: 'globalHeader', fn: (h: { magicNumber: number; linkLayerType: number }) => void): PpParser;
  on(ev: 'packet', fn: (p: { header: PpHeader; data: Buffer }) => void): PpParser;
  on(ev: 'end', fn: () => void): PpParser;
  on(ev: 'error', fn: (e: Error) => void): PpParser;
  /** Internal: bytes received but not yet parsed (a cut-off record at the end). */
  buffer: Buffer | null;
}
const pcapParser = createRequire(import.meta.url)('pcap-parser') as { parse(input: string | NodeJS.ReadableStream): PpParser };

/** One record as seen by either reader. Timestamps as total nanoseconds (BigInt: sec * 1e9 overflows 2^53). */
interface Rec {
  ts: bigint;
  caplen: number;
  origLen: number;
  /** The bytes (small files) or only their CRC-32 (large files). */
  data: Buffer | null;
  crc: number;
}

/** Files above this are compared by CRC-32 of each record instead of keeping every record's bytes. */
const EXACT_LIMIT = 128 << 20;

interface PpResult {
  records: Rec[];
  error: Error | null;
  /** Bytes pcap-parser was left holding at the end (a cut-off header or record: it ignores them silently). */
  leftover: number;
}

/**
 * Reads with pcap-parser. `fracUnit` scales its `timestampMicroseconds` to nanoseconds: 1000 for
 * real microsecond files, 1 when we fed it a nanosecond file relabelled as microsecond.
 */
function readWithPcapParser(input: Readable, fracUnit: bigint, exact: boolean): Promise<PpResult> {
  return new Promise((resolveP) => {
    const records: Rec[] = [];
    let error: Error | null = null;
    const p = pcapParser.parse(input);
    p.on('packet', ({ header: h, data }) => {
      records.push({
        ts: BigInt(h.timestampSeconds) * 1_000_000_000n + BigInt(h.timestampMicroseconds) * fracUnit,
        caplen: h.capturedLength,
        origLen: h.originalLength,
        data: exact ? data : null,
        crc: exact ? 0 : crc32(data),
      });
      // pcap-parser reports capturedLength from the header; the data it hands over must match it.
      if (data.length !== h.capturedLength) error ??= new Error(`pcap-parser: record ${records.length} has ${data.length} bytes, header says ${h.capturedLength}`);
    });
    p.on('error', (e) => { error ??= e; });
    // On a bad magic pcap-parser emits 'error' then 'end' itself and leaves the stream paused.
    p.on('end', () => {
      input.destroy();
      resolveP({ records, error, leftover: p.buffer?.length ?? 0 });
    });
  });
}

async function readWithOurs(file: string, exact: boolean, opts: ReadOptions = {}): Promise<{ records: Rec[]; info: CaptureInfo }> {
  const records: Rec[] = [];
  const info = await readCapture(file, (r) => {
    const bytes = r.buf.subarray(r.off, r.off + r.caplen);
    assert.ok(r.tsNsec >= 0 && r.tsNsec < 1e9, `${file}: frame ${r.frame}: tsNsec ${r.tsNsec} out of range`);
    assert.equal(r.frame, records.length + 1, `${file}: frame numbers must count from 1`);
    records.push({
      ts: BigInt(r.tsSec) * 1_000_000_000n + BigInt(r.tsNsec),
      caplen: r.caplen,
      origLen: r.origLen,
      // The record and its bytes are reused: copy.
      data: exact ? Buffer.from(bytes) : null,
      crc: exact ? 0 : crc32(bytes),
    });
  }, opts);
  return { records, info };
}

function fmtTs(ts: bigint): string {
  return `${ts / 1_000_000_000n}.${(ts % 1_000_000_000n).toString().padStart(9, '0')}`;
}

function assertSameRecords(what: string, ours: Rec[], theirs: Rec[], theirName = 'pcap-parser'): void {
  const n = Math.min(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    const a = ours[i]!;
    const b = theirs[i]!;
    const at = `${what}: frame ${i + 1}`;
    assert.equal(fmtTs(a.ts), fmtTs(b.ts), `${at}: timestamp (ours vs ${theirName})`);
    assert.equal(a.caplen, b.caplen, `${at}: caplen (ours vs ${theirName})`);
    assert.equal(a.origLen, b.origLen, `${at}: origLen (ours vs ${theirName})`);
    if (a.data && b.data) {
      if (!a.data.equals(b.data)) {
        let j = 0;
        while (j < a.data.length && a.data[j] === b.data[j]) j++;
        assert.fail(`${at}: bytes differ from offset ${j} (ours ${a.data.subarray(j, j + 8).toString('hex')}, ${theirName} ${b.data.subarray(j, j + 8).toString('hex')})`);
      }
    } else {
      const ca = a.data ? crc32(a.data) : a.crc;
      const cb = b.data ? crc32(b.data) : b.crc;
      assert.equal(ca, cb, `${at}: CRC-32 of the bytes (ours vs ${theirName})`);
    }
  }
  assert.equal(ours.length, theirs.length, `${what}: record count (ours vs ${theirName})`);
}

// ---------------------------------------------------------------------------
// fixture discovery
// ---------------------------------------------------------------------------

const here = dirname(fileURLToPath(import.meta.url));

function fixturesDir(): string {
  const candidates = [resolve(here, '../../fixtures'), resolve(here, '../fixtures'), resolve(process.cwd(), 'fixtures')];
  const dir = candidates.find((d) => existsSync(d) && statSync(d).isDirectory());
  if (!dir) throw new Error(`no fixtures directory; looked in ${candidates.join(', ')}`);
  return dir;
}

type Kind =
  | { kind: 'pcap'; nanos: boolean; modified: boolean; bigEndian: boolean; gzip: boolean }
  | { kind: 'pcapng'; gzip: boolean }
  | { kind: 'other' };

const MAGICS: Record<number, { nanos: boolean; modified: boolean }> = {
  0xa1b2c3d4: { nanos: false, modified: false },
  0xa1b23c4d: { nanos: true, modified: false },
  0xa1b2cd34: { nanos: false, modified: true },
};

/** Classifies a file by its first bytes (decompressing a gzip prefix), never by its name. */
function classify(file: string): Kind {
  const fd = openSync(file, 'r');
  const head = Buffer.alloc(64 * 1024);
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  let b = head.subarray(0, n);
  let gzip = false;
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) {
    gzip = true;
    try {
      b = gunzipSync(b, { finishFlush: zc.Z_SYNC_FLUSH });
    } catch {
      return { kind: 'other' };
    }
  }
  if (b.length < 4) return { kind: 'other' };
  if (b.readUInt32BE(0) === 0x0a0d0d0a) return { kind: 'pcapng', gzip };
  for (const [m, v] of Object.entries(MAGICS)) {
    if (b.readUInt32BE(0) === Number(m)) return { kind: 'pcap', ...v, bigEndian: true, gzip };
    if (b.readUInt32LE(0) === Number(m)) return { kind: 'pcap', ...v, bigEndian: false, gzip };
  }
  return { kind: 'other' };
}

/** The file's (decompressed) bytes as a stream, optionally with the pcap magic replaced. */
function openForOracle(file: string, gzip: boolean, relabel?: { bigEndian: boolean; magic: number }): Readable {
  let s: Readable = createReadStream(file);
  if (gzip) {
    const g = createGunzip();
    s.on('error', (e) => g.destroy(e));
    s = s.pipe(g);
  }
  if (!relabel) return s;
  const magic = Buffer.alloc(4);
  if (relabel.bigEndian) magic.writeUInt32BE(relabel.magic);
  else magic.writeUInt32LE(relabel.magic);
  let pos = 0;
  const patch = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (pos < 4) {
        chunk = Buffer.from(chunk);
        for (let i = 0; i < chunk.length && pos + i < 4; i++) chunk[i] = magic[pos + i]!;
      }
      pos += chunk.length;
      cb(null, chunk);
    },
  });
  s.on('error', (e) => patch.destroy(e));
  return s.pipe(patch);
}

function listFiles(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

// ---------------------------------------------------------------------------
// 1. every classic-pcap fixture
// ---------------------------------------------------------------------------

test('our reader agrees with pcap-parser on every classic-pcap fixture', async (t) => {
  const dir = fixturesDir();
  const files = listFiles(dir);
  let compared = 0;
  let ignored = 0;
  for (const file of files) {
    const name = relative(dir, file);
    const k = classify(file);
    if (k.kind === 'other') {
      ignored++;
      continue;
    }
    if (k.kind === 'pcapng') {
      t.diagnostic(`skipped ${name}: pcapng${k.gzip ? ' (gzip)' : ''}; pcap-parser reads classic pcap only`);
      continue;
    }
    if (k.modified) {
      t.diagnostic(`skipped ${name}: "modified" pcap (magic a1b2cd34, 24-byte record headers); pcap-parser rejects the magic`);
      continue;
    }
    const exact = statSync(file).size <= EXACT_LIMIT;
    await t.test(name, async (st) => {
      let ours: { records: Rec[]; info: CaptureInfo } | null = null;
      let oursError: Error | null = null;
      try {
        ours = await readWithOurs(file, exact);
      } catch (e) {
        oursError = e as Error;
      }
      let pp: PpResult;
      if (k.nanos) {
        // pcap-parser has no nanosecond support: check it still refuses the file, then compare
        // with the magic relabelled as microsecond (its "microseconds" are then our nanoseconds).
        const direct = await readWithPcapParser(openForOracle(file, k.gzip), 1000n, exact);
        assert.match(String(direct.error), /unknown magic number/, `${name}: pcap-parser was expected to reject the nanosecond magic; it now reads it, compare directly`);
        st.diagnostic(`${name}: nanosecond pcap; pcap-parser rejects it ("${direct.error!.message}"), compared with the magic relabelled as µs so its µs field carries our ns`);
        pp = await readWithPcapParser(openForOracle(file, k.gzip, { bigEndian: k.bigEndian, magic: 0xa1b2c3d4 }), 1n, exact);
      } else {
        pp = await readWithPcapParser(openForOracle(file, k.gzip), 1000n, exact);
      }
      if (pp.error) {
        st.diagnostic(`skipped ${name}: pcap-parser cannot read it: ${pp.error.message}`);
        return;
      }
      if (!ours) {
        // Ours refuses only when there is nothing to read; pcap-parser then must have found no packet either.
        assert.equal(pp.records.length, 0, `${name}: our reader failed (${oursError?.message}) where pcap-parser read ${pp.records.length} packets`);
        st.diagnostic(`${name}: unreadable: ours rejects it (${oursError?.message}); pcap-parser silently reads 0 packets`);
        return;
      }
      assertSameRecords(name, ours.records, pp.records);
      // A cut-off tail: pcap-parser drops it silently, ours must say the file is damaged.
      assert.equal(ours.info.damaged, pp.leftover > 0, `${name}: ours damaged=${ours.info.damaged}, pcap-parser left ${pp.leftover} unparsed bytes (warnings: ${ours.info.warnings.join(' | ')})`);
      if (ours.info.damaged) {
        st.diagnostic(`${name}: damaged; both stop after ${ours.records.length} records; pcap-parser silently drops ${pp.leftover} trailing bytes, ours warns: ${ours.info.warnings.join(' | ')}`);
      }
      compared++;
    });
  }
  t.diagnostic(`${compared} classic-pcap files compared under ${dir}; ${ignored} non-capture files ignored`);
  assert.ok(compared > 0, `no classic pcap compared under ${dir}`);
});

// ---------------------------------------------------------------------------
// 2. a generated ~20k-packet capture, plain and gzip, path and stream
// ---------------------------------------------------------------------------

const rng = mulberry32;

function generate(path: string, count: number, bigEndian: boolean, seed: number): Rec[] {
  const rand = rng(seed);
  const snaplen = 1200;
  const truth: Rec[] = [];
  const fd = openSync(path, 'w');
  try {
    const w = new PcapWriter({ linkType: 1, snaplen, bigEndian }, (chunk) => writeSync(fd, chunk));
    let sec = 1_773_480_413;
    let usec = 0;
    for (let i = 0; i < count; i++) {
      // Gaps from 0 to ~0.3 s, so microsecond values cover the whole range including 999999.
      usec += Math.floor(rand() * rand() * 300_000);
      if (i % 997 === 0) usec = 999_999;
      sec += Math.floor(usec / 1e6);
      usec %= 1e6;
      const r = rand();
      const wire = r < 0.6 ? 54 + Math.floor(rand() * 40) : r < 0.9 ? 60 + Math.floor(rand() * 1455) : 1514;
      const data = Buffer.allocUnsafe(wire);
      for (let j = 0; j < wire; j++) data[j] = (rand() * 256) | 0;
      // Sub-µs digits are dropped by a µs file: the truth keeps only what it stores.
      const nsec = usec * 1000 + Math.floor(rand() * 1000);
      w.writePacket(sec, nsec, data);
      const kept = data.subarray(0, Math.min(wire, snaplen));
      truth.push({ ts: BigInt(sec) * 1_000_000_000n + BigInt(usec * 1000), caplen: kept.length, origLen: wire, data: Buffer.from(kept), crc: 0 });
    }
  } finally {
    closeSync(fd);
  }
  return truth;
}

test('a generated 20k-packet capture: both readers, plain and gzip, path and stream', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'synscope-oracle-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  for (const bigEndian of [false, true]) {
    const tag = bigEndian ? 'be' : 'le';
    const file = join(tmp, `gen-${tag}.pcap`);
    const truth = generate(file, 20_000, bigEndian, bigEndian ? 2 : 1);
    const pp = await readWithPcapParser(createReadStream(file), 1000n, true);
    assert.equal(pp.error, null);
    assert.equal(pp.leftover, 0);
    assertSameRecords(`${tag}: pcap-parser vs written`, pp.records, truth, 'what was written');

    const ours = await readWithOurs(file, true);
    assert.equal(ours.info.damaged, false);
    assert.deepEqual(ours.info.warnings, []);
    assert.equal(ours.info.byteOrder, bigEndian ? 'big-endian' : 'little-endian');
    assertSameRecords(`${tag}: ours from path`, ours.records, pp.records);

    // Records straddling chunk boundaries (odd chunk size) go through the deframer's carry buffer.
    const small = await readWithOurs(file, true, { chunkSize: 997 });
    assertSameRecords(`${tag}: ours with 997-byte chunks`, small.records, pp.records);

    const gz = join(tmp, `gen-${tag}.pcap.gz`);
    writeFileSync(gz, gzipSync(readFileSync(file)));
    const fromPath = await readWithOurs(gz, true);
    assert.equal(fromPath.info.compression, 'gzip');
    assert.equal(fromPath.info.damaged, false);
    assertSameRecords(`${tag}: ours gzip from path`, fromPath.records, ours.records, 'ours plain');

    const fromStream = await readWithOurs(gz, true, { stream: createReadStream(gz, { highWaterMark: 4096 }) });
    assert.equal(fromStream.info.compression, 'gzip');
    assert.equal(fromStream.info.damaged, false);
    assertSameRecords(`${tag}: ours gzip from stream`, fromStream.records, ours.records, 'ours plain');

    // And pcap-parser over a gunzip stream, for completeness.
    const ppGz = await readWithPcapParser(openForOracle(gz, true), 1000n, true);
    assertSameRecords(`${tag}: ours gzip vs pcap-parser gunzip`, fromStream.records, ppGz.records);
    t.diagnostic(`${tag}: ${truth.length} packets, identical across pcap-parser, ours (path, 997-byte chunks, gzip path, gzip stream)`);
  }
});
