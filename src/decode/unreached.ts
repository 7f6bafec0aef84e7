/**
 * Why a frame's TCP could not be reached: a static reason (no string is built per packet) set
 * where decoding stops inside something that plausibly carried TCP or ICMP: an encapsulation
 * synscope does not look into, an encrypted payload, an EtherType that is not one of the known
 * non-IP protocols, a UDP datagram on an unknown port whose payload looks like an IP packet
 * carrying TCP. Frames that simply carry no TCP (ARP, LLDP, STP, plain UDP such as DNS, ICMP
 * echo, IGMP, MLD and neighbour discovery, IS-IS, ...) get no reason: '' is "none".
 *
 * The analysis counts frames by reason and warns once per reason (see `Analysis.summary`).
 */
import { IpProto } from './constants.js';

export const Unreached = {
  NONE: '',
  ETHERTYPE: 'EtherType not decoded',
  MACSEC: 'MACsec (802.1AE) frame, encrypted or not decoded',
  TRILL: 'TRILL encapsulation not decoded',
  NSH: 'NSH (network service header) not decoded',
  HSR: 'HSR/PRP redundancy tag not decoded',
  ETAG: '802.1BR E-Tag or VN-Tag not decoded',
  MPLS_PW: 'MPLS payload is not IP (Ethernet pseudowire?) not decoded',
  WIFI_PROTECTED: 'encrypted 802.11 frame',
  WIFI_AMSDU: '802.11 A-MSDU not decoded',
  ESP: 'IPsec ESP, encrypted',
  ESP_UDP: 'IPsec ESP in UDP (NAT traversal, port 4500), encrypted',
  IPCOMP: 'IPComp (compressed IP payload) not decoded',
  L2TPV3: 'L2TPv3 over IP (IP protocol 115) not decoded',
  GRE_ERSPAN: 'ERSPAN (GRE) not decoded',
  GRE_PAYLOAD: 'GRE payload not decoded',
  WIREGUARD: 'WireGuard, encrypted',
  UDP_IP: 'UDP payload looks like an IP packet carrying TCP (a tunnel on a port synscope does not know)',
  TUNNEL_DEPTH: 'tunnels nested more than 4 deep',
} as const;

/**
 * The reason for a frame whose EtherType (after tags and labels) is not decoded: '' for the
 * protocols that never carry TCP (ARP, LLDP, STP and the rest of 802.3/LLC, EAPOL, PTP, ...).
 */
export function unreachedEtherType(type: number): string {
  if (type <= 1500) return Unreached.NONE; // 802.3 length: LLC (STP, CDP, IS-IS, NetBIOS, ...)
  switch (type) {
    case 0x0806: // ARP
    case 0x0842: // Wake-on-LAN
    case 0x22ea: // SRP (stream reservation)
    case 0x22f0: // AVTP (audio/video bridging)
    case 0x6002: case 0x6003: case 0x6004: // DEC MOP, DECnet, LAT
    case 0x8035: // RARP
    case 0x809b: case 0x80f3: // AppleTalk, AARP
    case 0x8137: case 0x8138: // IPX
    case 0x8808: // Ethernet flow control (PAUSE)
    case 0x8809: // slow protocols (LACP, OAM)
    case 0x8819: // CobraNet
    case 0x8863: // PPPoE discovery
    case 0x886d: // Intel ANS probe
    case 0x887b: // HomePlug 1.0
    case 0x888e: // EAPOL (802.1X)
    case 0x8892: // PROFINET
    case 0x889a: // HyperSCSI
    case 0x88a2: // ATA over Ethernet
    case 0x88a4: // EtherCAT
    case 0x88ab: // Ethernet Powerlink
    case 0x88b8: case 0x88b9: case 0x88ba: // IEC 61850 GOOSE, GSE, SV
    case 0x88b5: case 0x88b6: // IEEE local experimental (test traffic, not IP)
    case 0x88cc: // LLDP
    case 0x88cd: // SERCOS III
    case 0x88d9: // LLTD
    case 0x88dc: // WSMP (802.11p)
    case 0x88e1: // HomePlug AV
    case 0x88e3: // MRP (media redundancy)
    case 0x88f5: case 0x88f6: // MVRP, MMRP
    case 0x88f7: // PTP (precision time)
    case 0x88fb: // PRP supervision
    case 0x8899: // Realtek protocols
    case 0x8902: // CFM (802.1ag OAM)
    case 0x8906: case 0x8914: // FCoE, FIP
    case 0x8915: // RoCE
    case 0x891d: // TTEthernet
    case 0x893a: // IEEE 1905.1
    case 0x8940: // ECP (802.1Qbg)
    case 0x9000: // Ethernet configuration testing (loopback)
      return Unreached.NONE;
    case 0x88e5: return Unreached.MACSEC;
    case 0x22f3: return Unreached.TRILL;
    case 0x894f: return Unreached.NSH;
    case 0x892f: return Unreached.HSR;
    case 0x893f: case 0x8926: return Unreached.ETAG;
    default: return Unreached.ETHERTYPE;
  }
}

/** The reason for a GRE payload whose protocol type is not decoded ('' for ARP and the like). */
export function unreachedGre(proto: number): string {
  if (proto === 0x88be || proto === 0x22eb) return Unreached.GRE_ERSPAN;
  return unreachedEtherType(proto) === Unreached.NONE ? Unreached.NONE : Unreached.GRE_PAYLOAD;
}

/** The reason for an IP protocol the decoder stops at ('' for those that never carry TCP). */
export function unreachedProto(proto: number): string {
  switch (proto) {
    case IpProto.ESP: return Unreached.ESP;
    case 108: return Unreached.IPCOMP;
    case 115: return Unreached.L2TPV3;
    default: return Unreached.NONE;
  }
}
