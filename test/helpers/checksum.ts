/** Internet checksum pieces (RFC 1071) for the benchmark generators, which sum in place. */

/** Adds the 16-bit big-endian words of b[from, to) to `s` (an odd last byte is padded). */
export function sum16(b: Buffer, from: number, to: number, s: number): number {
  let i = from;
  for (; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < to) s += b[i]! << 8;
  return s;
}

/** Folds the carries of a one's-complement sum into 16 bits. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
