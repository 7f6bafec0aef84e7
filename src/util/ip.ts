/**
 * Addresses are kept as numbers so that the hot path never builds strings: an IPv4 address is one
 * unsigned 32-bit word, an IPv6 address four words (most significant first). Strings are made
 * only when a report is written.
 */

export function ipv4ToString(w: number): string {
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}`;
}

/** RFC 5952 text form: lower case, longest run of two or more zero groups shortened to `::`. */
export function ipv6ToString(w0: number, w1: number, w2: number, w3: number): string {
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** `ip:port`, with brackets around IPv6 addresses as in URLs. */
export function endpointToString(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Parses a textual IPv4 or IPv6 address into words; returns null if it is not one. */
export function parseIp(text: string): { version: 4 | 6; words: number[] } | null {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    const p = text.split('.').map(Number);
    if (p.some((x) => x > 255)) return null;
    return { version: 4, words: [((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0, 0, 0, 0] };
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return null;
  let head = text;
  let v4tail: number[] = [];
  const m = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (m) {
    const v4 = parseIp(m[2]);
    if (!v4) return null;
    head = m[1].endsWith('::') ? m[1] : m[1].slice(0, -1);
    v4tail = [v4.words[0] >>> 16, v4.words[0] & 0xffff];
  }
  const parts = head.split('::');
  if (parts.length > 2) return null;
  const toGroups = (s: string) => (s === '' ? [] : s.split(':').map((x) => (/^[0-9a-fA-F]{1,4}$/.test(x) ? parseInt(x, 16) : NaN)));
  const left = toGroups(parts[0]);
  const right = parts.length === 2 ? toGroups(parts[1]) : [];
  const fill = 8 - left.length - right.length - v4tail.length;
  if (parts.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...left, ...new Array(parts.length === 2 ? fill : 0).fill(0), ...right, ...v4tail];
  if (groups.length !== 8 || groups.some((x) => Number.isNaN(x))) return null;
  const words = [0, 1, 2, 3].map((i) => ((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0);
  return { version: 6, words };
}
