/**
 * Per server endpoint: verdict counts, a diagnosis in an SRE's words, and the commands to run
 * next. Built from the attempt reports, in order of first SYN.
 */
import type { Verdict } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';
import type { AttemptReport, EndpointReport } from './model.js';

interface Group {
  key: string;
  list: AttemptReport[];
}

export function buildEndpoints(attempts: AttemptReport[]): EndpointReport[] {
  const groups = new Map<string, Group>();
  for (const a of attempts) {
    const key = endpointToString(a.server.ip, a.server.port);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, list: [] }));
    g.list.push(a);
  }
  const all = [...groups.values()];
  return all.map((g) => endpoint(g, all));
}

function count(list: AttemptReport[]): Partial<Record<Verdict, number>> {
  const c: Partial<Record<Verdict, number>> = {};
  for (const a of list) c[a.verdict] = (c[a.verdict] ?? 0) + 1;
  return c;
}

function endpoint(g: Group, all: Group[]): EndpointReport {
  const list = g.list;
  const { ip, port } = list[0].server;
  const c = count(list);
  const parts: string[] = [];
  const hints: string[] = [];
  const hint = (h: string) => { if (!hints.includes(h)) hints.push(h); };
  const n = (v: Verdict) => c[v] ?? 0;
  const v6 = ip.includes(':');
  const ipt = v6 ? 'ip6tables' : 'iptables';

  if (n('established') && n('refused')) parts.push(listenerTimeline(list));
  else if (n('refused')) {
    parts.push('nothing listening: the host itself answers RST');
    const elsewhere = all.filter((o) => o !== g && o.list[0].server.port === port && o.list.some((a) => a.verdict === 'established'));
    if (elsewhere.length) {
      parts.push(`port ${port} answers on ${elsewhere.map((o) => o.list[0].server.ip).join(', ')} but refuses on ${ip}: if that is the same host, the service is bound to one address only`);
    }
  } else if (n('established')) parts.push('accepting connections');
  if (n('refused')) {
    hint(`ss -ltnp 'sport = :${port}'   # on ${ip}: is anything listening, and on which address?`);
    hint(`systemctl --failed; journalctl -n 50   # on ${ip}: did the service die or fail to start?`);
  }
  if (n('forged-reset')) {
    const hops = list.filter((a) => a.verdict === 'forged-reset' && a.hops.rst !== undefined && a.hops.server !== undefined)
      .map((a) => a.hops.server! - a.hops.rst!);
    const h = hops.length ? hops[0] : null;
    parts.push(h !== null && h > 0 ? `reset forged by a device ${h} hop${h === 1 ? '' : 's'} before the server (RST TTL unlike the server's)`
      : h !== null && h === 0 ? 'reset forged by a device sending with another initial TTL than the server'
        : 'reset forged by a middlebox (RST unlike the server\'s own packets)');
    hint(`traceroute -T -p ${port} ${ip}   # find the device${h !== null && h > 0 ? ` ${h} hop(s) short of the server` : ''}`);
    hint(`${ipt} -S | grep -- '--reject-with tcp-reset'; nft list ruleset | grep -i 'reject with tcp reset'   # on firewalls along the path`);
  }
  if (n('rejected')) {
    const senders = unique(list.filter((a) => a.verdict === 'rejected' && a.icmp).map((a) => `${a.icmp!.sender} (${a.icmp!.name}${a.icmp!.senderIsServer ? ', the server itself' : ''})`));
    parts.push(`REJECT rule at ${senders.join(', ') || 'an ICMP sender'}`);
    hint(`${ipt} -S | grep -i reject; nft list ruleset | grep -i reject   # on ${unique(list.filter((a) => a.icmp).map((a) => a.icmp!.sender)).join(', ') || ip}`);
  }
  if (n('unreachable')) {
    const senders = unique(list.filter((a) => a.verdict === 'unreachable' && a.icmp).map((a) => `${a.icmp!.sender} (${a.icmp!.name})`));
    parts.push(`unreachable: ${senders.join(', ')} reports no way to ${ip}`);
    hint(`ip route get ${ip}; traceroute ${ip}   # where does the path end?`);
    hint(`ip neigh show ${ip}   # on the last router: does the host answer ARP/NDP (is it up)?`);
  }
  if (n('filtered')) {
    parts.push(`silently filtered: ${n('filtered')} attempt(s) got no answer at all (firewall DROP, or the host is down)`);
    hint(`${ipt} -S INPUT | grep -E 'DROP|${port}'; nft list ruleset   # on ${ip} and on firewalls along the path`);
    hint(`traceroute -T -p ${port} ${ip}; ping -c 3 ${ip}   # is the host up, where do packets stop?`);
  }
  if (n('backlog-drop')) {
    const live = n('established');
    parts.push(`listen backlog overflow: a live listener${live ? ` (it completed ${live} handshake(s))` : ''} dropped ${n('backlog-drop')} attempt(s)`);
    hint(`nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop   # on ${ip}: counters rising?`);
    hint(`ss -ltn 'sport = :${port}'   # Recv-Q (accept queue now) against Send-Q (its size)`);
    hint('sysctl net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies net.ipv4.tcp_abort_on_overflow');
    hint('raise the listen() backlog in the application and make it accept() faster');
  }
  const flaggedBacklog = list.filter((a) => a.verdict === 'established' && a.flags.includes('backlog-drop')).length;
  if (flaggedBacklog && !n('backlog-drop')) {
    parts.push(`${flaggedBacklog} established attempt(s) were delayed by a full listen queue`);
    hint(`nstat -az TcpExtListenOverflows TcpExtListenDrops   # on ${ip}`);
  }
  if (n('aborted')) parts.push(`${n('aborted')} attempt(s) abandoned by the client after the server answered (half-open scan, or client-side timeout)`);
  if (n('incomplete')) {
    parts.push(`${n('incomplete')} attempt(s) undecided: the capture ended too soon`);
    hint('capture for longer: at least the handshake timeout after the last SYN');
  }
  return {
    server: { ip, port },
    attempts: list.length,
    verdicts: c,
    diagnosis: parts.join('; '),
    hints,
    first: list[0].start,
    last: list[list.length - 1].start,
  };
}

/** Established and refused on one endpoint: when did the listener go away or come back? */
function listenerTimeline(list: AttemptReport[]): string {
  const runs: Array<{ up: boolean; first: string; last: string; n: number }> = [];
  for (const a of list) {
    if (a.verdict !== 'established' && a.verdict !== 'refused') continue;
    const up = a.verdict === 'established';
    const r = runs[runs.length - 1];
    if (r && r.up === up) { r.last = a.start; r.n++; } else runs.push({ up, first: a.start, last: a.start, n: 1 });
  }
  if (runs.length === 3 && runs[0].up && !runs[1].up && runs[2].up) {
    return `listener went away between ${runs[0].last} and ${runs[1].first} and came back by ${runs[2].first} (${runs[1].n} refused meanwhile)`;
  }
  if (runs.length === 2 && runs[0].up) return `listener went away: accepted until ${runs[0].last}, refused from ${runs[1].first}`;
  if (runs.length === 2 && !runs[0].up) return `listener came up: refused until ${runs[0].last}, accepted from ${runs[1].first}`;
  return `listener flapping: accepted and refused ${runs.length} times in turn (restarts, or several hosts behind one address)`;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
