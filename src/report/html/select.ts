/**
 * Streams the final attempt reports (AnalyzeOptions.onFinal) into what the HTML report needs,
 * without keeping every report: a compact timeline (time, lane, verdict: 17 bytes an attempt)
 * and a bounded choice of attempts to draw as ladders. The choice is a uniform sample per kind
 * (each failing verdict, established attempts that a listen queue delayed, healthy ones),
 * reservoir-sampled as attempts arrive (Vitter's algorithm R) with a fixed seed: spread over the
 * whole capture and over endpoints, the same for the same capture, and bounded in memory. A kind
 * with fewer attempts than its sample size is drawn whole, so small captures get every ladder.
 */
import { VERDICTS, verdictIndex, type Verdict } from '../../model/verdict.js';
import { endpointToString } from '../../util/ip.js';
import { parseIsoTime } from '../../util/time.js';
import type { AttemptReport, EndpointReport } from '../model.js';

export interface SelectionLimits {
  /** Ladders per failing verdict, at most (default 40). */
  perVerdict?: number;
  /** Ladders for healthy (established) attempts, at most (default 20). */
  healthy?: number;
  /** Client address and port are kept for the first this many attempts (default 2000: a timeline with one mark per attempt names them). */
  clients?: number;
}

/** An attempt chosen for a ladder, with the time range its packets can be in. */
export interface LadderChoice {
  /** Position of the attempt in the report's order (0-based). */
  index: number;
  attempt: AttemptReport;
  /** The first SYN's time, [seconds, nanoseconds]. */
  start: [number, number];
  /** The next attempt on the same addresses and ports starts here: later packets are its own. */
  until: [number, number] | null;
}

/** Server endpoint key: address, port and VLAN IDs, as the report's endpoints are told apart. */
export function endpointKey(server: { ip: string; port: number }, vlan?: number[]): string {
  return `${endpointToString(server.ip, server.port)}${vlan?.length ? ` vlan ${vlan.join('.')}` : ''}`;
}

/** An attempt that needs a look: not established, or established after a listen-queue drop. */
export function isFailing(a: AttemptReport): boolean {
  return a.verdict !== 'established' || a.flags.includes('backlog-drop') || a.flags.includes('data-unacked');
}

/** The sample an attempt belongs to: its verdict, `established (delayed)` or `healthy`. */
export function sampleKind(a: AttemptReport): string {
  return !isFailing(a) ? 'healthy' : a.verdict === 'established' ? 'established (delayed)' : a.verdict;
}

interface Chosen extends LadderChoice {
  tuple: string;
}

/** One kind's reservoir. */
interface Sample {
  size: number;
  seen: number;
  kept: Chosen[];
}

export class LadderSelection {
  /** Attempts seen. */
  count = 0;
  /** Seconds after the first attempt's SYN, per attempt. */
  times = new Float64Array(1024);
  verdicts = new Uint8Array(1024);
  lanes = new Int32Array(1024);
  /** 1 for an attempt with a ladder, 0 without. */
  ladders = new Uint8Array(1024);
  /** Endpoint keys in order of their first attempt (lane number = position). */
  readonly laneKeys: string[] = [];
  /** `client ip:port` of the first `limits.clients` attempts. */
  readonly clients: string[] = [];
  /** The first attempt's SYN time, [seconds, nanoseconds]. */
  base: [number, number] | null = null;
  /** The first attempt's `start` (ISO-8601), '' before any. */
  firstStart = '';
  private readonly laneOf = new Map<string, number>();
  private readonly samples = new Map<string, Sample>();
  /** The latest chosen attempt per 4-tuple, until another attempt on the tuple bounds it. */
  private readonly open = new Map<string, Chosen>();
  private readonly limits: Required<SelectionLimits>;
  /** A fixed-seed generator (mulberry32): the same capture gives the same report. */
  private seed = 0x5eed1e55;

  constructor(limits: SelectionLimits = {}) {
    this.limits = { perVerdict: 40, healthy: 20, clients: 2000, ...limits };
  }

  /** Takes one final attempt report (in order of first SYN). */
  add(a: AttemptReport): void {
    const start = parseIsoTime(a.start) ?? [0, 0];
    if (this.base === null) {
      this.base = start;
      this.firstStart = a.start;
    }
    const i = this.count++;
    if (i === this.times.length) this.grow();
    const key = endpointKey(a.server, a.vlan);
    let lane = this.laneOf.get(key);
    if (lane === undefined) {
      lane = this.laneKeys.length;
      this.laneKeys.push(key);
      this.laneOf.set(key, lane);
    }
    this.times[i] = (start[0] - this.base[0]) + (start[1] - this.base[1]) / 1e9;
    this.verdicts[i] = verdictIndex(a.verdict);
    this.lanes[i] = lane;
    const client = endpointToString(a.client.ip, a.client.port);
    if (i < this.limits.clients) this.clients.push(client);
    const tuple = `${client} ${key}`;
    const before = this.open.get(tuple);
    if (before) {
      before.until = start;
      this.open.delete(tuple);
    }
    const kind = sampleKind(a);
    let s = this.samples.get(kind);
    if (!s) {
      s = { size: kind === 'healthy' ? this.limits.healthy : this.limits.perVerdict, seen: 0, kept: [] };
      this.samples.set(kind, s);
    }
    s.seen++;
    const slot = s.kept.length < s.size ? s.kept.length : Math.floor(this.random() * s.seen);
    if (slot >= s.size) return;
    const old = s.kept[slot];
    if (old) {
      this.ladders[old.index] = 0;
      if (this.open.get(old.tuple) === old) this.open.delete(old.tuple);
    }
    const c: Chosen = { index: i, attempt: a, start, until: null, tuple };
    s.kept[slot] = c;
    this.ladders[i] = 1;
    this.open.set(tuple, c);
  }

  /** The attempts to draw, in report order. */
  get chosen(): LadderChoice[] {
    const all: LadderChoice[] = [];
    for (const s of this.samples.values()) for (const c of s.kept) all.push({ index: c.index, attempt: c.attempt, start: c.start, until: c.until });
    return all.sort((x, y) => x.index - y.index);
  }

  /** Per kind: attempts seen and left without a ladder (kinds with none left out are omitted). */
  leftOut(): Array<{ kind: string; seen: number; left: number }> {
    const out: Array<{ kind: string; seen: number; left: number }> = [];
    const order = [...VERDICTS, 'established (delayed)', 'healthy'];
    for (const kind of order) {
      const s = this.samples.get(kind);
      if (s && s.seen > s.kept.length) out.push({ kind, seen: s.seen, left: s.seen - s.kept.length });
    }
    return out;
  }

  /** Sample sizes, for the report to say how the ladders were chosen. */
  get sizes(): { perVerdict: number; healthy: number } {
    return { perVerdict: this.limits.perVerdict, healthy: this.limits.healthy };
  }

  private random(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n); times.set(this.times); this.times = times;
    const verdicts = new Uint8Array(n); verdicts.set(this.verdicts); this.verdicts = verdicts;
    const lanes = new Int32Array(n); lanes.set(this.lanes); this.lanes = lanes;
    const ladders = new Uint8Array(n); ladders.set(this.ladders); this.ladders = ladders;
  }

  /** The verdict of attempt `i`. */
  verdictOf(i: number): Verdict {
    return VERDICTS[this.verdicts[i]];
  }

  /** The report's endpoints by lane (undefined where the report has none of that key). */
  endpointsByLane(endpoints: EndpointReport[]): Array<EndpointReport | undefined> {
    const byKey = new Map(endpoints.map((e) => [endpointKey(e.server, e.vlan), e]));
    return this.laneKeys.map((k) => byKey.get(k));
  }
}
