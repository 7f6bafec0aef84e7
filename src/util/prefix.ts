/**
 * Address prefixes for `--host`: `203.0.113.0/24`, `2001:db8:2::/64`, or a plain address (a /32
 * or /128). Matching works on the numeric words the engine keeps (see util/ip.ts), so the hot
 * path builds no strings.
 */
import { parseIp } from './ip.js';

export interface HostPrefix {
  version: 4 | 6;
  /** The prefix's address with the host bits cleared (IPv4: words[0] only). */
  words: number[];
  /** Prefix length: 0-32 (IPv4) or 0-128 (IPv6). */
  bits: number;
}

/** Parses an address or address/length (IPv6 may be in brackets); null if it is neither. */
export function parseHostPrefix(text: string): HostPrefix | null {
  const m = /^\[?([^/\]]+)\]?(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return null;
  const ip = parseIp(m[1]!);
  if (!ip) return null;
  const max = ip.version === 4 ? 32 : 128;
  const bits = m[2] === undefined ? max : Number(m[2]);
  if (bits > max) return null;
  const words = ip.words.map((w, i) => (w & wordMask(bits, i)) >>> 0);
  return { version: ip.version, words, bits };
}

/** The mask of word `i` (0-3) for a prefix of `bits` bits. */
function wordMask(bits: number, i: number): number {
  const inWord = Math.min(32, Math.max(0, bits - 32 * i));
  return inWord === 0 ? 0 : (0xffffffff << (32 - inWord)) >>> 0;
}

/** Whether an address (as the engine keeps it: IPv4 in words[0]) lies in the prefix. */
export function prefixMatches(p: HostPrefix, version: number, words: ArrayLike<number>): boolean {
  if (p.version !== version) return false;
  const n = version === 4 ? 1 : 4;
  for (let i = 0; i < n; i++) if (((words[i]! & wordMask(p.bits, i)) >>> 0) !== p.words[i]) return false;
  return true;
}
