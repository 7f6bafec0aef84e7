/**
 * ICMP destination-unreachable codes, named as nmap's --reason does, and sorted into the two
 * verdicts: an administrative or port answer is a deliberate `rejected`; a routing answer is
 * `unreachable`.
 */
import type { Verdict } from './verdict.js';

export interface IcmpMeaning {
  name: string;
  verdict: Verdict | null;
}

const V4_UNREACH: Record<number, IcmpMeaning> = {
  0: { name: 'net-unreach', verdict: 'unreachable' },
  1: { name: 'host-unreach', verdict: 'unreachable' },
  2: { name: 'proto-unreach', verdict: 'rejected' },
  3: { name: 'port-unreach', verdict: 'rejected' },
  4: { name: 'needfrag', verdict: null },
  5: { name: 'srcroute-failed', verdict: 'unreachable' },
  6: { name: 'net-unknown', verdict: 'unreachable' },
  7: { name: 'host-unknown', verdict: 'unreachable' },
  8: { name: 'host-isolated', verdict: 'unreachable' },
  9: { name: 'net-prohibited', verdict: 'rejected' },
  10: { name: 'host-prohibited', verdict: 'rejected' },
  11: { name: 'net-tos-unreach', verdict: 'unreachable' },
  12: { name: 'host-tos-unreach', verdict: 'unreachable' },
  13: { name: 'admin-prohibited', verdict: 'rejected' },
  14: { name: 'precedence-violation', verdict: 'rejected' },
  15: { name: 'precedence-cutoff', verdict: 'rejected' },
};

const V6_UNREACH: Record<number, IcmpMeaning> = {
  0: { name: 'no-route', verdict: 'unreachable' },
  1: { name: 'admin-prohibited', verdict: 'rejected' },
  2: { name: 'beyond-scope', verdict: 'unreachable' },
  3: { name: 'addr-unreach', verdict: 'unreachable' },
  4: { name: 'port-unreach', verdict: 'rejected' },
  5: { name: 'source-policy', verdict: 'rejected' },
  6: { name: 'reject-route', verdict: 'rejected' },
  7: { name: 'srh-error', verdict: 'unreachable' },
};

/** Meaning of an ICMP error for a TCP connection attempt; verdict null = not an answer to it. */
export function icmpMeaning(family: number, type: number, code: number): IcmpMeaning {
  if (family === 4) {
    if (type === 3) return V4_UNREACH[code] ?? { name: `unreach-code-${code}`, verdict: 'unreachable' };
    if (type === 11) return { name: code === 0 ? 'ttl-exceeded' : 'reassembly-time-exceeded', verdict: code === 0 ? 'unreachable' : null };
    if (type === 12) return { name: 'parameter-problem', verdict: null };
    if (type === 4) return { name: 'source-quench', verdict: null };
    if (type === 5) return { name: 'redirect', verdict: null };
    return { name: `icmp-type-${type}`, verdict: null };
  }
  if (type === 1) return V6_UNREACH[code] ?? { name: `unreach-code-${code}`, verdict: 'unreachable' };
  if (type === 3) return { name: code === 0 ? 'hop-limit-exceeded' : 'reassembly-time-exceeded', verdict: code === 0 ? 'unreachable' : null };
  if (type === 2) return { name: 'packet-too-big', verdict: null };
  if (type === 4) return { name: 'parameter-problem', verdict: null };
  return { name: `icmpv6-type-${type}`, verdict: null };
}
