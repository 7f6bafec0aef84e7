/** Numbers from the wire, in one place, so no layer spells a magic number of its own. */

export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // 802.1Q
  QINQ: 0x88a8, // 802.1ad service tag
  QINQ_OLD: 0x9100, // pre-standard QinQ, still seen on switches
  IPV6: 0x86dd,
  MPLS_UC: 0x8847,
  MPLS_MC: 0x8848,
  PPPOE_SESSION: 0x8864,
  TEB: 0x6558, // transparent Ethernet bridging (GRE)
  PBB: 0x88e7, // 802.1ah provider backbone bridging (I-TAG)
  FABRICPATH: 0x8903, // Cisco FabricPath (DCE)
} as const;

export const IpProto = {
  HOPOPT: 0,
  ICMP: 1,
  IPIP: 4,
  ETHERIP: 97,
  TCP: 6,
  UDP: 17,
  IPV6: 41,
  ROUTING: 43,
  FRAGMENT: 44,
  GRE: 47,
  ESP: 50,
  AH: 51,
  ICMPV6: 58,
  NONE: 59,
  DSTOPTS: 60,
  MOBILITY: 135,
  HIP: 139,
  SHIM6: 140,
  MPLS_IN_IP: 137,
} as const;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Which header a truncation or a malformed field was found in. */
export const Layer = {
  NONE: 0,
  LINK: 1,
  IPV4: 2,
  IPV6: 3,
  TCP: 4,
  ICMP: 5,
  ICMPV6: 6,
  TUNNEL: 7,
} as const;
export type LayerId = (typeof Layer)[keyof typeof Layer];

export const LAYER_NAMES = ['none', 'link', 'ipv4', 'ipv6', 'tcp', 'icmp', 'icmpv6', 'tunnel'] as const;

/** TCP option kinds the handshake analysis looks at (RFC 9293, 7323, 2018). */
export const TcpOpt = {
  EOL: 0,
  NOP: 1,
  MSS: 2,
  WSCALE: 3,
  SACK_OK: 4,
  SACK: 5,
  TIMESTAMP: 8,
} as const;

/** Bits of TcpFields.optMask: which options a segment carried. */
export const OptBit = {
  MSS: 1,
  WSCALE: 2,
  SACK_OK: 4,
  TIMESTAMP: 8,
  SACK: 16,
  OTHER: 32,
} as const;
