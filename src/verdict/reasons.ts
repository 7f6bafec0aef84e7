/**
 * The reason sentence of each verdict rule, keyed by rule id (exhaustive: a rule without a sentence
 * does not compile). A sentence is written only when a report needs it, from the numbers the rule
 * fixed at its decision (Evidence.n, stored as why0..why3): built at every decision, the sentences
 * were the largest part of the garbage that outlived its attempt's first collections.
 */
import { icmpMeaning } from '../model/icmp-names.js';
import { hopsOf } from '../model/ttl.js';
import { LABEL_EVIDENCE, ruleIdOf, TTL_EVIDENCE, type RuleId } from './rules.js';

/** What a sentence reads: an engine Attempt, or one unpacked in the JSON worker. */
export interface ReasonFields {
  /** The deciding rule's number (RULE_NUMBER; 0: not decided), and the numbers it fixed. */
  readonly why: number;
  readonly why0: number;
  readonly why1: number;
  readonly why2: number;
  readonly why3: number;
  readonly version: number;
  readonly icmpFamily: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  icmpSenderIp(): string;
  /** The server's address, and `ip:port`, as text. */
  serverIpText(): string;
  serverText(): string;
}

function ms(sec: number): string {
  const v = sec * 1000;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(1)} ms`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function synText(synCount: number): string {
  return synCount > 1 ? `${synCount} SYNs` : 'the SYN';
}

function icmpReason(a: ReasonFields): string {
  const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
  const sender = a.icmpSenderIp();
  const who = sender === a.serverIpText() ? `the server ${sender} itself (host firewall)` : `${sender}, a router on the way`;
  const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
  const what = m.verdict === 'rejected' ? 'a REJECT rule' : 'no route to the destination';
  const cut = a.why0 ? ' (its quote was cut by the snap length before the sequence number; matched by addresses, protocol and client port)' : '';
  return `${kind} ${m.name} from ${who} answered the SYN to ${a.serverText()}${cut}: ${what}`;
}

const REASONS: { readonly [K in RuleId]: (a: ReasonFields) => string } = {
  'forged-race': (a) =>
    `a RST in ${a.serverText()}'s name (TTL ${a.why0}) answered the SYN while the server itself sent a SYN-ACK (TTL ${a.why1}): a middlebox injected the reset`,
  'client-ended': (a) =>
    `the client ${a.why0 ? 'reset' : 'closed'} the attempt after ${a.serverText()} answered with a SYN-ACK instead of completing the handshake (half-open scan, or the client had already timed out)`,
  'no-ack': (a) =>
    `the client never acknowledged ${plural(a.why0, 'SYN-ACK')} from ${a.serverText()} within ${a.why1} s: it abandoned the attempt (or its ACKs were lost on the way)`,
  'incomplete-after-synack': (a) =>
    `the capture ended ${ms(a.why0)} after ${a.serverText()}'s SYN-ACK, before the client's ACK`,
  'forged-evidence': (a) => {
    const serverIp = a.serverIpText();
    const evidence: string[] = [];
    if (a.why3 & TTL_EVIDENCE) {
      const dh = hopsOf(a.why1) - hopsOf(a.why0);
      const where = dh > 0 ? `, ${plural(dh, 'hop')} closer than the server` : dh < 0 ? `, ${plural(-dh, 'hop')} farther than the server` : ', sent with another initial TTL';
      evidence.push(`its TTL ${a.why0} differs from the TTL ${a.why1} of ${serverIp}'s own packets${where}`);
    }
    if (a.why2) evidence.push(`${a.serverText()} kept sending after it (frame ${a.why2})`);
    if (a.why3 & LABEL_EVIDENCE) evidence.push(`its IPv6 flow label is 0 while every other packet from ${serverIp} carries one`);
    return `the RST answering the SYN was not sent by ${serverIp}: ${evidence.join('; ')}; a firewall or middlebox rejects with tcp-reset`;
  },
  'refused': (a) => {
    const hop = a.version === 6 ? 'hop limit' : 'TTL';
    const basis = a.why2
      ? `with the same ${hop} ${a.why1} as its other packets`
      : `(no other packet from ${a.serverIpText()} in the capture to compare its ${hop} ${a.why1} with, so a host firewall's tcp-reset would look the same)`;
    const caveat = a.why3 ? ' (its flow label is 0 unlike the host\'s other packets, which some kernels do for their own resets too)' : '';
    return `${a.serverText()} answered ${synText(a.why0)} with RST ${basis}${caveat}: nothing is listening on that port, or a firewall on that host rejects it with tcp-reset (the same packet: iptables -S | grep tcp-reset; nft list ruleset | grep reset)`;
  },
  'icmp-rejected': icmpReason,
  'icmp-unreachable': icmpReason,
  'client-reset-syn': (a) =>
    `the client reset its own SYN to ${a.serverText()} before any answer: it gave up, nothing refused it`,
  'backlog-unanswered': (a) => {
    const live: string[] = [];
    if (a.why2 > 0) live.push(`answered ${plural(a.why2, 'other handshake')}`);
    if (a.why3 > 0) live.push(`held ${plural(a.why3, 'other connection')} in its queues (handshake begun or completed, not yet served by the application)`);
    if (live.length === 0) live.push('held other connections in its queues');
    return `${synText(a.why0)} to ${a.serverText()} went unanswered for ${a.why1.toFixed(1)} s while the same listener ${live.join(' and ')}: its listen queue was full (a firewall that limits new connections, such as connlimit or a full conntrack table, looks the same from one capture point: on the server, nstat -az TcpExtListenOverflows rises with a full queue, conntrack -S counts drops of a full table)`;
  },
  'filtered': (a) =>
    `${synText(a.why0)} to ${a.serverText()} got no answer at all for ${a.why1.toFixed(1)} s: a firewall drops them silently, or the host is down`,
  'incomplete-syn': (a) =>
    `the capture ended ${ms(a.why0)} after the first SYN to ${a.serverText()}, before an answer or the ${a.why1} s handshake timeout`,
  'app-reset': (a) =>
    `${a.serverText()} completed the handshake, then reset the connection ${ms(a.why0)} later before any data (the application accepted and closed it with a reset)`,
  'abort-on-overflow': (a) =>
    `${a.serverText()} reset the connection ${ms(a.why0)} after the handshake completed, before any data: the accept queue was full and net.ipv4.tcp_abort_on_overflow is on`,
  'late-synack-retx': (a) =>
    `established, but only after ${a.serverText()} retransmitted its SYN-ACK following the client's ACK: the accept queue was full and the ACK was dropped`,
  'final-ack-dropped': (a) =>
    `${a.serverText()} retransmitted its SYN-ACK after the client's ACK: the listener's accept queue was full and dropped the final ACK`,
  'data-unacked': (a) => {
    const why = a.why2 ? 'its SYN-ACK was a SYN cookie (MSS only), and the full accept queue dropped the connection the final ACK created'
      : 'it sent nothing after its SYN-ACK, as when a SYN-cookie connection is dropped by a full accept queue';
    const what = a.why3 ? 'FIN (it sent no data)' : 'data';
    return `the handshake completed on the wire but ${a.serverText()} never acknowledged the client's ${what} (${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s): ${why}`;
  },
  'established': (a) => {
    const delayed = a.why1 >= 0 ? `, after ${a.why1} SYN retransmission(s) while the listener answered or held other connections (listen queue overflow)` : '';
    const loss = a.why2 ? `; its SYN was retransmitted, not counted as a listen queue drop: packets were lost on other connections of this server at the time (frame ${a.why3}), so the path lost it` : '';
    const how = a.why0 < 0 ? 'the client acknowledged the server\'s SYN-ACK, which this capture does not hold: the server\'s direction is missing' : `SYN-ACK after ${ms(a.why0)}, client ACK`;
    return `${a.serverText()} completed the handshake (${how})${delayed}${loss}`;
  },
  'one-sided-stopped': (a) =>
    `the client sent one SYN to ${a.serverText()} and nothing more for ${a.why0.toFixed(1)} s, as a stack does when a RST or an ICMP error arrives; this capture holds no packets from the server's direction, so whether the port refused it or a firewall rejected it cannot be told`,
  'filtered-one-sided': (a) =>
    `the client sent ${synText(a.why0)} to ${a.serverText()} over ${a.why1.toFixed(1)} s and kept retransmitting, so no answer reached it: a firewall drops them, or the host is down (this capture holds no packets from the server's direction)`,
  'rate-limited': (a) => {
    const m = icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode);
    const kind = a.icmpFamily === 4 ? 'ICMP' : 'ICMPv6';
    return `${synText(a.why0)} to ${a.serverText()} got no answer for ${a.why1.toFixed(1)} s while the same endpoint's other attempts were rejected by ${kind} ${m.name} from ${a.icmpSenderIp()} (${plural(a.why2, 'rejection')}): the same REJECT rule, its ICMP errors rate-limited (Linux sends about one per second per destination after a short burst: net.ipv4.icmp_ratelimit, net.ipv6.icmp.ratelimit), not a separate DROP`;
  },
  'icmp-unreadable': (a) =>
    `the client sent one SYN to ${a.serverText()} and stopped; an ICMP error reached it meanwhile (frame ${a.why1}) whose quote the snap length cut before the ports, so it cannot be tied to this attempt: probably a rejection or an unreachable route, but not provably (capture with -s 128 or more)`,
  'app-closed-reset': (a) =>
    `${a.serverText()}'s application accepted the connection and closed it (FIN, frame ${a.why1}) before reading; the client's later data drew a bare RST ${ms(a.why0)} after the handshake: a normal close, not a full queue`,
  'late-reset': (a) =>
    `${a.serverText()} reset the connection ${ms(a.why0)} after the handshake without a FIN: the connection was lost on the server's side (restart, or a middlebox's timeout), not a listen queue`,
  'ack-lost': (a) =>
    `established after ${a.serverText()} retransmitted its SYN-ACK following the client's ACK; packets were lost on other connections of this server at the time (frame ${a.why0}) and no other connection waited in its queues, so the ACK was most likely lost on the way, not dropped by a full accept queue`,
  'cookie-ack-dropped': (a) => {
    const why = a.why2 ? 'its SYN-ACK was a SYN cookie (MSS only) and' : `${plural(a.why3, 'other connection')} waited to be accepted and`;
    return `established, but ${a.serverText()} acknowledged the client's data only after ${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s: ${why} the full accept queue dropped the final ACK; the connection was made from a later segment`;
  },
  'cookie-or-loss': (a) => {
    const why = a.why2 ? `the path was losing packets at the time (frame ${a.why2}: data sent again, or a server ACK pointing at a missing segment)` : 'its SYN-ACK was no SYN cookie and no other connection waited to be accepted';
    return `established; ${a.serverText()} acknowledged the client's data only after ${plural(a.why0, 'transmission')} over ${a.why1.toFixed(1)} s, not counted as a listen queue drop: ${why}, so the path most likely lost it`;
  },
};

/** The sentence of the attempt's decision ('' before the first). */
export function reasonOf(a: ReasonFields): string {
  const id = ruleIdOf(a.why);
  return id === '' ? '' : REASONS[id](a);
}
