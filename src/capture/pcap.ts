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
// Local bindings of the two for the per-record check (see "Local bindings" in src/util/bytes.ts).
const MAX_RECORD = MAX_PCAP_RECORD;
const MAX_RECORD_HARD = MAX_PCAP_RECORD_HARD;

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

  /** A record claiming this many bytes is damage (the check of unitLength() and units()). */
  private tooLong(caplen: number): boolean {
    // The snap length comes from the same untrusted file: it may raise the limit, up to a hard cap.
    return caplen > MAX_RECORD && (caplen > this.snaplen || caplen > MAX_RECORD_HARD);
  }

  unitLength(buf: Buffer, off: number, fileOffset: number): number {
    if (!this.headerDone) return 24;
    const caplen = this.le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    if (this.tooLong(caplen)) {
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
    if (!this.headerDone) this.header(buf, off);
    else this.units(buf, off, off + len, fileOffset); // exactly this record
  }

  /**
   * Delivers the whole records in buf[pos, end), one after the other, as unitLength() and unit()
   * would through the deframer's loop (see UnitParser.units), and returns where the first record
   * it did not deliver starts: one cut off by `end`, or one whose length is damage, which it
   * leaves to unitLength() to report. The file's settings are read into locals once per call,
   * not once per record: this loop runs for every packet of the capture.
   */
  units(buf: Buffer, pos: number, end: number, fileOffset: number): number {
    if (!this.headerDone) return pos;
    const hdr = this.recordHeader;
    // `=== true` makes it a value the compiler knows is a boolean; a bare field could hold
    // anything, and each getUint32() below would test its truthiness in full.
    const le = this.le === true;
    const snaplen = this.snaplen;
    const fracToNs = this.nanos ? 1 : 1000;
    const tsDigits = this.nanos ? 9 : 6;
    const linkType = this.linkType;
    const rec = this.rec;
    const info = this.info;
    const sink = this.sink;
    // A DataView reads a 32-bit field in one bounds-checked load; byte by byte takes four (and
    // Buffer's readUInt32LE() validates its argument through a function call every time).
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (end - pos >= hdr) {
      const caplen = view.getUint32(pos + 8, le);
      const len = hdr + caplen;
      if (end - pos < len || this.tooLong(caplen)) break;
      const origLen = view.getUint32(pos + 12, le);
      if ((caplen > snaplen && snaplen > 0) || origLen < caplen) this.oddLengths(caplen, origLen, fileOffset);
      let sec = view.getUint32(pos, le);
      let nsec = view.getUint32(pos + 4, le) * fracToNs;
      // Some writers put 1000000 µs or more here; carry it into the seconds as libpcap does.
      if (nsec >= 1e9) {
        sec += Math.floor(nsec / 1e9);
        nsec %= 1e9;
      }
      rec.buf = buf;
      rec.off = pos + hdr;
      rec.caplen = caplen;
      rec.origLen = origLen;
      rec.tsSec = sec;
      rec.tsNsec = nsec;
      rec.linkType = linkType;
      rec.tsDigits = tsDigits;
      rec.ifIndex = 0;
      rec.frame = ++info.packets;
      rec.fileOffset = fileOffset;
      sink(rec);
      pos += len;
      fileOffset += len;
    }
    return pos;
  }

  /** Lengths a correct writer never produces: warned about once each (kept out of the loop in units()). */
  private oddLengths(caplen: number, origLen: number, fileOffset: number): void {
    if (caplen > this.snaplen && this.snaplen > 0 && !this.warnedOverSnap) {
      this.warnedOverSnap = true;
      this.damage.warn(fileOffset, `record ${this.info.packets + 1} holds ${caplen} bytes, more than the file's snap length ${this.snaplen}; read anyway`);
    }
    if (origLen < caplen && !this.warnedOrigLen) {
      this.warnedOrigLen = true;
      this.damage.warn(fileOffset, `record ${this.info.packets + 1} says its wire length ${origLen} is less than its captured length ${caplen}; the writer is broken, read anyway`);
    }
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
