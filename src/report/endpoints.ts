/**
 * Per server endpoint: verdict counts, a diagnosis in an SRE's words, and the commands to run
 * next. Aggregated attempt by attempt (bounded state per endpoint), so a capture of any size
 * needs memory only for its endpoints.
 */
import type { Attempt } from '../handshake/attempt.js';
import { hopsOf } from '../model/ttl.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { VERDICTS, verdictIndex, type Verdict } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';
import { vlanIds } from '../flow/table.js';

/** `ip:port`, with ` vlan N.M` when tagged: how endpoints are named in text. */
export function endpointKey(ip: string, port: number, vlans: readonly number[] | undefined): string {
  const ep = endpointToString(ip, port);
  return vlans?.length ? `${ep} vlan ${vlans.join('.')}` : ep;
}
import type { EndpointReport } from './model.js';
import { diagnose } from './diagnosis.js';

const MAX_RUNS = 64;
const MAX_SENDERS = 8;

export interface Run { up: boolean; first: string; last: string; n: number }

export class EndpointAggregate {
  attempts = 0;
  /** Attempts per verdict, by verdictIndex. */
  readonly counts = new Int32Array(VERDICTS.length);
  first = '';
  last = '';
  /** Established / refused alternation, in order of first SYN (for "went away and came back"). */
  readonly runs: Run[] = [];
  runsTruncated = false;
  readonly rejectSenders = new Map<string, { name: string; own: boolean }>();
  readonly unreachSenders = new Map<string, string>();
  forgedHops: number | null = null;
  delayedEstablished = 0;
  /** Rejected attempts that got no ICMP of their own (icmp-rate-limited), and attempts judged without the server's direction. */
  rateLimited = 0;
  oneSided = 0;
  /** The JSON report writer's text for this server (see writeAttemptJson). */
  jsonBytes: Uint8Array | null = null;

  constructor(readonly ip: string, readonly port: number, readonly vlans: readonly number[] = []) {}

  private countFlags(v: Verdict, flags: readonly string[]): void {
    if (v === 'established' && flags.includes('backlog-drop')) this.delayedEstablished++;
    if (v === 'rejected' && flags.includes('icmp-rate-limited')) this.rateLimited++;
    if (v !== 'established' && flags.includes('one-sided')) this.oneSided++;
  }

  /**
   * One attempt into the aggregate, read from the engine's attempt without building its report:
   * `start` is its ISO start time. Only what the aggregate keeps is computed.
   */
  addAttempt(a: Attempt, start: string, serverTtl: number): void {
    const v = a.verdict;
    this.attempts++;
    this.counts[verdictIndex(v)]++;
    if (!this.first) this.first = start;
    this.last = start;
    if (v === 'established' || v === 'refused') {
      const up = v === 'established';
      const r = this.runs[this.runs.length - 1];
      if (r && r.up === up) { r.last = start; r.n++; } else if (this.runs.length < MAX_RUNS) this.runs.push({ up, first: start, last: start, n: 1 });
      else this.runsTruncated = true;
    }
    if (a.icmpT >= 0 && ((v === 'rejected' && this.rejectSenders.size < MAX_SENDERS) || (v === 'unreachable' && this.unreachSenders.size < MAX_SENDERS))) {
      const sender = a.icmpSenderIp();
      const name = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name;
      if (v === 'rejected') this.rejectSenders.set(sender, { name, own: sender === this.ip });
      else this.unreachSenders.set(sender, name);
    }
    if (v === 'forged-reset' && this.forgedHops === null && a.rstT >= 0 && a.rstTtl >= 0 && serverTtl >= 0) this.forgedHops = hopsOf(serverTtl) - hopsOf(a.rstTtl);
    this.countFlags(v, a.flags);
  }
}

/** Keeps one aggregate per server endpoint, in order of first appearance. */
export class EndpointTable {
  private readonly map = new Map<unknown, EndpointAggregate>();

  /**
   * The aggregate of an engine attempt's server endpoint, created on first use. Its `ip` is the server address as text, made once per endpoint.
   */
  of(a: Attempt): EndpointAggregate {
    const entry = a.endpoint;
    let e = entry ? this.map.get(entry) : undefined;
    if (e) return e;
    const ip = a.serverIpText();
    const key = entry ?? endpointKey(ip, a.sport, vlanIds(a.vlan));
    e = this.map.get(key);
    if (!e) this.map.set(key, (e = new EndpointAggregate(ip, a.sport, vlanIds(a.vlan))));
    return e;
  }

  reports(): EndpointReport[] {
    const all = [...this.map.values()].filter((e) => e.attempts > 0);
    return all.map((e) => {
      const d = diagnose(e, all);
      const verdicts: Partial<Record<Verdict, number>> = {};
      for (const v of VERDICTS) if (e.counts[verdictIndex(v)]) verdicts[v] = e.counts[verdictIndex(v)];
      return { server: { ip: e.ip, port: e.port }, ...(e.vlans.length ? { vlan: [...e.vlans] } : {}), attempts: e.attempts, verdicts, diagnosis: d.parts.join('; '), diagnosisCode: d.codes[0] ?? 'none', diagnosisCodes: d.codes, hints: d.hints, first: e.first, last: e.last };
    });
  }
}

