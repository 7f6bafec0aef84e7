/**
 * Streams the final attempt reports (AnalyzeOptions.onFinal) into what the HTML report needs,
 * without keeping every report: a compact timeline (time, lane, verdict: 17 bytes an attempt)
 * and a bounded choice of attempts to draw as ladders (the failing ones, spread over endpoints
 * and verdicts, and a sample of healthy ones). The choice is made as attempts arrive, so memory
 * stays bounded whatever the capture holds; what was left out is counted for the report to say.
 */
import { VERDICTS, verdictIndex, type Verdict } from '../../model/verdict.js';
import { endpointToString } from '../../util/ip.js';
import { parseIsoTime } from '../../util/time.js';
import type { AttemptReport, EndpointReport } from '../model.js';

export interface SelectionLimits {
  /** Ladders for failing attempts, at most (default 300). */
  failing?: number;
  /** Of those, at most this many per endpoint and verdict (default 10), so every kind gets some. */
  perGroup?: number;
  /** Ladders for healthy (established) attempts, at most (default 20). */
  healthy?: number;
  /** Of those, at most this many per endpoint (default 2). */
  healthyPerEndpoint?: number;
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

export class LadderSelection {
  /** Attempts seen. */
  count = 0;
  /** Seconds after the first attempt's SYN, per attempt. */
  times = new Float64Array(1024);
  verdicts = new Uint8Array(1024);
  lanes = new Int32Array(1024);
  /** Index into `chosen`, or -1 without a ladder. */
  ladders = new Int32Array(1024);
  /** Endpoint keys in order of their first attempt (lane number = position). */
  readonly laneKeys: string[] = [];
  readonly chosen: LadderChoice[] = [];
  /** `client ip:port` of the first `limits.clients` attempts. */
  readonly clients: string[] = [];
  /** Attempts left without a ladder, by verdict (failing and healthy ones apart). */
  readonly leftOutFailing: Partial<Record<Verdict, number>> = {};
  leftOutHealthy = 0;
  /** The first attempt's SYN time, [seconds, nanoseconds]. */
  base: [number, number] | null = null;
  /** The first attempt's `start` (ISO-8601), '' before any. */
  firstStart = '';
  private readonly laneOf = new Map<string, number>();
  private readonly groups = new Map<string, number>();
  /** The latest chosen attempt per 4-tuple, until another attempt on the tuple bounds it. */
  private readonly open = new Map<string, LadderChoice>();
  private failingChosen = 0;
  private healthyChosen = 0;
  private readonly limits: Required<SelectionLimits>;

  constructor(limits: SelectionLimits = {}) {
    this.limits = { failing: 300, perGroup: 10, healthy: 20, healthyPerEndpoint: 2, clients: 2000, ...limits };
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
    const choice = this.take(a, key) ? { index: i, attempt: a, start, until: null } : null;
    this.ladders[i] = choice ? this.chosen.length : -1;
    if (choice) {
      this.chosen.push(choice);
      this.open.set(tuple, choice);
    }
  }

  /** Whether this attempt gets a ladder (counts it either way). */
  private take(a: AttemptReport, endpoint: string): boolean {
    const failing = isFailing(a);
    const group = failing ? `${endpoint} ${a.verdict}` : endpoint;
    const n = this.groups.get(group) ?? 0;
    const ok = failing
      ? this.failingChosen < this.limits.failing && n < this.limits.perGroup
      : this.healthyChosen < this.limits.healthy && n < this.limits.healthyPerEndpoint;
    if (!ok) {
      if (failing) this.leftOutFailing[a.verdict] = (this.leftOutFailing[a.verdict] ?? 0) + 1;
      else this.leftOutHealthy++;
      return false;
    }
    this.groups.set(group, n + 1);
    if (failing) this.failingChosen++;
    else this.healthyChosen++;
    return true;
  }

  private grow(): void {
    const n = this.times.length * 2;
    const times = new Float64Array(n); times.set(this.times); this.times = times;
    const verdicts = new Uint8Array(n); verdicts.set(this.verdicts); this.verdicts = verdicts;
    const lanes = new Int32Array(n); lanes.set(this.lanes); this.lanes = lanes;
    const ladders = new Int32Array(n); ladders.set(this.ladders); this.ladders = ladders;
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
