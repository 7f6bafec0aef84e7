/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` on the address of `--metrics [HOST:]PORT`
 * (HOST 127.0.0.1 unless given: metrics say which services fail, which is not for everyone).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SynscopeError } from '../errors.js';
import { endpointToString, parseIp } from '../util/ip.js';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

export interface ListenAddress {
  host: string;
  port: number;
}

function bad(option: string, text: string, why: string): SynscopeError {
  return new SynscopeError('ERR_USAGE', `${option} "${text}": ${why}; give [HOST:]PORT, e.g. 9464, 127.0.0.1:9464 or [::1]:9464`);
}

/**
 * `[HOST:]PORT`: `9464`, `:9464`, `127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`. HOST is an
 * IPv4 address, an IPv6 address in brackets, or a name; PORT 0-65535 (0: any free port).
 */
export function parseListenAddress(text: string, option = '--metrics'): ListenAddress {
  const t = text.trim();
  let host = DEFAULT_METRICS_HOST;
  let portText = t;
  if (t.startsWith('[')) {
    const end = t.indexOf(']');
    if (end < 0 || t[end + 1] !== ':') throw bad(option, text, 'an IPv6 address goes in brackets followed by :PORT');
    host = t.slice(1, end);
    portText = t.slice(end + 2);
    if (parseIp(host)?.version !== 6) throw bad(option, text, `"${host}" is not an IPv6 address`);
  } else if (t.includes(':')) {
    const at = t.lastIndexOf(':');
    if (t.indexOf(':') !== at) throw bad(option, text, 'an IPv6 address goes in brackets ([::1]:9464)');
    if (at > 0) host = t.slice(0, at);
    portText = t.slice(at + 1);
    if (/^[\d.]+$/.test(host) && parseIp(host) === null) throw bad(option, text, `"${host}" is not an IPv4 address`);
    if (parseIp(host) === null && !/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(host)) {
      throw bad(option, text, `"${host}" is neither an address nor a host name`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad(option, text, `the port must be a number 0-65535${portText === '' ? ', and it is missing' : ''}`);
  return { host, port: Number(portText) };
}

/** Where metrics are served, and how to stop serving them. */
export interface MetricsServer {
  /** The address and port listened on (the real port when 0 was asked for). */
  readonly address: ListenAddress;
  /** `http://HOST:PORT/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

export interface MetricsSource {
  text(): Promise<string>;
  readonly contentType: string;
}

/** What went wrong binding the address, in one line that says what to do. */
function listenError(e: NodeJS.ErrnoException, option: string, text: string): SynscopeError {
  const at = `${option} ${text}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return new SynscopeError('ERR_USAGE', `${at}: the port is already in use (another synscope or exporter listens there); choose another port`, { cause: e });
    case 'EADDRNOTAVAIL':
      return new SynscopeError('ERR_USAGE', `${at}: no interface of this host has that address; use 127.0.0.1, [::1] or one of the host's addresses`, { cause: e });
    case 'EACCES':
      return new SynscopeError('ERR_USAGE', `${at}: no permission to listen there (ports below 1024 need root or CAP_NET_BIND_SERVICE); use a port above 1023, e.g. 9464`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new SynscopeError('ERR_USAGE', `${at}: the host name cannot be resolved; give an address (127.0.0.1, [::1])`, { cause: e });
    default:
      return new SynscopeError('ERR_USAGE', `${at}: cannot listen there (${e.code ?? e.message})`, { cause: e });
  }
}

function respond(source: MetricsSource, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('synscope: metrics are at /metrics\n');
    return;
  }
  if (path !== '/metrics') {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: metrics are at /metrics\n');
    return;
  }
  source.text().then(
    (body) => { res.writeHead(200, { 'content-type': source.contentType }).end(req.method === 'HEAD' ? undefined : body); },
    (e: unknown) => { res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`collecting metrics failed: ${(e as Error).message}\n`); },
  );
}

/**
 * Serves `source` at /metrics on `address`. Rejects with a one-line SynscopeError when the
 * address cannot be bound (in use, not this host's, no permission); `text` is how the user wrote it.
 */
export function serveMetrics(source: MetricsSource, address: ListenAddress, text = endpointToString(address.host, address.port), option = '--metrics'): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => respond(source, req, res));
  // Scrapers come every few seconds at most: a slow or stuck client must not hold a socket open.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 30_000;
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(listenError(e, option, text)));
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => {
      // Once bound, only accept() failures (EMFILE) come as errors: the next scrape tries again.
      server.removeAllListeners('error');
      server.on('error', () => {});
      const a = server.address() as AddressInfo;
      const bound = { host: a.address, port: a.port };
      // The capture must not stay alive for the HTTP server alone (it is closed at the end anyway).
      server.unref();
      resolve({
        address: bound,
        url: `http://${endpointToString(bound.host, bound.port)}/metrics`,
        close: () => new Promise<void>((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
