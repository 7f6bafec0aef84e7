/**
 * `synscope live` and `synscope devices`: live capture through cap (src/capture/live.ts) into the
 * same Analysis that reads files. Verdicts stream as they are decided; the engine clock is moved
 * every 200 ms while the wire is silent, so an unanswered SYN becomes `filtered` once the
 * handshake timeout (plus the engine's answer grace) has passed without any packet.
 *
 * Packets reach the analysis through a bounded queue (src/capture/live-queue.ts): when the
 * analysis falls behind, packets are shed and counted, and the summary says how many. Attempt
 * reports are not collected (only counted), so memory does not grow with the length of a capture.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Analysis } from '../analyze.js';
import {
  DEFAULT_BUFFER_SIZE, DEFAULT_FILTER, DEFAULT_QUEUE_SLOTS, DEFAULT_SNAPLEN, FULL_FILTER, LiveClock, listDevices, openLive,
  type LiveHandle, type LiveStats,
} from '../capture/live.js';
import { PcapngWriter, PcapWriter } from '../capture/writer.js';
import { SynscopeError } from '../errors.js';
import { linkTypeName } from '../model/linktypes.js';
import { DEFAULT_LABELLED_ENDPOINTS, DEFAULT_PROMOTE_AFTER } from '../metrics/endpoint-labels.js';
import type { SynscopeMetrics } from '../metrics/prometheus.js';
import { parseListenAddress, type MetricsServer } from '../metrics/server.js';
import type { Report } from '../report/model.js';
import { formatHelp, formatNames, openFormat, type FormatName } from '../output/formats.js';
import { checkHosts, checkNotFormat, collectList, failOnLine, outputWidth, parseGrace, parsePorts, parseVerdictOption, usage } from './args.js';

function fmtSec(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

const TICK_MS = 200;

interface LiveCliOptions {
  interface: string;
  filter?: string;
  answerGrace: string;
  format: FormatName;
  duration?: string;
  count?: string;
  write?: string;
  snaplen: string;
  bufferSize: string;
  queue: string;
  maxAttempts?: string;
  handshakeTimeout: string;
  host?: string[];
  port?: string[];
  relinquishPrivileges?: string;
  failOn?: string;
  full?: boolean;
  hints: boolean;
  metrics?: string;
  metricsEndpoints?: string;
}

export function registerLive(program: Command): void {
  program
    .command('live')
    .description('capture on an interface and print each connection attempt\'s verdict the moment it is decided (refusals at once, silent drops after the handshake timeout); summary on Ctrl-C, SIGTERM, --duration or --count')
    .usage('[options] -i <iface> [expression]')
    .argument('[expression...]', 'capture filter (pcap-filter(7)) replacing the default one, as in tcpdump -i IFACE [expression]; the same as -f. Keep ICMP errors in it (e.g. "tcp port 443 or icmp or icmp6")')
    .requiredOption('-i, --interface <iface>', 'interface to capture on (`synscope devices` lists them; `any` for all on Linux)')
    .option('-f, --filter <expression>', 'capture filter (pcap-filter(7)), as tshark -f: replaces the default one (keep "or icmp or icmp6" in it)')
    .addOption(new Option('-F, --format <format>', formatHelp('live')).choices(formatNames('live')).default('table'))
    .option('--metrics <[host:]port>', `serve Prometheus metrics at http://HOST:PORT/metrics (HOST 127.0.0.1 unless given; [::1]:PORT for IPv6)`)
    .option('--metrics-endpoints <n>', `server endpoints that get a \`server\` label of their own in the metrics (the first to reach ${DEFAULT_PROMOTE_AFTER} attempts); the others count as "other" (default: ${DEFAULT_LABELLED_ENDPOINTS})`)
    .option('--duration <seconds>', 'stop after this many seconds')
    .option('-c, --count <packets>', 'stop after this many captured packets')
    .option('-w, --write <file>', 'also write every analysed packet (every captured one, unless the queue shed some) to this file, flushed as packets arrive: classic pcap with nanosecond timestamps, or pcapng if the name ends in .pcapng (then with the capture\'s end time in an interface statistics block)')
    .option('-s, --snaplen <bytes>', 'bytes kept of each packet (64-65535)', String(DEFAULT_SNAPLEN))
    .option('-B, --buffer-size <KiB>', 'libpcap kernel ring in KiB; each packet takes a ~64 KiB slot, so the default holds 512 (raise it for bursty hosts)', String(DEFAULT_BUFFER_SIZE / 1024))
    .option('--queue <packets>', 'packets held between capture and analysis; when the analysis falls behind and the queue is full, packets are shed (counted in the summary) instead of using more memory', String(DEFAULT_QUEUE_SLOTS))
    .option('--full', `capture every TCP and ICMP packet ("${FULL_FILTER}") instead of the cheap default filter`)
    .option('-n', 'accepted for tcpdump habits and ignored: synscope never resolves names (addresses and ports are always numeric)')
    .option('--handshake-timeout <seconds>', 'seconds without any answer before an attempt counts as filtered (it prints about 1 s later: twice the answer grace)', '3')
    .option('--answer-grace <seconds>', 'seconds a RST or ICMP error waits for a racing SYN-ACK before its verdict prints (an unanswered attempt waits the handshake timeout plus twice this)', '0.5')
    .option('--max-attempts <n>', 'most attempts held in memory at once (a SYN flood beyond it is decided early, with a warning)', '100000')
    .option('--host <ip>', 'only attempts from or to this address or prefix (203.0.113.20, 203.0.113.0/24, 2001:db8:2::/64); repeat it or give a comma list', collectList)
    .option('--port <port>', 'only attempts to this server port (also narrows the default capture filter); repeat it or give a comma list', collectList)
    .option('-Z, --relinquish-privileges <user>', 'after opening the interface (and the -w file), switch to this user, as tcpdump -Z does')
    .option('--fail-on <verdicts>', 'exit with status 1 if any attempt has one of these verdicts (comma-separated)')
    .option('--no-hints', 'table format: leave out the next-step commands')
    .action(async (filterWords: string[], o: LiveCliOptions) => runLive(filterWords, o, program.version() ?? 'unknown'));

  program
    .command('devices')
    .description('list the interfaces live capture can use, with their addresses')
    .addOption(new Option('-F, --format <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('-f <value>', 'tshark\'s capture filter; devices takes none').hideHelp())
    .action((o: { format: 'text' | 'json'; f?: string }) => {
      if (o.f !== undefined) {
        checkNotFormat(o.f);
        throw usage('devices takes no capture filter (-f); give it to synscope live -i IFACE -f EXPR');
      }
      const devices = listDevices();
      if (o.format === 'json') {
        process.stdout.write(`${JSON.stringify(devices, null, 2)}\n`);
        return;
      }
      const width = Math.max(4, ...devices.map((d) => d.name.length));
      for (const d of devices) {
        const addrs = d.addresses.map((a) => a.addr).join(', ');
        const notes = [d.loopback ? 'loopback' : '', d.description ?? ''].filter(Boolean).join('; ');
        process.stdout.write(`${d.name.padEnd(width)}  ${addrs || '-'}${notes ? `  (${notes})` : ''}\n`);
      }
    });
}

function positiveNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${what} must be a number above 0, not "${text}"`);
  return n;
}

/** uid and primary gid of a user: /etc/passwd first, then `id` (NSS users). */
function lookupUser(user: string): { uid: number; gid: number } {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === user && f.length >= 4) return { uid: Number(f[2]), gid: Number(f[3]) };
    }
  } catch {
    // no /etc/passwd: ask id
  }
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
  } catch {
    // fall through
  }
  throw usage(`-Z ${user}: no such user`);
}

function dropPrivileges(user: string, who: { uid: number; gid: number }): string {
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function') {
    throw new SynscopeError('ERR_LIVE', `-Z ${user}: this platform cannot switch users`);
  }
  if (process.getuid?.() !== 0 && process.geteuid?.() !== 0) {
    return `synscope: -Z ${user}: not running as root, so there are no root privileges to drop (with setcap'd node the capabilities stay: run as root to use -Z)\n`;
  }
  try {
    // The user's supplementary groups, as tcpdump -Z sets them (initgroups is not in @types/node).
    const initgroups = (process as unknown as { initgroups?: (user: string, gid: number) => void }).initgroups;
    if (typeof initgroups === 'function') initgroups.call(process, user, who.gid);
    else process.setgroups?.([who.gid]);
    process.setgid(who.gid);
    process.setuid(who.uid);
  } catch (e) {
    throw new SynscopeError('ERR_LIVE', `-Z ${user}: cannot switch to uid ${who.uid} gid ${who.gid}: ${(e as Error).message}`, { cause: e });
  }
  let regained = false;
  try {
    process.setuid(0);
    regained = true;
  } catch {
    // expected: root is gone for good
  }
  if (regained) throw new SynscopeError('ERR_LIVE', `-Z ${user}: switching users did not drop root (setuid(0) still works); stopping`);
  return `synscope: dropped root privileges: now running as user ${user} (uid ${who.uid}, gid ${who.gid}); the capture stays open\n`;
}

function captureLine(h: LiveHandle, st: LiveStats, file: string | undefined): string {
  const parts = [`${st.packets} packet${st.packets === 1 ? "" : "s"} captured on ${h.iface}`];
  if (st.truncated) parts.push(`${st.truncated} cut by the snap length ${h.snaplen}`);
  if (st.shed) parts.push(`${st.shed} shed (${st.shedSyn} of them SYNs) because the analysis fell behind, ${st.analysed} analysed`);
  parts.push(st.drops === null ? st.dropsNote : `${st.drops} dropped by libpcap/the kernel`);
  if (file) parts.push(`written to ${file}`);
  return `capture: ${parts.join('; ')}\n`;
}

/** The summary warning about shed packets, or null. */
function shedWarning(st: LiveStats): string | null {
  if (!st.shed) return null;
  const pct = (100 * st.shed / st.packets).toFixed(st.shed * 1000 < st.packets ? 2 : 0);
  return `${st.shed} of ${st.packets} captured packets (${pct} %; ${st.shedSyn} of them SYNs) were shed, not analysed: the analysis fell behind and the queue of ${st.queueSlots} packets / ${st.queueBytes >> 20} MiB between capture and analysis was full; attempts and verdicts are missing for them (packets lost before capture are not counted: ${st.drops === null ? 'libpcap drop counts cannot be had' : `${st.drops} dropped by libpcap`})`;
}

async function runLive(filterWords: string[], o: LiveCliOptions, version: string): Promise<void> {
  const metricsAt = o.metrics === undefined ? null : parseListenAddress(o.metrics);
  if (o.metricsEndpoints !== undefined && o.metrics === undefined) throw usage('--metrics-endpoints sets the labels of --metrics; give --metrics [HOST:]PORT too');
  const endpointsText = o.metricsEndpoints ?? String(DEFAULT_LABELLED_ENDPOINTS);
  const labelled = Number(endpointsText);
  if (!/^\d+$/.test(endpointsText) || labelled > 10_000) throw usage(`--metrics-endpoints takes a number of endpoints, 0..10000, not "${endpointsText}"`);
  const timeout = positiveNumber(o.handshakeTimeout, '--handshake-timeout')!;
  const duration = positiveNumber(o.duration, '--duration');
  const count = positiveNumber(o.count, '--count');
  if (count !== undefined && !Number.isInteger(count)) throw usage(`--count takes a whole number of packets, not "${o.count}"`);
  const snaplen = Number(o.snaplen);
  if (!Number.isInteger(snaplen) || snaplen < 64 || snaplen > 65535) throw usage(`--snaplen must be 64..65535 bytes, not "${o.snaplen}"`);
  const maxAttempts = o.maxAttempts === undefined ? undefined : Number(o.maxAttempts);
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) throw usage(`--max-attempts takes a whole number above 0, not "${o.maxAttempts}"`);
  const queueSlots = Number(o.queue);
  if (!Number.isInteger(queueSlots) || queueSlots < 1 || queueSlots > 1_048_576) throw usage(`--queue takes a number of packets, 1..1048576, not "${o.queue}"`);
  const bufKiB = Number(o.bufferSize);
  if (!Number.isInteger(bufKiB) || bufKiB < 64 || bufKiB > 2 * 1024 * 1024 - 1) throw usage(`--buffer-size takes KiB, 64..2097151, not "${o.bufferSize}"`);
  const ports = parsePorts(o.port);
  checkHosts(o.host);
  const grace = parseGrace(o.answerGrace);
  checkNotFormat(o.filter);
  const failOn = parseVerdictOption(o.failOn, '--fail-on');
  const dropTo = o.relinquishPrivileges ? { user: o.relinquishPrivileges, ...lookupUser(o.relinquishPrivileges) } : null;

  // The capture filter: the user's replaces the default (as with tcpdump); --port narrows the default.
  const positional = filterWords.join(' ').trim();
  if (positional && o.filter !== undefined) throw usage(`the capture filter is given twice (-f "${o.filter}" and "${positional}"): give it once, quoted after -f (-f "${o.filter} ${positional}") or after the options`);
  const userFilter = (o.filter ?? positional).trim();
  if (o.filter !== undefined && !userFilter) throw usage('-f needs a capture filter (pcap-filter(7)), e.g. -f "tcp port 443 or icmp or icmp6"');
  let filter: string;
  let filterText: string;
  if (userFilter) {
    filter = userFilter;
    filterText = `"${userFilter}"`;
  } else {
    filter = o.full ? FULL_FILTER : DEFAULT_FILTER;
    filterText = o.full ? `"${FULL_FILTER}"` : 'default (TCP SYN/RST/FIN, TCP without payload, ICMP errors)';
    if (ports.length) {
      const narrow = ports.map((p) => `tcp port ${p}`).join(' or ');
      filter = `(${filter}) and (not tcp or ${narrow})`;
      filterText += ` for ${ports.map((p) => `port ${p}`).join(', ')}`;
    }
  }

  // Verdict lines are gathered and written once per event-loop turn: in a burst, libpcap hands
  // over many packets per turn, and one write per line would slow down draining its ring.
  let outBuf: Array<string | Uint8Array> = [];
  let outQueued = false;
  const flushOut = () => {
    outQueued = false;
    if (!outBuf.length) return;
    const chunk = outBuf.every((c) => typeof c === 'string') ? outBuf.join('') : Buffer.concat(outBuf.map((c) => typeof c === 'string' ? Buffer.from(c) : c));
    outBuf = [];
    process.stdout.write(chunk);
  };
  const out = (chunk: string | Uint8Array) => {
    outBuf.push(chunk);
    if (!outQueued) { outQueued = true; setImmediate(flushOut); }
  };
  const sink = openFormat(o.format, {
    command: 'live',
    write: out,
    stderr: (text) => process.stderr.write(text),
    streaming: true,
    hints: o.hints,
    width: outputWidth(),
  });
  const { onFinal, onRevision } = sink.hooks;
  // Listening comes before the capture opens: a port in use stops synscope before any packet.
  let metrics: SynscopeMetrics | null = null;
  let metricsServer: MetricsServer | null = null;
  if (metricsAt) {
    const { startMetrics } = await import('../metrics/index.js');
    ({ metrics, server: metricsServer } = await startMetrics({ version, limit: labelled, address: metricsAt, text: o.metrics }));
  }
  /** Warnings already printed on stderr as they came (table form), not printed again with the summary. */
  const warned = new Set<string>();
  const an = new Analysis({
    collect: false,
    handshakeTimeout: timeout,
    answerGrace: grace,
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    hosts: o.host,
    ports,
    ...sink.hooks,
    // The metrics count each attempt once, at its final report, and move it when a verdict is revised.
    onFinal: metrics ? (a) => { onFinal?.(a); metrics!.final(a); } : onFinal,
    onRevision: metrics ? (a, previous) => { metrics!.revision(previous, a.verdict); onRevision?.(a, previous); } : onRevision,
    // Warnings as they come: ndjson lines, or on stderr (and not again with the summary).
    onWarning: sink.hooks.onWarning ?? ((w) => {
      warned.add(w);
      process.stderr.write(`synscope: warning: ${w}\n`);
    }),
  });
  an.beginFile(o.write ?? `live:${o.interface}`);

  const clock = new LiveClock();
  let writer: { writePacket(tsSec: number, tsNsec: number, data: Buffer, origLen?: number): void } | null = null;
  let ngWriter: PcapngWriter | null = null;
  let firstTs: [number, number] | null = null;
  let fd = -1;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let flushQueued = false;
  let failure: unknown = null;
  let stop: (why: string) => void = () => {};

  const flush = () => {
    flushQueued = false;
    if (fd < 0 || !pending.length) return;
    const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    try {
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      metrics?.captureError('write');
      failure ??= new SynscopeError('ERR_LIVE', `${o.write}: writing the capture failed (${code}); capture stopped, the file holds the packets before it`, { source: o.write, cause: e });
      try { closeSync(fd); } catch { /* already broken */ }
      fd = -1;
      stop('write error');
    }
  };

  const handle = openLive({
    iface: o.interface,
    filter,
    snaplen,
    bufferSize: bufKiB * 1024,
    queueSlots,
    ...(count !== undefined ? { maxPackets: count } : {}),
    clock,
    onPacket: (rec) => {
      if (writer) {
        firstTs ??= [rec.tsSec, rec.tsNsec];
        writer.writePacket(rec.tsSec, rec.tsNsec, rec.buf.subarray(rec.off, rec.off + rec.caplen), rec.origLen);
        // One write per batch that libpcap hands over (cap delivers a batch within one callback
        // from the event loop), and at least every 256 KiB.
        if (pendingBytes >= 256 * 1024) flush();
        else if (!flushQueued) { flushQueued = true; setImmediate(flush); }
      }
      an.packet(rec);
      if (count !== undefined && rec.frame >= count) stop(`${count} packets`);
    },
    onError: (e) => {
      metrics?.captureError('analysis');
      failure ??= e;
      stop('error');
    },
    onShed: () => {
      process.stderr.write(`synscope: warning: the analysis fell behind the capture and its queue of ${queueSlots} packets is full: packets are being shed (not analysed); the summary counts them\n`);
    },
  });

  try {
    if (o.write) {
      try {
        fd = openSync(o.write, 'w');
      } catch (e) {
        throw new SynscopeError('ERR_FILE_OPEN', `${o.write}: cannot create it (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path and permissions`, { source: o.write, cause: e });
      }
      const sink = (c: Buffer) => { pending.push(c); pendingBytes += c.length; };
      if (/\.pcapng$/i.test(o.write)) {
        const ng = new PcapngWriter({}, sink);
        ng.addInterface({ linkType: handle.linkType, snaplen: handle.snaplen, tsresol: 9, name: handle.iface });
        writer = { writePacket: (s, ns, data, origLen) => ng.writePacket(0, s, ns, data, origLen) };
        ngWriter = ng;
      } else {
        writer = new PcapWriter({ linkType: handle.linkType, snaplen: handle.snaplen, nanosecond: true }, sink);
      }
      flush();
    }
    if (dropTo) process.stderr.write(dropPrivileges(dropTo.user, dropTo));
  } catch (e) {
    handle.close();
    if (fd >= 0) closeSync(fd);
    throw e;
  }
  if (failure) {
    // Writing the file header already failed.
    handle.close();
    throw failure;
  }

  metrics?.watch(() => handle.stats(), () => ({ ...an.engine.stats, midstream: an.engine.midstream }));
  if (metricsServer) process.stderr.write(`synscope: serving Prometheus metrics at ${metricsServer.url}\n`);

  const dev = listDevicesQuiet().find((d) => d.name === o.interface);
  if (dev && o.interface !== 'any' && !dev.addresses.some((a) => a.addr.includes('.'))) {
    process.stderr.write(`synscope: note: a "Warning: ... This may not actually work" line above comes from cap (pcap_lookupnet finds no IPv4 address on ${o.interface}); it is harmless: only "ip broadcast" filters need the netmask\n`);
  }
  if (handle.immediate === null) {
    process.stderr.write('synscope: note: on this platform synscope cannot tell whether libpcap hands packets over at once (immediate mode); if it buffers them, their delivery-time stamps are late by up to the 1 s buffer timeout\n');
  }
  process.stderr.write(`synscope: capturing on ${o.interface} (${linkTypeName(handle.linkType)}), filter: ${filterText}; handshake timeout ${timeout} s (unanswered SYNs print ${fmtSec(timeout + 2 * grace)} s after the first), answer grace ${fmtSec(grace)} s; times are UTC; stop with Ctrl-C\n`);
  if (userFilter && !/icmp/i.test(userFilter)) {
    process.stderr.write('synscope: note: the capture filter has no icmp term, so ICMP rejections (rejected, unreachable) cannot be seen; add "or icmp or icmp6"\n');
  }

  await new Promise<void>((resolve) => {
    let stopped = false;
    const tick = () => {
      // While packets wait in the queue, they move the engine clock; a tick to now would jump
      // ahead of their (earlier) stamps.
      if (handle.queued) return;
      const [s, ns] = clock.now();
      an.tick(s, ns);
    };
    const timer = setInterval(tick, TICK_MS);
    const limit = duration !== undefined ? setTimeout(() => stop(`${duration} s`), duration * 1000) : null;
    const onSignal = (sig: NodeJS.Signals) => stop(sig);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    stop = () => {
      if (stopped) return;
      stopped = true;
      handle.close();
      clearInterval(timer);
      if (limit) clearTimeout(limit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // Leave the native packet callback before finishing (stop may run inside it).
      setImmediate(resolve);
    };
  });

  // The packets captured before the stop are still analysed (at most the queue's size).
  if (!failure) handle.drain();
  const [endSec, endNsec] = clock.now();
  if (!failure) an.tick(endSec, endNsec);
  const st = handle.stats();
  if (ngWriter && fd >= 0) ngWriter.writeCustomBlock(PCAPNG_ISB, statisticsBody(firstTs ?? [endSec, endNsec], [endSec, endNsec], st.packets, st.analysed));
  flush();
  if (fd >= 0) {
    closeSync(fd);
    fd = -1;
  }
  const shed = shedWarning(st);
  const report: Report = an.finish(shed ? [shed] : []);
  flushOut();
  const capture = {
    interface: handle.iface, linkType: handle.linkType, filter: handle.filter, snaplen: handle.snaplen,
    packets: st.packets, analysed: st.analysed, shed: st.shed, shedSyn: st.shedSyn,
    queue: { slots: st.queueSlots, bytes: st.queueBytes, peak: st.queuePeak },
    truncated: st.truncated, drops: st.drops, dropsNote: st.dropsNote,
    ...(o.write ? { file: o.write } : {}),
  };
  // What the capture did: in the summary of the JSON formats, as a last line beside the others.
  await sink.end(report, { summaryExtra: { capture }, trailer: captureLine(handle, st, o.write), shown: warned });
  flushOut();
  await metricsServer?.close();
  if (failure) throw failure;
  // Attempts are counted, not collected (bounded memory): the summary's verdict counts decide.
  const failed = failOnLine(failOn, report.summary.verdicts);
  if (failed) {
    process.stderr.write(failed);
    process.exitCode = 1;
    return;
  }
  process.exitCode = 0;
}

const PCAPNG_ISB = 5;

/**
 * Body of a pcapng Interface Statistics Block for interface 0 (little-endian, as PcapngWriter
 * writes by default): isb_starttime, isb_endtime (when the capture stopped, which a classic pcap
 * cannot record), isb_filteraccept (packets captured) and isb_usrdeliv (packets analysed and
 * written; fewer when the queue shed some); isb_ifdrop is left out because cap cannot tell drops.
 */
function statisticsBody(start: [number, number], end: [number, number], accepted: number, delivered: number): Buffer {
  const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  const ts = (b: Buffer, off: number, v: bigint) => { b.writeUInt32LE(Number(v >> 32n), off); b.writeUInt32LE(Number(v & 0xffffffffn), off + 4); };
  const opt = (code: number, value: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  };
  const fixed = Buffer.alloc(12);
  ts(fixed, 4, ns(end));
  const t8 = (v: bigint) => { const b = Buffer.alloc(8); ts(b, 0, v); return b; };
  const n8 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
  return Buffer.concat([fixed, opt(2, t8(ns(start))), opt(3, t8(ns(end))), opt(7, n8(accepted)), opt(9, n8(delivered)), opt(0, Buffer.alloc(0))]);
}

function listDevicesQuiet() {
  try {
    return listDevices();
  } catch {
    return [];
  }
}
