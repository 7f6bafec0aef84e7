/**
 * Capture reader tests: classic pcap (both byte orders, µs and ns), pcapng (several interfaces,
 * link types and resolutions, SPB/OPB, skipped blocks, big-endian and mixed-endian sections,
 * 2^-k resolution with if_tsoffset), gzip, chunked streams, and every error/damage path.
 *
 * Expected timestamps were taken from `tshark -r F -T fields -e frame.time_epoch` (tshark 4.0.17)
 * when the test was written and are hard-coded here: CI has no tshark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { readCapture, type ReadOptions } from '../src/capture/reader.js';
import type { CaptureInfo } from '../src/capture/record.js';
import { PcapngWriter, PcapWriter } from '../src/capture/writer.js';
import { Decoder } from '../src/decode/decoder.js';
import { SynscopeError } from '../src/errors.js';
import { tcp4 } from './helpers/packets.js';

const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../../fixtures');
const CRAFTED = join(FIXTURES, 'crafted');
const crafted = (name: string): string => join(CRAFTED, name);

const tmp = mkdtempSync(join(tmpdir(), 'synscope-reader-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

interface Rec {
  frame: number;
  tsSec: number;
  tsNsec: number;
  caplen: number;
  origLen: number;
  linkType: number;
  ifIndex: number;
  tsDigits: number;
  fileOffset: number;
  data: Buffer;
}

/** Reads a capture, copying every record (the reader reuses its record and buffers). */
async function readAll(file: string, opts: ReadOptions = {}): Promise<{ info: CaptureInfo; recs: Rec[] }> {
  const recs: Rec[] = [];
  const info = await readCapture(file, (r) => {
    recs.push({
      frame: r.frame, tsSec: r.tsSec, tsNsec: r.tsNsec, caplen: r.caplen, origLen: r.origLen, linkType: r.linkType,
      ifIndex: r.ifIndex, tsDigits: r.tsDigits, fileOffset: r.fileOffset, data: Buffer.from(r.buf.subarray(r.off, r.off + r.caplen)),
    });
  }, opts);
  return { info, recs };
}

/** "1773480493.123456789" (tshark's frame.time_epoch) -> [sec, nsec]. */
function epoch(s: string): [number, number] {
  const [sec, frac = ''] = s.split('.');
  return [Number(sec), Number(frac.padEnd(9, '0').slice(0, 9))];
}

function times(recs: Rec[]): [number, number][] {
  return recs.map((r) => [r.tsSec, r.tsNsec]);
}

/** Splits a buffer into chunks whose sizes cycle through `sizes`. */
function chunked(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(buf.subarray(at, at + n));
    at += n;
  }
  return out;
}

function tmpFile(name: string, content: Buffer | string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

async function rejectsWith(p: Promise<unknown>, code: string, ...parts: (string | RegExp)[]): Promise<SynscopeError> {
  let err: unknown;
  await p.then(() => assert.fail(`expected a ${code} error, but reading succeeded`), (e: unknown) => { err = e; });
  assert.ok(err instanceof SynscopeError, `expected SynscopeError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(err.message.includes(part), `message ${JSON.stringify(err.message)} should contain ${JSON.stringify(part)}`);
    else assert.match(err.message, part);
  }
  assert.ok(!err.message.includes('\n'), 'error messages are one line');
  return err;
}

// ---------------------------------------------------------------------------
// classic pcap
// ---------------------------------------------------------------------------

// be-usec / be-nsec / le-nsec hold the same 5 packets; the µs file has the ns times cut to µs.
const NSEC_TIMES = ['1773480493.123456789', '1773480493.124456790', '1773480493.124544111', '1773480493.987654321', '1773480493.987655320'].map(epoch);
const USEC_TIMES = ['1773480493.123456000', '1773480493.124456000', '1773480493.124544000', '1773480493.987654000', '1773480493.987655000'].map(epoch);
const ENDIAN_CAPLENS = [74, 74, 66, 94, 74];

test('pcap big-endian microsecond: exact times, lengths, header info', async () => {
  const { info, recs } = await readAll(crafted('be-usec.pcap'));
  assert.equal(info.format, 'pcap');
  assert.equal(info.byteOrder, 'big-endian');
  assert.equal(info.version, '2.4');
  assert.equal(info.compression, null);
  assert.equal(info.interfaces.length, 1);
  assert.equal(info.interfaces[0]!.linkType, 1);
  assert.equal(info.interfaces[0]!.tsDigits, 6);
  assert.equal(info.interfaces[0]!.tsResolution, 'microsecond');
  assert.deepEqual(times(recs), USEC_TIMES);
  assert.deepEqual(recs.map((r) => r.caplen), ENDIAN_CAPLENS);
  assert.deepEqual(recs.map((r) => r.origLen), ENDIAN_CAPLENS);
  assert.deepEqual(recs.map((r) => r.frame), [1, 2, 3, 4, 5]);
  assert.ok(recs.every((r) => r.linkType === 1 && r.tsDigits === 6 && r.ifIndex === 0));
  // Record headers follow each other: 24-byte file header, then 16 + caplen per record.
  assert.deepEqual(recs.map((r) => r.fileOffset), [24, 114, 204, 286, 396]);
  assert.equal(info.packets, 5);
  assert.equal(info.bytesRead, 486);
  assert.deepEqual(info.first, USEC_TIMES[0]);
  assert.deepEqual(info.last, USEC_TIMES[4]);
  assert.deepEqual(info.warnings, []);
  assert.equal(info.damaged, false);
});

test('pcap big-endian nanosecond: full ns precision', async () => {
  const { info, recs } = await readAll(crafted('be-nsec.pcap'));
  assert.equal(info.byteOrder, 'big-endian');
  assert.equal(info.interfaces[0]!.tsDigits, 9);
  assert.equal(info.interfaces[0]!.tsResolution, 'nanosecond');
  assert.deepEqual(times(recs), NSEC_TIMES);
  assert.deepEqual(recs.map((r) => r.caplen), ENDIAN_CAPLENS);
  assert.ok(recs.every((r) => r.tsDigits === 9));
  assert.deepEqual(info.first, NSEC_TIMES[0]);
  assert.deepEqual(info.last, NSEC_TIMES[4]);
});

test('pcap little-endian nanosecond: same records as the big-endian files', async () => {
  const le = await readAll(crafted('le-nsec.pcap'));
  const be = await readAll(crafted('be-nsec.pcap'));
  const beUsec = await readAll(crafted('be-usec.pcap'));
  assert.equal(le.info.byteOrder, 'little-endian');
  assert.equal(le.info.interfaces[0]!.tsDigits, 9);
  assert.deepEqual(times(le.recs), NSEC_TIMES);
  assert.deepEqual(le.recs.map((r) => r.data), be.recs.map((r) => r.data));
  assert.deepEqual(le.recs.map((r) => r.data), beUsec.recs.map((r) => r.data));
  // Ethernet + IPv4 first: the byte order of the file must not leak into the packet bytes.
  assert.equal(le.recs[0]!.data.readUInt16BE(12), 0x0800);
});

test('pcap: microsecond field of 1000000 or more carries into the seconds', async () => {
  const w = new PcapWriter({ linkType: 1 });
  w.writePacket(100, 0, Buffer.alloc(60));
  const buf = w.toBuffer();
  buf.writeUInt32LE(2_500_000, 24 + 4); // 2.5 s worth of µs
  const { recs } = await readAll(tmpFile('usec-carry.pcap', buf));
  assert.deepEqual(times(recs), [[102, 500_000_000]]);
});

test('pcap with a header and no records: 0 packets, no times, not damaged', async () => {
  const head = readFileSync(crafted('be-usec.pcap')).subarray(0, 24);
  const { info, recs } = await readAll(tmpFile('header-only.pcap', head));
  assert.equal(recs.length, 0);
  assert.equal(info.packets, 0);
  assert.equal(info.first, null);
  assert.equal(info.last, null);
  assert.equal(info.damaged, false);
  assert.equal(info.interfaces.length, 1);
});

// ---------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------

test('pcapng multi-if: two link types, two resolutions, EPB/OPB/SPB, custom and local blocks skipped', async () => {
  const { info, recs } = await readAll(crafted('multi-if.pcapng'));
  assert.equal(info.format, 'pcapng');
  assert.equal(info.byteOrder, 'little-endian');
  assert.equal(info.version, '1.0');
  assert.equal(info.sections, 1);
  assert.deepEqual(info.interfaces.map((i) => [i.name, i.linkType, i.tsDigits, i.tsResolution, i.section]), [
    ['eth0', 1, 6, 'microsecond', 0],
    ['tun0', 101, 9, 'nanosecond', 0],
  ]);
  // tshark shows 9 frames: frame 4 is the custom block (not a packet), frame 8 the SPB (no time).
  assert.equal(recs.length, 8);
  assert.equal(info.packets, 8);
  // Frame numbers are Wireshark's: the custom block is frame 4, so packets after it are 5..9.
  assert.deepEqual(recs.map((r) => r.frame), [1, 2, 3, 5, 6, 7, 8, 9]);
  assert.deepEqual(recs.map((r) => r.linkType), [1, 101, 1, 101, 1, 101, 1, 1]);
  assert.deepEqual(recs.map((r) => r.ifIndex), [0, 1, 0, 1, 0, 1, 0, 0]);
  assert.deepEqual(recs.map((r) => r.tsDigits), [6, 9, 6, 9, 6, 9, 6, 6]);
  assert.deepEqual(recs.map((r) => r.caplen), [74, 80, 74, 80, 66, 72, 74, 54]);
  assert.deepEqual(recs.map((r) => r.origLen), [74, 80, 74, 80, 66, 72, 74, 54]);
  const tshark = ['1773480503.000000000', '1773480503.000500777', '1773480503.012345000', '1773480503.012846455',
    '1773480503.012433000', '1773480503.012933776' /* OPB */].map(epoch);
  assert.deepEqual(times(recs.slice(0, 6)), tshark);
  // The SPB has no timestamp (tshark shows none); the reader keeps the previous packet's time.
  assert.deepEqual(times([recs[6]!]), [tshark[5]]);
  assert.deepEqual(times([recs[7]!]), [epoch('1773480504.012345000')]);
  // The SPB carries an Ethernet IPv4 SYN, the OPB (raw IP) the IPv6 ACK.
  const dec = new Decoder();
  const spb = dec.decode(recs[6]!.data, 0, recs[6]!.caplen, recs[6]!.origLen, recs[6]!.linkType);
  assert.equal(spb.hasTcp, true);
  assert.equal(spb.tcp.flags, 0x02);
  const opb = dec.decode(recs[5]!.data, 0, recs[5]!.caplen, recs[5]!.origLen, recs[5]!.linkType);
  assert.equal(opb.ip.version, 6);
  assert.equal(opb.tcp.flags, 0x10);
  assert.deepEqual(info.first, tshark[0]);
  assert.deepEqual(info.last, epoch('1773480504.012345000'));
  assert.deepEqual(info.warnings, []);
  assert.equal(info.damaged, false);
});

test('pcapng big-endian section', async () => {
  const { info, recs } = await readAll(crafted('be.pcapng'));
  assert.equal(info.byteOrder, 'big-endian');
  assert.equal(info.interfaces[0]!.name, 'en0');
  assert.deepEqual(times(recs), ['1773480505.000000000', '1773480505.012345000', '1773480505.012432000', '1773480505.250000000', '1773480505.262345000'].map(epoch));
  assert.deepEqual(recs.map((r) => r.caplen), [74, 74, 66, 94, 74]);
  assert.deepEqual(info.warnings, []);
});

const TWO_SECTION_TIMES = ['1773480506.000000000', '1773480506.012345000', '1773480506.012432000', '1773480507.000000001', '1773480507.012345679'].map(epoch);

test('pcapng two sections: interface ids restart, link type and resolution change', async () => {
  const { info, recs } = await readAll(crafted('two-sections.pcapng'));
  assert.equal(info.sections, 2);
  assert.equal(info.byteOrder, 'little-endian');
  assert.deepEqual(info.interfaces.map((i) => [i.linkType, i.tsDigits, i.section]), [[1, 6, 0], [101, 9, 1]]);
  assert.deepEqual(times(recs), TWO_SECTION_TIMES);
  assert.deepEqual(recs.map((r) => r.linkType), [1, 1, 1, 101, 101]);
  assert.deepEqual(recs.map((r) => r.ifIndex), [0, 0, 0, 1, 1]);
  assert.deepEqual(recs.map((r) => r.caplen), [74, 74, 66, 80, 60]);
});

test('pcapng mixed-endian sections: same records as two-sections.pcapng', async () => {
  const mixed = await readAll(crafted('mixed-endian-sections.pcapng'));
  const two = await readAll(crafted('two-sections.pcapng'));
  assert.equal(mixed.info.byteOrder, 'mixed');
  assert.equal(mixed.info.sections, 2);
  assert.deepEqual(times(mixed.recs), TWO_SECTION_TIMES);
  const strip = (rs: Rec[]) => rs.map(({ fileOffset: _f, ...r }) => r);
  assert.deepEqual(strip(mixed.recs), strip(two.recs));
});

test('pcapng if_tsresol 2^-20 with if_tsoffset 1000 s', async () => {
  const { info, recs } = await readAll(crafted('tsresol-pow2.pcapng'));
  assert.equal(info.interfaces[0]!.tsResolution, '2^-20 s');
  assert.equal(info.interfaces[0]!.tsDigits, 7);
  assert.deepEqual(times(recs), ['1773480508.500000000', '1773480508.512345314', '1773480508.512432098'].map(epoch));
});

test('pcapng: negative if_tsoffset, 10^-3 and 10^-10 resolutions, timestamps near 2^64 units', async () => {
  const w = new PcapngWriter();
  const pkt = tcp4({ src: '198.51.100.10', dst: '203.0.113.20', sport: 40000, dport: 80, seq: 1, flags: 'S' });
  w.addInterface({ linkType: 1, tsresol: 9, tsoffset: -1000 });
  w.addInterface({ linkType: 1, tsresol: 3 });
  w.addInterface({ linkType: 1, tsresol: 10 }); // 1.77e19 units: above 2^63, below 2^64
  w.writePacket(0, 1773480508, 123456789, pkt);
  w.writePacket(1, 1773480508, 123000000, pkt);
  w.writePacket(2, 1773480508, 999999999, pkt);
  const { info, recs } = await readAll(tmpFile('resol.pcapng', w.toBuffer()));
  assert.deepEqual(times(recs), [[1773480508, 123456789], [1773480508, 123000000], [1773480508, 999999999]]);
  assert.deepEqual(recs.map((r) => r.tsDigits), [9, 3, 9]);
  assert.equal(info.interfaces[1]!.tsResolution, 'millisecond');
});

// ---------------------------------------------------------------------------
// gzip and streams
// ---------------------------------------------------------------------------

const ROUND_TRIP = ['be-usec.pcap', 'le-nsec.pcap', 'multi-if.pcapng', 'mixed-endian-sections.pcapng', 'tsresol-pow2.pcapng'];

test('gzip-compressed captures give the same records as the plain files', async () => {
  for (const name of ROUND_TRIP) {
    const plain = await readAll(crafted(name));
    const gz = tmpFile(`${name}.gz`, gzipSync(readFileSync(crafted(name))));
    const z = await readAll(gz);
    assert.equal(z.info.compression, 'gzip', name);
    assert.equal(plain.info.compression, null, name);
    assert.deepEqual(z.recs, plain.recs, name);
    assert.equal(z.info.bytesRead, plain.info.bytesRead, `${name}: bytesRead counts decompressed bytes`);
    assert.deepEqual(z.info.warnings, [], name);
  }
  // The name says nothing: gzip is found by its magic even without .gz.
  const disguised = tmpFile('disguised.pcap', gzipSync(readFileSync(crafted('be-nsec.pcap'))));
  const d = await readAll(disguised);
  assert.equal(d.info.compression, 'gzip');
  assert.deepEqual(times(d.recs), NSEC_TIMES);
});

test('a cut-off gzip stream: records before the damage, a warning, damaged', async () => {
  // Stored (level 0) so the cut lands in the packet data rather than before any output.
  const z = gzipSync(readFileSync(crafted('be-nsec.pcap')), { level: 0 });
  const { info, recs } = await readAll(tmpFile('cut.pcap.gz', z.subarray(0, z.length - 100)));
  assert.equal(info.damaged, true);
  assert.ok(recs.length >= 1 && recs.length < 5, `got ${recs.length} records`);
  assert.deepEqual(times(recs), NSEC_TIMES.slice(0, recs.length));
  assert.ok(info.warnings.some((w) => w.includes('cut.pcap.gz') && /byte \d+/.test(w)), info.warnings.join('\n'));
});

test('chunked streams (1, 3, 7 ... byte chunks) give the same records as reading the file at once', async () => {
  const names = [...ROUND_TRIP, 'be.pcapng', 'two-sections.pcapng', 'vlan-mpls.pcap', 'basic-v4-router.pcapng'];
  const patterns = [[1], [3], [7], [1, 3, 7], [5, 1, 11, 2], [23, 24, 25], [4093]];
  for (const name of names) {
    const file = name.startsWith('basic-') ? join(FIXTURES, name) : crafted(name);
    const bytes = readFileSync(file);
    const whole = await readAll(file);
    assert.ok(whole.recs.length > 0, name);
    for (const sizes of patterns) {
      const s = await readAll('-', { stream: Readable.from(chunked(bytes, sizes)) });
      assert.deepEqual(s.recs, whole.recs, `${name} in chunks of ${sizes.join(',')}`);
      assert.equal(s.info.packets, whole.info.packets);
      assert.equal(s.info.damaged, false);
      assert.deepEqual(s.info.warnings, []);
    }
    const gz = await readAll('-', { stream: Readable.from(chunked(gzipSync(bytes), [3, 7])) });
    assert.deepEqual(gz.recs, whole.recs, `${name} gzip in small chunks`);
  }
});

test('fs.createReadStream with a tiny highWaterMark and a small chunkSize match the whole-file read', async () => {
  const file = crafted('multi-if.pcapng');
  const whole = await readAll(file);
  const s = await readAll(file, { stream: createReadStream(file, { highWaterMark: 5 }) });
  assert.deepEqual(s.recs, whole.recs);
  const c = await readAll(file, { chunkSize: 13 });
  assert.deepEqual(c.recs, whole.recs);
});

test('a record larger than the 64 KiB carry buffer, split across chunks', async () => {
  const w = new PcapWriter({ linkType: 1, nanosecond: true });
  const big = Buffer.alloc(200_000);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
  w.writePacket(1000, 1, Buffer.alloc(60, 1));
  w.writePacket(1001, 2, big);
  w.writePacket(1002, 3, Buffer.alloc(70, 3));
  const bytes = w.toBuffer();
  const { recs, info } = await readAll('-', { stream: Readable.from(chunked(bytes, [4093, 1, 65536])) });
  assert.equal(info.damaged, false);
  assert.deepEqual(times(recs), [[1000, 1], [1001, 2], [1002, 3]]);
  assert.deepEqual(recs.map((r) => r.caplen), [60, 200_000, 70]);
  assert.ok(recs[1]!.data.equals(big));
  assert.ok(recs[2]!.data.equals(Buffer.alloc(70, 3)));
});

// ---------------------------------------------------------------------------
// errors and damage
// ---------------------------------------------------------------------------

test('not a capture: ERR_NOT_A_CAPTURE naming the file and byte 0', async () => {
  const f = tmpFile('notes.txt', 'hello, this is not a capture file\n');
  const e = await rejectsWith(readAll(f), 'ERR_NOT_A_CAPTURE', f, 'byte 0', '68 65 6c 6c');
  assert.equal(e.offset, 0);
  assert.equal(e.source, f);
  // Same from a stream, labelled as standard input.
  await rejectsWith(readAll('-', { stream: Readable.from([Buffer.from('GIF89a...')]) }), 'ERR_NOT_A_CAPTURE', '<stdin>', 'byte 0');
});

test('empty file: ERR_NOT_A_CAPTURE saying 0 bytes', async () => {
  const f = tmpFile('empty.pcap', Buffer.alloc(0));
  await rejectsWith(readAll(f), 'ERR_NOT_A_CAPTURE', f, '0 bytes');
});

test('file cut inside the 24-byte pcap header: ERR_CAPTURE_HEADER', async () => {
  const head = readFileSync(crafted('le-nsec.pcap'));
  for (const n of [4, 10, 23]) {
    const f = tmpFile(`head-${n}.pcap`, head.subarray(0, n));
    await rejectsWith(readAll(f), 'ERR_CAPTURE_HEADER', f, 'byte 0');
    await rejectsWith(readAll('-', { stream: Readable.from(chunked(head.subarray(0, n), [1])) }), 'ERR_CAPTURE_HEADER');
  }
  const ng = readFileSync(crafted('multi-if.pcapng'));
  const f = tmpFile('head.pcapng', ng.subarray(0, 20));
  await rejectsWith(readAll(f), 'ERR_CAPTURE_HEADER', f);
});

test('truncated last record: complete records delivered, damaged, warning with file and offset', async () => {
  const file = crafted('truncated-file.pcap');
  const { info, recs } = await readAll(file);
  assert.deepEqual(times(recs), ['1773480509.000000000', '1773480509.012345000'].map(epoch));
  assert.equal(info.packets, 2);
  assert.equal(info.damaged, true);
  assert.equal(info.warnings.length, 1);
  // 24-byte header + two records of 16 + 74 bytes: the cut record starts at byte 204.
  assert.ok(info.warnings[0]!.startsWith(`${file}: byte 204: `), info.warnings[0]);
  assert.match(info.warnings[0]!, /ends inside a record/);
  // The same through a stream in small chunks.
  const s = await readAll('-', { stream: Readable.from(chunked(readFileSync(file), [7])) });
  assert.deepEqual(s.recs, recs);
  assert.equal(s.info.damaged, true);
  assert.ok(s.info.warnings[0]!.startsWith('<stdin>: byte 204: '), s.info.warnings[0]);
});

test('corrupt huge record length in the middle: records before it, warning with the offset', async () => {
  const bytes = Buffer.from(readFileSync(crafted('le-nsec.pcap')));
  // Record 3 starts at 24 + 90 + 90 = 204; its caplen field is at +8.
  bytes.writeUInt32LE(0x7fff0000, 204 + 8);
  const f = tmpFile('huge-len.pcap', bytes);
  const { info, recs } = await readAll(f);
  assert.deepEqual(times(recs), NSEC_TIMES.slice(0, 2));
  assert.equal(info.damaged, true);
  assert.equal(info.warnings.length, 1);
  assert.ok(info.warnings[0]!.startsWith(`${f}: byte 204: `), info.warnings[0]);
  assert.match(info.warnings[0]!, /record 3 claims 2147418112 captured bytes/);
  assert.match(info.warnings[0]!, /\(282 bytes, 58\.0% of the file\)$/);
  // Through the carry path as well.
  for (const sizes of [[1], [3, 7]]) {
    const s = await readAll('-', { stream: Readable.from(chunked(bytes, sizes)) });
    assert.deepEqual(times(s.recs), NSEC_TIMES.slice(0, 2));
    assert.equal(s.info.damaged, true);
    assert.ok(s.info.warnings[0]!.startsWith('<stdin>: byte 204: '), s.info.warnings[0]);
  }
});

test('pcapng block length not a multiple of 4: blocks before it delivered, warning with the offset', async () => {
  const bytes = Buffer.from(readFileSync(crafted('multi-if.pcapng')));
  const { recs: good } = await readAll(crafted('multi-if.pcapng'));
  const third = good[2]!.fileOffset; // the EPB of packet 3
  assert.equal(bytes.readUInt32LE(third), 6);
  bytes.writeUInt32LE(bytes.readUInt32LE(third + 4) + 2, third + 4);
  const f = tmpFile('odd-len.pcapng', bytes);
  const { info, recs } = await readAll(f);
  assert.deepEqual(recs, good.slice(0, 2));
  assert.equal(info.damaged, true);
  assert.ok(info.warnings[0]!.startsWith(`${f}: byte ${third}: `), info.warnings[0]);
  assert.match(info.warnings[0]!, /impossible length/);
});

test('pcapng trailing length that differs from the leading one stops there', async () => {
  const bytes = Buffer.from(readFileSync(crafted('be.pcapng')));
  const { recs: good } = await readAll(crafted('be.pcapng'));
  const fourth = good[3]!.fileOffset;
  const len = bytes.readUInt32BE(fourth + 4);
  bytes.writeUInt32BE(len + 4, fourth + len - 4);
  const f = tmpFile('trailer.pcapng', bytes);
  const { info, recs } = await readAll(f);
  assert.deepEqual(recs, good.slice(0, 3));
  assert.equal(info.damaged, true);
  assert.ok(info.warnings[0]!.startsWith(`${f}: byte ${fourth}: `), info.warnings[0]);
});

test('missing file: ERR_FILE_OPEN "no such file"', async () => {
  const f = join(tmp, 'does-not-exist.pcap');
  const e = await rejectsWith(readAll(f), 'ERR_FILE_OPEN', f, 'no such file');
  assert.equal(e.source, f);
});

test('a directory: ERR_FILE_OPEN saying it is a directory', async () => {
  const d = join(tmp, 'a-dir.pcap');
  mkdirSync(d);
  copyFileSync(crafted('be-usec.pcap'), join(d, 'inside.pcap'));
  await rejectsWith(readAll(d), 'ERR_FILE_OPEN', d, 'is a directory');
});
