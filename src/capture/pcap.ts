/**
 * Classic libpcap files: https://www.ietf.org/archive/id/draft-ietf-opsawg-pcap-04.html
 *
 * File header (24 bytes): magic, version major/minor, thiszone, sigfigs, snaplen, linktype (with
 * FCS bits in the top nibbles). Records: ts_sec, ts_frac, caplen, origlen (16 bytes), then the
 * data. The magic says the byte order and whether ts_frac is micro- or nanoseconds; the
 * "modified" (Kuznetzov) variant adds 8 bytes to every record header.
 */
import { linkTypeName } from '../model/linktypes.js';
import type { UnitParser } from './deframer.js';
import type { CaptureInfo, CaptureRecord, PacketSink } from './record.js';
import { DamageReporter } from './damage.js';

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

/** Largest record a pcap may hold (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD). */
export const MAX_PCAP_RECORD = 262144;
/** A larger snap length in the file header allows larger records, but never beyond this (as pcapng's MAX_BLOCK). */
export const MAX_PCAP_RECORD_HARD = 16 * 1024 * 1024;

export function isPcapMagic(buf: Buffer): boolean {
  if (buf.length < 4) return false;
  const be = buf.readUInt32BE(0);
  const le = buf.readUInt32LE(0);
  return [PCAP_MAGIC_USEC, PCAP_MAGIC_NSEC, PCAP_MAGIC_MODIFIED].some((m) => m === be || m === le);
}

export class PcapParser implements UnitParser {
  lengthBytes = 24;
  stopped = false;
  private headerDone = false;
  private le = true;
  private nanos = false;
  private recordHeader = 16;
  private snaplen = 0;
  private linkType = 0;
  private warnedOverSnap = false;
  private warnedOrigLen = false;

  constructor(
    private readonly info: CaptureInfo,
    private readonly rec: CaptureRecord,
    private readonly sink: PacketSink,
    private readonly damage: DamageReporter,
  ) {}

  unitLength(buf: Buffer, off: number, fileOffset: number): number {
    if (!this.headerDone) return 24;
    const caplen = this.le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    // The snap length comes from the same untrusted file: it may raise the limit, up to a hard cap.
    if (caplen > MAX_PCAP_RECORD && (caplen > this.snaplen || caplen > MAX_PCAP_RECORD_HARD)) {
      this.damage.corrupt(
        fileOffset,
        `record ${this.info.packets + 1} claims ${caplen} captured bytes (snap length ${this.snaplen}, limit ${Math.min(Math.max(MAX_PCAP_RECORD, this.snaplen), MAX_PCAP_RECORD_HARD)})`,
      );
      this.stopped = true;
      return 0;
    }
    return this.recordHeader + caplen;
  }

  unit(buf: Buffer, off: number, len: number, fileOffset: number): void {
    if (!this.headerDone) {
      this.header(buf, off);
      return;
    }
    const le = this.le;
    const rec = this.rec;
    const sec = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    const frac = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    const caplen = len - this.recordHeader;
    const origLen = le ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    if (caplen > this.snaplen && this.snaplen > 0 && !this.warnedOverSnap) {
      this.warnedOverSnap = true;
      this.damage.warn(fileOffset, `record ${this.info.packets + 1} holds ${caplen} bytes, more than the file's snap length ${this.snaplen}; read anyway`);
    }
    if (origLen < caplen && !this.warnedOrigLen) {
      this.warnedOrigLen = true;
      this.damage.warn(fileOffset, `record ${this.info.packets + 1} says its wire length ${origLen} is less than its captured length ${caplen}; the writer is broken, read anyway`);
    }
    rec.buf = buf;
    rec.off = off + this.recordHeader;
    rec.caplen = caplen;
    rec.origLen = origLen;
    rec.tsSec = sec;
    if (this.nanos) {
      rec.tsNsec = frac;
    } else {
      // Some writers put 1000000 µs or more here; carry it into the seconds as libpcap does.
      rec.tsNsec = frac * 1000;
    }
    if (rec.tsNsec >= 1e9) {
      rec.tsSec += Math.floor(rec.tsNsec / 1e9);
      rec.tsNsec %= 1e9;
    }
    rec.linkType = this.linkType;
    rec.tsDigits = this.nanos ? 9 : 6;
    rec.ifIndex = 0;
    rec.frame = ++this.info.packets;
    rec.fileOffset = fileOffset;
    this.sink(rec);
  }

  private header(buf: Buffer, off: number): void {
    const be = buf.readUInt32BE(off);
    this.le = be !== PCAP_MAGIC_USEC && be !== PCAP_MAGIC_NSEC && be !== PCAP_MAGIC_MODIFIED;
    const magic = this.le ? buf.readUInt32LE(off) : be;
    this.nanos = magic === PCAP_MAGIC_NSEC;
    if (magic === PCAP_MAGIC_MODIFIED) this.recordHeader = 24;
    const major = this.le ? buf.readUInt16LE(off + 4) : buf.readUInt16BE(off + 4);
    const minor = this.le ? buf.readUInt16LE(off + 6) : buf.readUInt16BE(off + 6);
    this.snaplen = this.le ? buf.readUInt32LE(off + 16) : buf.readUInt32BE(off + 16);
    const ltField = this.le ? buf.readUInt32LE(off + 20) : buf.readUInt32BE(off + 20);
    // The top bits may carry an FCS length (draft-ietf-opsawg-pcap, section 4); the link type is the low 16 bits.
    this.linkType = ltField & 0xffff;
    this.headerDone = true;
    this.lengthBytes = this.recordHeader;
    const info = this.info;
    info.byteOrder = this.le ? 'little-endian' : 'big-endian';
    info.version = `${major}.${minor}`;
    info.interfaces.push({
      linkType: this.linkType,
      linkTypeName: linkTypeName(this.linkType),
      snaplen: this.snaplen,
      tsDigits: this.nanos ? 9 : 6,
      tsResolution: this.nanos ? 'nanosecond' : 'microsecond',
      section: 0,
    });
    info.sections = 1;
    if (major !== 2) this.damage.warn(off, `pcap version ${major}.${minor} is unusual (expected 2.4); read as 2.4`);
  }
}
