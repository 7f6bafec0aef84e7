/**
 * Rows of typed columns, grown by segments that never move, addressed by slot and generation.
 *
 * A table is made from a schema: an object of columns, each a number (Float64Array), a 32-bit integer (Int32Array or Uint32Array), a boolean
 * (Uint8Array) or a reference (a plain array: strings, small arrays, host and endpoint records).
 * (Integer columns take half the bytes of a double; a value outside their range would wrap, so a
 * column is an integer one only where the wire format bounds it.) Columns come in two groups. The
 * first group is stored for every row; the second ("answer") group is stored in a second set of
 * segments, and a row takes a place there only when one of its
 * fields is first written with another value than its starting one: most rows of a SYN flood are
 * never answered and never pay for it.
 *
 * Each row has one handle, an object of seven fields that lives as long as its slot and is reused
 * with it: the schema's fields are accessors on the handle's prototype, generated from the schema
 * (`row.isn` reads column `isn` at the row's place), so the code that records and reads evidence
 * keeps its plain property syntax while the state itself is typed columns. A handle's identity
 * says which slot it is; `generation` (bumped each time the slot is freed) says which row.
 *
 * Within a segment a column is contiguous (column c of row r at c * SEGMENT + r). Segments are
 * allocated whole and kept; a freed slot (and a freed answer place) is reused before a new one.
 */

/** Rows per segment. */
export const SEGMENT = 1024;

/** `number`: any double; `int`/`uint`: 32-bit signed/unsigned integers (half the bytes); `boolean`; `ref`. */
export type ColumnKind = 'number' | 'int' | 'uint' | 'boolean' | 'ref';

/** A column's kind and starting value (`fresh`: a new value for every row, such as an empty array). */
export interface Column<T> {
  readonly kind: ColumnKind;
  readonly init: T;
  readonly fresh?: () => T;
  /** Stored in the answer group (see the file comment). */
  readonly answer: boolean;
}

export type Schema = Record<string, Column<unknown>>;

/** The field types of a schema: the row's properties as the rest of the code sees them. */
export type RowOf<S extends Schema> = { -readonly [K in keyof S]: S[K] extends Column<infer T> ? T : never };

export const num = (init = 0, answer = false): Column<number> => ({ kind: 'number', init, answer });
/** Counts, small codes and TTLs (-2^31 .. 2^31-1). */
export const int = (init = 0, answer = false): Column<number> => ({ kind: 'int', init, answer });
/** Addresses, ports, sequence numbers and frame numbers (0 .. 2^32-1). */
export const uint = (init = 0, answer = false): Column<number> => ({ kind: 'uint', init, answer });
export const bool = (init = false, answer = false): Column<boolean> => ({ kind: 'boolean', init, answer });
export const ref = <T>(init: T, answer = false, fresh?: () => T): Column<T> => ({ kind: 'ref', init, answer, fresh });

/** One segment of one group: its columns of each kind. */
export class Segment {
  readonly f: Float64Array;
  /** The 32-bit columns, signed and unsigned views of one buffer. */
  readonly n: Int32Array;
  readonly u: Uint32Array;
  readonly b: Uint8Array;
  readonly r: unknown[];
  constructor(numbers: number, ints: number, booleans: number, refs: number) {
    this.f = new Float64Array(numbers * SEGMENT);
    this.n = new Int32Array(ints * SEGMENT);
    this.u = new Uint32Array(this.n.buffer);
    this.b = new Uint8Array(booleans * SEGMENT);
    this.r = new Array<unknown>(refs * SEGMENT).fill(null);
  }
}

/** What every handle carries: where its row is. */
export class RowHandle {
  /** The row's segment and its place in it. */
  s: Segment;
  i: number;
  /** Its answer-group segment and place (-1: none yet). */
  a: Segment | null = null;
  j = -1;
  /** The answer place's number across segments (for reuse). */
  p = -1;
  constructor(readonly table: RowTableBase, readonly slot: number, s: Segment, i: number) {
    this.s = s;
    this.i = i;
  }
}

interface Layout {
  numbers: number;
  ints: number;
  booleans: number;
  refs: number;
  /** Column name -> its index among the columns of its kind and group. */
  place: Map<string, number>;
}

function layout(schema: Schema, answer: boolean): Layout {
  const l: Layout = { numbers: 0, ints: 0, booleans: 0, refs: 0, place: new Map() };
  for (const [name, c] of Object.entries(schema)) {
    if (c.answer !== answer) continue;
    const k = c.kind === 'number' ? l.numbers++ : c.kind === 'int' || c.kind === 'uint' ? l.ints++ : c.kind === 'boolean' ? l.booleans++ : l.refs++;
    l.place.set(name, k);
  }
  return l;
}

const STORE = { number: 'f', int: 'n', uint: 'u', boolean: 'b', ref: 'r' } as const;

/** Where column `name` of the row at place `row` (an expression) is, in its store. */
function at(l: Layout, kind: ColumnKind, name: string, row: string): string {
  const width = kind === 'number' ? l.numbers : kind === 'int' || kind === 'uint' ? l.ints : kind === 'boolean' ? l.booleans : l.refs;
  return `${row} * ${width} + ${l.place.get(name)!}`;
}

function literal(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v === null || typeof v === 'string') return JSON.stringify(v);
  return '';
}

/**
 * Writes every column of a group to its starting value at place `i` of a segment: generated, so
 * each store is a constant-offset store (a loop over the schema would be a generic one).
 */
function compileInit(schema: Schema, answer: boolean, l: Layout): (s: Segment, i: number) => void {
  const lines: string[] = [];
  const shared: unknown[] = [];
  for (const [name, c] of Object.entries(schema)) {
    if (c.answer !== answer) continue;
    let expr = literal(c.init);
    if (c.fresh) { shared.push(c.fresh); expr = `shared[${shared.length - 1}]()`; } else if (expr === '') { shared.push(c.init); expr = `shared[${shared.length - 1}]`; }
    lines.push(`s.${STORE[c.kind]}[${at(l, c.kind, name, 'i')}] = ${expr};`);
  }
  return new Function('shared', `return function initRow(s, i) {\n${lines.join('\n')}\n};`)(shared) as (s: Segment, i: number) => void;
}

/** Clears a group's references at place `i` (so a freed row keeps nothing alive). */
function compileClear(l: Layout): (s: Segment, i: number) => void {
  const lines: string[] = [];
  for (let k = 0; k < l.refs; k++) lines.push(`s.r[i * ${l.refs} + ${k}] = null;`);
  return new Function('s', 'i', lines.join('\n')) as (s: Segment, i: number) => void;
}

/**
 * Defines the schema's accessors on a handle class's prototype. A first-group field reads
 * `this.s.<store>[offset + this.i]`; an answer field reads its starting value while the row has
 * no answer place, and its first write takes one.
 */
export function installColumns(proto: object, schema: Schema): void {
  const syn = layout(schema, false);
  const ans = layout(schema, true);
  for (const [name, c] of Object.entries(schema)) {
    const l = c.answer ? ans : syn;
    const store = STORE[c.kind];
    const read = c.kind === 'boolean' ? (e: string) => `${e} !== 0` : (e: string) => e;
    const write = c.kind === 'boolean' ? 'v ? 1 : 0' : 'v';
    let get: string;
    let set: string;
    if (!c.answer) {
      get = `return ${read(`this.s.${store}[${at(l, c.kind, name, 'this.i')}]`)};`;
      set = `this.s.${store}[${at(l, c.kind, name, 'this.i')}] = ${write};`;
    } else {
      const init = literal(c.init);
      if (init === '' && c.init !== undefined) throw new Error(`column ${name}: an answer column's starting value must be a literal`);
      const start = c.kind === 'boolean' ? String(c.init) : init;
      get = `const j = this.j; return j < 0 ? ${start} : ${read(`this.a.${store}[${at(l, c.kind, name, 'j')}]`)};`;
      // Writing the starting value takes no place: the field reads it already.
      set = `if (this.j < 0) { if (v === ${start}) return; this.table.answer(this); } this.a.${store}[${at(l, c.kind, name, 'this.j')}] = ${write};`;
    }
    Object.defineProperty(proto, name, {
      get: new Function(get) as () => unknown,
      set: new Function('v', set) as (v: unknown) => void,
      enumerable: true,
      configurable: false,
    });
  }
}

/** The part of a table handles call back into (answer places). */
export abstract class RowTableBase {
  abstract answer(h: RowHandle): void;
}

/**
 * A table of rows of `schema`, with handles made by `make` (a class whose prototype carries the
 * schema's accessors: see installColumns).
 */
export class RowTable<H extends RowHandle> extends RowTableBase {
  private readonly syn: Layout;
  private readonly ans: Layout;
  private readonly initSyn: (s: Segment, i: number) => void;
  private readonly initAns: (s: Segment, i: number) => void;
  private readonly clearSyn: (s: Segment, i: number) => void;
  private readonly clearAns: (s: Segment, i: number) => void;
  private readonly segments: Segment[] = [];
  private readonly answerSegments: Segment[] = [];
  private readonly handles: H[] = [];
  /** Generation of each slot (bumped when it is freed). */
  private generations = new Uint32Array(SEGMENT);
  /** 1 while the slot's row is in use (a second free of the same row is ignored). */
  private live = new Uint8Array(SEGMENT);
  private readonly freeSlots: number[] = [];
  private readonly freeAnswers: number[] = [];
  private answersUsed = 0;
  /** Rows in use, and answer places in use. */
  size = 0;
  answers = 0;

  constructor(schema: Schema, private readonly make: (table: RowTableBase, slot: number, s: Segment, i: number) => H) {
    super();
    this.syn = layout(schema, false);
    this.ans = layout(schema, true);
    this.initSyn = compileInit(schema, false, this.syn);
    this.initAns = compileInit(schema, true, this.ans);
    this.clearSyn = compileClear(this.syn);
    this.clearAns = compileClear(this.ans);
  }

  /** A row with every field at its starting value. */
  alloc(): H {
    let h: H;
    const slot = this.freeSlots.pop();
    if (slot !== undefined) {
      h = this.handles[slot];
    } else {
      const n = this.handles.length;
      const seg = n / SEGMENT | 0;
      if (seg === this.segments.length) this.segments.push(new Segment(this.syn.numbers, this.syn.ints, this.syn.booleans, this.syn.refs));
      if (n >= this.generations.length) {
        const g = new Uint32Array(this.generations.length * 2);
        g.set(this.generations);
        this.generations = g;
        const l = new Uint8Array(g.length);
        l.set(this.live);
        this.live = l;
      }
      h = this.make(this, n, this.segments[seg], n % SEGMENT);
      this.handles.push(h);
    }
    this.initSyn(h.s, h.i);
    this.live[h.slot] = 1;
    this.size++;
    return h;
  }

  /** The row leaves the table: its slot (and answer place) may be reused by the next alloc. */
  free(h: H): void {
    if (this.live[h.slot] === 0) return;
    this.live[h.slot] = 0;
    this.generations[h.slot]++;
    this.clearSyn(h.s, h.i);
    if (h.j >= 0) {
      this.clearAns(h.a!, h.j);
      this.freeAnswers.push(h.p);
      h.a = null;
      h.j = -1;
      h.p = -1;
      this.answers--;
    }
    this.freeSlots.push(h.slot);
    this.size--;
  }

  generation(h: H): number {
    return this.generations[h.slot];
  }

  /** Gives the row an answer place, every answer field at its starting value. */
  answer(h: RowHandle): void {
    let p = this.freeAnswers.pop();
    if (p === undefined) {
      p = this.answersUsed++;
      if (p / SEGMENT >= this.answerSegments.length) this.answerSegments.push(new Segment(this.ans.numbers, this.ans.ints, this.ans.booleans, this.ans.refs));
    }
    const s = this.answerSegments[p / SEGMENT | 0];
    h.a = s;
    h.j = p % SEGMENT;
    h.p = p;
    this.initAns(s, h.j);
    this.answers++;
  }

  /** Bytes held by the segments (not by the objects their reference columns point to). */
  get bytes(): number {
    const per = (l: Layout) => SEGMENT * (8 * l.numbers + 4 * l.ints + l.booleans + 8 * l.refs);
    return this.segments.length * per(this.syn) + this.answerSegments.length * per(this.ans);
  }
}
