/**
 * Link layers: finds where the network-layer header starts and which protocol it is.
 * Ethernet (with 802.1Q / 802.1ad tags, 802.1ah PBB I-TAGs, Cisco FabricPath headers, MPLS label
 * stacks, PPPoE), Linux cooked v1 and v2, raw IP, BSD null and OpenBSD loop, PPP. Returns the offset of the IP header, or a negative
 * status (see status.ts); `net.type` receives the EtherType of what follows.
 *
 * The usual link types (Ethernet with its tags, Linux cooked, BSD loopback) read their fields with
 * the unchecked readers of util/bytes.ts, for speed; the rare ones keep Buffer's readers, which
 * throw on a read past the end of the buffer (the decoder's fuzz tests rely on that to find a
 * missing length check).
 */
import * as linktypes from '../model/linktypes.js';
import * as constants from './constants.js';
import { DecodeStatus, Stop } from './status.js';
import { Unreached, unreachedEtherType } from './unreached.js';
import * as bytes from '../util/bytes.js';

// Local bindings of what runs for every packet: see "Local bindings" in src/util/bytes.ts.
const { LinkType } = linktypes;
const { EtherType, Layer } = constants;
const { u16be, u32be, u32le } = bytes;

export class NetStart {
  /** EtherType of the network header (0x0800 or 0x86dd for IP). */
  type = 0;
  /**
   * VLAN IDs of every 802.1Q, 802.1ad and pre-standard QinQ (0x9100) tag of the frame, outermost
   * first, up to 4 (`vlanCount` counts them all), in tunnelled frames too (the inner Ethernet frame
   * of VXLAN, GENEVE or GRE TEB, the customer frame of 802.1ah PBB); and MPLS labels walked.
   */
  vlanCount = 0;
  readonly vlans = new Uint16Array(4);
  mplsCount = 0;
  /**
   * The VLAN context of the innermost packet, as Zeek keys connections (its `vlan` and
   * `inner_vlan`): `vlan` is the first tag with a non-zero ID, `innerVlan` the last tag after it.
   * Entering an IP-level tunnel (IP-in-IP, GRE, VXLAN, ...) starts a new packet with no VLAN, as
   * in Zeek, whose tunnelled connections carry only the inner frame's tags; the tags of 802.1ah
   * PBB and FabricPath frames stay in one context (backbone tag first, customer tags inside).
   */
  vlan = 0;
  innerVlan = 0;
  /** Interface index from a Linux cooked v2 header (`tcpdump -i any`), else 0. */
  ifindex = 0;

  reset(): void {
    this.type = 0;
    this.ifindex = 0;
    this.vlanCount = 0;
    this.mplsCount = 0;
    this.vlan = 0;
    this.innerVlan = 0;
  }

  /**
   * A number for a flow key: `vlan * 4096 + innerVlan` (24 bits; 0 when untagged). Two packets of
   * one connection seen in different VLAN contexts get different keys.
   */
  vlanKey(): number {
    return this.vlan * 4096 + this.innerVlan;
  }
}

const MAX_TAGS = 8;

/** IP version from the first nibble, for encapsulations that do not say (raw IP, MPLS). */
export function etherTypeFromVersion(buf: Buffer, off: number): number {
  const v = buf[off] >> 4;
  return v === 4 ? EtherType.IPV4 : v === 6 ? EtherType.IPV6 : 0;
}

export function ppp(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  // PPP protocol field: 0x0021 IPv4, 0x0057 IPv6 (RFC 1332, 5072); a 1-byte field when compressed.
  if (end - off < 1) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'PPP protocol cut off');
  let proto: number;
  if (buf[off] & 1) { proto = buf[off]; off += 1; } else {
    if (end - off < 2) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'PPP protocol cut off');
    proto = buf.readUInt16BE(off); off += 2;
  }
  if (proto === 0x21) net.type = EtherType.IPV4;
  else if (proto === 0x57) net.type = EtherType.IPV6;
  else return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, 'PPP protocol is not IP');
  return off;
}

/** Ethernet payload dispatch from an EtherType at `off - 2`, walking tags and labels. */
export function ethernetPayload(buf: Buffer, off: number, end: number, type: number, net: NetStart, st: DecodeStatus, base: number): number {
  for (let i = 0; i < MAX_TAGS; i++) {
    // IP first: it is what nearly every frame carries.
    if (type === EtherType.IPV4 || type === EtherType.IPV6) {
      net.type = type;
      return off;
    }
    if (type === EtherType.VLAN || type === EtherType.QINQ || type === EtherType.QINQ_OLD) {
      if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'VLAN tag cut off');
      const vid = u16be(buf, off) & 0x0fff;
      if (net.vlanCount < 4) net.vlans[net.vlanCount] = vid;
      net.vlanCount++;
      // Zeek's rule: the first tag with an ID is the outer VLAN, the last one after it the inner.
      if (net.vlan === 0) net.vlan = vid;
      else net.innerVlan = vid;
      type = u16be(buf, off + 2);
      off += 4;
      continue;
    }
    if (type === EtherType.PBB) {
      // 802.1ah: the I-TAG (priority, DEI, UCA, reserved, 24-bit I-SID), then the customer frame's
      // destination and source addresses and its EtherType (which may be a customer tag).
      if (end - off < 18) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, '802.1ah I-TAG or customer header cut off');
      type = u16be(buf, off + 16);
      off += 18;
      continue;
    }
    if (type === EtherType.FABRICPATH) {
      // Cisco FabricPath: the 16-byte outer header (switch addresses, 0x8903, then FTag and TTL in
      // the 2 bytes here) is followed by the original Ethernet frame, addresses first.
      if (end - off < 16) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'FabricPath header or inner Ethernet header cut off');
      type = u16be(buf, off + 14);
      off += 16;
      continue;
    }
    if (type === EtherType.MPLS_UC || type === EtherType.MPLS_MC) {
      // Walk the label stack to the bottom-of-stack bit; the payload's version nibble says what it is.
      let bottom = false;
      for (let n = 0; n < 16 && !bottom; n++) {
        if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'MPLS label cut off');
        bottom = (buf[off + 2] & 1) === 1;
        net.mplsCount++;
        off += 4;
      }
      if (!bottom) return st.set(Stop.MALFORMED, Layer.LINK, off - base, 'MPLS label stack deeper than 16');
      if (end - off < 1) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'MPLS payload cut off');
      type = etherTypeFromVersion(buf, off);
      if (type === 0) {
        st.unreached = Unreached.MPLS_PW;
        return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, 'MPLS payload is not IP (pseudowire?)');
      }
      continue;
    }
    if (type === EtherType.PPPOE_SESSION) {
      if (end - off < 6) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'PPPoE header cut off');
      return ppp(buf, off + 6, end, net, st, base);
    }
    net.type = type;
    st.unreached = unreachedEtherType(type);
    return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, type <= 1500 ? '802.3 frame with LLC, not IP' : 'EtherType is not IP');
  }
  return st.set(Stop.MALFORMED, Layer.LINK, off - base, 'more than 8 VLAN/MPLS headers');
}

function ethernet(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 14) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'Ethernet header cut off');
  return ethernetPayload(buf, off + 14, end, u16be(buf, off + 12), net, st, off);
}

/** Linux cooked v1: 16 bytes, protocol (an EtherType for IP) last. */
function sll(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 16) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'Linux cooked header cut off');
  return ethernetPayload(buf, off + 16, end, u16be(buf, off + 14), net, st, off);
}

/** Linux cooked v2: 20 bytes, protocol first (what `tcpdump -i any` writes with newer libpcap). */
function sll2(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 20) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'Linux cooked v2 header cut off');
  net.ifindex = u32be(buf, off + 4);
  return ethernetPayload(buf, off + 20, end, u16be(buf, off), net, st, off);
}

function rawIp(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 1) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'empty raw IP packet');
  net.type = etherTypeFromVersion(buf, off);
  if (net.type === 0) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'raw IP packet with IP version neither 4 nor 6');
  return off;
}

/** BSD null: a 4-byte address family in the capturing host's byte order; loop: network order. */
function nullLoop(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus, loop: boolean): number {
  if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'loopback header cut off');
  let fam = u32be(buf, off);
  if (!loop && (fam & 0xffff) === 0) fam = u32le(buf, off);
  // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
  if (fam === 2) net.type = EtherType.IPV4;
  else if (fam === 24 || fam === 28 || fam === 30 || fam === 10) net.type = EtherType.IPV6;
  else return st.set(Stop.UNSUPPORTED, Layer.LINK, 0, 'loopback address family is not IP');
  return off + 4;
}

/** NFLOG (Linux netfilter log): TLVs after a 4-byte header; the packet is TLV type 9. */
function nflog(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'NFLOG header cut off');
  const family = buf[off];
  let p = off + 4;
  for (let i = 0; i < 64 && end - p >= 4; i++) {
    // TLV lengths and types are in host byte order (little-endian on the machines that write them).
    const len = buf.readUInt16LE(p);
    const type = buf.readUInt16LE(p + 2) & 0x7fff;
    if (len < 4) return st.set(Stop.MALFORMED, Layer.LINK, p - off, 'NFLOG TLV shorter than 4 bytes');
    if (type === 9) {
      net.type = family === 2 ? EtherType.IPV4 : family === 10 ? EtherType.IPV6 : etherTypeFromVersion(buf, p + 4);
      return p + 4;
    }
    p += (len + 3) & ~3;
  }
  return st.set(Stop.TRUNCATED, Layer.LINK, p - off, 'NFLOG packet TLV not found');
}

/** LLC/SNAP header carrying an EtherType (AA AA 03, OUI 00 00 00 or 00 00 F8). */
function llcSnap(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - off < 8) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, 'LLC/SNAP header cut off');
  if (buf[off] !== 0xaa || buf[off + 1] !== 0xaa || buf[off + 2] !== 0x03) return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, '802.2 LLC without SNAP, not IP');
  return ethernetPayload(buf, off + 8, end, buf.readUInt16BE(off + 6), net, st, base);
}

/** IEEE 802.11 data frames (unprotected): MAC header, then LLC/SNAP. */
function ieee80211(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus, base: number): number {
  if (end - off < 24) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, '802.11 header cut off');
  const fc0 = buf[off];
  const fc1 = buf[off + 1];
  const type = (fc0 >> 2) & 3;
  const subtype = fc0 >> 4;
  if (type !== 2) return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, '802.11 management or control frame');
  if (subtype & 0x4) return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, '802.11 data frame without a body');
  if (fc1 & 0x40) {
    st.unreached = Unreached.WIFI_PROTECTED;
    return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, 'encrypted 802.11 frame');
  }
  let len = 24;
  if ((fc1 & 0x03) === 0x03) len += 6; // four addresses (wireless distribution system)
  if (subtype & 0x8) {
    if (end - off < len + 2) return st.set(Stop.TRUNCATED, Layer.LINK, off - base, '802.11 QoS control cut off');
    if (buf[off + len] & 0x80) {
      st.unreached = Unreached.WIFI_AMSDU;
      return st.set(Stop.UNSUPPORTED, Layer.LINK, off - base, '802.11 A-MSDU');
    }
    len += 2;
    if (fc1 & 0x80) len += 4; // HT control
  }
  return llcSnap(buf, off + len, end, net, st, base);
}

/** Radiotap (its own length at bytes 2-3, little-endian) in front of an 802.11 frame. */
function radiotap(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 8) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'radiotap header cut off');
  const len = buf.readUInt16LE(off + 2);
  if (len < 8 || len > end - off) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'radiotap length beyond the packet');
  return ieee80211(buf, off + len, end, net, st, off);
}

/** Cisco HDLC: address, control, then an EtherType. */
function ciscoHdlc(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'Cisco HDLC header cut off');
  return ethernetPayload(buf, off + 4, end, buf.readUInt16BE(off + 2), net, st, off);
}

function familyToEtherType(fam: number): number {
  // AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
  if (fam === 2) return EtherType.IPV4;
  if (fam === 24 || fam === 28 || fam === 30 || fam === 10) return EtherType.IPV6;
  return 0;
}

/** OpenBSD/FreeBSD pflog: header length in byte 0 (padded to 4), address family in byte 1. */
function pflog(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus): number {
  if (end - off < 4) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'pflog header cut off');
  const len = (buf[off] + 3) & ~3;
  net.type = familyToEtherType(buf[off + 1]);
  if (net.type === 0) return st.set(Stop.UNSUPPORTED, Layer.LINK, 0, 'pflog address family is not IP');
  if (end - off < len) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'pflog header cut off');
  return off + len;
}

/** PPI: its own length and the link type of what follows (usually 802.11). */
function ppi(buf: Buffer, off: number, end: number, net: NetStart, st: DecodeStatus, depth: number): number {
  if (end - off < 8) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'PPI header cut off');
  const len = buf.readUInt16LE(off + 2);
  const dlt = buf.readUInt32LE(off + 4);
  if (len < 8 || len > end - off) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'PPI length beyond the packet');
  if (depth > 0 || dlt === LinkType.PPI) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'PPI inside PPI');
  return decodeLinkAt(buf, off + len, end, dlt, net, st, depth + 1);
}

export function decodeLink(buf: Buffer, off: number, end: number, linkType: number, net: NetStart, st: DecodeStatus): number {
  // The usual frame, untagged Ethernet carrying IP, without the calls below: what ethernet() and
  // ethernetPayload() would find for it (this function is small enough to be inlined).
  if (linkType === LinkType.ETHERNET && end - off >= 14) {
    const type = u16be(buf, off + 12);
    if (type === EtherType.IPV4 || type === EtherType.IPV6) {
      net.type = type;
      return off + 14;
    }
  }
  return decodeLinkAt(buf, off, end, linkType, net, st, 0);
}

function decodeLinkAt(buf: Buffer, off: number, end: number, linkType: number, net: NetStart, st: DecodeStatus, depth: number): number {
  switch (linkType) {
    // The cases are distinct values, so their order only matters for speed: the usual one first.
    case LinkType.ETHERNET: return ethernet(buf, off, end, net, st);
    case LinkType.ATM_RFC1483: return llcSnap(buf, off, end, net, st, off);
    case LinkType.PFLOG: return pflog(buf, off, end, net, st);
    case LinkType.ENC:
      // OpenBSD enc(4): family (host byte order), SPI, flags.
      if (end - off < 12) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'enc header cut off');
      net.type = familyToEtherType(buf.readUInt32LE(off) > 0xffff ? buf.readUInt32BE(off) : buf.readUInt32LE(off));
      return net.type ? off + 12 : st.set(Stop.UNSUPPORTED, Layer.LINK, 0, 'enc address family is not IP');
    case LinkType.PPI: return ppi(buf, off, end, net, st, depth);
    case LinkType.IEEE802_11_PRISM: {
      if (end - off < 8) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'Prism header cut off');
      const len = buf.readUInt32LE(off + 4);
      if (len < 8 || len > end - off) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'Prism length beyond the packet');
      return ieee80211(buf, off + len, end, net, st, off);
    }
    case LinkType.IEEE802_11_AVS: {
      if (end - off < 8) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'AVS header cut off');
      const len = buf.readUInt32BE(off + 4);
      if (len < 8 || len > end - off) return st.set(Stop.MALFORMED, Layer.LINK, 0, 'AVS length beyond the packet');
      return ieee80211(buf, off + len, end, net, st, off);
    }
    case LinkType.C_HDLC: return ciscoHdlc(buf, off, end, net, st);
    case LinkType.IEEE802_11: return ieee80211(buf, off, end, net, st, off);
    case LinkType.IEEE802_11_RADIOTAP: return radiotap(buf, off, end, net, st);
    case LinkType.LINUX_SLL: return sll(buf, off, end, net, st);
    case LinkType.LINUX_SLL2: return sll2(buf, off, end, net, st);
    case LinkType.RAW: case LinkType.RAW_ALIAS_12: case LinkType.RAW_ALIAS_14:
      return rawIp(buf, off, end, net, st);
    case LinkType.IPV4: net.type = EtherType.IPV4; return off;
    case LinkType.IPV6: net.type = EtherType.IPV6; return off;
    case LinkType.NULL: return nullLoop(buf, off, end, net, st, false);
    case LinkType.LOOP: return nullLoop(buf, off, end, net, st, true);
    case LinkType.PPP: case LinkType.PPP_HDLC:
      // HDLC-framed PPP starts with address 0xff and control 0x03.
      return ppp(buf, end - off >= 2 && buf[off] === 0xff && buf[off + 1] === 0x03 ? off + 2 : off, end, net, st, off);
    case LinkType.PPP_ETHER:
      if (end - off < 6) return st.set(Stop.TRUNCATED, Layer.LINK, 0, 'PPPoE header cut off');
      return ppp(buf, off + 6, end, net, st, off);
    case LinkType.NFLOG: return nflog(buf, off, end, net, st);
    default:
      return st.set(Stop.UNSUPPORTED, Layer.LINK, 0, 'link type not decoded');
  }
}
