/**
 * Capture timestamps are kept as two integers, whole seconds and nanoseconds, so the full
 * precision of nanosecond pcap and pcapng files survives to the report. `digits` is how many
 * fractional digits the capture actually has (6 for microsecond pcap, 9 for nanosecond).
 */

/** ISO-8601 UTC with exactly `digits` fractional digits, e.g. 2026-11-22T01:02:03.123456Z. */
let cachedSec = NaN;
let cachedBase = '';

export function isoTime(sec: number, nsec: number, digits: number): string {
  // Attempts arrive in time order, so most share the second of the one before.
  if (sec !== cachedSec) {
    const d = new Date(sec * 1000);
    const year = d.getUTCFullYear();
    // A corrupt timestamp beyond four-digit years: say the nearest representable second.
    if (Number.isNaN(year) || year > 9999 || year < 0) cachedBase = sec < 0 ? '0000-01-01T00:00:00' : '9999-12-31T23:59:59';
    else cachedBase = d.toISOString().slice(0, 19);
    cachedSec = sec;
  }
  const base = cachedBase;
  if (digits <= 0) return `${base}Z`;
  const frac = String(nsec).padStart(9, '0').slice(0, Math.min(digits, 9));
  return `${base}.${frac}Z`;
}


/**
 * The inverse of isoTime: whole seconds and nanoseconds of `2026-11-22T01:02:03.123456Z`
 * (any number of fractional digits up to 9), or null for text that is not such a time.
 */
export function parseIsoTime(text: string): [number, number] | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(ms)) return null;
  return [ms / 1000, m[2] === undefined ? 0 : Number(m[2].padEnd(9, '0'))];
}
