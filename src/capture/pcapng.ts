/**
 * pcapng: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-03.html
 *
 * Every block is type(4) length(4) body length(4). A Section Header Block starts a section and
 * fixes its byte order (magic 0x1A2B3C4D); Interface Description Blocks number the section's
 * interfaces from 0 and give each a link type, snap length and timestamp resolution
 * (if_tsresol, option 9) and offset (if_tsoffset, option 14). Packets come as Enhanced (6),
 * Simple (3) or the obsolete Packet (2) blocks. Every other block type is skipped.
 */
import { linkTypeName } from '../model/linktypes.js';
import type { UnitParser } from './deframer.js';
import type { CaptureInfo, CaptureRecord, PacketSink } from './record.js';
import type { DamageReporter } from './damage.js';
import * as bytes from '../util/bytes.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { u16be, u16le, u32be, u32le } = bytes;

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const BLOCK_IDB = 1;
const BLOCK_OPB = 2;
const BLOCK_SPB = 3;
const BLOCK_EPB = 6;
const BLOCK_ISB = 5;
const BLOCK_CUSTOM = 0x00000bad;
const BLOCK_CUSTOM_NOCOPY = 0x40000bad;
/** Largest block we accept (Wireshark's limit for a pcapng block is 16 MiB as well). */
export const MAX_BLOCK = 16 * 1024 * 1024;
// Local bindings of the exported constants used for every block (see src/util/bytes.ts).
const SHB = PCAPNG_SHB;
const MAX_BLOCK_LEN = MAX_BLOCK;

/** Per-interface timestamp conversion, precomputed when the IDB is read. */
/** The same interface read at microsecond resolution (see PcapngParser.isb). */
function atMicroseconds(c: TsConv): TsConv {
  return { ...c, unitsPerSec: 1e6, nsPerUnit: 1000 };
}

interface TsConv {
  /** Units per second when it is 10^k with k <= 9 (fast path); 0 when another path is needed. */
  unitsPerSec: number;
  /** Nanoseconds per unit on the fast path (10^(9-k)). */
  nsPerUnit: number;
  /** Power of two exponent (2^-exp s per unit), or -1. */
  pow2: number;
  /** Power of ten exponent beyond nanoseconds (10^-exp s per unit, exp > 9), or -1. */
  pow10Fine: number;
  offsetSec: number;
  linkType: number;
  snaplen: number;
  globalIndex: number;
  digits: number;
}

export function isPcapngMagic(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32BE(0) === PCAPNG_SHB;
}

export class PcapngParser implements UnitParser {
  /** SHB needs 12 bytes (type, length, byte-order magic) before its length can be read right. */
  lengthBytes = 12;
  stopped = false;
  private le = true;
  private section = -1;
  private ifaces: TsConv[] = [];
  private warnedIfid = false;
  /** Wireshark's frame counter: packets plus custom blocks. */
  private frames = 0;

  constructor(
    private readonly info: CaptureInfo,
    private readonly rec: CaptureRecord,
    private readonly sink: PacketSink,
    private readonly damage: DamageReporter,
  ) {}

  // `=== true`: the compiler then tests a boolean, not the truthiness of whatever the field holds.
  private u32(buf: Buffer, off: number): number {
    return this.le === true ? u32le(buf, off) : u32be(buf, off);
  }

  private u16(buf: Buffer, off: number): number {
    return this.le === true ? u16le(buf, off) : u16be(buf, off);
  }

  unitLength(buf: Buffer, off: number, fileOffset: number): number {
    // The block type 0x0A0D0D0A reads the same in both byte orders, which is why it was chosen.
    const type = u32be(buf, off);
    if (type === SHB) {
      const magic = u32le(buf, off + 8);
      if (magic === BYTE_ORDER_MAGIC) this.le = true;
      else if (u32be(buf, off + 8) === BYTE_ORDER_MAGIC) this.le = false;
      else {
        this.damage.corrupt(fileOffset, `section header block with a bad byte-order magic 0x${u32be(buf, off + 8).toString(16)}`);
        this.stopped = true;
        return 0;
      }
    } else if (this.section < 0) {
      this.damage.corrupt(fileOffset, 'pcapng file does not start with a section header block');
      this.stopped = true;
      return 0;
    }
    const len = this.u32(buf, off + 4);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK_LEN) {
      this.damage.corrupt(fileOffset, `block ${this.describeType(this.u32(buf, off))} has an impossible length ${len}`);
      this.stopped = true;
      return 0;
    }
    return len;
  }

  private describeType(t: number): string {
    return `of type 0x${t.toString(16).padStart(8, '0')}`;
  }

  unit(buf: Buffer, off: number, len: number, fileOffset: number): void {
    const type = u32be(buf, off) === SHB ? SHB : this.u32(buf, off);
    if (this.u32(buf, off + len - 4) !== len) {
      this.damage.corrupt(fileOffset, `block ${this.describeType(type)}: its trailing length ${this.u32(buf, off + len - 4)} differs from its leading length ${len}`);
      this.stopped = true;
      return;
    }
    switch (type) {
      case SHB: return this.shb(buf, off, len, fileOffset);
      case BLOCK_IDB: return this.idb(buf, off, len, fileOffset);
      case BLOCK_EPB: return this.epb(buf, off, len, fileOffset);
      case BLOCK_SPB: return this.spb(buf, off, len, fileOffset);
      case BLOCK_OPB: return this.opb(buf, off, len, fileOffset);
      case BLOCK_ISB: return this.isb(buf, off, len);
      case BLOCK_CUSTOM: case BLOCK_CUSTOM_NOCOPY:
        // Wireshark shows a custom block as a frame of its own; count it so frame numbers agree.
        this.frames++;
        return;
      default: return; // NRB, ISB, DSB and unknown blocks carry nothing we analyse.
    }
  }

  private shb(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < 28) {
      this.damage.corrupt(fileOffset, `section header block of ${len} bytes is too short`);
      this.stopped = true;
      return;
    }
    this.section++;
    this.ifaces = [];
    const info = this.info;
    const order = this.le ? 'little-endian' : 'big-endian';
    info.byteOrder = this.section === 0 || info.byteOrder === order ? order : 'mixed';
    const major = this.u16(buf, off + 12);
    const minor = this.u16(buf, off + 14);
    if (this.section === 0) info.version = `${major}.${minor}`;
    if (major !== 1) this.damage.warn(fileOffset, `pcapng section version ${major}.${minor} is not 1.0; read as 1.0`);
    info.sections = this.section + 1;
  }

  private idb(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < 20) {
      this.damage.corrupt(fileOffset, `interface description block of ${len} bytes is too short`);
      this.stopped = true;
      return;
    }
    const linkType = this.u16(buf, off + 8);
    const snaplen = this.u32(buf, off + 12);
    let tsresol = 6;
    let offsetSec = 0;
    let name: string | undefined;
    // Options: code(2) length(2) value padded to 4 bytes, ended by opt_endofopt or the block end.
    let p = off + 16;
    const end = off + len - 4;
    while (p + 4 <= end) {
      const code = this.u16(buf, p);
      const olen = this.u16(buf, p + 2);
      if (code === 0) break;
      if (p + 4 + olen > end) {
        this.damage.warn(fileOffset, `interface ${this.ifaces.length}: option ${code} runs past the block end; options ignored from there`);
        break;
      }
      const v = p + 4;
      if (code === 9 && olen >= 1) tsresol = buf[v];
      else if (code === 14 && olen >= 8) {
        const hi = this.u32(buf, this.le ? v + 4 : v);
        const lo = this.u32(buf, this.le ? v : v + 4);
        offsetSec = (hi | 0) * 4294967296 + lo; // if_tsoffset is a signed 64-bit count of seconds
      } else if (code === 2 && olen > 0) name = buf.toString('utf8', v, v + olen);
      p = v + ((olen + 3) & ~3);
    }
    const conv: TsConv = { unitsPerSec: 0, nsPerUnit: 0, pow2: -1, pow10Fine: -1, offsetSec, linkType, snaplen, globalIndex: this.info.interfaces.length, digits: 6 };
    let digits: number;
    let resolution: string;
    if (tsresol & 0x80) {
      const k = tsresol & 0x7f;
      conv.pow2 = k;
      digits = Math.min(9, Math.ceil(k * Math.LOG10E * Math.LN2));
      resolution = `2^-${k} s`;
    } else if (tsresol <= 9) {
      conv.unitsPerSec = 10 ** tsresol;
      conv.nsPerUnit = 10 ** (9 - tsresol);
      digits = tsresol;
      resolution = tsresol === 6 ? 'microsecond' : tsresol === 9 ? 'nanosecond' : tsresol === 3 ? 'millisecond' : `10^-${tsresol} s`;
    } else {
      conv.pow10Fine = tsresol;
      digits = 9;
      resolution = `10^-${tsresol} s (kept to nanoseconds)`;
    }
    conv.digits = digits;
    this.ifaces.push(conv);
    this.info.interfaces.push({ linkType, linkTypeName: linkTypeName(linkType), snaplen, tsDigits: digits, tsResolution: resolution, name, section: this.section });
  }

  private iface(ifId: number, fileOffset: number): TsConv | null {
    const c = this.ifaces[ifId];
    if (c) return c;
    if (!this.warnedIfid) {
      this.warnedIfid = true;
      this.damage.warn(fileOffset, `packet block names interface ${ifId}, but section ${this.section} describes only ${this.ifaces.length}; such packets are skipped`);
    }
    return null;
  }

  private epb(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < 32) return this.shortBlock('enhanced packet', len, fileOffset);
    const c = this.iface(this.u32(buf, off + 8), fileOffset);
    if (!c) return;
    const caplen = this.u32(buf, off + 20);
    if (28 + caplen + 4 > len) return this.overrun('enhanced packet', caplen, len, fileOffset);
    this.timestamp(c, this.u32(buf, off + 12), this.u32(buf, off + 16));
    this.emit(c, buf, off + 28, caplen, this.u32(buf, off + 24), fileOffset);
  }

  private opb(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < 32) return this.shortBlock('packet', len, fileOffset);
    const c = this.iface(this.u16(buf, off + 8), fileOffset);
    if (!c) return;
    const caplen = this.u32(buf, off + 20);
    if (28 + caplen + 4 > len) return this.overrun('packet', caplen, len, fileOffset);
    this.timestamp(c, this.u32(buf, off + 12), this.u32(buf, off + 16));
    this.emit(c, buf, off + 28, caplen, this.u32(buf, off + 24), fileOffset);
  }

  private spb(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (len < 16) return this.shortBlock('simple packet', len, fileOffset);
    const c = this.iface(0, fileOffset);
    if (!c) return;
    const origLen = this.u32(buf, off + 8);
    // The SPB has no captured-length field: it is the smaller of the wire length and the snap length.
    let caplen = Math.min(origLen, len - 16);
    if (c.snaplen > 0) caplen = Math.min(caplen, c.snaplen);
    // No timestamp: Wireshark shows such packets at time 0; we keep the previous packet's time.
    this.emit(c, buf, off + 12, caplen, origLen, fileOffset);
  }

  /**
   * Interface statistics: its timestamp (or isb_endtime) says when capturing stopped, which can be
   * well after the last packet; silence until then is evidence (an unanswered SYN was filtered).
   */
  private isb(buf: Buffer, off: number, len: number): void {
    if (len < 24) return;
    const c = this.ifaces[this.u32(buf, off + 8)];
    if (!c) return;
    let hi = this.u32(buf, off + 12);
    let lo = this.u32(buf, off + 16);
    for (let p = off + 20; p + 4 <= off + len - 4;) {
      const code = this.u16(buf, p);
      const olen = this.u16(buf, p + 2);
      if (code === 0 || p + 4 + olen > off + len - 4) break;
      if (code === 3 && olen === 8) { hi = this.u32(buf, p + 4); lo = this.u32(buf, p + 8); }
      p += 4 + ((olen + 3) & ~3);
    }
    const rec = this.rec;
    const saveSec = rec.tsSec;
    const saveNsec = rec.tsNsec;
    this.timestamp(c, hi, lo);
    // An end before the packets it follows (or more than a day after them) is wrong. dumpcap 4.0 writes ISB times in microseconds
    // whatever the interface's if_tsresol says (seen on nanosecond captures): read them so if that
    // lands after the last packet (and within a day of it); otherwise the ISB time is not used.
    const before = (sec: number, nsec: number) => sec < saveSec || (sec === saveSec && nsec < saveNsec);
    let ok = this.info.packets === 0 || (!before(rec.tsSec, rec.tsNsec) && rec.tsSec - saveSec < 86400);
    if (!ok && c.unitsPerSec === 1e9) {
      this.timestamp(atMicroseconds(c), hi, lo);
      ok = !before(rec.tsSec, rec.tsNsec) && rec.tsSec - saveSec < 86400;
    }
    const end = this.info.captureEnd;
    if (ok && (!end || rec.tsSec > end[0] || (rec.tsSec === end[0] && rec.tsNsec > end[1]))) this.info.captureEnd = [rec.tsSec, rec.tsNsec];
    rec.tsSec = saveSec;
    rec.tsNsec = saveNsec;
  }

  private shortBlock(kind: string, len: number, fileOffset: number): void {
    this.damage.corrupt(fileOffset, `${kind} block of ${len} bytes is too short`);
    this.stopped = true;
  }

  private overrun(kind: string, caplen: number, len: number, fileOffset: number): void {
    this.damage.corrupt(fileOffset, `${kind} block says it holds ${caplen} bytes but is only ${len} bytes long`);
    this.stopped = true;
  }

  private emit(c: TsConv, buf: Buffer, dataOff: number, caplen: number, origLen: number, fileOffset: number): void {
    const rec = this.rec;
    rec.buf = buf;
    rec.off = dataOff;
    rec.caplen = caplen;
    rec.origLen = origLen;
    rec.linkType = c.linkType;
    rec.tsDigits = c.digits;
    rec.ifIndex = c.globalIndex;
    this.info.packets++;
    rec.frame = ++this.frames;
    rec.fileOffset = fileOffset;
    this.sink(rec);
  }

  /** Converts a 64-bit count of interface units into seconds + nanoseconds on the record. */
  private timestamp(c: TsConv, hi: number, lo: number): void {
    const rec = this.rec;
    if (c.unitsPerSec > 0) {
      // Long division of the 64-bit value in 16-bit digits: exact in doubles, and allocation-free.
      const d = c.unitsPerSec;
      let r = 0;
      let q = 0;
      let cur = r * 65536 + (hi >>> 16); let qd = Math.floor(cur / d); r = cur - qd * d; q = qd;
      cur = r * 65536 + (hi & 0xffff); qd = Math.floor(cur / d); r = cur - qd * d; q = q * 65536 + qd;
      cur = r * 65536 + (lo >>> 16); qd = Math.floor(cur / d); r = cur - qd * d; q = q * 65536 + qd;
      cur = r * 65536 + (lo & 0xffff); qd = Math.floor(cur / d); r = cur - qd * d; q = q * 65536 + qd;
      rec.tsSec = q + c.offsetSec;
      rec.tsNsec = r * c.nsPerUnit;
      return;
    }
    // Unusual resolutions: exact with BigInt (allocates, but such files are rare).
    const units = (BigInt(hi) << 32n) | BigInt(lo);
    let sec: bigint;
    let nsec: bigint;
    if (c.pow2 >= 0) {
      const k = BigInt(c.pow2);
      sec = units >> k;
      nsec = ((units & ((1n << k) - 1n)) * 1000000000n) >> k;
    } else {
      const per = 10n ** BigInt(c.pow10Fine);
      sec = units / per;
      nsec = ((units % per) * 1000000000n) / per;
    }
    rec.tsSec = Number(sec) + c.offsetSec;
    rec.tsNsec = Number(nsec);
  }
}
