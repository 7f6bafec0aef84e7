/**
 * What every capture source (pcap, pcapng, live) hands to the decoder. One `CaptureRecord` is
 * reused for every packet: the source overwrites its fields and calls the consumer, and the
 * consumer must copy whatever it keeps (the bytes at `buf[off, off + caplen)` are reused too).
 */
export class CaptureRecord {
  buf: Buffer = Buffer.alloc(0);
  /** Offset of the first captured byte of the packet in `buf`. */
  off = 0;
  /** Bytes captured (at most the snap length). */
  caplen = 0;
  /** Length of the packet on the wire. */
  origLen = 0;
  /** Whole seconds since the Unix epoch (UTC), after any pcapng if_tsoffset. */
  tsSec = 0;
  /** Nanoseconds within the second, 0..999999999, at the capture's full precision. */
  tsNsec = 0;
  linkType = 0;
  /** Fractional digits of this packet's interface timestamps (6 = microseconds, 9 = ns). */
  tsDigits = 6;
  /** Index of the interface in CaptureInfo.interfaces (always 0 for classic pcap). */
  ifIndex = 0;
  /** 1-based frame number, as Wireshark numbers packets in this file. */
  frame = 0;
  /** Byte offset of the record (pcap record header or pcapng block) in the decompressed stream. */
  fileOffset = 0;
}

export interface InterfaceInfo {
  linkType: number;
  linkTypeName: string;
  snaplen: number;
  /** Fractional digits the timestamps of this interface carry (6 = microseconds, 9 = ns). */
  tsDigits: number;
  /** Human description of the timestamp resolution, e.g. "microsecond", "nanosecond", "2^-20 s". */
  tsResolution: string;
  name?: string;
  /** pcapng section (0-based) the interface belongs to. */
  section: number;
}

export type CaptureFormat = 'pcap' | 'pcapng';

export interface CaptureInfo {
  /** The path as given by the user (`-` for standard input). */
  file: string;
  format: CaptureFormat;
  /** Container around the capture, if any. */
  compression: 'gzip' | null;
  byteOrder: 'little-endian' | 'big-endian' | 'mixed';
  /** pcap version or pcapng section version, e.g. "2.4" or "1.0". */
  version: string;
  interfaces: InterfaceInfo[];
  /** Packet records delivered. */
  packets: number;
  /** Bytes of the (decompressed) capture stream read. */
  bytesRead: number;
  /** First and last packet time as [sec, nsec], or null when there are no timestamped packets. */
  first: [number, number] | null;
  last: [number, number] | null;
  /** When capturing stopped, if the file says (pcapng interface statistics), as [sec, nsec]. */
  captureEnd?: [number, number];
  /** Sections (pcapng) in the file. */
  sections: number;
  /** One-line warnings: damaged or cut-off data, oddities; everything before them was delivered. */
  warnings: string[];
  /** True when reading stopped before the end of the input (truncation or corruption). */
  damaged: boolean;
}

export type PacketSink = (rec: CaptureRecord) => void;
