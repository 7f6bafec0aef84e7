/**
 * What an endpoint's verdicts mean, in an SRE's words, and the commands to run next: one entry per
 * verdict (the compiler insists on every one), each reading the endpoint's aggregate and adding
 * its findings (a sentence and its stable code, see DIAGNOSIS_CODES) and hints. Entries run in
 * VERDICTS order, which is the order of the diagnosis text; a new verdict adds one entry here.
 */
import { VERDICTS, verdictIndex, type Verdict } from '../model/verdict.js';
import type { EndpointAggregate } from './endpoints.js';
import type { DiagnosisCode } from './model.js';

/** An endpoint's findings: sentences and their codes at the same index, and hints without repeats. */
export interface Diagnosis {
  readonly parts: string[];
  readonly codes: DiagnosisCode[];
  readonly hints: string[];
}

/** What an entry is given: the endpoint, the others of the capture, and the means to add findings and hints. */
interface Context {
  readonly g: EndpointAggregate;
  readonly all: readonly EndpointAggregate[];
  /** Attempts of the endpoint with verdict v. */
  n(v: Verdict): number;
  find(code: DiagnosisCode, text: string): void;
  hint(text: string): void;
  /** iptables or ip6tables, by the server's address family. */
  readonly ipt: string;
}

const ENTRIES: { readonly [V in Verdict]: (c: Context) => void } = {
  established({ g, n, find }) {
    if (n('established') && n('refused')) find('listener-changed', listenerTimeline(g));
    else if (n('established')) find('accepting', 'accepting connections');
  },
  refused({ g, all, n, find, hint, ipt }) {
    if (!n('refused')) return;
    const { ip, port } = g;
    if (!n('established')) {
      find('not-listening', 'nothing listening: the host itself answers RST');
      const elsewhere = all.filter((o) => o !== g && o.port === port && o.counts[verdictIndex('established')] > 0);
      if (elsewhere.length) {
        find('bound-one-address', `port ${port} answers on ${elsewhere.map((o) => o.ip).join(', ')} but refuses on ${ip}: if that is the same host, the service is bound to one address only`);
        hint(`ss -ltn 'sport = :${port}'   # on the server: a listen address of ${elsewhere[0].ip} (not ${ip.includes(':') ? '[::]' : '0.0.0.0'}) explains it`);
      }
    }
    hint(`ss -ltnp 'sport = :${port}'   # on ${ip}: is anything listening, and on which address?`);
    hint(`systemctl --failed; journalctl -n 50   # on ${ip}: did the service die or fail to start?`);
    // A host firewall's tcp-reset is byte for byte a closed port's RST (IPv4): only the host can tell.
    hint(`${ipt} -S | grep -- 'tcp-reset'; nft list ruleset | grep -i 'reset'   # on ${ip}: a host firewall rejecting with tcp-reset sends the same RST as a closed port`);
  },
  'forged-reset'({ g, n, find, hint, ipt }) {
    if (!n('forged-reset')) return;
    const h = g.forgedHops;
    find('forged-reset', h !== null && h > 0 ? `reset forged by a device ${h} hop${h === 1 ? '' : 's'} before the server (RST TTL unlike the server's)`
      : h !== null && h === 0 ? 'reset forged by a device sending with another initial TTL than the server'
        : 'reset forged by a middlebox (RST unlike the server\'s own packets)');
    hint(`traceroute -T -p ${g.port} ${g.ip}   # find the device${h !== null && h > 0 ? ` ${h} hop(s) short of the server` : ''}`);
    hint(`${ipt} -S | grep -- '--reject-with tcp-reset'; nft list ruleset | grep -i 'reject with tcp reset'   # on firewalls along the path`);
  },
  rejected({ g, n, find, hint, ipt }) {
    if (!n('rejected')) return;
    const senders = [...g.rejectSenders].map(([s, v]) => `${s} (${v.name}${v.own ? ', the server itself' : ''})`);
    const limited = g.rateLimited ? ` (its ICMP errors rate-limited: ${g.rateLimited} attempt(s) got none while their neighbours were rejected)` : '';
    find(g.rateLimited ? 'icmp-reject-rate-limited' : 'icmp-reject', `REJECT rule at ${senders.join(', ') || 'an ICMP sender'}${limited}`);
    if (g.rateLimited) hint('sysctl net.ipv4.icmp_ratelimit net.ipv4.icmp_msgs_per_sec net.ipv6.icmp.ratelimit   # on the ICMP sender: why some attempts got no ICMP');
    hint(`${ipt} -S | grep -i reject; nft list ruleset | grep -i reject   # on ${[...g.rejectSenders.keys()].join(', ') || g.ip}`);
  },
  unreachable({ g, n, find, hint }) {
    if (!n('unreachable')) return;
    const senders = [...g.unreachSenders].map(([s, name]) => `${s} (${name})`);
    find('unreachable', `unreachable: ${senders.join(', ')} reports no way to ${g.ip}`);
    hint(`ip route get ${g.ip}; traceroute ${g.ip}   # where does the path end?`);
    hint(`ip neigh show ${g.ip}   # on the last router: does the host answer ARP/NDP (is it up)?`);
  },
  filtered({ g, n, find, hint, ipt }) {
    if (!n('filtered')) return;
    const view = g.oneSided && !n('incomplete') ? ' (the capture misses the server\'s direction: the clients kept retransmitting)' : '';
    find(view ? 'filtered-one-sided' : 'filtered', `silently filtered: ${n('filtered')} attempt(s) got no answer at all (firewall DROP, or the host is down)${view}`);
    hint(`${ipt} -S INPUT | grep -E 'DROP|${g.port}'; nft list ruleset   # on ${g.ip} and on firewalls along the path`);
    hint(`traceroute -T -p ${g.port} ${g.ip}; ping -c 3 ${g.ip}   # is the host up, where do packets stop?`);
  },
  // Also for established attempts a full queue delayed (the flag, not the verdict).
  'backlog-drop'({ g, n, find, hint, ipt }) {
    const dropped = n('backlog-drop');
    if (!dropped && !g.delayedEstablished) return;
    const live = n('established');
    if (dropped) find('backlog-overflow', `listen backlog overflow: a live listener${live ? ` (it completed ${live} handshake(s))` : ''} dropped ${dropped} attempt(s) (from one capture point a limit on new connections looks the same: connlimit, a full conntrack table)`);
    else find('backlog-delayed', `${g.delayedEstablished} established attempt(s) were delayed by a full listen queue`);
    hint(`nstat -az TcpExtListenOverflows TcpExtListenDrops TcpExtTCPReqQFullDrop   # on ${g.ip}: counters rising?`);
    hint(`ss -ltn 'sport = :${g.port}'   # Recv-Q (accept queue now) against Send-Q (its size)`);
    hint('sysctl net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies net.ipv4.tcp_abort_on_overflow');
    hint('raise the listen() backlog in the application and make it accept() faster');
    hint(`conntrack -S; ${ipt} -S | grep -E 'connlimit|hashlimit'   # on ${g.ip} and firewalls on the way: a full connection table or a connection limit drops SYNs the same way`);
  },
  aborted({ n, find }) {
    if (n('aborted')) find('client-aborted', `${n('aborted')} attempt(s) abandoned by the client after the server answered (half-open scan, or client-side timeout)`);
  },
  incomplete({ g, n, find, hint }) {
    if (!n('incomplete')) return;
    if (g.oneSided) {
      find('undecided-one-sided', `${n('incomplete')} attempt(s) undecided: the capture holds no packets from the server's direction (the clients stopped after one SYN: refused or rejected)`);
      hint(`tcpdump -i any -w both.pcap 'host ${g.ip} and port ${g.port}'   # capture where both directions pass (not -Q out, not one side of an asymmetric path)`);
    } else {
      find('undecided-short', `${n('incomplete')} attempt(s) undecided: the capture ended too soon`);
      hint('capture for longer: at least the handshake timeout after the last SYN');
    }
  },
};

/** The endpoint's findings and hints, from its aggregate and (for "bound to one address") the capture's other endpoints. */
export function diagnose(g: EndpointAggregate, all: readonly EndpointAggregate[]): Diagnosis {
  const d: Diagnosis = { parts: [], codes: [], hints: [] };
  const c: Context = {
    g,
    all,
    n: (v) => g.counts[verdictIndex(v)],
    find: (code, text) => { d.parts.push(text); d.codes.push(code); },
    hint: (h) => { if (!d.hints.includes(h)) d.hints.push(h); },
    ipt: g.ip.includes(':') ? 'ip6tables' : 'iptables',
  };
  for (const v of VERDICTS) ENTRIES[v](c);
  return d;
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
