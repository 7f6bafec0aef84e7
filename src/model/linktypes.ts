/**
 * libpcap LINKTYPE_ values (https://www.tcpdump.org/linktypes.html) that synscope decodes, and
 * names for every link type a user is likely to meet, so `info` can say what a file holds even
 * when synscope cannot decode it.
 */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  PPP: 9,
  RAW_ALIAS_12: 12, // DLT_RAW on most BSDs and Linux, written unmapped by some tools
  RAW_ALIAS_14: 14, // DLT_RAW on OpenBSD
  PPP_HDLC: 50,
  C_HDLC: 104,
  PPP_ETHER: 51,
  ATM_RFC1483: 100,
  RAW: 101,
  IEEE802_11: 105,
  LOOP: 108,
  ENC: 109,
  PFLOG: 117,
  IEEE802_11_PRISM: 119,
  LINUX_SLL: 113,
  IEEE802_11_RADIOTAP: 127,
  IEEE802_11_AVS: 163,
  PPI: 192,
  IPV4: 228,
  IPV6: 229,
  NFLOG: 239,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'EN10MB (Ethernet)',
  9: 'PPP',
  12: 'RAW (raw IP, DLT 12)',
  14: 'RAW (raw IP, DLT 14)',
  50: 'PPP_HDLC',
  51: 'PPP_ETHER (PPPoE)',
  100: 'ATM_RFC1483',
  101: 'RAW (raw IP)',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP (OpenBSD loopback)',
  109: 'ENC (OpenBSD IPsec)',
  117: 'PFLOG',
  119: 'IEEE802_11_PRISM',
  113: 'LINUX_SLL (Linux cooked v1)',
  127: 'IEEE802_11_RADIO (radiotap)',
  163: 'IEEE802_11_AVS',
  192: 'PPI',
  220: 'USB_LINUX_MMAPPED',
  228: 'IPV4 (raw IPv4)',
  229: 'IPV6 (raw IPv6)',
  239: 'NFLOG',
  249: 'USBPCAP',
  276: 'LINUX_SLL2 (Linux cooked v2)',
};

export function linkTypeName(lt: number): string {
  return NAMES[lt] ?? `linktype ${lt}`;
}

/** Link types the decoder understands (others are counted, not decoded). */
export function isDecodableLinkType(lt: number): boolean {
  switch (lt) {
    case 0: case 1: case 9: case 12: case 14: case 50: case 51: case 100: case 101: case 104: case 105: case 108: case 109:
    case 113: case 117: case 119: case 127: case 163: case 192: case 228: case 229: case 239: case 276:
      return true;
    default:
      return false;
  }
}
