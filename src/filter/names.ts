/**
 * The words of pcap-filter(7): keywords synscope supports, libpcap keywords it does not (so that
 * using one gets "unsupported keyword", not "unknown name"), the named constants that libpcap's
 * scanner turns into numbers (`tcpflags`, `tcp-syn`, `icmp-echo`, ...), and small built-in tables
 * of port, IP protocol and EtherType names (libpcap asks /etc/services and /etc/protocols; a
 * fixed table gives the same answer on every machine).
 */

/** Keywords this engine implements. */
export const SUPPORTED = new Set([
  'host', 'net', 'mask', 'port', 'portrange', 'src', 'dst', 'proto',
  'ether', 'link', 'ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6',
  'vlan', 'less', 'greater', 'len', 'and', 'or', 'not',
]);

/** The list printed in "unsupported keyword" errors, in the order a user reads it. */
export const SUPPORTED_LIST =
  'host, net, mask, port, portrange, src, dst, proto, ether, ip, ip6, arp, rarp, tcp, udp, sctp, icmp, icmp6, ' +
  'vlan, less, greater, len, and, or, not, and byte comparisons such as tcp[13] & 2 != 0';

/** libpcap keywords (scanner.l of libpcap 1.10) that synscope does not implement. */
export const UNSUPPORTED = new Set([
  'gateway', 'protochain', 'broadcast', 'multicast', 'inbound', 'outbound', 'ifindex', 'ifname', 'on',
  'mpls', 'pppoed', 'pppoes', 'geneve', 'byte', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'radio', 'ah', 'esp',
  'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso', 'esis', 'es-is', 'isis', 'is-is', 'l1', 'l2',
  'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui', 'ppp', 'slip', 'fddi', 'tr', 'wlan',
  'type', 'subtype', 'direction', 'dir', 'address1', 'addr1', 'address2', 'addr2', 'address3', 'addr3',
  'address4', 'addr4', 'ra', 'ta', 'lane', 'llc', 'metac', 'bcc_connect', 'oam', 'oamf4', 'oamf4ec', 'oamf4sc',
  'sc', 'ilmic', 'vpi', 'vci', 'connectmsg', 'metaconnect', 'rnr', 'rulenum', 'reason', 'rset', 'ruleset',
  'srnr', 'subrulenum', 'action', 'fisu', 'lssu', 'lsu', 'sls', 'opc', 'dpc', 'hfisu', 'hlssu', 'hmsu', 'hsio',
  'hsls', 'hopc', 'hdpc', 'msu', 'sio',
]);

/** Named constants libpcap's scanner returns as numbers (valid wherever a number is). */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['icmptype', 0], ['icmpcode', 1],
  ['icmp-echoreply', 0], ['icmp-unreach', 3], ['icmp-sourcequench', 4], ['icmp-redirect', 5], ['icmp-echo', 8],
  ['icmp-routeradvert', 9], ['icmp-routersolicit', 10], ['icmp-timxceed', 11], ['icmp-paramprob', 12],
  ['icmp-tstamp', 13], ['icmp-tstampreply', 14], ['icmp-ireq', 15], ['icmp-ireqreply', 16],
  ['icmp-maskreq', 17], ['icmp-maskreply', 18],
  ['icmp6type', 0], ['icmp6code', 1],
  ['icmp6-destinationunreach', 1], ['icmp6-packettoobig', 2], ['icmp6-timeexceeded', 3],
  ['icmp6-parameterproblem', 4], ['icmp6-echo', 128], ['icmp6-echoreply', 129],
  ['icmp6-multicastlistenerquery', 130], ['icmp6-multicastlistenerreportv1', 131],
  ['icmp6-multicastlistenerdone', 132], ['icmp6-routersolicit', 133], ['icmp6-routeradvert', 134],
  ['icmp6-neighborsolicit', 135], ['icmp6-neighboradvert', 136], ['icmp6-redirect', 137],
  ['icmp6-routerrenum', 138], ['icmp6-nodeinformationquery', 139], ['icmp6-nodeinformationresponse', 140],
  ['icmp6-ineighbordiscoverysolicit', 141], ['icmp6-ineighbordiscoveryadvert', 142],
  ['icmp6-multicastlistenerreportv2', 143], ['icmp6-homeagentdiscoveryrequest', 144],
  ['icmp6-homeagentdiscoveryreply', 145], ['icmp6-mobileprefixsolicit', 146],
  ['icmp6-mobileprefixadvert', 147], ['icmp6-certpathsolicit', 148], ['icmp6-certpathadvert', 149],
  ['icmp6-multicastrouteradvert', 151], ['icmp6-multicastroutersolicit', 152],
  ['icmp6-multicastrouterterm', 153],
  ['tcpflags', 13], ['tcp-fin', 0x01], ['tcp-syn', 0x02], ['tcp-rst', 0x04], ['tcp-push', 0x08],
  ['tcp-ack', 0x10], ['tcp-urg', 0x20], ['tcp-ece', 0x40], ['tcp-cwr', 0x80],
]);

/**
 * Service names for `port NAME`, from the IANA registry as Debian's /etc/services lists them;
 * only names that mean the same port for TCP and UDP (so `tcp port x` and `udp port x` agree).
 */
export const SERVICES: ReadonlyMap<string, number> = new Map([
  ['ftp-data', 20], ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['gopher', 70],
  ['http', 80], ['www', 80], ['kerberos', 88], ['pop3', 110], ['sunrpc', 111], ['auth', 113], ['nntp', 119],
  ['ntp', 123], ['epmap', 135], ['netbios-ns', 137], ['netbios-dgm', 138], ['netbios-ssn', 139],
  ['imap2', 143], ['imap', 143], ['snmp', 161], ['snmp-trap', 162], ['bgp', 179], ['irc', 194], ['ldap', 389],
  ['https', 443], ['microsoft-ds', 445], ['submission', 587], ['ldaps', 636], ['rsync', 873], ['imaps', 993],
  ['pop3s', 995], ['socks', 1080], ['openvpn', 1194], ['ms-sql-s', 1433], ['mysql', 3306],
  ['postgresql', 5432], ['x11', 6000],
]);

/** IP protocol names for `proto \NAME` (as /etc/protocols spells them, plus icmp6). */
export const IP_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['icmp', 1], ['igmp', 2], ['ipencap', 4], ['tcp', 6], ['egp', 8], ['udp', 17], ['ipv6', 41],
  ['ipv6-route', 43], ['ipv6-frag', 44], ['gre', 47], ['esp', 50], ['ah', 51], ['ipv6-icmp', 58], ['icmp6', 58],
  ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['pim', 103], ['vrrp', 112], ['l2tp', 115], ['sctp', 132],
]);

/** EtherType names for `ether proto \NAME`. */
export const ETHER_PROTOCOLS: ReadonlyMap<string, number> = new Map([
  ['ip', 0x0800], ['ip6', 0x86dd], ['arp', 0x0806], ['rarp', 0x8035],
]);
