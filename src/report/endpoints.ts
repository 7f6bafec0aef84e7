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
import type { DiagnosisCode, EndpointReport } from './model.js';

const MAX_RUNS = 64;
const MAX_SENDERS = 8;

interface Run { up: boolean; first: string; last: string; n: number }

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
    return all.map((e) => endpointReport(e, all));
  }
}

function endpointReport(g: EndpointAggregate, all: EndpointAggregate[]): EndpointReport {
  const { ip, port } = g;
  const parts: string[] = [];
  const codes: DiagnosisCode[] = [];
  /** One finding: its sentence, and its stable code at the same index. */
  const find = (code: DiagnosisCode, text: string) => { parts.push(text); codes.push(code); };
  const hints: string[] = [];
  const hint = (h: string) => { if (!hints.includes(h)) hints.push(h); };
  const n = (v: Verdict) => g.counts[verdictIndex(v)];
  const ipt = ip.includes(':') ? 'ip6tables' : 'iptables';

  if (n('established') && n('refused')) find('listener-changed', listenerTimeline(g));
  else if (n('refused')) {
    find('not-listening', 'nothing listening: the host itself answers RST');
    const elsewhere = all.filter((o) => o !== g && o.port === port && o.counts[verdictIndex('established')] > 0);
    if (elsewhere.length) {
      find('bound-one-address', `port ${port} answers on ${elsewhere.map((o) => o.ip).join(', ')} but refuses on ${ip}: if that is the same host, the service is bound to one address only`);
      hint(`ss -ltn 'sport = :${port}'   # on the server: a listen address of ${elsewhere[0].ip} (not ${ip.includes(':') ? '[::]' : '0.0.0.0'}) explains it`);
    }
  } else if (n('established')) find('accepting', 'accepting connections');
  if (n('refused')) {
    hint(`ss -ltnp 'sport = :${port}'   # on ${ip}: is anything listening, and on which address?`);
    hint(`systemctl --failed; journalctl -n 50   # on ${ip}: did the service die or fail to start?`);
    // A host firewall's tcp-reset is byte for byte a closed port's RST (IPv4): only the host can tell.
    hint(`${ipt} -S | grep -- 'tcp-reset'; nft list ruleset | grep -i 'reset'   # on ${ip}: a host firewall rejecting with tcp-reset sends the same RST as a closed port`);
  }
  if (n('forged-reset')) {
    const h = g.forgedHops;
    find('forged-reset', h !== null && h > 0 ? `reset forged by a device ${h} hop${h === 1 ? '' : 's'} before the server (RST TTL unlike the server's)`
      : h !== null && h === 0 ? 'reset forged by a device sending with another initial TTL than the server'
        : 'reset forged by a middlebox (RST unlike the server\'s own packets)');
    hint(`traceroute -T -p ${port} ${ip}   # find the device${h !== null && h > 0 ? ` ${h} hop(s) short of the server` : ''}`);
    hint(`${ipt} -S | grep -- '--reject-with tcp-reset'; nft list ruleset | grep -i 'reject with tcp reset'   # on firewalls along the path`);
  }
  if (n('rejected')) {
    const senders = [...g.rejectSenders].map(([s, v]) => `${s} (${v.name}${v.own ? ', the server itself' : ''})`);
    const limited = g.rateLimited ? ` (its ICMP errors rate-limited: ${g.rateLimited} attempt(s) got none while their neighbours were rejected)` : '';
    find(g.rateLimited ? 'icmp-reject-rate-limited' : 'icmp-reject', `REJECT rule at ${senders.join(', ') || 'an ICMP sender'}${limited}`);
    if (g.rateLimited) hint('sysctl net.ipv4.icmp_ratelimit net.ipv4.icmp_msgs_per_sec net.ipv6.icmp.ratelimit   # on the ICMP sender: why some attempts got no ICMP');
    hint(`${ipt} -S | grep -i reject; nft list ruleset | grep -i reject   # on ${[...g.rejectSenders.keys()].join(', ') || ip}`);
  }
  if (n('unreachable')) {
    const senders = [...g.unreachSenders].map(([s, name]) => `${s} (${name})`);
    find('unreachable', `unreachable: ${senders.join(', ')} reports no way to ${ip}`);
    hint(`ip route get ${ip}; traceroute ${ip}   # where does the path end?`);
    hint(`ip neigh show ${ip}   # on the last router: does the host answer ARP/NDP (is it up)?`);
  }
  if (n('filtered')) {
    const view = g.oneSided && !n('incomplete') ? ' (the capture misses the server\'s direction: the clients kept retransmitting)' : '';
    find(view ? 'filtered-one-sided' : 'filtered', `silently filtered: ${n('filtered')} attempt(s) got no answer at all (firewall DROP, or the host is down)${view}`);
    hint(`${ipt} -S INPUT | grep -E 'DROP|${port}'; nft list ruleset   # on ${ip} and on firewalls along the path`);
    hint(`traceroute -T -p ${port} ${ip}; ping -c 3 ${ip}   # is the host up, where do packets stop?`);
  }
  if (n('backlog-drop')) {
    const live = n('established');
    find('backlog-overflow', `listen backlog overflow: a live listener${live ? ` (it completed ${live} handshake(s))` : ''} dropped ${n('backlog-drop')} attempt(s) (from one capture point a limit on new connections looks the same: connlimit, a full conntrack table)`);
  }
  if (n('backlog-drop') || g.delayedEstablished) {
    if (!n('backlog-drop')) find('backlog-delayed', `${g.delayedEstablished} established attempt(s) were delayed by a full listen queue`);
    hint(`nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop   # on ${ip}: counters rising?`);
    hint(`ss -ltn 'sport = :${port}'   # Recv-Q (accept queue now) against Send-Q (its size)`);
    hint('sysctl net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies net.ipv4.tcp_abort_on_overflow');
    hint('raise the listen() backlog in the application and make it accept() faster');
    hint(`conntrack -S; ${ipt} -S | grep -E 'connlimit|hashlimit'   # on ${ip} and firewalls on the way: a full connection table or a connection limit drops SYNs the same way`);
  }
  if (n('aborted')) find('client-aborted', `${n('aborted')} attempt(s) abandoned by the client after the server answered (half-open scan, or client-side timeout)`);
  if (n('incomplete')) {
    if (g.oneSided) {
      find('undecided-one-sided', `${n('incomplete')} attempt(s) undecided: the capture holds no packets from the server's direction (the clients stopped after one SYN: refused or rejected)`);
      hint(`tcpdump -i any -w both.pcap 'host ${ip} and port ${port}'   # capture where both directions pass (not -Q out, not one side of an asymmetric path)`);
    } else {
      find('undecided-short', `${n('incomplete')} attempt(s) undecided: the capture ended too soon`);
      hint('capture for longer: at least the handshake timeout after the last SYN');
    }
  }
  const verdicts: Partial<Record<Verdict, number>> = {};
  for (const v of VERDICTS) if (n(v)) verdicts[v] = n(v);
  return { server: { ip, port }, ...(g.vlans.length ? { vlan: [...g.vlans] } : {}), attempts: g.attempts, verdicts, diagnosis: parts.join('; '), diagnosisCode: codes[0] ?? 'none', diagnosisCodes: codes, hints, first: g.first, last: g.last };
}

/** Established and refused on one endpoint: when did the listener go away or come back? */
function listenerTimeline(g: EndpointAggregate): string {
  const runs = g.runs;
  if (runs.length === 3 && runs[0].up && !runs[1].up && runs[2].up) {
    return `listener went away between ${runs[0].last} and ${runs[1].first} and came back by ${runs[2].first} (${runs[1].n} refused meanwhile)`;
  }
  if (runs.length === 2 && runs[0].up) return `listener went away: accepted until ${runs[0].last}, refused from ${runs[1].first}`;
  if (runs.length === 2 && !runs[0].up) return `listener came up: refused until ${runs[0].last}, accepted from ${runs[1].first}`;
  return `listener flapping: accepted and refused ${runs.length}${g.runsTruncated ? '+' : ''} times in turn (restarts, or several hosts behind one address)`;
}
