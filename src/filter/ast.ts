/**
 * The parsed form of a filter expression: a small tree, built once, that compile.ts turns into
 * closures. Inherited qualifiers (`port 80 or 443`) are already spelled out here, and addresses,
 * masks and port ranges are numbers.
 */
import { ipv4Mask } from './address.js';

/** Which addresses or ports a primitive looks at: `src`, `dst`, `src or dst` (the default), `src and dst`. */
export type Dir = 'src' | 'dst' | 'or' | 'and';

/** A protocol whose header a byte comparison indexes (`tcp[13]`); `ether` is the frame's first byte. */
export type LoadBase = 'ether' | 'ip' | 'ip6' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6';

/** Upper-layer protocols that name a primitive of their own (`tcp`, `icmp6`, ...). */
export type ProtoName = 'ip' | 'ip6' | 'arp' | 'rarp' | 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmp6';

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';
export type RelOp = '>' | '>=' | '=' | '!=' | '<' | '<=';

export type Arith =
  | { kind: 'num'; value: number }
  | { kind: 'len' }
  | { kind: 'load'; base: LoadBase; index: Arith; size: 1 | 2 | 4 }
  | { kind: 'bin'; op: ArithOp; left: Arith; right: Arith }
  | { kind: 'neg'; arg: Arith };

export type Node =
  | { kind: 'all' }
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; arg: Node }
  | { kind: 'proto'; name: ProtoName }
  /** IPv4 address or network; `arp` also looks into ARP/RARP (what `host` does without `ip`). */
  | { kind: 'host4'; dir: Dir; addr: number; mask: number; arp: boolean; rarp: boolean; ip: boolean; net: boolean; text: string }
  | { kind: 'host6'; dir: Dir; words: Uint32Array; masks: Uint32Array; net: boolean; text: string }
  | { kind: 'ehost'; dir: Dir; mac: number[]; text: string }
  /** Ports lo..hi (a single port has lo = hi) of the protocols in `protos` (IP protocol numbers). */
  | { kind: 'port'; dir: Dir; lo: number; hi: number; protos: number[]; range: boolean }
  /** IP protocol number; family 4, 6 or 0 for both. */
  | { kind: 'ipproto'; family: 0 | 4 | 6; value: number }
  | { kind: 'etherproto'; value: number }
  /** vlan with an ID, or any tag (id -1). */
  | { kind: 'vlan'; id: number }
  /** `col`: where the comparison starts in the expression (for a compile-time error). */
  | { kind: 'rel'; op: RelOp; left: Arith; right: Arith; col: number };

function arithText(a: Arith): string {
  switch (a.kind) {
    case 'num': return String(a.value);
    case 'len': return 'len';
    case 'load': return `${a.base}[${arithText(a.index)}${a.size === 1 ? '' : `:${a.size}`}]`;
    case 'bin': return `(${arithText(a.left)} ${a.op} ${arithText(a.right)})`;
    case 'neg': return `-${arithText(a.arg)}`;
  }
}

function dotted(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** `10.0.0.0/8`, or `10.0.0.0 mask 255.0.255.0` for a mask that is no prefix. */
function ipv4Text(addr: number, mask: number): string {
  if (mask === 0xffffffff) return dotted(addr);
  let bits = 0;
  while (bits < 32 && ((mask << bits) & 0x80000000) !== 0) bits++;
  return ipv4Mask(bits) === mask ? `${dotted(addr)}/${bits}` : `${dotted(addr)} mask ${dotted(mask)}`;
}

function dirText(d: Dir): string {
  return d === 'or' ? '' : d === 'and' ? 'src and dst ' : `${d} `;
}

const PROTO_NAMES: Record<number, string> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

/**
 * The tree as text: fully parenthesised, inherited qualifiers spelled out, so that
 * `port 80 or 443 and tcp` reads `((port 80 or port 443) and tcp)`.
 */
export function nodeText(n: Node): string {
  switch (n.kind) {
    case 'all': return '(all)';
    case 'and': case 'or': return `(${nodeText(n.left)} ${n.kind} ${nodeText(n.right)})`;
    case 'not': return `not ${nodeText(n.arg)}`;
    case 'proto': return n.name;
    case 'host4': {
      const q = n.ip && (n.arp || n.rarp) ? '' : n.ip ? 'ip ' : n.arp ? 'arp ' : 'rarp ';
      return `${q}${dirText(n.dir)}${n.net ? 'net' : 'host'} ${ipv4Text(n.addr, n.mask)}`;
    }
    case 'host6': return `${dirText(n.dir)}${n.net ? 'net' : 'host'} ${n.text}`;
    case 'ehost': return `ether ${dirText(n.dir)}host ${n.text}`;
    case 'port': {
      const q = n.protos.length === 1 ? `${PROTO_NAMES[n.protos[0]]} ` : '';
      return `${q}${dirText(n.dir)}${n.range ? `portrange ${n.lo}-${n.hi}` : `port ${n.lo}`}`;
    }
    case 'ipproto': return `${n.family === 4 ? 'ip ' : n.family === 6 ? 'ip6 ' : ''}proto ${n.value}`;
    case 'etherproto': return `ether proto 0x${n.value.toString(16)}`;
    case 'vlan': return n.id < 0 ? 'vlan' : `vlan ${n.id}`;
    case 'rel': return `${arithText(n.left)} ${n.op} ${arithText(n.right)}`;
  }
}
