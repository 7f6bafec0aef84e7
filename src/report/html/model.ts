/**
 * What the HTML report draws besides the Report itself: the packets of the attempts that get a
 * ladder diagram. They come from a second read of the capture (src/ladder/packets.ts), because
 * the analysis keeps only the frames that decided each verdict, not every packet.
 */
import type { AttemptReport } from '../model.js';

/** Who sent a packet of an attempt, as the capture shows it. */
export type PacketDirection = 'c2s' | 's2c' | 'icmp';

/** One packet of an attempt, with the facts a ladder arrow is labelled with. */
export interface LadderPacket {
  /** Index into Summary.files of the file the frame is in. */
  file: number;
  /** 1-based frame number in that file (Wireshark's). */
  frame: number;
  /** Seconds after the attempt's first SYN. */
  t: number;
  dir: PacketDirection;
  /** TCP flag bits (TcpFlag); for ICMP, the flags of the quoted TCP header, or 0. */
  flags: number;
  /** Absolute sequence and acknowledgement numbers (for ICMP: of the quoted TCP header). */
  seq: number;
  ack: number;
  /** TCP payload bytes. */
  len: number;
  /** IPv4 TTL or IPv6 hop limit as captured. */
  ttl: number;
  /** ICMP errors only: type, code and name (port-unreach, admin-prohibited, ...), and who sent it. */
  icmp?: { type: number; code: number; name: string; sender: string };
}

/** An attempt to draw, and its packets as far as the ladder keeps them. */
export interface LadderData {
  /** Position of the attempt in the report's order of first SYN (0-based). */
  index: number;
  attempt: AttemptReport;
  packets: LadderPacket[];
  /** Packets of the attempt beyond the ones kept (a long connection). */
  more: number;
}
