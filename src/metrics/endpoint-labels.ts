/**
 * The `server` label of synscope's metrics, with bounded cardinality: at most `limit` server
 * endpoints get a label value of their own, every other attempt is counted under `other`.
 *
 * Counters only go up, so an attempt counted under one label value can never be moved to
 * another: the label an attempt is counted under is decided when it is counted, and an endpoint
 * that has a label of its own keeps it for the life of the process (a demotion would make the
 * endpoint's series stop while `other` jumped, which `increase()` reads as a burst). So:
 *
 * - an endpoint is *promoted* at its `promoteAfter`-th attempt, while fewer than `limit` endpoints
 *   are promoted; that attempt and every later one are counted under its own label, the earlier
 *   ones stay in `other`. Summed over `server`, every count is exact.
 * - the attempts of endpoints not (yet) promoted are counted in a table of at most `candidates`
 *   endpoints; when it is full, the endpoint seen least recently is forgotten. A port scan (one
 *   attempt to each of thousands of endpoints) therefore promotes nothing and cannot take the
 *   labels from the services that have steady traffic; memory stays bounded.
 *
 * This approximates "the top N endpoints by attempts" for a counter: the busiest endpoints reach
 * the threshold first, and once the N labels are taken the set no longer changes.
 */

export const OTHER = 'other';

/** Endpoints with a label of their own by default (`--metrics-endpoints`). */
export const DEFAULT_LABELLED_ENDPOINTS = 20;
/** Attempts an endpoint needs before it gets a label of its own. */
export const DEFAULT_PROMOTE_AFTER = 3;

export interface EndpointLabelOptions {
  /** Endpoints that may get a label of their own (0: every attempt is `other`). */
  limit?: number;
  /** The attempt of an endpoint at which it is promoted (1: the first N endpoints seen). */
  promoteAfter?: number;
  /** Endpoints whose attempts are counted while they wait for promotion. */
  candidates?: number;
}

export class EndpointLabels {
  readonly limit: number;
  readonly promoteAfter: number;
  readonly candidates: number;
  private readonly promoted = new Set<string>();
  /** Attempts of endpoints waiting for promotion, least recently seen first (Map order). */
  private readonly waiting = new Map<string, number>();
  /** Called once per promoted endpoint, before its first attempt is counted under its label. */
  onPromote: ((endpoint: string) => void) | null = null;

  constructor(opts: EndpointLabelOptions = {}) {
    this.limit = opts.limit ?? DEFAULT_LABELLED_ENDPOINTS;
    this.promoteAfter = opts.promoteAfter ?? DEFAULT_PROMOTE_AFTER;
    this.candidates = opts.candidates ?? Math.max(1024, 16 * this.limit);
    if (!Number.isInteger(this.limit) || this.limit < 0) throw new RangeError(`endpoint label limit must be a whole number, not ${this.limit}`);
    if (!Number.isInteger(this.promoteAfter) || this.promoteAfter < 1) throw new RangeError(`promoteAfter must be a whole number above 0, not ${this.promoteAfter}`);
    if (!Number.isInteger(this.candidates) || this.candidates < 1) throw new RangeError(`candidates must be a whole number above 0, not ${this.candidates}`);
  }

  /** The label value to count one more attempt of this endpoint under. */
  label(endpoint: string): string {
    if (this.promoted.has(endpoint)) return endpoint;
    // Every label is taken: nothing can change any more, so nothing is tracked either.
    if (this.promoted.size >= this.limit) {
      if (this.waiting.size) this.waiting.clear();
      return OTHER;
    }
    const n = (this.waiting.get(endpoint) ?? 0) + 1;
    this.waiting.delete(endpoint);
    if (n >= this.promoteAfter) {
      this.promoted.add(endpoint);
      this.onPromote?.(endpoint);
      return endpoint;
    }
    this.waiting.set(endpoint, n);
    if (this.waiting.size > this.candidates) this.waiting.delete(this.waiting.keys().next().value!);
    return OTHER;
  }

  /** Endpoints with a label of their own, in the order they were promoted. */
  get labelled(): string[] {
    return [...this.promoted];
  }

  /** Endpoints whose attempts are being counted towards promotion. */
  get tracked(): number {
    return this.waiting.size;
  }
}
