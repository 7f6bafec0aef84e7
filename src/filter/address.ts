/**
 * Addresses and numbers as pcap-filter(7) spells them, parsed at compile time (never per packet).
 * The rules are libpcap's (gencode.c, nametoaddr.c), including its odd ones, so that an
 * expression means here what it means to tcpdump:
 *
 * - a number token is C-style: `0x1f` hex, `010` octal (8), `10` decimal;
 * - a dotted IPv4 token is decimal per part (`010.0.0.1` is 10.0.0.1), and a short one is a
 *   prefix: `host 10.1` and `net 10.1` are both 10.1.0.0/16;
 * - a plain number after `host` is a whole 32-bit address (`host 10` is 0.0.0.10), after `net`
 *   a short network number promoted by whole bytes (`net 10` is 10.0.0.0/8, `net 172.16` is
 *   172.16.0.0/16).
 */

/** Parses a pcap-filter number token; null when it is not one (a name, an address). */
export function parseNumber(s: string): number | null | 'octal' {
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) v = parseInt(s.slice(2), 16);
  else if (/^0[0-9]+$/.test(s)) {
    if (/[89]/.test(s)) return 'octal';
    v = parseInt(s, 8);
  } else if (/^[0-9]+$/.test(s)) v = parseInt(s, 10);
  else return null;
  // libpcap keeps numbers in 32 bits (stoulen rejects larger ones).
  return v > 0xffffffff ? null : v;
}

/** A dotted IPv4 token (1 to 4 decimal parts): the value and how many bits it gives. */
export function parseDotted(s: string): { value: number; bits: number } | null {
  const parts = s.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  let v = 0;
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) return null;
    const n = parseInt(p, 10);
    if (n > 255) return null;
    v = v * 256 + n;
  }
  return { value: v >>> 0, bits: parts.length * 8 };
}

/** An IPv6 address (with `::` and an optional embedded dotted quad) as 4 big-endian words. */
export function parseIpv6(s: string): Uint32Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(':')) return null;
  let text = s;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const q = parseDotted(text.slice(lastColon + 1));
    if (q === null || q.bits !== 32) return null;
    tail.push(q.value >>> 16, q.value & 0xffff);
    text = text.slice(0, lastColon + 1);
    // "::1.2.3.4" keeps its "::"; "a:b:...:1.2.3.4" drops the separator before the quad.
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const groups = (t: string): number[] | null => {
    if (t === '') return [];
    const out: number[] = [];
    for (const g of t.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const want = 8 - tail.length;
  let all: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null;
    const head = groups(text.slice(0, dbl));
    const rest = groups(text.slice(dbl + 2));
    if (head === null || rest === null) return null;
    const zeros = want - head.length - rest.length;
    if (zeros < 1) return null;
    all = [...head, ...new Array<number>(zeros).fill(0), ...rest];
  } else {
    const g = groups(text);
    if (g === null || g.length !== want) return null;
    all = g;
  }
  all.push(...tail);
  if (all.length !== 8) return null;
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((all[2 * i] << 16) | all[2 * i + 1]) >>> 0;
  return w;
}

/** Four 32-bit masks for an IPv6 prefix length 0..128. */
export function ipv6Mask(bits: number): Uint32Array {
  const m = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    const b = Math.max(0, Math.min(32, bits - 32 * i));
    m[i] = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  }
  return m;
}

/** An IPv4 mask from a prefix length 0..32. */
export function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * A MAC address as libpcap accepts it: `00:00:5e:00:53:01`, `0:0:5e:0:53:1`,
 * `00-00-5e-00-53-01`, `0000.5e00.5301`; null otherwise.
 */
export function parseMac(s: string): number[] | null {
  let m = /^([0-9a-fA-F]{1,2})([:-])([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})\2([0-9a-fA-F]{1,2})$/.exec(s);
  if (m) return [m[1], m[3], m[4], m[5], m[6], m[7]].map((x) => parseInt(x, 16));
  m = /^([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})\.([0-9a-fA-F]{4})$/.exec(s);
  if (m) {
    const out: number[] = [];
    for (const g of [m[1], m[2], m[3]]) out.push(parseInt(g.slice(0, 2), 16), parseInt(g.slice(2), 16));
    return out;
  }
  return null;
}
