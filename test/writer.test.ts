/**
 * Writer tests that do not depend on the capture readers: byte-level header
 * checks, plus a round trip through tshark when it is installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PcapngWriter, PcapWriter, tsresolUnits } from '../src/capture/writer.js';
import { ipTcp, tcp4, tcp6 } from './helpers/packets.js';

const LT_ETHERNET = 1;
const LT_RAW = 101;
const LT_NULL = 0;

const SEC = 1773480413; // 2026-03-14T09:26:53Z

const tsharkOk = (() => {
  const r = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
  return r.status === 0;
})();
const needTshark = tsharkOk ? {} : { skip: 'tshark is not installed' };

const tmp = mkdtempSync(join(tmpdir(), 'synscope-writer-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
let fileNo = 0;

interface Row {
  epoch: string;
  len: number;
  capLen: number;
  protocols: string;
  ifId: string;
  ifName: string;
  section: string;
}

/** Runs tshark on the bytes and returns one row per frame. */
function tshark(data: Buffer, ext: 'pcap' | 'pcapng'): { rows: Row[]; linkTypes: number[]; stderr: string } {
  const path = join(tmp, `t${fileNo++}.${ext}`);
  writeFileSync(path, data);
  const r = spawnSync(
    'tshark',
    ['-n', '-r', path, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len', '-e', 'frame.protocols', '-e', 'frame.interface_id', '-e', 'frame.interface_name', '-e', 'frame.section_number'],
    { encoding: 'utf8' },
  );
  const stderr = r.stderr.replace(/^Running as user.*\n/m, '').trim();
  assert.equal(r.status, 0, `tshark failed: ${stderr}`);
  const rows = r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [epoch = '', len = '', capLen = '', protocols = '', ifId = '', ifName = '', section = ''] = l.split('\t');
      return { epoch, len: Number(len), capLen: Number(capLen), protocols, ifId, ifName, section };
    });
  // The file-format dissector reports the LINKTYPE values the file declares.
  const m = spawnSync('tshark', ['-n', '-r', path, '-X', 'read_format:MIME Files Format', '-T', 'fields', '-e', 'pcap.header.link_type', '-e', 'pcapng.interface_description.link_type'], { encoding: 'utf8' });
  const linkTypes = m.stdout
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map(Number);
  return { rows, linkTypes, stderr };
}

function epoch(sec: number, nsec: number, digits = 9): string {
  return `${sec}.${String(nsec).padStart(9, '0').slice(0, digits).padEnd(9, '0')}`;
}

const syn4 = tcp4({ src: '198.51.100.10', dst: '203.0.113.20', sport: 40001, dport: 443, seq: 1, flags: 'S', options: { mss: 1460, sackOk: true, ts: [1, 0], wscale: 7 } });
const rst4 = tcp4({ src: '203.0.113.20', dst: '198.51.100.10', sport: 443, dport: 40001, seq: 0, ack: 2, flags: 'RA', window: 0 });
const syn6 = tcp6({ src: '2001:db8::10', dst: '2001:db8:1::20', sport: 40002, dport: 443, seq: 7, flags: 'S', options: { mss: 1440 } });
const raw6 = ipTcp({ src: '2001:db8::10', dst: '2001:db8:1::20', sport: 40003, dport: 443, seq: 9, flags: 'S' });

// ---------------------------------------------------------------------------
// classic pcap
// ---------------------------------------------------------------------------

const pcapVariants = [
  { name: 'LE usec', bigEndian: false, nanosecond: false, magic: 'd4c3b2a1' },
  { name: 'LE nsec', bigEndian: false, nanosecond: true, magic: '4d3cb2a1' },
  { name: 'BE usec', bigEndian: true, nanosecond: false, magic: 'a1b2c3d4' },
  { name: 'BE nsec', bigEndian: true, nanosecond: true, magic: 'a1b23c4d' },
];

for (const v of pcapVariants) {
  test(`pcap ${v.name}: header and record bytes`, () => {
    const w = new PcapWriter({ linkType: LT_ETHERNET, bigEndian: v.bigEndian, nanosecond: v.nanosecond });
    w.writePacket(SEC, 123_456_789, syn4);
    const b = w.toBuffer();
    const u16 = (o: number): number => (v.bigEndian ? b.readUInt16BE(o) : b.readUInt16LE(o));
    const u32 = (o: number): number => (v.bigEndian ? b.readUInt32BE(o) : b.readUInt32LE(o));
    assert.equal(b.subarray(0, 4).toString('hex'), v.magic);
    assert.equal(u16(4), 2);
    assert.equal(u16(6), 4);
    assert.equal(u32(8), 0);
    assert.equal(u32(12), 0);
    assert.equal(u32(16), 262144);
    assert.equal(u32(20), LT_ETHERNET);
    assert.equal(u32(24), SEC);
    assert.equal(u32(28), v.nanosecond ? 123_456_789 : 123_456);
    assert.equal(u32(32), syn4.length);
    assert.equal(u32(36), syn4.length);
    assert.deepEqual(b.subarray(40), syn4);
    assert.equal(b.length, 24 + 16 + syn4.length);
    assert.equal(w.bytesWritten, b.length);
  });

  test(`pcap ${v.name}: tshark reads packets, timestamps and link type`, needTshark, () => {
    const w = new PcapWriter({ linkType: LT_ETHERNET, bigEndian: v.bigEndian, nanosecond: v.nanosecond });
    w.writePacket(SEC, 123_456_789, syn4);
    w.writePacket(SEC + 1, 999_999_999, rst4);
    w.writePacket(SEC + 2, 0, syn6);
    const { rows, linkTypes } = tshark(w.toBuffer(), 'pcap');
    assert.equal(rows.length, 3);
    const digits = v.nanosecond ? 9 : 6;
    assert.deepEqual(
      rows.map((r) => r.epoch),
      [epoch(SEC, 123_456_789, digits), epoch(SEC + 1, 999_999_999, digits), epoch(SEC + 2, 0)],
    );
    assert.deepEqual(linkTypes, [LT_ETHERNET]);
    assert.equal(rows[0]!.protocols, 'eth:ethertype:ip:tcp');
    assert.equal(rows[2]!.protocols, 'eth:ethertype:ipv6:tcp');
    assert.deepEqual(rows.map((r) => r.len), [syn4.length, rst4.length, syn6.length]);
  });
}

test('pcap: snaplen cuts data but keeps the original length', () => {
  const w = new PcapWriter({ linkType: LT_ETHERNET, snaplen: 54 });
  w.writePacket(SEC, 0, syn4);
  w.writePacket(SEC, 1000, rst4.subarray(0, 40), 60); // caller-truncated, shorter than snaplen
  const b = w.toBuffer();
  assert.equal(b.readUInt32LE(16), 54);
  assert.equal(b.readUInt32LE(24 + 8), 54);
  assert.equal(b.readUInt32LE(24 + 12), syn4.length);
  const second = 24 + 16 + 54;
  assert.equal(b.readUInt32LE(second + 8), 40);
  assert.equal(b.readUInt32LE(second + 12), 60);
  assert.equal(b.length, second + 16 + 40);
  if (tsharkOk) {
    const { rows } = tshark(b, 'pcap');
    assert.deepEqual(rows.map((r) => [r.capLen, r.len]), [[54, syn4.length], [40, 60]]);
  }
});

test('pcap: other link types are written verbatim', needTshark, () => {
  const w = new PcapWriter({ linkType: LT_RAW });
  w.writePacket(SEC, 5, raw6);
  const { rows, linkTypes } = tshark(w.toBuffer(), 'pcap');
  assert.deepEqual(linkTypes, [LT_RAW]);
  assert.equal(rows[0]!.protocols, 'raw:ipv6:tcp');
});

test('pcap: sink receives exactly the bytes toBuffer() would return', () => {
  const chunks: Buffer[] = [];
  const sunk = new PcapWriter({ linkType: LT_NULL, nanosecond: true }, (c) => chunks.push(c));
  const mem = new PcapWriter({ linkType: LT_NULL, nanosecond: true });
  for (const w of [sunk, mem]) {
    w.writePacket(SEC, 1, syn4);
    w.writePacket(SEC, 2, rst4);
  }
  assert.ok(chunks.length >= 3);
  assert.deepEqual(Buffer.concat(chunks), mem.toBuffer());
  assert.throws(() => sunk.toBuffer(), /sink/);
});

test('pcap: rejects out-of-range timestamps', () => {
  const w = new PcapWriter({ linkType: LT_ETHERNET });
  assert.throws(() => w.writePacket(SEC, 1_000_000_000, syn4), RangeError);
  assert.throws(() => w.writePacket(SEC, -1, syn4), RangeError);
  assert.throws(() => w.writePacket(2 ** 32, 0, syn4), RangeError);
  assert.throws(() => w.writePacket(SEC, 0.5, syn4), RangeError);
});

test('pcap: written data is a copy', () => {
  const data = Buffer.from(syn4);
  const w = new PcapWriter({ linkType: LT_ETHERNET });
  w.writePacket(SEC, 0, data);
  data.fill(0);
  assert.deepEqual(w.toBuffer().subarray(40), syn4);
});

// ---------------------------------------------------------------------------
// pcapng
// ---------------------------------------------------------------------------

interface Block {
  type: number;
  body: Buffer;
}

/** Minimal block walker for byte-level checks (single byte order). */
function blocks(b: Buffer, be: boolean): Block[] {
  const u32 = (o: number): number => (be ? b.readUInt32BE(o) : b.readUInt32LE(o));
  const out: Block[] = [];
  let off = 0;
  while (off < b.length) {
    const type = u32(off);
    const len = u32(off + 4);
    assert.equal(len % 4, 0, 'block length is 32-bit aligned');
    assert.ok(len >= 12);
    assert.equal(u32(off + len - 4), len, 'trailing length matches');
    out.push({ type, body: b.subarray(off + 8, off + len - 4) });
    off += len;
  }
  assert.equal(off, b.length);
  return out;
}

function options(body: Buffer, be: boolean): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  let off = 0;
  while (off + 4 <= body.length) {
    const code = be ? body.readUInt16BE(off) : body.readUInt16LE(off);
    const len = be ? body.readUInt16BE(off + 2) : body.readUInt16LE(off + 2);
    if (code === 0) break;
    m.set(code, body.subarray(off + 4, off + 4 + len));
    off += 4 + Math.ceil(len / 4) * 4;
  }
  return m;
}

for (const be of [false, true]) {
  test(`pcapng ${be ? 'BE' : 'LE'}: block layout`, () => {
    const w = new PcapngWriter({ bigEndian: be });
    const eth = w.addInterface({ linkType: LT_ETHERNET, name: 'eth0' });
    const raw = w.addInterface({ linkType: LT_RAW, snaplen: 0, tsresol: 9, tsoffset: 1000n });
    assert.deepEqual([eth, raw], [0, 1]);
    w.writePacket(eth, SEC, 123_456_789, syn4);
    w.writeSimplePacket(rst4);
    w.writeObsoletePacket(raw, SEC, 5, raw6);
    w.writeCustomBlock(0x80000001, Buffer.from('abc'));
    const bs = blocks(w.toBuffer(), be);
    const u16 = (b: Buffer, o: number): number => (be ? b.readUInt16BE(o) : b.readUInt16LE(o));
    const u32 = (b: Buffer, o: number): number => (be ? b.readUInt32BE(o) : b.readUInt32LE(o));
    assert.deepEqual(bs.map((b) => b.type), [0x0a0d0d0a, 1, 1, 6, 3, 2, 0x80000001]);

    const [shb, idb0, idb1, epb, spb, opb, custom] = bs as [Block, Block, Block, Block, Block, Block, Block];
    assert.equal(shb.body.subarray(0, 4).toString('hex'), be ? '1a2b3c4d' : '4d3c2b1a');
    assert.equal(u16(shb.body, 4), 1);
    assert.equal(u16(shb.body, 6), 0);
    assert.equal(shb.body.readBigInt64LE(8), -1n); // all-ones either way

    assert.equal(u16(idb0.body, 0), LT_ETHERNET);
    assert.equal(u16(idb0.body, 2), 0);
    assert.equal(u32(idb0.body, 4), 262144);
    const o0 = options(idb0.body.subarray(8), be);
    assert.equal(o0.get(2)?.toString(), 'eth0');
    assert.deepEqual(o0.get(9), Buffer.from([6]));
    assert.equal(o0.has(14), false);
    assert.equal(u32(idb1.body, 4), 0);
    const o1 = options(idb1.body.subarray(8), be);
    assert.deepEqual(o1.get(9), Buffer.from([9]));
    const off = o1.get(14)!;
    assert.equal(be ? off.readBigInt64BE(0) : off.readBigInt64LE(0), 1000n);

    // EPB: µs units on interface 0.
    assert.equal(u32(epb.body, 0), 0);
    const ts = (BigInt(u32(epb.body, 4)) << 32n) | BigInt(u32(epb.body, 8));
    assert.equal(ts, BigInt(SEC) * 1_000_000n + 123_456n);
    assert.equal(u32(epb.body, 12), syn4.length);
    assert.equal(u32(epb.body, 16), syn4.length);
    assert.deepEqual(epb.body.subarray(20, 20 + syn4.length), syn4);
    assert.equal(epb.body.length, 20 + Math.ceil(syn4.length / 4) * 4);

    assert.equal(u32(spb.body, 0), rst4.length);
    assert.deepEqual(spb.body.subarray(4, 4 + rst4.length), rst4);

    // OPB: 16-bit interface id, drops_count 0xffff ("unknown"), ns units minus the offset.
    assert.equal(u16(opb.body, 0), 1);
    assert.equal(u16(opb.body, 2), 0xffff);
    const ots = (BigInt(u32(opb.body, 4)) << 32n) | BigInt(u32(opb.body, 8));
    assert.equal(ots, BigInt(SEC - 1000) * 1_000_000_000n + 5n);
    assert.equal(u32(opb.body, 12), raw6.length);

    assert.deepEqual(custom.body, Buffer.from([0x61, 0x62, 0x63, 0]));
  });
}

test('pcapng: tshark reads interfaces, resolutions, offsets and packet blocks', needTshark, () => {
  const w = new PcapngWriter();
  const us = w.addInterface({ linkType: LT_ETHERNET, tsresol: 6, name: 'eth0' });
  const ns = w.addInterface({ linkType: LT_RAW, tsresol: 9, name: 'tun0' });
  const p2 = w.addInterface({ linkType: LT_ETHERNET, tsresol: 0x80 | 20, tsoffset: 1000, name: 'pow2' });
  const ms = w.addInterface({ linkType: LT_ETHERNET, tsresol: 3, tsoffset: -5, name: 'ms' });
  w.writePacket(us, SEC, 123_456_789, syn4);
  w.writePacket(ns, SEC, 123_456_789, raw6);
  w.writeCustomBlock(0x80000001, Buffer.from('skip me'));
  w.writePacket(p2, SEC, 500_000_000, syn4);
  w.writePacket(p2, SEC, 123_456_789, syn4);
  w.writePacket(ms, SEC, 123_456_789, syn4);
  w.writeObsoletePacket(ns, SEC + 1, 7, raw6);
  w.writeSimplePacket(rst4);
  const { rows, linkTypes, stderr } = tshark(w.toBuffer(), 'pcapng');
  assert.equal(stderr, '');
  assert.deepEqual(linkTypes, [LT_ETHERNET, LT_RAW, LT_ETHERNET, LT_ETHERNET]);
  assert.equal(rows.length, 7);
  // 2^-20 s units: truncated on write, converted back by tshark with integer math.
  const pow2 = (nsec: number): number => Number(((BigInt(nsec) * (1n << 20n)) / 1_000_000_000n) * 1_000_000_000n / (1n << 20n));
  assert.deepEqual(
    rows.map((r) => r.epoch),
    [
      epoch(SEC, 123_456_000),
      epoch(SEC, 123_456_789),
      epoch(SEC, 500_000_000),
      epoch(SEC, pow2(123_456_789)),
      epoch(SEC, 123_000_000),
      epoch(SEC + 1, 7),
      '', // SPB: no timestamp
    ],
  );
  assert.deepEqual(rows.map((r) => r.ifName), ['eth0', 'tun0', 'pow2', 'pow2', 'ms', 'tun0', 'eth0']);
  assert.deepEqual(rows.map((r) => r.protocols.split(':')[0]), ['eth', 'raw', 'eth', 'eth', 'eth', 'raw', 'eth']);
});

test('pcapng: big-endian file and a second section reading back in tshark', needTshark, () => {
  const w = new PcapngWriter({ bigEndian: true });
  const a = w.addInterface({ linkType: LT_ETHERNET });
  w.writePacket(a, SEC, 1, syn4);
  w.newSection({ bigEndian: false });
  assert.equal(w.interfaceCount, 0);
  assert.throws(() => w.writePacket(1, SEC, 0, raw6), RangeError);
  const b = w.addInterface({ linkType: LT_RAW, tsresol: 9 });
  assert.equal(b, 0);
  w.writePacket(b, SEC + 2, 3, raw6);
  const { rows, linkTypes } = tshark(w.toBuffer(), 'pcapng');
  assert.deepEqual(linkTypes, [LT_ETHERNET, LT_RAW]);
  assert.deepEqual(rows.map((r) => [r.epoch, r.section, r.protocols.split(':')[0]]), [
    [epoch(SEC, 0), '1', 'eth'],
    [epoch(SEC + 2, 3), '2', 'raw'],
  ]);
});

test('pcapng: snaplen applies to EPB/OPB and defines SPB captured length', () => {
  const w = new PcapngWriter();
  w.addInterface({ linkType: LT_ETHERNET, snaplen: 54 });
  w.writePacket(0, SEC, 0, syn4);
  w.writeSimplePacket(syn4); // cut to min(origLen, snaplen)
  assert.throws(() => w.writeSimplePacket(syn4.subarray(0, 40), syn4.length), RangeError);
  const bs = blocks(w.toBuffer(), false);
  const epb = bs[2]!.body;
  assert.equal(epb.readUInt32LE(12), 54);
  assert.equal(epb.readUInt32LE(16), syn4.length);
  const spb = bs[3]!.body;
  assert.equal(spb.readUInt32LE(0), syn4.length);
  assert.equal(spb.length, 4 + 56); // 54 padded
  if (tsharkOk) {
    const { rows } = tshark(w.toBuffer(), 'pcapng');
    assert.deepEqual(rows.map((r) => [r.capLen, r.len]), [[54, syn4.length], [54, syn4.length]]);
  }
});

test('pcapng: sink mode matches buffered output', () => {
  const chunks: Buffer[] = [];
  const sunk = new PcapngWriter({}, (c) => chunks.push(c));
  const mem = new PcapngWriter();
  for (const w of [sunk, mem]) {
    const i = w.addInterface({ linkType: LT_ETHERNET, name: 'x' });
    w.writePacket(i, SEC, 42, syn4);
  }
  assert.deepEqual(Buffer.concat(chunks), mem.toBuffer());
  assert.throws(() => sunk.toBuffer(), /sink/);
});

test('pcapng: tsresol units', () => {
  assert.equal(tsresolUnits(6), 1_000_000n);
  assert.equal(tsresolUnits(9), 1_000_000_000n);
  assert.equal(tsresolUnits(0x80 | 20), 1_048_576n);
  assert.equal(tsresolUnits(0), 1n);
  assert.throws(() => tsresolUnits(256), RangeError);
});

test('pcapng: timestamps before if_tsoffset are rejected', () => {
  const w = new PcapngWriter();
  w.addInterface({ linkType: LT_ETHERNET, tsoffset: SEC + 10 });
  assert.throws(() => w.writePacket(0, SEC, 0, syn4), RangeError);
});
