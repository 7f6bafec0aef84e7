/**
 * Live capture through the optional `cap` package (a libpcap binding; see native-notes.md,
 * "Live capture through cap"). Packets are handed over as the same reused `CaptureRecord` the file
 * readers produce, so the handshake engine cannot tell live traffic from a capture file.
 *
 * What cap 0.2.1 gives and what it does not, from its source (node_modules/cap/src/binding.cc):
 * - one Buffer for every packet: each packet is copied into the buffer passed to `open()`, over the
 *   previous one, so consumers copy what they keep (`CaptureRecord` has the same rule);
 * - no timestamps: each packet is stamped here, at delivery, from a monotonic clock anchored to the
 *   wall clock once ({@link LiveClock});
 * - immediate mode (packets handed over one by one, not in blocks; {@link immediateModeAvailable});
 * - kernel snap length fixed at 65535 and promiscuous mode always on; a shorter snap length is
 *   had by passing a shorter buffer (the copy is cut, `truncated` is set);
 * - no pcap_stats(): libpcap's drop counts cannot be had ({@link LiveStats});
 * - one loop per readable event that calls JavaScript for every packet until libpcap's ring is
 *   empty: the 'packet' callback therefore only copies the packet into a bounded queue
 *   ({@link PacketRing}) and returns; the analysis is fed from the queue in batches, and packets
 *   that find the queue full are shed and counted.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { SynscopeError } from '../errors.js';
import { DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SLOTS, ipOffset, isSyn, PacketRing } from './live-queue.js';
import { CaptureRecord } from './record.js';

export { DEFAULT_QUEUE_BYTES, DEFAULT_QUEUE_SLOTS } from './live-queue.js';

/**
 * The capture filter the engine needs by default, kept cheap for busy hosts: every TCP packet
 * with SYN, RST or FIN; every TCP packet without payload (the client's handshake ACK, the
 * server's ACK of the first data, which is how the engine tells `established` from the
 * post-handshake kinds of `backlog-drop`); every ICMP / ICMPv6 error (they quote the SYN).
 * Data-carrying segments, which are most of a busy host's packets and bytes, are left out.
 * libpcap 1.10 cannot apply `tcp[]` to IPv6, so IPv6 is matched by offsets in a header without
 * extension headers (ip6[6] next header, ip6[40..] TCP or ICMPv6).
 */
export const DEFAULT_FILTER = [
  'tcp[tcpflags] & (tcp-syn|tcp-rst|tcp-fin) != 0',
  '(tcp and ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) == 0)',
  '(icmp and icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply)',
  '(ip6[6] == 6 and (ip6[53] & 0x07 != 0 or ip6[4:2] == (ip6[52] & 0xf0) >> 2))',
  '(ip6[6] == 58 and ip6[40] < 128)',
].join(' or ');

/** Every TCP and ICMP packet (`--full`): what the engine can use at most. */
export const FULL_FILTER = 'tcp or icmp or icmp6';

export const DEFAULT_SNAPLEN = 65535;
/** 32 MiB: with immediate mode every packet takes a fixed ~64 KiB ring frame (native-notes.md), so this holds 512 packets. */
export const DEFAULT_BUFFER_SIZE = 32 * 1024 * 1024;

/** How to build cap; part of every "cannot load cap" message. */
export const BUILD_HINT = 'live capture needs the cap module built against libpcap: apt-get install libpcap-dev, then run npm install again in the synscope folder (npm rebuild cap if it is already there; its install script is allowed by "allowScripts" in package.json)';

/** How to grant capture rights; part of every privilege message. */
export const PRIVILEGE_HINT = 'run as root (sudo), or give the node binary the capabilities with `sudo setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which node))` (then every node script on this machine can capture)';

export interface LiveAddress {
  addr: string;
  netmask?: string;
  broadaddr?: string;
  dstaddr?: string;
}

export interface LiveDevice {
  name: string;
  description?: string;
  addresses: LiveAddress[];
  loopback: boolean;
}

export interface LiveOptions {
  /** Interface name as libpcap knows it (`any` for all interfaces on Linux). */
  iface: string;
  /** BPF capture filter (pcap-filter(7)); default {@link DEFAULT_FILTER}; '' captures everything. */
  filter?: string;
  /** Bytes kept of each packet, 64..65535 (cap's kernel snap length is fixed at 65535). */
  snaplen?: number;
  /** libpcap's kernel buffer in bytes (default 32 MiB = 512 packets of up to 64 KiB). */
  bufferSize?: number;
  /**
   * Called with each packet, from the queue (not inside cap's callback), in capture order; the
   * record and its bytes are reused for the next packet. `rec.frame` counts delivered packets.
   */
  onPacket(rec: CaptureRecord): void;
  /** Called if `onPacket` throws: capture stops first and the queued packets are dropped. Default: rethrow. */
  onError?(err: unknown): void;
  /** Called once, at the first packet shed because the queue was full. */
  onShed?(): void;
  /** Packets the queue between capture and analysis holds (default {@link DEFAULT_QUEUE_SLOTS}). */
  queueSlots?: number;
  /** Bytes the queue holds (default {@link DEFAULT_QUEUE_BYTES}; at least the snap length). */
  queueBytes?: number;
  /** Stop capturing after this many packets (those already queued are still delivered). */
  maxPackets?: number;
  /** Where timestamps come from (tests); default a {@link LiveClock}. */
  clock?: LiveClock;
}

export interface LiveStats {
  /** Packets delivered by libpcap. */
  packets: number;
  bytes: number;
  /** Packets handed to `onPacket`. */
  analysed: number;
  /** Packets shed because the queue was full (the analysis fell behind); never analysed. */
  shed: number;
  /** How many of the shed packets were SYNs without ACK (connection attempts). */
  shedSyn: number;
  /** Packets in the queue now. */
  queued: number;
  /** Most packets the queue held at once. */
  queuePeak: number;
  /** The queue's size: packets and bytes. */
  queueSlots: number;
  queueBytes: number;
  /** Packets cut by the snap length. */
  truncated: number;
  /** libpcap's ps_drop + ps_ifdrop, or null when they cannot be had. */
  drops: number | null;
  /** Why `drops` is null, or where it came from. */
  dropsNote: string;
}

export interface LiveHandle {
  readonly iface: string;
  /** LINKTYPE_ value written to pcap files. */
  readonly linkType: number;
  /** What cap called it. */
  readonly capLinkType: string;
  readonly filter: string;
  readonly snaplen: number;
  /** Whether libpcap's immediate mode could be switched on (null: not knowable here). */
  readonly immediate: boolean | null;
  /**
   * Stops capturing (idempotent; safe inside onPacket). Packets already queued are still
   * delivered, batch by batch, or at once by {@link LiveHandle.drain}.
   */
  close(): void;
  readonly closed: boolean;
  /** Delivers every queued packet now (at the end of a capture; at most the queue's size). */
  drain(): void;
  /** Packets waiting in the queue. */
  readonly queued: number;
  stats(): LiveStats;
}

/** The part of cap's API synscope uses. */
interface CapInstance {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  setMinBytes?(n: number): void;
}
interface CapModule {
  Cap: { new (): CapInstance; deviceList(): Array<{ name: string; description?: string; addresses?: LiveAddress[]; flags?: string }> };
}

let capModule: CapModule | null = null;

/**
 * Loads cap. The module is only loaded here, on first use, so that file analysis works where cap
 * is absent or not built. `SYNSCOPE_CAP_MODULE` names another module path (tests use it to check
 * the not-built message).
 */
export function loadCap(): CapModule {
  if (capModule) return capModule;
  const id = process.env.SYNSCOPE_CAP_MODULE || 'cap';
  try {
    const require = createRequire(import.meta.url);
    const m = require(id) as CapModule;
    if (typeof m?.Cap !== 'function') throw new Error(`${id} does not export Cap`);
    capModule = m;
    return m;
  } catch (e) {
    throw new SynscopeError('ERR_LIVE', capLoadProblem(e), { cause: e });
  }
}

/** Node.js release lines by NODE_MODULE_VERSION (process.versions.modules), for messages. */
const NODE_ABI: Record<string, string> = { 83: '14', 88: '15', 93: '16', 102: '17', 108: '18', 111: '19', 115: '20', 120: '21', 127: '22', 131: '23', 137: '24', 141: '25' };

function nodeLine(abi: string): string {
  const line = NODE_ABI[abi];
  return line ? `, Node.js ${line}` : '';
}

/**
 * Why cap could not be loaded, in one line that names the cause and its fix. A module built for
 * another Node.js (the ABI mismatch after a Node upgrade) needs `npm rebuild cap`, not libpcap-dev;
 * a missing libpcap shared library needs the library; only a module that is not there or not
 * built gets the build hint.
 */
export function capLoadProblem(e: unknown): string {
  const msg = String((e as Error)?.message ?? e);
  const code = (e as NodeJS.ErrnoException)?.code;
  const flat = msg.replace(/\s+/g, ' ').trim();
  const abi = /NODE_MODULE_VERSION (\d+)\..*?requires NODE_MODULE_VERSION (\d+)/.exec(flat);
  if (abi) {
    const [, built, wanted] = abi;
    return `the cap module was built for another Node.js (NODE_MODULE_VERSION ${built}${nodeLine(built!)}) and this is Node.js ${process.version} (NODE_MODULE_VERSION ${wanted}): run \`npm rebuild cap\` in the synscope folder (it compiles cap for this Node.js; it needs libpcap-dev and a C++ compiler)`;
  }
  const lib = /(libpcap[^\s:]*): cannot open shared object file/.exec(flat);
  if (lib) {
    return `the cap module is built, but the libpcap library it is linked with cannot be loaded (${lib[1]}: not installed): apt-get install libpcap0.8 (or libpcap-dev, which brings it), or npm rebuild cap against the libpcap you have`;
  }
  if (/invalid ELF header|wrong ELF class|ELFCLASS|not a valid Win32 application|wrong architecture|incompatible architecture|Exec format error/i.test(flat)) {
    return `the cap module was built for another platform or CPU (${flat.slice(0, 160)}): run \`npm rebuild cap\` in the synscope folder on this machine`;
  }
  if (/undefined symbol/i.test(flat)) {
    return `the cap module does not match this Node.js or libpcap (${flat.slice(0, 160)}): run \`npm rebuild cap\` in the synscope folder`;
  }
  const why = msg.split('\n')[0];
  return `${BUILD_HINT} (loading it failed${code && !why.includes(code) ? ` with ${code}` : ''}: ${why})`;
}

/** True when cap can be loaded; never throws. */
export function capAvailable(): boolean {
  try {
    loadCap();
    return true;
  } catch {
    return false;
  }
}

/** Interfaces libpcap can capture on, with their addresses. Needs no privileges on Linux. */
export function listDevices(): LiveDevice[] {
  const { Cap } = loadCap();
  let list;
  try {
    list = Cap.deviceList();
  } catch (e) {
    throw new SynscopeError('ERR_LIVE', `cannot list capture interfaces: ${(e as Error).message}`, { cause: e });
  }
  return list.map((d) => ({
    name: d.name,
    ...(d.description ? { description: d.description } : {}),
    addresses: (d.addresses ?? []).map((a) => {
      const o: LiveAddress = { addr: a.addr };
      if (a.netmask) o.netmask = a.netmask;
      if (a.broadaddr) o.broadaddr = a.broadaddr;
      if (a.dstaddr) o.dstaddr = a.dstaddr;
      return o;
    }),
    loopback: d.flags === 'PCAP_IF_LOOPBACK',
  }));
}

/**
 * LINKTYPE_ number (what pcap files store) for the name cap returns from open(). cap 0.2.1 names
 * five DLTs ('NULL', 'ETHERNET', 'IEEE802_11_RADIO', 'LINKTYPE_LINUX_SLL', 'RAW') and returns
 * "Unknown linktype N" with the DLT number for the rest; the other names are accepted for
 * later versions of cap. DLT_RAW is 12 (14 on OpenBSD) in memory but 101 in files.
 */
export function linkTypeFromCap(name: string): number | null {
  const n = name.trim().toUpperCase().replace(/^(LINKTYPE_|DLT_)/, '');
  const known: Record<string, number> = {
    NULL: 0, ETHERNET: 1, EN10MB: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, IEEE802_11_RADIO: 127,
    IPV4: 228, IPV6: 229, LINUX_SLL2: 276, NFLOG: 239,
  };
  if (n in known) return known[n];
  const m = /^UNKNOWN LINKTYPE (\d+)$/.exec(n);
  if (!m) return null;
  const dlt = Number(m[1]);
  return dlt === 12 || dlt === 14 ? 101 : dlt;
}

/**
 * Wall-clock time from a monotonic clock: anchored once to the wall clock (`performance.timeOrigin`
 * has microseconds), then advanced by `performance.now()` (libuv's monotonic hrtime, which never
 * steps). Stamps are therefore ordered and immune to NTP steps during a capture; they say when
 * JavaScript received a packet, which is after the kernel did (native-notes.md measures by how
 * much). {@link LiveClock.mark} reads the clock without allocating, for cap's packet callback.
 */
export class LiveClock {
  private readonly perf0: number;
  private readonly baseSec: number;
  private readonly baseNsec: number;

  constructor() {
    this.perf0 = performance.now();
    const wallNs = BigInt(Math.round((performance.timeOrigin + this.perf0) * 1e6));
    this.baseSec = Number(wallNs / 1_000_000_000n);
    this.baseNsec = Number(wallNs % 1_000_000_000n);
  }

  /** Nanoseconds since the clock was made, as a number (exact for 104 days). */
  mark(): number {
    return Math.round((performance.now() - this.perf0) * 1e6);
  }

  /** The time of a mark as [seconds, nanoseconds]. */
  at(mark: number): [number, number] {
    const ns = this.baseNsec + mark;
    return [this.baseSec + Math.floor(ns / 1e9), ns % 1e9];
  }

  /** Current time as [seconds, nanoseconds]. */
  now(): [number, number] {
    return this.at(this.mark());
  }

  /** Writes the time of a mark into a record (tsDigits 9: the clock counts nanoseconds). */
  stampAt(rec: CaptureRecord, mark: number): void {
    const ns = this.baseNsec + mark;
    rec.tsSec = this.baseSec + Math.floor(ns / 1e9);
    rec.tsNsec = ns % 1e9;
    rec.tsDigits = 9;
  }

  /** Writes the current time into a record. */
  stamp(rec: CaptureRecord): void {
    this.stampAt(rec, this.mark());
  }
}

/**
 * Whether libpcap runs in immediate mode under cap (null: unknown platform). Linux: cap calls
 * `pcap_set_immediate_mode`, looked up with `dlsym(dlopen("libpcap.so"), ...)`. Without
 * libpcap-dev the unversioned name is missing and dlopen returns NULL, but glibc treats
 * `dlsym(NULL, ...)` as RTLD_DEFAULT, searched from cap.node's own scope, which holds the
 * libpcap.so.0.8 it is linked with: immediate mode is on either way (strace shows
 * PACKET_VERSION TPACKET_V2, the unbuffered ring; tcpdump without --immediate-mode uses V3).
 * macOS: cap sets BIOCIMMEDIATE. Windows: setMinBytes(0), which openLive calls.
 */
export function immediateModeAvailable(): boolean | null {
  return process.platform === 'linux' || process.platform === 'darwin' || process.platform === 'win32' ? true : null;
}

/**
 * Length of the packet on the wire, read from its IP header, for packets cut by the snap length
 * (cap reports only the bytes it copied). Falls back to `caplen`.
 */
export function wireLength(buf: Buffer, caplen: number, linkType: number): number {
  const off = ipOffset(buf, caplen, linkType);
  if (off < 0) return caplen;
  const v = buf[off] >> 4;
  if (v === 4 && caplen >= off + 4) return Math.max(caplen, off + buf.readUInt16BE(off + 2));
  if (v === 6) return Math.max(caplen, off + 40 + buf.readUInt16BE(off + 4));
  return caplen;
}

/** Longest a drain batch runs before yielding to the event loop. */
const DRAIN_TURN_MS = 1;

const DROPS_NOTE = 'libpcap drop counts cannot be had: cap 0.2.1 does not expose pcap_stats()';

/**
 * cap objects whose open() failed: cap leaves its pcap handle set without having initialised its
 * poll handle, and its destructor would then stop that uninitialised poll handle. Keeping them
 * referenced keeps the garbage collector from running that destructor (a few bytes per failure).
 */
const failedHandles: CapInstance[] = [];

/** Opens an interface for capture. Errors are SynscopeError('ERR_LIVE') with one-line messages. */
export function openLive(opts: LiveOptions): LiveHandle {
  const { Cap } = loadCap();
  const iface = opts.iface;
  const filter = opts.filter ?? DEFAULT_FILTER;
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const bufferSize = opts.bufferSize ?? DEFAULT_BUFFER_SIZE;
  if (!Number.isInteger(snaplen) || snaplen < 64 || snaplen > 65535) {
    throw new SynscopeError('ERR_USAGE', `snap length must be 64..65535 bytes (cap captures at most 65535), not ${snaplen}`);
  }
  if (!Number.isInteger(bufferSize) || bufferSize < 65536 || bufferSize > 2 ** 31 - 1) {
    throw new SynscopeError('ERR_USAGE', `capture buffer size must be 64 KiB..2 GiB, not ${bufferSize} bytes`);
  }
  // Check the name first: libpcap's own message ("No such device exists") names no alternative,
  // and cap prints a "Warning: SIOCGIFADDR ..." line for unknown names before failing.
  const devices = listDevices();
  if (!devices.some((d) => d.name === iface)) {
    throw new SynscopeError('ERR_LIVE', `no capture interface "${iface}"; the interfaces are: ${describeDevices(devices)}`, { source: iface });
  }
  const buffer = Buffer.alloc(snaplen);
  const c = new Cap();
  let capLinkType: string;
  try {
    capLinkType = c.open(iface, filter, bufferSize, buffer);
  } catch (e) {
    failedHandles.push(c);
    throw openError(e, iface, filter);
  }
  c.setMinBytes?.(0);
  const linkType = linkTypeFromCap(capLinkType);
  if (linkType === null) {
    c.close();
    throw new SynscopeError('ERR_LIVE', `${iface}: cap reports the link type "${capLinkType}", which synscope cannot decode`, { source: iface });
  }
  const clock = opts.clock ?? new LiveClock();
  const ring = new PacketRing(opts.queueSlots ?? DEFAULT_QUEUE_SLOTS, Math.max(opts.queueBytes ?? DEFAULT_QUEUE_BYTES, snaplen));
  const maxPackets = opts.maxPackets ?? Infinity;
  const rec = new CaptureRecord();
  rec.linkType = linkType;
  rec.tsDigits = 9;
  const stats: LiveStats = {
    packets: 0, bytes: 0, analysed: 0, shed: 0, shedSyn: 0, queued: 0, queuePeak: 0,
    queueSlots: ring.slots, queueBytes: ring.bytes, truncated: 0, drops: null, dropsNote: DROPS_NOTE,
  };
  let closed = false;
  let failed = false;
  let drainQueued = false;
  const close = () => {
    if (closed) return;
    closed = true;
    c.close();
  };

  /** Hands the oldest queued packet to onPacket; false when there is none or delivery failed. */
  const deliver = (): boolean => {
    const mark = ring.shift(rec);
    if (Number.isNaN(mark)) return false;
    clock.stampAt(rec, mark);
    rec.frame = ++stats.analysed;
    rec.fileOffset = 0;
    try {
      opts.onPacket(rec);
    } catch (e) {
      failed = true;
      ring.clear();
      close();
      if (opts.onError) opts.onError(e);
      else throw e;
      return false;
    }
    return true;
  };

  // One batch per event-loop turn, bounded in time, so that cap's loop (which fills the queue),
  // timers and signals run between batches.
  const drainTurn = () => {
    drainQueued = false;
    const t0 = performance.now();
    let n = 0;
    while (!failed && deliver()) {
      if ((++n & 63) === 0 && performance.now() - t0 >= DRAIN_TURN_MS) break;
    }
    if (!failed && ring.length > 0) {
      drainQueued = true;
      setImmediate(drainTurn);
    }
  };

  // Inside cap's loop: copy, count, return. Nothing here allocates.
  c.on('packet', (nbytes: number, truncated: boolean) => {
    if (closed) return;
    stats.packets++;
    stats.bytes += nbytes;
    let origLen = nbytes;
    if (truncated) {
      stats.truncated++;
      origLen = wireLength(buffer, nbytes, linkType);
    }
    if (ring.push(buffer, nbytes, origLen, clock.mark())) {
      if (!drainQueued) {
        drainQueued = true;
        setImmediate(drainTurn);
      }
    } else {
      stats.shed++;
      if (isSyn(buffer, nbytes, linkType)) stats.shedSyn++;
      if (stats.shed === 1) opts.onShed?.();
    }
    if (stats.packets >= maxPackets) close();
  });
  return {
    iface,
    linkType,
    capLinkType,
    filter,
    snaplen,
    immediate: immediateModeAvailable(),
    close,
    get closed() { return closed; },
    drain: () => {
      while (!failed && deliver()) { /* every queued packet */ }
    },
    get queued() { return ring.length; },
    stats: () => ({ ...stats, queued: ring.length, queuePeak: ring.peak }),
  };
}

function describeDevices(devices: LiveDevice[]): string {
  if (!devices.length) return 'none (libpcap lists no interfaces: not even `lo`, so something is wrong with libpcap)';
  return devices.map((d) => {
    const a = d.addresses.map((x) => x.addr).filter((x) => !x.startsWith('fe80:'));
    return a.length ? `${d.name} (${a.join(', ')})` : d.name;
  }).join(', ');
}

/** Turns libpcap's error text from open() into one line that says what to do. */
function openError(e: unknown, iface: string, filter: string): SynscopeError {
  const msg = String((e as Error)?.message ?? e).trim();
  const opts = { source: iface, cause: e };
  if (/permission|not permitted|EPERM|EACCES|access denied/i.test(msg)) {
    const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
    const who = uid === 0 ? ' (running as root, but without CAP_NET_RAW: a container or a capability bounding set took it away)' : uid > 0 ? ` (uid ${uid})` : '';
    return new SynscopeError('ERR_LIVE', `no permission to capture on ${iface}${who}: capturing needs CAP_NET_RAW; ${PRIVILEGE_HINT}; libpcap said: ${msg}`, opts);
  }
  if (/syntax error|can't parse filter|parse filter|expression rejects all packets|unknown (host|port|protocol)|illegal|not supported|filter/i.test(msg)) {
    return new SynscopeError('ERR_LIVE', `bad capture filter "${filter}": libpcap said: ${msg}`, opts);
  }
  if (/no such device|doesn't exist|not up|network is down/i.test(msg)) {
    return new SynscopeError('ERR_LIVE', `cannot capture on ${iface}: ${msg} (is the interface up?)`, opts);
  }
  return new SynscopeError('ERR_LIVE', `cannot capture on ${iface}: libpcap said: ${msg}`, opts);
}
