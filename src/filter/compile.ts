/**
 * Turns the tree of ast.ts into closures over numbers, once per expression. A test returns
 * FALSE, TRUE or ABORT (a read past the captured bytes: see view.ts); a value returns an
 * unsigned 32-bit number and sets `v.fault` when it cannot be computed. Nothing here allocates
 * when a packet is tested: every closure reads the PacketView and the constants it captured.
 *
 * Arithmetic is classic BPF's: unsigned 32-bit, wrapping; division or remainder by zero rejects
 * the packet (as the BPF interpreter does); a shift by 32 or more gives 0 (libpcap's
 * bpf_filter()). Comparisons are unsigned.
 */
import type { Arith, Dir, LoadBase, Node, ProtoName } from './ast.js';
import { FilterParseError } from './parser.js';
import { CUT, NONE, PacketView } from './view.js';

export const FALSE = 0;
export const TRUE = 1;
export const ABORT = 2;

export type Test = (v: PacketView) => number;
type Value = (v: PacketView) => number;

/** Big-endian 32-bit read as a SIGNED int (compared with masks, which are signed too). */
function s32(b: Buffer, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function u16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

// ------------------------------------------------------------------ addresses

/** One IPv4 address at `o` against addr/mask (both signed ints). */
function addr4At(b: Buffer, o: number, end: number, addr: number, mask: number): number {
  if (o + 4 > end) return ABORT;
  return (s32(b, o) & mask) === addr ? TRUE : FALSE;
}

/** Source at `s`, destination at `d`, combined as the direction says (source first, as libpcap). */
function dir4(b: Buffer, s: number, d: number, end: number, dir: Dir, addr: number, mask: number): number {
  if (dir === 'dst') return addr4At(b, d, end, addr, mask);
  const r = addr4At(b, s, end, addr, mask);
  if (dir === 'src') return r;
  if (dir === 'or' ? r !== FALSE : r !== TRUE) return r;
  return addr4At(b, d, end, addr, mask);
}

/** `n` words of an IPv6 address at `o`, word by word (a mismatch stops before the next read, as in BPF). */
function addr6At(b: Buffer, o: number, end: number, words: Int32Array, masks: Int32Array, n: number): number {
  for (let i = 0; i < n; i++) {
    const p = o + 4 * i;
    if (p + 4 > end) return ABORT;
    if ((s32(b, p) & masks[i]) !== words[i]) return FALSE;
  }
  return TRUE;
}

function hostTest(n: Extract<Node, { kind: 'host4' }>): Test {
  const { dir, ip, arp, rarp } = n;
  const addr = n.addr | 0;
  const mask = n.mask | 0;
  return (v) => {
    if (v.cut) return ABORT;
    if (v.net === 4) return ip ? dir4(v.buf, v.ip + 12, v.ip + 16, v.end, dir, addr, mask) : FALSE;
    // libpcap's `host` is `ip host or arp host or rarp host`: the sender and target protocol
    // addresses of an Ethernet/IPv4 ARP header, at fixed offsets.
    const a = v.arp;
    if (a >= 0 && ((arp && v.etherType === 0x0806) || (rarp && v.etherType === 0x8035))) return dir4(v.buf, a + 14, a + 24, v.end, dir, addr, mask);
    return FALSE;
  };
}

function host6Test(n: Extract<Node, { kind: 'host6' }>): Test {
  const { dir } = n;
  const words = Int32Array.from(n.words, (w) => w | 0);
  const masks = Int32Array.from(n.masks, (m) => m | 0);
  // Only the words the prefix covers are read (libpcap loads no others: `net 2001:db8::/32` reads one).
  let count = 4;
  while (count > 0 && masks[count - 1] === 0) count--;
  return (v) => {
    if (v.cut) return ABORT;
    if (v.net !== 6) return FALSE;
    const b = v.buf;
    const end = v.end;
    if (dir === 'dst') return addr6At(b, v.ip + 24, end, words, masks, count);
    const r = addr6At(b, v.ip + 8, end, words, masks, count);
    if (dir === 'src') return r;
    if (dir === 'or' ? r !== FALSE : r !== TRUE) return r;
    return addr6At(b, v.ip + 24, end, words, masks, count);
  };
}

/** Ethernet addresses: destination at 0, source at 6 of an Ethernet frame (link type 1 only). */
function etherHostTest(n: Extract<Node, { kind: 'ehost' }>): Test {
  const { dir, mac } = n;
  const hi = (mac[0] << 8) | mac[1];
  const lo = s32(Buffer.from(mac.slice(2)), 0);
  const at = (b: Buffer, o: number, end: number): number => {
    if (o + 6 > end) return ABORT;
    return u16(b, o) === hi && s32(b, o + 2) === lo ? TRUE : FALSE;
  };
  return (v) => {
    if (v.linkType !== 1) return FALSE;
    const f = v.frame;
    if (dir === 'dst') return at(v.buf, f, v.end);
    const r = at(v.buf, f + 6, v.end);
    if (dir === 'src') return r;
    if (dir === 'or' ? r !== FALSE : r !== TRUE) return r;
    return at(v.buf, f, v.end);
  };
}

// ------------------------------------------------------------------ ports and protocols

function portTest(n: Extract<Node, { kind: 'port' }>): Test {
  const { dir, lo, hi } = n;
  const tcp = n.protos.includes(6);
  const udp = n.protos.includes(17);
  const sctp = n.protos.includes(132);
  const at = (b: Buffer, o: number, end: number): number => {
    if (o + 2 > end) return ABORT;
    const p = u16(b, o);
    return p >= lo && p <= hi ? TRUE : FALSE;
  };
  return (v) => {
    if (v.cut) return ABORT;
    if (v.net === 0) return FALSE;
    const p = v.proto;
    if (p === CUT) return ABORT;
    if (!((p === 6 && tcp) || (p === 17 && udp) || (p === 132 && sctp))) return FALSE;
    const l4 = v.l4;
    // Only a first fragment carries the ports (libpcap checks the IPv4 fragment offset too).
    if (l4 === NONE) return FALSE;
    if (l4 === CUT) return ABORT;
    if (dir === 'dst') return at(v.buf, l4 + 2, v.end);
    const r = at(v.buf, l4, v.end);
    if (dir === 'src') return r;
    if (dir === 'or' ? r !== FALSE : r !== TRUE) return r;
    return at(v.buf, l4 + 2, v.end);
  };
}

/** `tcp`, `udp`, `sctp`: that protocol over IPv4 or IPv6; `icmp` only over IPv4, `icmp6` only over IPv6. */
function protoTest(proto: number, family: 0 | 4 | 6): Test {
  return (v) => {
    if (v.cut) return ABORT;
    const net = v.net;
    if (net === 0 || (family !== 0 && net !== family)) return FALSE;
    const p = v.proto;
    return p === proto ? TRUE : p === CUT ? ABORT : FALSE;
  };
}

/**
 * `proto N` for an IPv6 extension header or AH, which the decoder walks past: the IP header's
 * own protocol field, and for IPv6 the one behind a fragment header, as libpcap compares.
 */
function rawProtoTest(proto: number, family: 0 | 4 | 6): Test {
  return (v) => {
    if (v.cut) return ABORT;
    const net = v.net;
    if (net === 0 || (family !== 0 && net !== family)) return FALSE;
    const b = v.buf;
    const o = v.ip;
    if (net === 4) return o + 10 > v.end ? ABORT : b[o + 9] === proto ? TRUE : FALSE;
    if (o + 7 > v.end) return ABORT;
    const nh = b[o + 6];
    if (nh === proto) return TRUE;
    if (nh !== 44) return FALSE;
    return o + 41 > v.end ? ABORT : b[o + 40] === proto ? TRUE : FALSE;
  };
}

const WALKED = new Set([0, 43, 44, 51, 60, 135, 139, 140]);

function etherTypeTest(type: number): Test {
  return (v) => (v.cut ? ABORT : v.etherType === type ? TRUE : FALSE);
}

function vlanTest(id: number): Test {
  if (id < 0) return (v) => (v.vlanCount > 0 ? TRUE : FALSE);
  return (v) => {
    const n = v.vlanCount < 4 ? v.vlanCount : 4;
    const t = v.vlans;
    for (let i = 0; i < n; i++) if (t[i] === id) return TRUE;
    return FALSE;
  };
}

// ------------------------------------------------------------------ byte comparisons

/** The guard a load needs (its protocol present, for a transport header a first fragment), and where its header starts. */
function loadGuard(base: LoadBase): Test {
  switch (base) {
    case 'ether': return () => TRUE;
    case 'ip': return (v) => (v.cut ? ABORT : v.net === 4 ? TRUE : FALSE);
    case 'ip6': return (v) => (v.cut ? ABORT : v.net === 6 ? TRUE : FALSE);
    default: {
      const proto = base === 'tcp' ? 6 : base === 'udp' ? 17 : base === 'sctp' ? 132 : base === 'icmp' ? 1 : 58;
      const family = base === 'icmp' ? 4 : base === 'icmp6' ? 6 : 0;
      const has = protoTest(proto, family);
      return (v) => {
        const r = has(v);
        if (r !== TRUE) return r;
        const l4 = v.l4;
        return l4 === NONE ? FALSE : l4 === CUT ? ABORT : TRUE;
      };
    }
  }
}

function baseOffset(base: LoadBase): Value {
  if (base === 'ether') return (v) => v.frame;
  if (base === 'ip' || base === 'ip6') return (v) => v.ip;
  return (v) => v.l4;
}

function isConst(a: Arith): a is { kind: 'num'; value: number } {
  return a.kind === 'num';
}

/** Folds constant subexpressions (libpcap does, and so rejects a division by a constant 0). */
function fold(a: Arith, col: number): Arith {
  switch (a.kind) {
    case 'num': case 'len': return a;
    case 'load': return { ...a, index: fold(a.index, col) };
    case 'neg': {
      const x = fold(a.arg, col);
      return isConst(x) ? { kind: 'num', value: (0 - x.value) >>> 0 } : { kind: 'neg', arg: x };
    }
    case 'bin': {
      const l = fold(a.left, col);
      const r = fold(a.right, col);
      if ((a.op === '/' || a.op === '%') && isConst(r) && r.value === 0) throw new FilterParseError(col, `division by zero in the comparison at column ${col}`);
      if (isConst(l) && isConst(r)) return { kind: 'num', value: arith(a.op, l.value, r.value) };
      return { kind: 'bin', op: a.op, left: l, right: r };
    }
  }
}

function arith(op: string, l: number, r: number): number {
  switch (op) {
    case '+': return (l + r) >>> 0;
    case '-': return (l - r) >>> 0;
    case '*': return Math.imul(l, r) >>> 0;
    case '/': return Math.floor(l / r) >>> 0;
    case '%': return (l % r) >>> 0;
    case '&': return (l & r) >>> 0;
    case '|': return (l | r) >>> 0;
    case '^': return (l ^ r) >>> 0;
    case '<<': return r >= 32 ? 0 : (l << r) >>> 0;
    default: return r >= 32 ? 0 : l >>> r;
  }
}

function collectGuards(a: Arith, out: LoadBase[]): void {
  if (a.kind === 'load') {
    if (!out.includes(a.base)) out.push(a.base);
    collectGuards(a.index, out);
  } else if (a.kind === 'bin') {
    collectGuards(a.left, out);
    collectGuards(a.right, out);
  } else if (a.kind === 'neg') collectGuards(a.arg, out);
}

function value(a: Arith): Value {
  switch (a.kind) {
    case 'num': { const k = a.value; return () => k; }
    case 'len': return (v) => v.wireLen;
    case 'neg': { const x = value(a.arg); return (v) => (0 - x(v)) >>> 0; }
    case 'load': {
      const idx = value(a.index);
      const base = baseOffset(a.base);
      const size = a.size;
      if (size === 1) {
        return (v) => {
          const o = base(v) + idx(v);
          if (o + 1 > v.end) { v.fault = true; return 0; }
          return v.buf[o];
        };
      }
      if (size === 2) {
        return (v) => {
          const o = base(v) + idx(v);
          if (o + 2 > v.end) { v.fault = true; return 0; }
          return u16(v.buf, o);
        };
      }
      return (v) => {
        const o = base(v) + idx(v);
        if (o + 4 > v.end) { v.fault = true; return 0; }
        return s32(v.buf, o) >>> 0;
      };
    }
    case 'bin': {
      const l = value(a.left);
      const r = value(a.right);
      switch (a.op) {
        case '+': return (v) => (l(v) + r(v)) >>> 0;
        case '-': return (v) => (l(v) - r(v)) >>> 0;
        case '*': return (v) => Math.imul(l(v), r(v)) >>> 0;
        case '&': return (v) => (l(v) & r(v)) >>> 0;
        case '|': return (v) => (l(v) | r(v)) >>> 0;
        case '^': return (v) => (l(v) ^ r(v)) >>> 0;
        case '<<': return (v) => { const x = l(v); const s = r(v); return s >= 32 ? 0 : (x << s) >>> 0; };
        case '>>': return (v) => { const x = l(v); const s = r(v); return s >= 32 ? 0 : x >>> s; };
        case '/': return (v) => { const x = l(v); const d = r(v); if (d === 0) { v.fault = true; return 0; } return Math.floor(x / d); };
        case '%': return (v) => { const x = l(v); const d = r(v); if (d === 0) { v.fault = true; return 0; } return x % d; };
      }
    }
  }
}

function relationTest(n: Extract<Node, { kind: 'rel' }>): Test {
  const col = n.col;
  const left = fold(n.left, col);
  const right = fold(n.right, col);
  const op = n.op;
  const cmp = (x: number, y: number): boolean =>
    op === '=' ? x === y : op === '!=' ? x !== y : op === '>' ? x > y : op === '>=' ? x >= y : op === '<' ? x < y : x <= y;
  if (isConst(left) && isConst(right)) {
    const r = cmp(left.value, right.value) ? TRUE : FALSE;
    return () => r;
  }
  const bases: LoadBase[] = [];
  collectGuards(left, bases);
  collectGuards(right, bases);
  // libpcap ANDs the protocol checks of every header the comparison reads ahead of the loads:
  // `tcp[13] != 0` is false, not true, for a UDP packet.
  const guards = bases.map(loadGuard);
  const l = value(left);
  const r = value(right);
  const k = isConst(right) ? right.value : -1;
  const compare: Test = k >= 0 && op === '='
    ? (v) => { v.fault = false; const x = l(v); return v.fault ? ABORT : x === k ? TRUE : FALSE; }
    : k >= 0 && op === '!='
      ? (v) => { v.fault = false; const x = l(v); return v.fault ? ABORT : x !== k ? TRUE : FALSE; }
      : (v) => { v.fault = false; const x = l(v); const y = r(v); return v.fault ? ABORT : cmp(x, y) ? TRUE : FALSE; };
  if (guards.length === 0) return compare;
  if (guards.length === 1) {
    const g = guards[0];
    return (v) => { const x = g(v); return x !== TRUE ? x : compare(v); };
  }
  return (v) => {
    for (let i = 0; i < guards.length; i++) {
      const x = guards[i](v);
      if (x !== TRUE) return x;
    }
    return compare(v);
  };
}

// ------------------------------------------------------------------ the tree

function protoNameTest(name: ProtoName): Test {
  switch (name) {
    case 'ip': return (v) => (v.cut ? ABORT : v.net === 4 ? TRUE : FALSE);
    case 'ip6': return (v) => (v.cut ? ABORT : v.net === 6 ? TRUE : FALSE);
    case 'arp': return etherTypeTest(0x0806);
    case 'rarp': return etherTypeTest(0x8035);
    case 'tcp': return protoTest(6, 0);
    case 'udp': return protoTest(17, 0);
    case 'sctp': return protoTest(132, 0);
    case 'icmp': return protoTest(1, 4);
    case 'icmp6': return protoTest(58, 6);
  }
}

export function compileNode(n: Node): Test {
  switch (n.kind) {
    case 'all': return () => TRUE;
    case 'and': {
      const a = compileNode(n.left);
      const b = compileNode(n.right);
      return (v) => { const x = a(v); return x !== TRUE ? x : b(v); };
    }
    case 'or': {
      const a = compileNode(n.left);
      const b = compileNode(n.right);
      return (v) => { const x = a(v); return x !== FALSE ? x : b(v); };
    }
    case 'not': {
      const a = compileNode(n.arg);
      return (v) => { const x = a(v); return x === ABORT ? ABORT : x === TRUE ? FALSE : TRUE; };
    }
    case 'proto': return protoNameTest(n.name);
    case 'host4': return hostTest(n);
    case 'host6': return host6Test(n);
    case 'ehost': return etherHostTest(n);
    case 'port': return portTest(n);
    case 'ipproto': return WALKED.has(n.value) ? rawProtoTest(n.value, n.family) : protoTest(n.value, n.family);
    case 'etherproto': return etherTypeTest(n.value);
    case 'vlan': return vlanTest(n.id);
    case 'rel': return relationTest(n);
  }
}
