/**
 * Turns a stream of chunks into whole units (a pcap file header, a pcap record, a pcapng block)
 * without copying in the common case: a unit that lies inside one chunk is handed over as a
 * view of that chunk. Only a unit that straddles two chunks is assembled in a scratch buffer,
 * which is reused, so memory stays bounded by the largest unit whatever the file size.
 */
export interface UnitParser {
  /** How many bytes of a unit are needed to know its length. May change between units. */
  readonly lengthBytes: number;
  /** Total length of the unit at `off` (at least `lengthBytes` are available there). */
  unitLength(buf: Buffer, off: number, fileOffset: number): number;
  /** A whole unit. */
  unit(buf: Buffer, off: number, len: number, fileOffset: number): void;
  /** Set when the parser wants no more input (damage found, or the caller stopped). */
  readonly stopped: boolean;
  /**
   * Optional fast path for the run of whole units in buf[pos, end): delivers them one after the
   * other exactly as unitLength() and unit() would, and returns where the first unit it did not
   * deliver starts (it may stop early anywhere: the deframer goes on the long way from there).
   * One call per chunk instead of two per unit: for pcap records, that call overhead was a good
   * part of reading.
   */
  units?(buf: Buffer, pos: number, end: number, fileOffset: number): number;
}

export class Deframer {
  private carry = Buffer.allocUnsafe(1 << 16);
  private carryLen = 0;
  /** Stream offset of the next unit (that is, of carry[0] when carryLen > 0). */
  consumed = 0;

  constructor(private readonly parser: UnitParser) {}

  /** Bytes received but not yet forming a whole unit. */
  get pending(): number {
    return this.carryLen;
  }

  /**
   * The length the unfinished unit claims (its length field), or -1 when too few of its bytes
   * came to know it. With `pending`, what a file cut off (or with a corrupt length) lost.
   */
  wanted = -1;

  /** The bytes of the unfinished unit (valid until the next push). */
  pendingBytes(): Buffer {
    return this.carry.subarray(0, this.carryLen);
  }

  push(chunk: Buffer): void {
    const p = this.parser;
    let pos = 0;
    if (this.carryLen > 0) {
      pos = this.fillCarry(chunk);
      if (pos < 0 || p.stopped) return;
    }
    const end = chunk.length;
    while (!p.stopped) {
      if (p.units !== undefined) {
        const next = p.units(chunk, pos, end, this.consumed);
        this.consumed += next - pos;
        pos = next;
        if (p.stopped) break;
      }
      const avail = end - pos;
      if (avail < p.lengthBytes) break;
      const len = p.unitLength(chunk, pos, this.consumed);
      if (p.stopped) break;
      if (avail < len) { this.wanted = len; break; }
      p.unit(chunk, pos, len, this.consumed);
      pos += len;
      this.consumed += len;
    }
    if (!p.stopped && pos < end) {
      if (end - pos < p.lengthBytes) this.wanted = -1;
      this.stash(chunk, pos, end);
    }
  }

  /** Completes the unit begun in `carry`; returns the position in `chunk` after it, or -1. */
  private fillCarry(chunk: Buffer): number {
    const p = this.parser;
    let pos = 0;
    if (this.carryLen < p.lengthBytes) {
      const take = Math.min(p.lengthBytes - this.carryLen, chunk.length);
      this.append(chunk, 0, take);
      pos = take;
      if (this.carryLen < p.lengthBytes) return -1;
    }
    const len = p.unitLength(this.carry, 0, this.consumed);
    if (p.stopped) return -1;
    this.wanted = len;
    // The carry grows with the bytes that arrive (append), never to the length a unit claims:
    // a corrupt length field must not allocate gigabytes for a file of a few hundred bytes.
    const take = Math.min(len - this.carryLen, chunk.length - pos);
    this.append(chunk, pos, pos + take);
    pos += take;
    if (this.carryLen < len) return -1;
    p.unit(this.carry, 0, len, this.consumed);
    this.consumed += len;
    this.carryLen = 0;
    return pos;
  }

  private stash(chunk: Buffer, from: number, to: number): void {
    this.append(chunk, from, to);
  }

  private append(chunk: Buffer, from: number, to: number): void {
    const n = to - from;
    if (this.carryLen + n > this.carry.length) this.grow(this.carryLen + n);
    chunk.copy(this.carry, this.carryLen, from, to);
    this.carryLen += n;
  }

  private grow(min: number): void {
    let size = this.carry.length;
    while (size < min) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }
}
