/** The report: the JSON shapes of ../shared/CONTRACT.md, typed for library users. */
import type { Flag, Verdict } from '../model/verdict.js';
import type { RuleId } from '../verdict/rules.js';

/** The stable code of an attempt's reason: the id of the verdict rule that decided it (README: the rule table). */
export type ReasonCode = RuleId;

/**
 * The stable codes of an endpoint's findings, one per sentence of its diagnosis, in the same order
 * (`none` only for an endpoint with no finding at all).
 */
export const DIAGNOSIS_CODES = [
  'listener-changed', 'not-listening', 'bound-one-address', 'accepting', 'forged-reset', 'icmp-reject', 'icmp-reject-rate-limited',
  'unreachable', 'filtered', 'filtered-one-sided', 'backlog-overflow', 'backlog-delayed', 'client-aborted', 'undecided-one-sided',
  'undecided-short',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];
import type { ConnState } from '../model/conn-state.js';

export interface HostPort {
  ip: string;
  port: number;
}

export interface AttemptReport {
  client: HostPort;
  server: HostPort;
  /** VLAN IDs of the attempt's frames, outer first (only when tagged: Zeek's vlan and inner_vlan). */
  vlan?: number[];
  verdict: Verdict;
  flags: Flag[];
  /** ISO-8601 UTC time of the first SYN, at the capture's precision. */
  start: string;
  /** ISO-8601 UTC time of the attempt's last packet (TCP, or the ICMP error about it) before its final report, at the capture's precision. */
  end: string;
  /** From the first SYN to `end`, in milliseconds. */
  durationMs: number;
  synCount: number;
  /** From the SYN that was answered to the first SYN-ACK, or null without a SYN-ACK. */
  rttMs: number | null;
  /** Milliseconds from the first SYN to the answer that decided the verdict (SYN-ACK, RST, ICMP), or null. */
  answerMs: number | null;
  /** 1-based frame numbers (as Wireshark counts them in `file`) of the packets that decided the verdict. */
  frames: number[];
  /** The capture file those frames are in (the file of the first SYN). */
  file: string;
  /** When an attempt spans several input files: its frames in the other files. */
  otherFrames?: Array<{ file: string; frames: number[] }>;
  /** One plain sentence. */
  reason: string;
  /** Stable code of the reason (the deciding rule's id), for scripts: the sentence may be reworded, the code is not. */
  reasonCode: ReasonCode;
  /** Zeek-style history letters (see HistoryLetter). */
  history: string;
  /** Client initial sequence number. */
  isn: number;
  /** Packets the client (originator) sent, copies included. */
  origPkts: number;
  /** Client payload bytes as Zeek counts them: from sequence numbers (highest sent or acknowledged, less the SYN and FIN). */
  origBytes: number;
  /** IP bytes the client sent (the IP total length of each packet, as Zeek's orig_ip_bytes). */
  origIpBytes: number;
  respPkts: number;
  respBytes: number;
  respIpBytes: number;
  /**
   * What Zeek's conn.log says of the attempt: a deterministic `uid`, `conn_state` and `history`
   * by Zeek's rules (Zeek's letters, not synscope's `history`), and `duration` in seconds (null
   * where Zeek leaves it unset: a single packet). ICMP errors are not part of Zeek's TCP connection.
   */
  zeek: { uid: string; connState: ConnState; history: string; duration: number | null };
  /** TTL / hop limit of the answers and of the server host's own packets, where seen. */
  ttl: { synAck?: number; rst?: number; icmp?: number; server?: number };
  /** Hop distances derived from those TTLs (initial TTL 64, 128 or 255 minus the TTL seen). */
  hops: { synAck?: number; rst?: number; icmp?: number; server?: number };
  icmp?: { type: number; code: number; name: string; sender: string; senderIsServer: boolean };
}

export interface EndpointReport {
  server: HostPort;
  /** VLAN IDs, outer first, when the endpoint's attempts were tagged (the same address in two VLANs is two endpoints). */
  vlan?: number[];
  attempts: number;
  verdicts: Partial<Record<Verdict, number>>;
  diagnosis: string;
  /** Stable code of the main finding (the first of diagnosisCodes, or `none`). */
  diagnosisCode: DiagnosisCode | 'none';
  /** Stable codes of every finding, in the order of the diagnosis' sentences. */
  diagnosisCodes: DiagnosisCode[];
  hints: string[];
  first: string;
  last: string;
}

export interface Summary {
  packets: number;
  attempts: number;
  midstream: number;
  verdicts: Partial<Record<Verdict, number>>;
  warnings: string[];
  files: string[];
  handshakeTimeoutSec: number;
  /** With a packet filter (a capture-filter expression): packets it left out, not analysed (of `packets` read). */
  filteredOut?: number;
  /** With a packet filter: its expression (when known) and the packets it kept (`packets - filteredOut`). */
  filter?: { expression?: string; kept: number };
}

export interface Report {
  attempts: AttemptReport[];
  endpoints: EndpointReport[];
  summary: Summary;
}
