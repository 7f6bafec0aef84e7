/**
 * Prometheus metrics for live capture: the counters (prometheus.ts), the bounded `server` label
 * (endpoint-labels.ts) and the HTTP endpoint (server.ts). Loaded only when metrics are asked for:
 * prom-client takes about 60 ms to load.
 */
import { SynscopeMetrics, type MetricsOptions } from './prometheus.js';
import { serveMetrics, type ListenAddress, type MetricsServer } from './server.js';

export { SynscopeMetrics, RTT_BUCKETS, type CaptureCounts, type EngineCounts, type MetricsOptions, type CaptureErrorKind } from './prometheus.js';
export { EndpointLabels, OTHER, DEFAULT_LABELLED_ENDPOINTS, DEFAULT_PROMOTE_AFTER, type EndpointLabelOptions } from './endpoint-labels.js';
export { parseListenAddress, serveMetrics, DEFAULT_METRICS_HOST, type ListenAddress, type MetricsServer, type MetricsSource } from './server.js';

/** The metrics, served at `address` (`text`: how the user wrote it, for error messages). */
export async function startMetrics(opts: MetricsOptions & { address: ListenAddress; text?: string }): Promise<{ metrics: SynscopeMetrics; server: MetricsServer }> {
  const metrics = new SynscopeMetrics(opts);
  const server = await serveMetrics(metrics, opts.address, opts.text);
  return { metrics, server };
}
