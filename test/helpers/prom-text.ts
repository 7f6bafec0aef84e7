/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), written from its
 * specification (prometheus.io/docs/instrumenting/exposition_formats): it throws, naming the line,
 * on anything the format does not allow or a scraper would reject, so a test that parses synscope's
 * /metrics checks the format as well as the values.
 *
 * Checked: metric and label names; label values' escapes (\\, \", \n only); sample values (Go
 * float syntax, +Inf, -Inf, NaN) and optional integer timestamps; at most one HELP and one TYPE
 * per family, TYPE before the family's first sample; a family's samples contiguous; no series
 * twice; counters not negative; histograms with `le` buckets in increasing order, cumulative, a
 * `+Inf` bucket equal to `_count`, and `_sum`/`_count` per label set.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for histograms). */
  name: string;
  labels: Record<string, string>;
  value: number;
  line: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(line: number, what: string, text: string): never {
  throw new Error(`metrics text line ${line}: ${what}: ${JSON.stringify(text)}`);
}

function parseValue(s: string, line: number, text: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) fail(line, `bad sample value ${JSON.stringify(s)}`, text);
  return Number(s);
}

/** HELP text: only \\ and \n are escapes. */
function unescapeHelp(s: string, line: number, text: string): string {
  return s.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    return fail(line, `bad escape \\${c} in HELP`, text);
  });
}

/** `{a="x",b="y"}` from `at` (the `{`); returns the labels and the index after `}`. */
function parseLabels(s: string, at: number, line: number): [Record<string, string>, number] {
  const labels: Record<string, string> = {};
  let i = at + 1;
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) fail(line, 'label without =', s);
    const name = s.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) fail(line, `bad label name ${JSON.stringify(name)}`, s);
    if (name.startsWith('__')) fail(line, `label name ${name} is reserved`, s);
    if (name in labels) fail(line, `label ${name} twice`, s);
    i = eq + 1;
    if (s[i] !== '"') fail(line, 'label value not quoted', s);
    i++;
    let v = '';
    for (;; i++) {
      if (i >= s.length) fail(line, 'unterminated label value', s);
      const c = s[i];
      if (c === '"') break;
      if (c === '\n') fail(line, 'raw newline in label value', s);
      if (c === '\\') {
        const n = s[++i];
        if (n === '\\') v += '\\';
        else if (n === '"') v += '"';
        else if (n === 'n') v += '\n';
        else fail(line, `bad escape \\${n} in label value`, s);
      } else {
        v += c;
      }
    }
    labels[name] = v;
    i++;
    while (s[i] === ' ') i++;
    if (s[i] === ',') { i++; continue; }
    if (s[i] === '}') return [labels, i + 1];
    fail(line, 'expected , or } after a label', s);
  }
}

/** The family a sample name belongs to: `x_bucket` of histogram `x` is in `x`. */
function familyOf(name: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const base = name.slice(0, -suffix.length);
      const f = families.get(base);
      if (f && (f.type === 'histogram' || f.type === 'summary')) return base;
    }
  }
  return name;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey('', rest);
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) fail(s.line, `${f.name}_bucket without le`, s.name);
      g.buckets.push([parseValue(le, s.line, le), s.value, s.line]);
    } else if (s.name === `${f.name}_sum`) {
      g.sum = s.value;
    } else if (s.name === `${f.name}_count`) {
      g.count = s.value;
    } else {
      fail(s.line, `sample ${s.name} in histogram ${f.name}`, s.name);
    }
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`histogram ${f.name}${key}: _sum and _count are required`);
    for (let i = 1; i < g.buckets.length; i++) {
      const [le, v, line] = g.buckets[i];
      if (!(le > g.buckets[i - 1][0])) fail(line, `histogram ${f.name} buckets not in increasing le order`, String(le));
      if (v < g.buckets[i - 1][1]) fail(line, `histogram ${f.name} buckets not cumulative`, String(v));
    }
    const inf = g.buckets.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`histogram ${f.name}${key}: no le="+Inf" bucket`);
    if (inf[1] !== g.count) throw new Error(`histogram ${f.name}${key}: +Inf bucket ${inf[1]} is not _count ${g.count}`);
  }
}

/** The families of a /metrics text, by name, in order of appearance. */
export function parsePromText(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('metrics text does not end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const closed = new Set<string>();
  let current: string | null = null;
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: null, samples: [] }));
    return f;
  };
  const enter = (name: string, line: number, text: string) => {
    if (current === name) return;
    if (current !== null) closed.add(current);
    if (closed.has(name)) fail(line, `samples or metadata of ${name} are not together`, text);
    current = name;
  };
  const typed = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // a comment
      const [, kind, name, rest = ''] = m;
      if (!METRIC_NAME.test(name)) fail(line, `bad metric name ${JSON.stringify(name)}`, raw);
      enter(name, line, raw);
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== null) fail(line, `second HELP for ${name}`, raw);
        f.help = unescapeHelp(rest, line, raw);
      } else {
        if (typed.has(name)) fail(line, `second TYPE for ${name}`, raw);
        if (f.samples.length) fail(line, `TYPE for ${name} after its samples`, raw);
        if (!TYPES.has(rest.trim() as MetricType)) fail(line, `unknown type ${JSON.stringify(rest)}`, raw);
        f.type = rest.trim() as MetricType;
        typed.add(name);
      }
      return;
    }
    const nameEnd = raw.search(/[{ \t]/);
    if (nameEnd <= 0) fail(line, 'a sample needs a name and a value', raw);
    const name = raw.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) fail(line, `bad metric name ${JSON.stringify(name)}`, raw);
    let labels: Record<string, string> = {};
    let i2 = nameEnd;
    if (raw[i2] === '{') [labels, i2] = parseLabels(raw, i2, line);
    const rest = raw.slice(i2).trim().split(/[ \t]+/);
    if (rest.length < 1 || rest.length > 2 || rest[0] === '') fail(line, 'expected a value and an optional timestamp', raw);
    const value = parseValue(rest[0], line, raw);
    if (rest.length === 2 && !/^-?\d+$/.test(rest[1])) fail(line, 'the timestamp must be an integer (milliseconds)', raw);
    const fname = familyOf(name, families);
    enter(fname, line, raw);
    const f = family(fname);
    const key = seriesKey(name, labels);
    if (seen.has(key)) fail(line, `series ${key} twice`, raw);
    seen.add(key);
    if (f.type === 'counter' && !(value >= 0)) fail(line, `counter ${name} is ${value}`, raw);
    f.samples.push({ name, labels, value, line });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The value of the one sample of `family` with exactly these labels (undefined if none). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}, family = name): number | undefined {
  const want = seriesKey(name, labels);
  return families.get(family)?.samples.find((s) => seriesKey(s.name, s.labels) === want)?.value;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function sumOf(families: Map<string, Family>, name: string, match: Record<string, string> = {}, family = name): number {
  let n = 0;
  for (const s of families.get(family)?.samples ?? []) {
    if (s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)) n += s.value;
  }
  return n;
}
