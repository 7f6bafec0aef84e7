/** TCP sequence-number arithmetic modulo 2^32 (RFC 9293 3.4): never compare raw numbers with `<`. */

/** b - a as a signed 32-bit distance. */
export function seqDiff(b: number, a: number): number {
  return (b - a) | 0;
}

/** `b` is at or after `a` (within half the sequence space). */
export function seqGe(b: number, a: number): boolean {
  return seqDiff(b, a) >= 0;
}

export function seqGt(b: number, a: number): boolean {
  return seqDiff(b, a) > 0;
}

export function seqAdd(a: number, n: number): number {
  return (a + n) >>> 0;
}
