/**
 * The bounded queue between cap's 'packet' callback and the analysis (native-notes.md, "The queue
 * between capture and analysis"). cap drains libpcap's ring in one loop that calls JavaScript
 * once per packet and returns only when the ring is empty, so the callback must be cheap: it
 * copies the packet into this preallocated ring and returns. A drain step, run from the event
 * loop in bounded batches, feeds the engine. When the ring is full the packet is shed (counted,
 * not analysed): memory stays fixed however fast packets come, and the event loop keeps running.
 */
import type { CaptureRecord } from './record.js';

/** Packets the queue holds by default (about 0.4 s of analysis at 20k packets/s). */
export const DEFAULT_QUEUE_SLOTS = 8192;
/** Bytes the queue holds by default: 8192 handshake packets take well under 1 MiB; 128 full 64 KiB ones fit. */
export const DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * A ring of packets with a fixed number of slots and a fixed byte budget, both allocated once.
 * Packets are stored back to back; one that does not fit before the end of the byte area starts
 * again at its beginning (the tail is left unused until the ring empties past it).
 */
export class PacketRing {
  readonly slots: number;
  readonly bytes: number;
  private readonly data: Buffer;
  private readonly start: Uint32Array;
  private readonly len: Uint32Array;
  private readonly orig: Uint32Array;
  private readonly mark: Float64Array;
  private head = 0;
  private count = 0;
  /** Where the next packet's bytes go. */
  private wr = 0;
  /** Most packets held at once. */
  peak = 0;

  constructor(slots: number, bytes: number) {
    if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`queue slots must be a whole number above 0, not ${slots}`);
    if (!Number.isInteger(bytes) || bytes < 1) throw new RangeError(`queue bytes must be a whole number above 0, not ${bytes}`);
    this.slots = slots;
    this.bytes = bytes;
    // Not zero-filled: only bytes written by push() are ever read, and untouched pages cost no RSS.
    this.data = Buffer.allocUnsafeSlow(bytes);
    this.start = new Uint32Array(slots);
    this.len = new Uint32Array(slots);
    this.orig = new Uint32Array(slots);
    this.mark = new Float64Array(slots);
  }

  /** Packets waiting. */
  get length(): number {
    return this.count;
  }

  /**
   * Copies `src[0, caplen)` into the ring with its wire length and time mark. Returns false, and
   * stores nothing, when the ring is full (no free slot, or not enough contiguous bytes).
   */
  push(src: Buffer, caplen: number, origLen: number, mark: number): boolean {
    if (this.count === this.slots) return false;
    const need = caplen > 0 ? caplen : 1;
    let at: number;
    if (this.count === 0) {
      if (need > this.bytes) return false;
      at = 0;
    } else {
      const rd = this.start[this.head];
      const wr = this.wr;
      if (wr > rd) {
        if (this.bytes - wr >= need) at = wr;
        else if (rd >= need) at = 0;
        else return false;
      } else if (wr < rd) {
        if (rd - wr >= need) at = wr;
        else return false;
      } else {
        return false; // wr === rd with packets queued: every byte is taken
      }
    }
    if (caplen > 0) src.copy(this.data, at, 0, caplen);
    let slot = this.head + this.count;
    if (slot >= this.slots) slot -= this.slots;
    this.start[slot] = at;
    this.len[slot] = caplen;
    this.orig[slot] = origLen;
    this.mark[slot] = mark;
    this.wr = at + need;
    this.count++;
    if (this.count > this.peak) this.peak = this.count;
    return true;
  }

  /**
   * Takes the oldest packet: points `rec.buf/off/caplen/origLen` at its bytes in the ring and
   * returns its time mark (NaN when the ring is empty). The bytes stay valid until the next push,
   * which cannot happen while the caller runs synchronously (cap calls back from the event loop).
   */
  shift(rec: CaptureRecord): number {
    if (this.count === 0) return NaN;
    const i = this.head;
    rec.buf = this.data;
    rec.off = this.start[i];
    rec.caplen = this.len[i];
    rec.origLen = this.orig[i];
    const m = this.mark[i];
    this.head = i + 1 === this.slots ? 0 : i + 1;
    this.count--;
    if (this.count === 0) { this.head = 0; this.wr = 0; }
    return m;
  }

  /** Forgets every queued packet; returns how many there were. */
  clear(): number {
    const n = this.count;
    this.count = 0;
    this.head = 0;
    this.wr = 0;
    return n;
  }
}

/**
 * Offset of the IP header in a packet of this link type (after Ethernet VLAN tags), or -1 when
 * the link type is not one live capture gives or the packet is too short.
 */
export function ipOffset(buf: Buffer, caplen: number, linkType: number): number {
  let off: number;
  let ether = -1;
  switch (linkType) {
    case 1: off = 14; ether = 12; break;
    case 113: off = 16; ether = 14; break;
    case 276: off = 20; ether = 0; break;
    case 0: case 108: off = 4; break;
    case 101: case 228: case 229: off = 0; break;
    default: return -1;
  }
  if (ether >= 0 && caplen >= ether + 2) {
    let type = buf.readUInt16BE(ether);
    while ((type === 0x8100 || type === 0x88a8) && linkType === 1 && caplen >= off + 4) {
      type = buf.readUInt16BE(off + 2);
      off += 4;
    }
  }
  return caplen >= off + 8 ? off : -1;
}

/**
 * Whether a packet is a TCP SYN without ACK (a connection attempt), read from its bytes without
 * decoding: IPv4 (first fragment) or IPv6 with TCP as the first next header. For counting what was
 * shed, so it only has to be cheap and right for the usual packets.
 */
export function isSyn(buf: Buffer, caplen: number, linkType: number): boolean {
  const off = ipOffset(buf, caplen, linkType);
  if (off < 0) return false;
  const v = buf[off] >> 4;
  let flagsAt: number;
  if (v === 4) {
    if (buf[off + 9] !== 6 || (buf.readUInt16BE(off + 6) & 0x1fff) !== 0) return false;
    flagsAt = off + (buf[off] & 0x0f) * 4 + 13;
  } else if (v === 6) {
    if (buf[off + 6] !== 6) return false;
    flagsAt = off + 40 + 13;
  } else {
    return false;
  }
  return flagsAt < caplen && (buf[flagsAt] & 0x12) === 0x02;
}
