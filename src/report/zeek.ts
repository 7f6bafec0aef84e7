/**
 * Zeek's conn.log from attempt reports: `--format zeek` (Zeek's ASCII log: tab-separated, with
 * its `#separator` ... `#types` header and `#close` line) and `--format zeek-json` (one JSON object
 * per line, as Zeek writes with `LogAscii::use_json=T`). Zeek's own fields come first, with
 * Zeek's names, types and unset values, then synscope's (verdict, flags, reason, reason_code), so
 * zeek-cut, RITA and the Elastic / Splunk Zeek integrations read the file as they read Zeek's.
 *
 * One row per attempt (Zeek would start a new connection after 5 s without an answer). The
 * values come from the report's `zeek` object and counts (see handshake/conn-track.ts).
 */
import type { AttemptReport } from './model.js';

export type ZeekFormat = 'zeek' | 'zeek-json';


/** A column value: undefined is unset (`-`, left out of JSON); arrays are Zeek sets. */
type Value = string | number | boolean | string[] | Time | undefined;

/** A time or interval: Zeek writes them with exactly 6 decimals in TSV, as doubles in JSON. */
class Time {
  constructor(readonly seconds: number) {}
}

interface Column {
  name: string;
  type: string;
  value(r: AttemptReport, t: RowTimes): Value;
}

/** The row's times as Zeek's packet clock has them: microsecond doubles. */
interface RowTimes {
  ts: number;
  duration: number | undefined;
}

/** A report field that a later version of the report may carry (its column stays unset until then). */
const COLUMNS: readonly Column[] = [
  { name: 'ts', type: 'time', value: (_r, t) => new Time(t.ts) },
  { name: 'uid', type: 'string', value: (r) => r.zeek.uid },
  { name: 'id.orig_h', type: 'addr', value: (r) => r.client.ip },
  { name: 'id.orig_p', type: 'port', value: (r) => r.client.port },
  { name: 'id.resp_h', type: 'addr', value: (r) => r.server.ip },
  { name: 'id.resp_p', type: 'port', value: (r) => r.server.port },
  { name: 'proto', type: 'enum', value: () => 'tcp' },
  // No protocol detection: Zeek leaves it unset too when no analyzer confirmed one.
  { name: 'service', type: 'string', value: () => undefined },
  // Zeek sets duration and the byte counts only when the duration is above 0.
  { name: 'duration', type: 'interval', value: (_r, t) => (t.duration === undefined ? undefined : new Time(t.duration)) },
  { name: 'orig_bytes', type: 'count', value: (r, t) => (t.duration === undefined ? undefined : r.origBytes) },
  { name: 'resp_bytes', type: 'count', value: (r, t) => (t.duration === undefined ? undefined : r.respBytes) },
  { name: 'conn_state', type: 'string', value: (r) => r.zeek.connState },
  // Zeek fills these only when Site::local_nets is configured; synscope knows no local networks.
  { name: 'local_orig', type: 'bool', value: () => undefined },
  { name: 'local_resp', type: 'bool', value: () => undefined },
  { name: 'missed_bytes', type: 'count', value: () => 0 },
  { name: 'history', type: 'string', value: (r) => r.zeek.history || undefined },
  { name: 'orig_pkts', type: 'count', value: (r) => r.origPkts },
  { name: 'orig_ip_bytes', type: 'count', value: (r) => r.origIpBytes },
  { name: 'resp_pkts', type: 'count', value: (r) => r.respPkts },
  { name: 'resp_ip_bytes', type: 'count', value: (r) => r.respIpBytes },
  // The inner connection of a tunnel would name its tunnel's uid; synscope writes no tunnel rows.
  { name: 'tunnel_parents', type: 'set[string]', value: () => undefined },
  { name: 'ip_proto', type: 'count', value: () => 6 },
  // As Zeek's policy/protocols/conn/vlan-logging writes them.
  { name: 'vlan', type: 'int', value: (r) => r.vlan?.[0] },
  { name: 'inner_vlan', type: 'int', value: (r) => r.vlan?.[1] },
  { name: 'verdict', type: 'string', value: (r) => r.verdict },
  { name: 'flags', type: 'set[string]', value: (r) => [...r.flags] },
  { name: 'reason', type: 'string', value: (r) => r.reason },
  { name: 'reason_code', type: 'string', value: (r) => r.reasonCode },
];

/** The field names, in order (the `#fields` line). */
export const ZEEK_FIELDS: readonly string[] = COLUMNS.map((c) => c.name);

const SEPARATOR = '\t';
const SET_SEPARATOR = ',';
const EMPTY = '(empty)';
const UNSET = '-';

/** Zeek's `#open` / `#close` form: local time, %Y-%m-%d-%H-%M-%S. */
export function zeekLogTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/** The header lines of Zeek's ASCII log (the JSON form has none). */
export function zeekHeader(format: ZeekFormat, open: Date): string {
  if (format === 'zeek-json') return '';
  return [
    '#separator \\x09',
    `#set_separator${SEPARATOR}${SET_SEPARATOR}`,
    `#empty_field${SEPARATOR}${EMPTY}`,
    `#unset_field${SEPARATOR}${UNSET}`,
    `#path${SEPARATOR}conn`,
    `#open${SEPARATOR}${zeekLogTime(open)}`,
    `#fields${SEPARATOR}${COLUMNS.map((c) => c.name).join(SEPARATOR)}`,
    `#types${SEPARATOR}${COLUMNS.map((c) => c.type).join(SEPARATOR)}`,
  ].join('\n') + '\n';
}

/** The closing line of Zeek's ASCII log. */
export function zeekFooter(format: ZeekFormat, close: Date): string {
  return format === 'zeek-json' ? '' : `#close${SEPARATOR}${zeekLogTime(close)}\n`;
}

/** Seconds and microseconds of an ISO time (libpcap hands Zeek microseconds: finer digits are cut). */
function isoMicros(iso: string): { sec: number; us: number } {
  const dot = iso.indexOf('.');
  const base = dot < 0 ? iso.slice(0, -1) : iso.slice(0, dot);
  const frac = dot < 0 ? '' : iso.slice(dot + 1, -1);
  return { sec: Date.parse(`${base}Z`) / 1000, us: Number(frac.padEnd(6, '0').slice(0, 6)) };
}

function rowTimes(r: AttemptReport): RowTimes {
  const { sec, us } = isoMicros(r.start);
  const ts = sec + us / 1e6;
  if (r.zeek.duration === null) return { ts, duration: undefined };
  // Zeek's duration is the difference of two such doubles.
  const lastUs = us + Math.round(r.zeek.duration * 1e6);
  const last = sec + Math.floor(lastUs / 1e6) + (lastUs % 1e6) / 1e6;
  return { ts, duration: last - ts };
}

/** A string as Zeek's ASCII writer escapes it: the separators and control characters as \xNN. */
function tsvString(s: string, inSet: boolean): string {
  if (s === '') return EMPTY;
  if (s === UNSET) return '\\x2d';
  if (s === EMPTY) return '\\x28empty)';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x5c || (inSet && c === 0x2c)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += s[i];
  }
  return out;
}

function tsvValue(v: Value): string {
  if (v === undefined) return UNSET;
  if (v instanceof Time) return v.seconds.toFixed(6);
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.length ? v.map((e) => tsvString(e, true)).join(SET_SEPARATOR) : EMPTY;
  return tsvString(v, false);
}

/** A double as Zeek's JSON writer gives it: the shortest form that reads back, always with a decimal point. */
function jsonDouble(n: number): string {
  const s = String(n);
  return Number.isInteger(n) && !s.includes('e') ? `${s}.0` : s;
}

function jsonValue(v: Exclude<Value, undefined>): string {
  if (v instanceof Time) return jsonDouble(v.seconds);
  return JSON.stringify(v);
}

/** One conn.log line for the attempt (with its newline). */
export function zeekRow(format: ZeekFormat, r: AttemptReport): string {
  const t = rowTimes(r);
  if (format === 'zeek') return `${COLUMNS.map((c) => tsvValue(c.value(r, t))).join(SEPARATOR)}\n`;
  const parts: string[] = [];
  for (const c of COLUMNS) {
    const v = c.value(r, t);
    if (v !== undefined) parts.push(`${JSON.stringify(c.name)}:${jsonValue(v)}`);
  }
  return `{${parts.join(',')}}\n`;
}

/**
 * A conn.log written as attempts come (`attempt`), closed by `end`. The `#open` and `#close`
 * times are Zeek's wall clock when `wallClock` is set (live capture); for a capture file they are
 * its first row's `ts` and its last packet, so the same capture gives the same bytes.
 */
export class ZeekLogWriter {
  private opened = false;
  private lastEnd = '';

  constructor(readonly format: ZeekFormat, private readonly write: (text: string) => void, private readonly wallClock = false) {
    // Live: the log opens when the capture does, as Zeek's.
    if (wallClock) this.open(new Date());
  }

  attempt(r: AttemptReport): void {
    if (!this.opened) this.open(this.wallClock ? new Date() : new Date(Date.parse(r.start)));
    if (r.end > this.lastEnd) this.lastEnd = r.end;
    this.write(zeekRow(this.format, r));
  }

  private open(at: Date): void {
    this.opened = true;
    this.write(zeekHeader(this.format, at));
  }

  end(): void {
    if (!this.opened) this.open(new Date());
    this.write(zeekFooter(this.format, this.wallClock || !this.lastEnd ? new Date() : new Date(Date.parse(this.lastEnd))));
  }
}
