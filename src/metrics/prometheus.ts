/**
 * synscope's Prometheus metrics (prom-client), for `synscope live --metrics`: what the analysis
 * decided, per verdict and server endpoint, and how the capture keeps up.
 *
 * Verdicts are counted from each attempt's *final* report (AnalyzeOptions.onFinal), never from
 * the first decision: a verdict streamed early can still be revised by a late answer, and a
 * counter cannot give a count back. Counting final verdicts means every attempt is counted once,
 * under the verdict that the JSON report and the summary give it; the price is latency (the
 * hold time after the decision, 10 s of capture time by default, longer while an unanswered
 * client still retransmits). How often verdicts changed before they became final is counted
 * separately (`synscope_verdict_revisions_total{from, to}`).
 *
 * Capture and engine counters live in the capture and the engine already; they are read at each
 * scrape (`watch`), so the packet path does no metrics work at all. Attempt counts are kept in a
 * typed array by (server label, verdict) and handed to prom-client at each scrape as well: its
 * `inc()` hashes the label set on every call (about 1.4 us), which a flood of attempts would pay.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { VERDICTS, verdictIndex, type Verdict } from '../model/verdict.js';
import type { AttemptReport } from '../report/model.js';
import { endpointKey } from '../report/endpoints.js';
import { plural } from '../report/table.js';
import { EndpointLabels, OTHER, type EndpointLabelOptions } from './endpoint-labels.js';

/** SYN to SYN-ACK, in seconds: from LAN (0.1 ms) to a satellite link with retries (5 s). */
export const RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the capture has counted so far (LiveStats has these). */
export interface CaptureCounts {
  packets: number;
  shed: number;
  shedSyn: number;
  truncated: number;
  queued: number;
  queueSlots: number;
}

/** What the handshake engine has counted so far (HandshakeEngine.stats and midstream). */
export interface EngineCounts {
  evicted: number;
  forgotten: number;
  midstream: number;
}

export type CaptureErrorKind = 'analysis' | 'write';

export interface MetricsOptions extends EndpointLabelOptions {
  /** synscope's version, for synscope_build_info. */
  version: string;
  /** prom-client's process and Node.js runtime metrics (default true). */
  processMetrics?: boolean;
}

/** A counter that mirrors a running total kept elsewhere: it takes the difference at each scrape. */
function mirror(registry: Registry, name: string, help: string, read: () => number | undefined): void {
  let last = 0;
  new Counter({
    name, help, registers: [registry],
    collect() {
      const now = read();
      if (now !== undefined && now > last) { this.inc(now - last); last = now; }
    },
  });
}

export class SynscopeMetrics {
  readonly registry = new Registry();
  readonly labels: EndpointLabels;
  private readonly attempts: Counter<'verdict' | 'server'>;
  private readonly revisions: Counter<'from' | 'to'>;
  private readonly rtt: Histogram<'server'>;
  private readonly errors: Counter<'kind'>;
  /** Label values of `server` by slot (slot 0 is `other`), and their slots. */
  private readonly servers: string[] = [OTHER];
  private readonly slots = new Map<string, number>([[OTHER, 0]]);
  /** Attempts counted, and attempts handed to prom-client, by slot * VERDICTS.length + verdictIndex. */
  private readonly counted: Float64Array;
  private readonly published: Float64Array;
  private capture: (() => CaptureCounts) | null = null;
  private engine: (() => EngineCounts) | null = null;

  constructor(opts: MetricsOptions) {
    const r = this.registry;
    this.labels = new EndpointLabels(opts);
    this.counted = new Float64Array((this.labels.limit + 1) * VERDICTS.length);
    this.published = new Float64Array(this.counted.length);
    const self = this;
    this.attempts = new Counter({
      name: 'synscope_attempts_total',
      help: `Connection attempts (client SYN sequences) by final verdict and server endpoint ip:port (at most ${plural(this.labels.limit, 'endpoint')}, each once it has ${plural(this.labels.promoteAfter, 'attempt')}; the rest count as "other")`,
      labelNames: ['verdict', 'server'], registers: [r],
      collect() { self.publish(this); },
    });
    this.revisions = new Counter({
      name: 'synscope_verdict_revisions_total',
      help: 'Verdicts changed by a later packet (an answer after the handshake timeout) before they became final',
      labelNames: ['from', 'to'], registers: [r],
    });
    this.rtt = new Histogram({
      name: 'synscope_handshake_rtt_seconds',
      help: 'Round-trip time from the answered SYN to the first SYN-ACK, by server endpoint',
      labelNames: ['server'], buckets: RTT_BUCKETS, registers: [r],
    });
    this.errors = new Counter({
      name: 'synscope_capture_errors_total',
      help: 'Errors that stopped the capture (analysis: processing a packet failed; write: writing the -w file failed)',
      labelNames: ['kind'], registers: [r],
    });
    // Series that exist from the start, at 0: increase() and rate() see their first rise.
    for (const verdict of VERDICTS) this.attempts.inc({ verdict, server: OTHER }, 0);
    for (const kind of ['analysis', 'write'] as const) this.errors.inc({ kind }, 0);
    this.labels.onPromote = (server) => {
      this.slots.set(server, this.servers.length);
      this.servers.push(server);
      for (const verdict of VERDICTS) this.attempts.inc({ verdict, server }, 0);
    };

    mirror(r, 'synscope_packets_total', 'Packets libpcap delivered (captured by the filter)', () => this.capture?.().packets);
    mirror(r, 'synscope_packets_shed_total', 'Captured packets shed, not analysed, because the analysis fell behind and the queue was full', () => this.capture?.().shed);
    mirror(r, 'synscope_packets_shed_syn_total', 'Shed packets that were SYNs (connection attempts missing from the counts)', () => this.capture?.().shedSyn);
    mirror(r, 'synscope_packets_truncated_total', 'Captured packets cut by the snap length', () => this.capture?.().truncated);
    mirror(r, 'synscope_attempts_decided_early_total', 'Attempts decided before their time because the attempt table was full (a SYN flood; raise --max-attempts)', () => this.engine?.().evicted);
    mirror(r, 'synscope_attempts_forgotten_total', 'Decided attempts forgotten before their quiet time ended because the attempt table was full', () => this.engine?.().forgotten);
    mirror(r, 'synscope_midstream_flows_total', 'TCP flows seen without their SYN (not attempts)', () => this.engine?.().midstream);
    new Gauge({
      name: 'synscope_queue_packets', help: 'Packets waiting in the queue between capture and analysis', registers: [r],
      collect() { const c = self.capture?.(); if (c) this.set(c.queued); },
    });
    new Gauge({
      name: 'synscope_queue_capacity_packets', help: 'Packets the queue between capture and analysis holds (--queue)', registers: [r],
      collect() { const c = self.capture?.(); if (c) this.set(c.queueSlots); },
    });
    new Gauge({
      name: 'synscope_build_info', help: 'synscope version and Node.js version (always 1)',
      labelNames: ['version', 'node'], registers: [r],
    }).set({ version: opts.version, node: process.version }, 1);
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: r });
  }

  /** Where the capture and engine counters are read at each scrape. */
  watch(capture: () => CaptureCounts, engine: () => EngineCounts): void {
    this.capture = capture;
    this.engine = engine;
  }

  /** An attempt's final report (AnalyzeOptions.onFinal): counted once, under its final verdict. */
  final(a: AttemptReport): void {
    const server = this.labels.label(endpointKey(a.server.ip, a.server.port, a.vlan));
    this.counted[this.slots.get(server)! * VERDICTS.length + verdictIndex(a.verdict)]++;
    if (a.rttMs !== null) this.rtt.observe({ server }, a.rttMs / 1000);
  }

  /** Hands the attempts counted since the last scrape to prom-client's counter. */
  private publish(counter: Counter<'verdict' | 'server'>): void {
    const n = VERDICTS.length;
    for (let slot = 0; slot < this.servers.length; slot++) {
      for (let v = 0; v < n; v++) {
        const i = slot * n + v;
        const delta = this.counted[i] - this.published[i];
        if (delta > 0) {
          counter.inc({ verdict: VERDICTS[v], server: this.servers[slot] }, delta);
          this.published[i] = this.counted[i];
        }
      }
    }
  }

  /** A verdict already streamed changed before it became final (AnalyzeOptions.onRevision). */
  revision(previous: Verdict, now: Verdict): void {
    if (previous !== now) this.revisions.inc({ from: previous, to: now });
  }

  captureError(kind: CaptureErrorKind): void {
    this.errors.inc({ kind });
  }

  /** The text exposition format (version 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
