/**
 * Capture-file writers: classic pcap and pcapng.
 *
 * Used to hand-craft test captures and, later, for live write-through. Output
 * goes either to a sink callback (one Buffer per header/record/block) or, when
 * no sink is given, into an in-memory list retrievable with toBuffer().
 */

export type Sink = (chunk: Buffer) => void;

/** Shared chunk handling: a writer either streams to a sink or buffers. */
abstract class ChunkWriter {
  private readonly chunks: Buffer[] | undefined;
  private readonly sink: Sink | undefined;
  private written = 0;

  protected constructor(sink: Sink | undefined) {
    this.sink = sink;
    this.chunks = sink ? undefined : [];
  }

  /** Total bytes emitted so far (header included). */
  get bytesWritten(): number {
    return this.written;
  }

  protected emit(chunk: Buffer): void {
    this.written += chunk.length;
    if (this.sink) this.sink(chunk);
    else this.chunks!.push(chunk);
  }

  /** The whole file so far; only available when no sink was given. */
  toBuffer(): Buffer {
    if (!this.chunks) throw new Error('toBuffer() is unavailable: output was sent to a sink');
    return Buffer.concat(this.chunks);
  }
}

function checkTimestamp(tsSec: number, tsNsec: number): void {
  if (!Number.isInteger(tsSec) || tsSec < 0) throw new RangeError(`tsSec must be a non-negative integer, got ${tsSec}`);
  if (!Number.isInteger(tsNsec) || tsNsec < 0 || tsNsec > 999_999_999) {
    throw new RangeError(`tsNsec must be an integer in 0..999999999, got ${tsNsec}`);
  }
}

// ---------------------------------------------------------------------------
// Classic pcap
// ---------------------------------------------------------------------------

export const PCAP_MAGIC_USEC = 0xa1b2c3d4;
export const PCAP_MAGIC_NSEC = 0xa1b23c4d;

export interface PcapWriterOptions {
  linkType: number;
  /** Default 262144, what tcpdump uses. */
  snaplen?: number;
  /** Nanosecond-resolution file (magic 0xa1b23c4d). */
  nanosecond?: boolean;
  /** Write all header fields big-endian, as a big-endian host would. */
  bigEndian?: boolean;
}

export class PcapWriter extends ChunkWriter {
  readonly linkType: number;
  readonly snaplen: number;
  readonly nanosecond: boolean;
  readonly bigEndian: boolean;

  constructor(options: PcapWriterOptions, sink?: Sink) {
    super(sink);
    this.linkType = options.linkType;
    this.snaplen = options.snaplen ?? 262144;
    this.nanosecond = options.nanosecond ?? false;
    this.bigEndian = options.bigEndian ?? false;
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0) throw new RangeError(`bad snaplen ${this.snaplen}`);

    const h = Buffer.alloc(24);
    const be = this.bigEndian;
    // The magic is written in the file's own byte order: readers detect the
    // order (and the timestamp resolution) from how it reads back.
    u32(h, 0, this.nanosecond ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC, be);
    u16(h, 4, 2, be);
    u16(h, 6, 4, be);
    // thiszone (8) and sigfigs (12) stay 0: every modern writer does that.
    u32(h, 16, this.snaplen, be);
    u32(h, 20, this.linkType, be);
    this.emit(h);
  }

  /**
   * Append one record. tsNsec is always nanoseconds; microsecond files store
   * floor(tsNsec / 1000). Data beyond snaplen is dropped while origLen keeps
   * the on-the-wire length, as a capturing kernel would.
   */
  writePacket(tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void {
    checkTimestamp(tsSec, tsNsec);
    if (tsSec > 0xffffffff) throw new RangeError('classic pcap timestamps are 32-bit seconds');
    const wireLen = origLen ?? data.length;
    const stored = data.length > this.snaplen ? data.subarray(0, this.snaplen) : data;
    const rec = Buffer.alloc(16);
    const be = this.bigEndian;
    u32(rec, 0, tsSec, be);
    u32(rec, 4, this.nanosecond ? tsNsec : Math.floor(tsNsec / 1000), be);
    u32(rec, 8, stored.length, be);
    u32(rec, 12, wireLen, be);
    this.emit(rec);
    // Copy so later mutation of the caller's buffer cannot alter the file.
    this.emit(Buffer.from(stored));
  }
}

// ---------------------------------------------------------------------------
// pcapng (draft-ietf-opsawg-pcapng)
// ---------------------------------------------------------------------------

export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_IDB = 0x00000001;
export const PCAPNG_OPB = 0x00000002;
export const PCAPNG_SPB = 0x00000003;
export const PCAPNG_EPB = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;

export interface PcapngWriterOptions {
  bigEndian?: boolean;
}

export interface PcapngInterfaceOptions {
  linkType: number;
  /** Default 262144; 0 means "no limit" in pcapng. */
  snaplen?: number;
  /** Raw if_tsresol byte: 6 = µs (default), 9 = ns, 0x80|k = 2^-k s. */
  tsresol?: number;
  /** if_tsoffset in seconds: stored timestamps are absolute time minus this. */
  tsoffset?: bigint | number;
  name?: string;
}

interface InterfaceState {
  linkType: number;
  snaplen: number;
  /** Timestamp units per second for this interface. */
  unitsPerSec: bigint;
  tsoffset: bigint;
}

export class PcapngWriter extends ChunkWriter {
  private bigEndian: boolean;
  private interfaces: InterfaceState[] = [];

  constructor(options: PcapngWriterOptions = {}, sink?: Sink) {
    super(sink);
    this.bigEndian = options.bigEndian ?? false;
    this.writeShb();
  }

  /** Number of interfaces in the current section. */
  get interfaceCount(): number {
    return this.interfaces.length;
  }

  /**
   * Start a new section. Interface ids restart at 0. A section may use a
   * different byte order from the previous one (the spec allows it, e.g. for
   * concatenated files), hence the optional override.
   */
  newSection(options: PcapngWriterOptions = {}): void {
    if (options.bigEndian !== undefined) this.bigEndian = options.bigEndian;
    this.interfaces = [];
    this.writeShb();
  }

  addInterface(options: PcapngInterfaceOptions): number {
    const snaplen = options.snaplen ?? 262144;
    const tsresol = options.tsresol ?? 6;
    const tsoffset = BigInt(options.tsoffset ?? 0);
    const unitsPerSec = tsresolUnits(tsresol);
    if (!Number.isInteger(snaplen) || snaplen < 0) throw new RangeError(`bad snaplen ${snaplen}`);

    const be = this.bigEndian;
    const fixed = Buffer.alloc(8);
    u16(fixed, 0, options.linkType, be);
    // 2..3 reserved, must be zero
    u32(fixed, 4, snaplen, be);

    const opts: Buffer[] = [];
    if (options.name !== undefined) opts.push(option(IF_NAME, Buffer.from(options.name, 'utf8'), be));
    // Written even for the default (6) so readers exercise the option path.
    opts.push(option(IF_TSRESOL, Buffer.from([tsresol]), be));
    if (options.tsoffset !== undefined) {
      const v = Buffer.alloc(8);
      if (be) v.writeBigInt64BE(tsoffset);
      else v.writeBigInt64LE(tsoffset);
      opts.push(option(IF_TSOFFSET, v, be));
    }
    opts.push(option(OPT_ENDOFOPT, Buffer.alloc(0), be));

    this.writeBlock(PCAPNG_IDB, Buffer.concat([fixed, ...opts]));
    this.interfaces.push({ linkType: options.linkType, snaplen, unitsPerSec, tsoffset });
    return this.interfaces.length - 1;
  }

  /** Enhanced Packet Block; `comment` becomes its opt_comment (Wireshark's frame.comment). */
  writePacket(ifId: number, tsSec: number, tsNsec: number, data: Buffer, origLen?: number, comment?: string): void {
    const iface = this.iface(ifId);
    const ts = this.timestampUnits(iface, tsSec, tsNsec);
    const stored = cut(data, iface.snaplen);
    const be = this.bigEndian;
    const fixed = Buffer.alloc(20);
    u32(fixed, 0, ifId, be);
    u32(fixed, 4, Number(ts >> 32n), be);
    u32(fixed, 8, Number(ts & 0xffffffffn), be);
    u32(fixed, 12, stored.length, be);
    u32(fixed, 16, origLen ?? data.length, be);
    const opts = comment === undefined ? [] : [option(OPT_COMMENT, Buffer.from(comment, 'utf8'), be), option(OPT_ENDOFOPT, Buffer.alloc(0), be)];
    this.writeBlock(PCAPNG_EPB, Buffer.concat([fixed, pad4(stored), ...opts]));
  }

  /**
   * Simple Packet Block (interface 0, no timestamp). The block carries no
   * captured length: readers derive it as min(origLen, snaplen of interface
   * 0), so the stored data must have exactly that length.
   */
  writeSimplePacket(data: Buffer, origLen?: number): void {
    const iface = this.iface(0);
    const wireLen = origLen ?? data.length;
    const capLen = iface.snaplen === 0 ? wireLen : Math.min(wireLen, iface.snaplen);
    if (data.length < capLen) {
      throw new RangeError(`SPB needs ${capLen} bytes of data (min(origLen, snaplen)), got ${data.length}`);
    }
    const fixed = Buffer.alloc(4);
    u32(fixed, 0, wireLen, this.bigEndian);
    this.writeBlock(PCAPNG_SPB, Buffer.concat([fixed, pad4(data.subarray(0, capLen))]));
  }

  /**
   * Obsolete Packet Block (type 2). drops_count is 0xffff, the value the spec
   * reserves for "not available".
   */
  writeObsoletePacket(ifId: number, tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void {
    const iface = this.iface(ifId);
    if (ifId > 0xffff) throw new RangeError('OPB interface ids are 16-bit');
    const ts = this.timestampUnits(iface, tsSec, tsNsec);
    const stored = cut(data, iface.snaplen);
    const be = this.bigEndian;
    const fixed = Buffer.alloc(20);
    u16(fixed, 0, ifId, be);
    u16(fixed, 2, 0xffff, be);
    u32(fixed, 4, Number(ts >> 32n), be);
    u32(fixed, 8, Number(ts & 0xffffffffn), be);
    u32(fixed, 12, stored.length, be);
    u32(fixed, 16, origLen ?? data.length, be);
    this.writeBlock(PCAPNG_OPB, Buffer.concat([fixed, pad4(stored)]));
  }

  /** Any block type with an opaque body (padded to 32 bits); for reader skip tests. */
  writeCustomBlock(type: number, body: Buffer): void {
    this.writeBlock(type, pad4(body));
  }

  private writeShb(): void {
    const be = this.bigEndian;
    const body = Buffer.alloc(16);
    u32(body, 0, PCAPNG_BYTE_ORDER_MAGIC, be);
    u16(body, 4, 1, be);
    u16(body, 6, 0, be);
    // Section length -1: "not specified", which lets us stream.
    if (be) body.writeBigInt64BE(-1n, 8);
    else body.writeBigInt64LE(-1n, 8);
    this.writeBlock(PCAPNG_SHB, body);
  }

  private writeBlock(type: number, body: Buffer): void {
    if (body.length % 4 !== 0) throw new Error('pcapng block body must be 32-bit aligned');
    const total = body.length + 12;
    const head = Buffer.alloc(8);
    u32(head, 0, type >>> 0, this.bigEndian);
    u32(head, 4, total, this.bigEndian);
    const tail = Buffer.alloc(4);
    u32(tail, 0, total, this.bigEndian);
    this.emit(Buffer.concat([head, body, tail]));
  }

  private iface(ifId: number): InterfaceState {
    const iface = this.interfaces[ifId];
    if (!iface) throw new RangeError(`no interface ${ifId} in the current section`);
    return iface;
  }

  private timestampUnits(iface: InterfaceState, tsSec: number, tsNsec: number): bigint {
    checkTimestamp(tsSec, tsNsec);
    const sec = BigInt(tsSec) - iface.tsoffset;
    if (sec < 0n) throw new RangeError('timestamp precedes if_tsoffset');
    // Truncate like a capturing clock would rather than round up into the next unit.
    const frac = (BigInt(tsNsec) * iface.unitsPerSec) / 1_000_000_000n;
    const ts = sec * iface.unitsPerSec + frac;
    if (ts > 0xffffffffffffffffn) throw new RangeError('timestamp does not fit 64 bits');
    return ts;
  }
}

/** Units per second for a raw if_tsresol byte. */
export function tsresolUnits(tsresol: number): bigint {
  if (!Number.isInteger(tsresol) || tsresol < 0 || tsresol > 0xff) throw new RangeError(`bad if_tsresol ${tsresol}`);
  const exp = BigInt(tsresol & 0x7f);
  return tsresol & 0x80 ? 1n << exp : 10n ** exp;
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

function u16(b: Buffer, off: number, v: number, be: boolean): void {
  if (be) b.writeUInt16BE(v, off);
  else b.writeUInt16LE(v, off);
}

function u32(b: Buffer, off: number, v: number, be: boolean): void {
  if (be) b.writeUInt32BE(v, off);
  else b.writeUInt32LE(v, off);
}

function pad4(b: Buffer): Buffer {
  const rem = b.length % 4;
  return rem === 0 ? Buffer.from(b) : Buffer.concat([b, Buffer.alloc(4 - rem)]);
}

function cut(data: Buffer, snaplen: number): Buffer {
  return snaplen !== 0 && data.length > snaplen ? data.subarray(0, snaplen) : data;
}

/** One pcapng option: code, length, value padded to 32 bits. */
function option(code: number, value: Buffer, be: boolean): Buffer {
  const head = Buffer.alloc(4);
  u16(head, 0, code, be);
  u16(head, 2, value.length, be);
  return Buffer.concat([head, pad4(value)]);
}
