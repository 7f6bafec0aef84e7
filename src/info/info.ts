/**
 * `synscope info`: what a capture holds, in the spirit of capinfos, plus the handshake-relevant
 * packet counts (outer headers only: a TCP header quoted inside an ICMP error is not counted).
 */
import { label, readCapture, type ReadOptions } from '../capture/reader.js';
import type { CaptureInfo, InterfaceInfo } from '../capture/record.js';
import { TcpFlag } from '../decode/constants.js';
import { Decoder } from '../decode/decoder.js';
import { LAYER_NAMES } from '../decode/constants.js';
import { Stop } from '../decode/status.js';
import { isDecodableLinkType } from '../model/linktypes.js';
import { isoTime } from '../util/time.js';

export interface FileInfo {
  file: string;
  format: 'pcap' | 'pcapng';
  compression: 'gzip' | null;
  byteOrder: string;
  version: string;
  /** Timestamp precision of the file (the finest of its interfaces). */
  tsPrecision: string;
  /** Link types in order of first appearance among the interfaces, e.g. [1] or [1, 276]. */
  linkTypes: number[];
  linkTypeNames: string[];
  interfaces: InterfaceInfo[];
  snaplen: number;
  sections: number;
  packets: number;
  bytes: number;
  /** ISO-8601 UTC at the capture's precision, or null when the file has no packets. */
  first: string | null;
  last: string | null;
  durationSec: number | null;
  /** TCP SYN without ACK. */
  syn: number;
  synAck: number;
  rst: number;
  /** ICMP type 3 plus ICMPv6 type 1. */
  icmpUnreachable: number;
  tcp: number;
  icmpErrors: number;
  ipv4: number;
  ipv6: number;
  fragments: number;
  /** Packets whose headers the snap length cut. */
  truncated: number;
  /** Packets that are not IP, or on a link type synscope does not decode. */
  notIp: number;
  malformed: number;
  warnings: string[];
}

export async function fileInfo(file: string, opts: ReadOptions = {}): Promise<FileInfo> {
  const dec = new Decoder();
  const c = { syn: 0, synAck: 0, rst: 0, icmpUnreachable: 0, tcp: 0, icmpErrors: 0, ipv4: 0, ipv6: 0, fragments: 0, truncated: 0, notIp: 0, malformed: 0 };
  const malformedWhat = new Map<string, number>();
  const info = await readCapture(file, (r) => {
    const p = dec.decode(r.buf, r.off, r.caplen, r.origLen, r.linkType);
    if (p.ip.version === 4) c.ipv4++;
    else if (p.ip.version === 6) c.ipv6++;
    else c.notIp++;
    if (p.ip.fragment) c.fragments++;
    if (p.status.kind === Stop.TRUNCATED) c.truncated++;
    else if (p.status.kind === Stop.MALFORMED) {
      c.malformed++;
      const k = `${LAYER_NAMES[p.status.layer]}: ${p.status.what}`;
      malformedWhat.set(k, (malformedWhat.get(k) ?? 0) + 1);
    }
    if (p.hasTcp) {
      c.tcp++;
      const f = p.tcp.flags;
      // Count only where the whole fixed header was captured, as Wireshark's TCP dissector needs.
      if (f >= 0 && p.tcp.have >= 20) {
        if (f & TcpFlag.SYN) {
          if (f & TcpFlag.ACK) c.synAck++;
          else c.syn++;
        }
        if (f & TcpFlag.RST) c.rst++;
      }
    }
    if (p.hasIcmp) {
      if (p.icmp.quotes) c.icmpErrors++;
      if ((p.icmp.family === 4 && p.icmp.type === 3) || (p.icmp.family === 6 && p.icmp.type === 1)) c.icmpUnreachable++;
    }
  }, opts);
  const warnings = [...info.warnings];
  for (const [what, n] of malformedWhat) warnings.push(`${label(file)}: ${n} packet(s) malformed (${what})`);
  for (const i of info.interfaces) {
    if (!isDecodableLinkType(i.linkType)) warnings.push(`${label(file)}: link type ${i.linkTypeName} is not decoded; its packets are counted but not analysed`);
  }
  return summarise(info, c, warnings);
}


function summarise(info: CaptureInfo, c: Omit<FileInfo, keyof CaptureInfoFields>, warnings: string[]): FileInfo {
  const digits = Math.max(0, ...info.interfaces.map((i) => i.tsDigits));
  const linkTypes: number[] = [];
  for (const i of info.interfaces) if (!linkTypes.includes(i.linkType)) linkTypes.push(i.linkType);
  const finest = info.interfaces.reduce<InterfaceInfo | null>((a, i) => (a === null || i.tsDigits > a.tsDigits ? i : a), null);
  return {
    file: info.file,
    format: info.format,
    compression: info.compression,
    byteOrder: info.byteOrder,
    version: info.version,
    tsPrecision: finest?.tsResolution ?? 'none',
    linkTypes,
    linkTypeNames: linkTypes.map((lt) => info.interfaces.find((i) => i.linkType === lt)!.linkTypeName),
    interfaces: info.interfaces,
    snaplen: Math.max(0, ...info.interfaces.map((i) => i.snaplen)),
    sections: info.sections,
    packets: info.packets,
    bytes: info.bytesRead,
    first: info.first ? isoTime(info.first[0], info.first[1], digits) : null,
    last: info.last ? isoTime(info.last[0], info.last[1], digits) : null,
    durationSec: info.first && info.last ? (info.last[0] - info.first[0]) + (info.last[1] - info.first[1]) / 1e9 : null,
    ...c,
    warnings,
  };
}

type CaptureInfoFields = Pick<FileInfo, 'file' | 'format' | 'compression' | 'byteOrder' | 'version' | 'tsPrecision' | 'linkTypes' | 'linkTypeNames' | 'interfaces' | 'snaplen' | 'sections' | 'packets' | 'bytes' | 'first' | 'last' | 'durationSec' | 'warnings'>;
