/**
 * The decoded form of a packet: plain numeric fields, allocated once per Decoder and overwritten
 * for every packet (the gopacket DecodingLayerParser idea). Nothing here points into the packet
 * buffer, so a consumer may keep numbers it copies out, but never these objects themselves.
 */

/** One IP header, outer or quoted inside an ICMP error. */
export class IpFields {
  /** 4 or 6; 0 when there is no IP header. */
  version = 0;
  /** Source and destination: IPv4 in word 0, IPv6 in words 0..3 (most significant first). */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 0;
  /** IPv4 identification (0 for IPv6). */
  id = 0;
  /** IPv4 don't-fragment bit. */
  df = false;
  /** IPv4 TOS or IPv6 traffic class. */
  tos = 0;
  /** IPv6 flow label (0 for IPv4). */
  flowLabel = 0;
  /** Upper-layer protocol after any IPv6 extension headers. */
  proto = -1;
  /** Part of a fragmented datagram. */
  fragment = false;
  /** Fragment offset in bytes; only offset 0 carries the upper-layer header. */
  fragOffset = 0;
  moreFragments = false;
  /** Offset of the IP header and of its payload in the packet buffer. */
  off = 0;
  payloadOff = 0;
  /** Payload length as the IP header states it (may exceed what was captured). */
  payloadLen = 0;
  /** IPv6 extension headers walked. */
  extHeaders = 0;

  reset(): void {
    // Every IP header decoded overwrites all four address words, so they need no clearing here.
    this.version = 0;
    this.ttl = 0;
    this.id = 0;
    this.df = false;
    this.tos = 0;
    this.flowLabel = 0;
    this.proto = -1;
    this.fragment = false;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.off = 0;
    this.payloadOff = 0;
    this.payloadLen = 0;
    this.extHeaders = 0;
  }
}

/** One TCP header (or as much of it as was captured or quoted). */
export class TcpFields {
  /** How many bytes of the header are present: 2 = source port, 4 = ports, 8 = + seq, 14 = + flags, 20 = all. */
  have = 0;
  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  /** FIN..CWR bits (TcpFlag); -1 when the flags byte was not captured. */
  flags = -1;
  /** Header length in bytes from the data-offset field. */
  hdrLen = 0;
  window = 0;
  /** Bytes of payload per the IP length fields. */
  payloadLen = 0;
  /** OptBit mask of options seen; complete only when `optionsComplete`. */
  optMask = 0;
  optionsComplete = false;
  mss = 0;
  wscale = -1;
  tsVal = 0;
  tsEcr = 0;

  reset(): void {
    this.have = 0;
    this.sport = 0;
    this.dport = 0;
    this.seq = 0;
    this.ack = 0;
    this.flags = -1;
    this.hdrLen = 0;
    this.window = 0;
    this.payloadLen = 0;
    this.optMask = 0;
    this.optionsComplete = false;
    this.mss = 0;
    this.wscale = -1;
    this.tsVal = 0;
    this.tsEcr = 0;
  }
}

/** An ICMP or ICMPv6 message. */
export class IcmpFields {
  /** 4 for ICMP, 6 for ICMPv6, 0 when the packet is neither. */
  family = 0;
  type = -1;
  code = -1;
  /** Next-hop MTU (fragmentation needed / packet too big), else 0. */
  mtu = 0;
  /** The packet carries a quoted IP header (an error message). */
  quotes = false;

  reset(): void {
    this.family = 0;
    this.type = -1;
    this.code = -1;
    this.mtu = 0;
    this.quotes = false;
  }
}
