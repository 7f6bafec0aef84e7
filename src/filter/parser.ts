/**
 * The pcap-filter(7) expression language, parsed the way libpcap's grammar (grammar.y, 1.10)
 * reads it, into the tree of ast.ts. The rules a tcpdump user relies on:
 *
 * - `and` (`&&`) and `or` (`||`) have EQUAL precedence and group from the left: `a or b and c`
 *   is `(a or b) and c`; `not` (`!`) binds tightest.
 * - Qualifiers: [proto] [dir] [type] id, as in `tcp src port 80`, `ip6 net 2001:db8::/32`,
 *   `ether host 00:00:5e:00:53:01`, `ip proto \tcp`. Without a type, `host` is meant.
 * - After `and` / `or` a bare id repeats the previous qualifiers: `port 80 or 443` is
 *   `port 80 or port 443`, `host 198.51.100.1 and not 203.0.113.2` keeps `host`. A bare id at the
 *   start, or after a term with no qualifiers (`tcp or 80`), is an error, as in tcpdump.
 * - Two terms side by side are an error (tcpdump has no implicit `and`).
 * - Arithmetic: `+ - * / % & | ^ << >>`, unary `-`, `len`, `proto[expr]` / `proto[expr:size]`,
 *   compared with `= == != < <= > >=`. The operator precedence is libpcap's: `|` < `&` <
 *   shifts < `+ -` < `* / %` < unary minus; `^` has none in libpcap's grammar, so an expression
 *   with `^` in it groups to the right of it (`a & b ^ c` is `a & (b ^ c)`), as yacc does there.
 *
 * Errors name the column (1-based) and the token, in one line.
 */
import type { Arith, ArithOp, Dir, LoadBase, Node, ProtoName, RelOp } from './ast.js';
import { ipv4Mask, ipv6Mask, parseDotted, parseIpv6, parseMac, parseNumber } from './address.js';
import { CONSTANTS, ETHER_PROTOCOLS, IP_PROTOCOLS, SERVICES, SUPPORTED, SUPPORTED_LIST, UNSUPPORTED } from './names.js';

/** A parse error: the column it is at and the message (filter.ts turns it into a SynscopeError). */
export class FilterParseError extends Error {
  override name = 'FilterParseError';
  constructor(readonly column: number, message: string) {
    super(message);
  }
}

type TokKind = 'kw' | 'num' | 'hid' | 'hid6' | 'eid' | 'name' | 'op' | 'eof';

interface Token {
  kind: TokKind;
  /** The text as written (for `\name`, without the backslash). */
  text: string;
  /** For 'num'. */
  value: number;
  /** 1-based column of the first character. */
  col: number;
}

// libpcap's ID: a letter or digit, then letters, digits, '-', '_', '.', not ending in '-' or '_'.
const ID_RE = /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y;
// What an IPv6 address or a colon-separated MAC address can be made of.
const COLON_RE = /[0-9A-Fa-f:.]+/y;
const DOTTED_RE = /^[0-9]+(?:\.[0-9]+){1,3}$/;
const TWO_CHAR = new Map([['&&', 'and'], ['||', 'or'], ['!=', '!='], ['==', '='], ['<=', '<='], ['>=', '>='], ['<<', '<<'], ['>>', '>>']]);
const ONE_CHAR = '()[]:+-*/%&|^=<>!';

function show(t: Token): string {
  return t.kind === 'eof' ? 'the end of the expression' : `'${t.text}' at column ${t.col}`;
}

export function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const push = (kind: TokKind, text: string, col: number, value = 0): void => { out.push({ kind, text, value, col }); };
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') { i++; continue; }
    const col = i + 1;
    const two = TWO_CHAR.get(s.slice(i, i + 2));
    if (two !== undefined) {
      if (two === 'and' || two === 'or') push('kw', two, col);
      else push('op', two, col);
      i += 2;
      continue;
    }
    if (c === '!') { push('kw', 'not', col); i++; continue; }
    // Before ':' is punctuation (as in `ip[2:2]`), it may start an address (`::1`).
    COLON_RE.lastIndex = i;
    const colon = COLON_RE.exec(s);
    if (colon && colon[0].includes(':')) {
      const w = colon[0];
      if (parseIpv6(w)) { push('hid6', w, col); i += w.length; continue; }
      if (parseMac(w)) { push('eid', w, col); i += w.length; continue; }
    }

    if (ONE_CHAR.includes(c)) { push('op', c, col); i++; continue; }
    if (c === '\\') {
      // libpcap: a backslash makes the next word a plain name even if it is a keyword (`\tcp`).
      let j = i + 1;
      while (j < s.length && !' \t\n\r!()'.includes(s[j])) j++;
      if (j === i + 1) throw new FilterParseError(col, `a name must follow '\\' at column ${col}`);
      push('name', s.slice(i + 1, j), col);
      i = j;
      continue;
    }
    ID_RE.lastIndex = i;
    const m = ID_RE.exec(s);
    if (!m) throw new FilterParseError(col, `unexpected character '${c}' at column ${col}`);
    const w = m[0];
    i += w.length;
    if (SUPPORTED.has(w) || UNSUPPORTED.has(w)) { push('kw', w, col); continue; }
    const k = CONSTANTS.get(w);
    if (k !== undefined) { push('num', w, col, k); continue; }
    const n = parseNumber(w);
    if (n === 'octal') throw new FilterParseError(col, `number '${w}' at column ${col} has a non-octal digit (a leading 0 means octal)`);
    if (n !== null) { push('num', w, col, n); continue; }
    if (DOTTED_RE.test(w)) { push('hid', w, col); continue; }
    if (parseMac(w)) { push('eid', w, col); continue; }
    push('name', w, col);
  }
  out.push({ kind: 'eof', text: '', value: 0, col: s.length + 1 });
  return out;
}

type ProtoQual = ProtoName | 'ether';
type TypeQual = 'host' | 'net' | 'port' | 'portrange' | 'proto';

/** The qualifiers in force: what a bare id after `and` / `or` repeats. */
interface Qual {
  proto: ProtoQual | null;
  dir: Dir | null;
  type: TypeQual | null;
  /** The qualifier words as written, for error messages. */
  text: string;
}

interface Parsed {
  node: Node;
  /** Qualifiers a following bare id inherits; null where tcpdump allows none (after `tcp`, a comparison, ...). */
  q: Qual | null;
}

const PROTO_WORDS = new Set(['ip', 'ip6', 'arp', 'rarp', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6', 'ether', 'link']);
const HEAD_WORDS = new Set(['src', 'dst', 'host', 'net', 'port', 'portrange', 'proto']);
const LOAD_BASES = new Set(['ether', 'link', 'ip', 'ip6', 'tcp', 'udp', 'sctp', 'icmp', 'icmp6']);
const REL_OPS = new Set(['>', '>=', '=', '!=', '<', '<=']);
const ARITH_OPS = new Set(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);
/** Binding strength of the arithmetic operators; '^' has none (see the module comment). */
const PREC: Record<string, number> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5 };
const PORT_PROTOS: Record<string, number[]> = { tcp: [6], udp: [17], sctp: [132] };

class Parser {
  private i = 0;

  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  private next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  private fail(t: Token, msg: string): never {
    throw new FilterParseError(t.col, msg);
  }

  private isKw(t: Token, ...words: string[]): boolean {
    return t.kind === 'kw' && words.includes(t.text);
  }

  private isOp(t: Token, ...ops: string[]): boolean {
    return t.kind === 'op' && ops.includes(t.text);
  }

  private unsupported(t: Token): never {
    this.fail(t, `unsupported keyword '${t.text}' at column ${t.col}; supported: ${SUPPORTED_LIST}`);
  }

  parse(): Node {
    if (this.peek().kind === 'eof') return { kind: 'all' };
    const r = this.parseExpr(null);
    this.expectEnd();
    return r.node;
  }

  /** What may follow a complete expression is `and`, `or`, `)` or the end; say why anything else is wrong. */
  private expectEnd(closing = false): void {
    const t = this.peek();
    if (closing ? this.isOp(t, ')') : t.kind === 'eof') return;
    if (this.isOp(t, ')')) this.fail(t, `')' at column ${t.col} closes no '('`);
    if (t.kind === 'eof') this.fail(t, `missing ')' at the end of the expression`);
    if (t.kind === 'op' && !this.isOp(t, '(', '-')) this.fail(t, `unexpected ${show(t)}`);
    this.fail(t, `missing 'and' or 'or' before ${show(t)}: tcpdump syntax joins terms only with 'and' or 'or'`);
  }

  private parseExpr(inh: Qual | null): Parsed {
    let r = this.parseOperand(inh);
    while (this.isKw(this.peek(), 'and', 'or')) {
      const op = this.next();
      if (this.peek().kind === 'eof') this.fail(this.peek(), `expected a term after '${op.text}' at column ${op.col}`);
      const s = this.parseOperand(r.q);
      r = { node: { kind: op.text as 'and' | 'or', left: r.node, right: s.node }, q: s.q };
    }
    return r;
  }

  private parseOperand(inh: Qual | null): Parsed {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      if (this.peek().kind === 'eof') this.fail(this.peek(), `expected a term after 'not' at column ${t.col}`);
      const s = this.parseOperand(inh);
      return { node: { kind: 'not', arg: s.node }, q: s.q };
    }
    if (this.isOp(t, '(')) {
      // `(len - 14) > 40` is arithmetic, `(tcp or udp)` a group: try the comparison first.
      const rel = this.attempt(() => this.parseRelation());
      if (rel) return { node: rel, q: null };
      this.next();
      const s = this.parseExpr(inh);
      this.expectEnd(true);
      this.next();
      // libpcap: after a parenthesised group, a bare id repeats the qualifiers from before it.
      return { node: s.node, q: inh };
    }
    if (t.kind === 'num') {
      if (this.isArithFollow(this.peek(1))) return { node: this.parseRelation(), q: null };
      return this.bareId(inh);
    }
    if (t.kind === 'hid' || t.kind === 'hid6' || t.kind === 'eid' || t.kind === 'name') return this.bareId(inh);
    if (this.isOp(t, '-')) return { node: this.parseRelation(), q: null };
    if (t.kind === 'kw') {
      const w = t.text;
      if (UNSUPPORTED.has(w)) this.unsupported(t);
      if (HEAD_WORDS.has(w)) return this.parseHead(null);
      if (PROTO_WORDS.has(w)) {
        const n = this.peek(1);
        if (this.isOp(n, '[')) return { node: this.parseRelation(), q: null };
        if (n.kind === 'kw' && HEAD_WORDS.has(n.text)) return this.parseHead(w === 'link' ? 'ether' : w as ProtoQual);
        if (n.kind === 'kw' && UNSUPPORTED.has(n.text) && !['and', 'or', 'not'].includes(n.text)) this.unsupported(n);
        this.next();
        if (w === 'ether' || w === 'link') this.fail(t, `'${w}' at column ${t.col} needs host, src, dst or proto after it`);
        return { node: { kind: 'proto', name: w as ProtoName }, q: null };
      }
      switch (w) {
        case 'vlan': {
          this.next();
          const n = this.peek();
          if (n.kind !== 'num') return { node: { kind: 'vlan', id: -1 }, q: null };
          this.next();
          if (n.value > 4095) this.fail(n, `VLAN ID ${n.value} at column ${n.col} is above 4095`);
          return { node: { kind: 'vlan', id: n.value }, q: null };
        }
        case 'less': case 'greater': {
          this.next();
          const n = this.peek();
          if (n.kind !== 'num') this.fail(n, `expected a length after '${w}' at column ${t.col}, found ${show(n)}`);
          this.next();
          return { node: { kind: 'rel', op: w === 'less' ? '<=' : '>=', left: { kind: 'len' }, right: { kind: 'num', value: n.value }, col: t.col }, q: null };
        }
        case 'len': return { node: this.parseRelation(), q: null };
        case 'mask': this.fail(t, `'mask' at column ${t.col} must follow a network address, as in 'net 10.0.0.0 mask 255.0.0.0'`);
        case 'and': case 'or': this.fail(t, `expected a term before '${w}' at column ${t.col}`);
      }
    }
    if (t.kind === 'eof') this.fail(t, 'expected a term at the end of the expression');
    this.fail(t, `unexpected ${show(t)}`);
  }

  /** Runs `f`; on a parse error rewinds and returns null (for the two readings of '('). */
  private attempt<T>(f: () => T): T | null {
    const save = this.i;
    try {
      return f();
    } catch (e) {
      if (!(e instanceof FilterParseError)) throw e;
      this.i = save;
      return null;
    }
  }

  private isArithFollow(t: Token): boolean {
    return t.kind === 'op' && (ARITH_OPS.has(t.text) || REL_OPS.has(t.text));
  }

  private bareId(inh: Qual | null): Parsed {
    const t = this.peek();
    if (inh === null) {
      this.fail(t, `${show(t)} has no qualifier: write host, net, port or portrange before it ` +
        `(tcpdump repeats the previous qualifier only after 'and' or 'or', and not after tcp, udp, ... or a comparison)`);
    }
    return { node: this.parseId(inh), q: inh };
  }

  private parseHead(proto: ProtoQual | null): Parsed {
    const words: string[] = [];
    if (proto !== null) words.push(this.next().text);
    let dir: Dir | null = null;
    if (this.isKw(this.peek(), 'src', 'dst')) {
      const d = this.next();
      words.push(d.text);
      dir = d.text as Dir;
      const other = d.text === 'src' ? 'dst' : 'src';
      if (this.isKw(this.peek(), 'or', 'and') && this.isKw(this.peek(1), other)) {
        const j = this.next();
        words.push(j.text, this.next().text);
        dir = j.text === 'or' ? 'or' : 'and';
      }
    }
    let type: TypeQual | null = null;
    const t = this.peek();
    if (this.isKw(t, 'host', 'net', 'port', 'portrange', 'proto')) {
      type = this.next().text as TypeQual;
      words.push(type);
    } else if (this.isKw(t, 'gateway', 'protochain')) this.unsupported(t);
    const q: Qual = { proto, dir, type, text: words.join(' ') };
    return { node: this.parseId(q), q };
  }

  /** An id after qualifiers: an address, number or name, `not id`, or `(id or id ...)`. */
  private parseId(q: Qual): Node {
    const t = this.peek();
    if (this.isKw(t, 'not')) {
      this.next();
      return { kind: 'not', arg: this.parseId(q) };
    }
    if (this.isOp(t, '(')) {
      this.next();
      let node = this.parseId(q);
      while (this.isKw(this.peek(), 'and', 'or')) {
        const op = this.next().text as 'and' | 'or';
        node = { kind: op, left: node, right: this.parseId(q) };
      }
      this.expectEnd(true);
      this.next();
      return node;
    }
    if (t.kind === 'num' || t.kind === 'hid' || t.kind === 'hid6' || t.kind === 'eid' || t.kind === 'name') {
      this.next();
      return this.primitive(q, t);
    }
    if (t.kind === 'kw' && q.type === 'proto' && (PROTO_WORDS.has(t.text) || UNSUPPORTED.has(t.text))) {
      this.fail(t, `'${t.text}' at column ${t.col} is a keyword: write 'proto \\${t.text}'`);
    }
    if (t.kind === 'kw' && UNSUPPORTED.has(t.text)) this.unsupported(t);
    this.fail(t, `expected ${this.expected(q)} after '${q.text}', found ${show(t)}`);
  }

  private expected(q: Qual): string {
    switch (q.type) {
      case 'port': return 'a port number';
      case 'portrange': return 'a port range such as 8000-8099';
      case 'proto': return 'a protocol number or \\name';
      case 'net': return 'a network such as 10.0.0.0/8 or 2001:db8::/32';
      default: return q.proto === 'ether' ? 'a MAC address' : 'an IPv4 or IPv6 address';
    }
  }

  private primitive(q: Qual, t: Token): Node {
    const type = q.type ?? 'host';
    const dir: Dir = q.dir ?? 'or';
    if (type === 'port' || type === 'portrange') return this.port(q, t, type === 'portrange', dir);
    if (type === 'proto') return this.proto(q, t);
    if (q.proto === 'ether') {
      if (t.kind !== 'eid') this.fail(t, `ether ${type} needs a MAC address such as 00:00:5e:00:53:01, not ${show(t)}`);
      if (type === 'net') this.fail(t, `'ether net' does not exist: use 'ether host' with ${show(t)}`);
      return { kind: 'ehost', dir, mac: parseMac(t.text)!, text: t.text };
    }
    if (t.kind === 'eid') this.fail(t, `the MAC address ${show(t)} needs 'ether host', 'ether src' or 'ether dst'`);
    if (t.kind === 'name') {
      this.fail(t, `host names are not supported (${show(t)}): give an IPv4 or IPv6 address`);
    }
    if (t.kind === 'hid6') return this.host6(q, t, type === 'net', dir);
    return this.host4(q, t, type === 'net', dir);
  }

  private protoCheck(q: Qual, t: Token, family: 4 | 6): void {
    const p = q.proto;
    if (p === null || (family === 4 && (p === 'ip' || p === 'arp' || p === 'rarp')) || (family === 6 && p === 'ip6')) return;
    this.fail(t, `'${p}' cannot qualify the ${family === 4 ? 'IPv4' : 'IPv6'} ${q.type ?? 'host'} ${show(t)}` +
      (family === 4 && p === 'ip6' ? ': an IPv4 address is never in an IPv6 header' : family === 6 && p === 'ip' ? ': an IPv6 address is never in an IPv4 header' : ''));
  }

  private host4(q: Qual, t: Token, isNet: boolean, dir: Dir): Node {
    this.protoCheck(q, t, 4);
    let addr: number;
    let mask: number;
    let text = t.text;
    if (t.kind === 'num') {
      addr = t.value;
      mask = 0xffffffff;
      if (isNet) {
        // libpcap: a plain network number is promoted by whole bytes (`net 10` = 10.0.0.0/8).
        while (addr !== 0 && (addr & 0xff000000) === 0) {
          addr = (addr * 256) >>> 0;
          mask = (mask << 8) >>> 0;
        }
      }
    } else {
      const d = parseDotted(t.text);
      if (d === null) this.fail(t, `invalid IPv4 address ${show(t)}`);
      // libpcap: a short dotted address is a prefix (`host 10.1` = 10.1.0.0/16).
      addr = d.bits === 32 ? d.value : (d.value * 2 ** (32 - d.bits)) >>> 0;
      mask = ipv4Mask(d.bits);
      const sep = this.peek();
      if (this.isOp(sep, '/') || this.isKw(sep, 'mask')) {
        if (q.type === 'host') this.fail(sep, `a mask at column ${sep.col} is for networks: write 'net ${t.text}...'`);
        this.next();
        const m = this.next();
        if (this.isOp(sep, '/')) {
          if (m.kind !== 'num') this.fail(m, `expected a prefix length after '/', found ${show(m)}`);
          if (m.value > 32) this.fail(m, `prefix length ${m.value} at column ${m.col} is above 32`);
          mask = ipv4Mask(m.value);
          text = `${t.text}/${m.value}`;
        } else {
          const md = m.kind === 'hid' ? parseDotted(m.text) : null;
          if (md === null || md.bits !== 32) this.fail(m, `expected a dotted mask such as 255.255.0.0 after 'mask', found ${show(m)}`);
          mask = md.value;
          text = `${t.text} mask ${m.text}`;
        }
        if ((addr & ~mask) !== 0) this.fail(t, `non-network bits set in '${text}' at column ${t.col}`);
        isNet = true;
      }
    }
    const p = q.proto;
    return {
      kind: 'host4', dir, addr: (addr & mask) >>> 0, mask, net: isNet || mask !== 0xffffffff, text,
      ip: p === null || p === 'ip', arp: p === null || p === 'arp', rarp: p === null || p === 'rarp',
    };
  }

  private host6(q: Qual, t: Token, isNet: boolean, dir: Dir): Node {
    this.protoCheck(q, t, 6);
    const words = parseIpv6(t.text)!;
    let bits = 128;
    let text = t.text;
    const sep = this.peek();
    if (this.isOp(sep, '/')) {
      if (q.type === 'host') this.fail(sep, `a prefix length at column ${sep.col} is for networks: write 'net ${t.text}/...'`);
      this.next();
      const m = this.next();
      if (m.kind !== 'num') this.fail(m, `expected a prefix length after '/', found ${show(m)}`);
      if (m.value > 128) this.fail(m, `prefix length ${m.value} at column ${m.col} is above 128`);
      bits = m.value;
      text = `${t.text}/${bits}`;
      isNet = true;
    } else if (this.isKw(sep, 'mask')) this.fail(sep, `'mask' at column ${sep.col} is for IPv4: write ${t.text}/LENGTH`);
    const masks = ipv6Mask(bits);
    for (let i = 0; i < 4; i++) {
      if ((words[i] & ~masks[i]) !== 0) this.fail(t, `non-network bits set in '${text}' at column ${t.col}`);
    }
    return { kind: 'host6', dir, words, masks, net: isNet, text };
  }

  private portNumber(t: Token, text: string): number {
    const n = parseNumber(text);
    const v = typeof n === 'number' ? n : SERVICES.get(text);
    if (v === undefined) this.fail(t, `unknown port '${text}' at column ${t.col} (give a number, or one of the common service names such as http, https, ssh, domain)`);
    if (v > 65535) this.fail(t, `port ${v} at column ${t.col} is above 65535`);
    return v;
  }

  private port(q: Qual, t: Token, range: boolean, dir: Dir): Node {
    let protos = [6, 17, 132];
    if (q.proto !== null) {
      const p = PORT_PROTOS[q.proto];
      if (!p) this.fail(t, `'${q.proto}' cannot qualify a port (at column ${t.col}): use tcp, udp or sctp, or none`);
      protos = p;
    }
    let lo: number;
    let hi: number;
    if (t.kind === 'num') lo = hi = this.portNumber(t, String(t.value));
    else if (t.kind === 'name') {
      const dash = range ? t.text.indexOf('-') : -1;
      if (range && dash > 0) {
        lo = this.portNumber(t, t.text.slice(0, dash));
        hi = this.portNumber(t, t.text.slice(dash + 1));
        if (lo > hi) [lo, hi] = [hi, lo];
      } else lo = hi = this.portNumber(t, t.text);
    } else this.fail(t, `expected ${range ? 'a port range such as 8000-8099' : 'a port number'}, found ${show(t)}`);
    return { kind: 'port', dir, lo, hi, protos, range };
  }

  private proto(q: Qual, t: Token): Node {
    if (q.dir !== null) this.fail(t, `'${q.dir}' cannot qualify 'proto' (at column ${t.col})`);
    const p = q.proto;
    if (p === 'ether') {
      const v = t.kind === 'num' ? t.value : t.kind === 'name' ? ETHER_PROTOCOLS.get(t.text) : undefined;
      if (v === undefined) this.fail(t, `unknown EtherType ${show(t)} (give a number such as 0x0800, or \\ip, \\ip6, \\arp, \\rarp)`);
      if (v > 0xffff) this.fail(t, `EtherType ${v} at column ${t.col} is above 0xffff`);
      return { kind: 'etherproto', value: v };
    }
    if (p !== null && p !== 'ip' && p !== 'ip6') this.fail(t, `'${p}' cannot qualify 'proto' (at column ${t.col}): use ip, ip6 or ether`);
    const v = t.kind === 'num' ? t.value : t.kind === 'name' ? IP_PROTOCOLS.get(t.text) : undefined;
    if (v === undefined) this.fail(t, `unknown IP protocol ${show(t)} (give a number, or a name such as \\tcp, \\udp, \\icmp)`);
    if (v > 255) this.fail(t, `IP protocol ${v} at column ${t.col} is above 255`);
    return { kind: 'ipproto', family: p === 'ip' ? 4 : p === 'ip6' ? 6 : 0, value: v };
  }

  // ---------------------------------------------------------------- arithmetic

  private parseRelation(): Node {
    const start = this.peek();
    const left = this.parseArith();
    const t = this.peek();
    if (!(t.kind === 'op' && REL_OPS.has(t.text))) this.fail(t, `expected a comparison (=, !=, <, <=, >, >=), found ${show(t)}`);
    this.next();
    const right = this.parseArith();
    return { kind: 'rel', op: t.text as RelOp, left, right, col: start.col };
  }

  private parseArith(): Arith {
    const operands: Arith[] = [this.parseUnary()];
    const ops: ArithOp[] = [];
    const reduce = (): void => {
      const right = operands.pop()!;
      const left = operands.pop()!;
      operands.push({ kind: 'bin', op: ops.pop()!, left, right });
    };
    for (;;) {
      const t = this.peek();
      if (!(t.kind === 'op' && ARITH_OPS.has(t.text))) break;
      this.next();
      const op = t.text as ArithOp;
      // Reduce while the operator on the stack binds at least as tightly (left association);
      // never across '^', which yacc shifts because libpcap gives it no precedence.
      while (ops.length > 0) {
        const top = ops[ops.length - 1];
        if (top === '^' || op === '^' || PREC[top] < PREC[op]) break;
        reduce();
      }
      ops.push(op);
      operands.push(this.parseUnary());
    }
    while (ops.length > 0) reduce();
    return operands[0];
  }

  private parseUnary(): Arith {
    if (this.isOp(this.peek(), '-')) {
      this.next();
      return { kind: 'neg', arg: this.parseUnary() };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Arith {
    const t = this.peek();
    if (t.kind === 'num') {
      this.next();
      return { kind: 'num', value: t.value };
    }
    if (this.isKw(t, 'len')) {
      this.next();
      return { kind: 'len' };
    }
    if (t.kind === 'kw' && this.isOp(this.peek(1), '[')) {
      if (!LOAD_BASES.has(t.text)) this.fail(t, `'${t.text}[...]' at column ${t.col} is not supported: index ether, ip, ip6, tcp, udp, sctp, icmp or icmp6`);
      this.next();
      this.next();
      const index = this.parseArith();
      let size: 1 | 2 | 4 = 1;
      if (this.isOp(this.peek(), ':')) {
        this.next();
        const s = this.next();
        if (s.kind !== 'num' || (s.value !== 1 && s.value !== 2 && s.value !== 4)) this.fail(s, `the size at column ${s.col} must be 1, 2 or 4`);
        size = s.value as 1 | 2 | 4;
      }
      const close = this.peek();
      if (!this.isOp(close, ']')) this.fail(close, `expected ']' to close '${t.text}[' at column ${t.col}, found ${show(close)}`);
      this.next();
      return { kind: 'load', base: (t.text === 'link' ? 'ether' : t.text) as LoadBase, index, size };
    }
    if (this.isOp(t, '(')) {
      this.next();
      const a = this.parseArith();
      const close = this.peek();
      if (!this.isOp(close, ')')) this.fail(close, `expected ')', found ${show(close)}`);
      this.next();
      return a;
    }
    this.fail(t, `expected a number, len or a byte such as tcp[13], found ${show(t)}`);
  }
}

/** Parses an expression; throws FilterParseError. */
export function parseFilter(expr: string): Node {
  return new Parser(tokenize(expr)).parse();
}
