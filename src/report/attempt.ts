/** Turns an engine Attempt into its report form (strings are built here, once per attempt). */
import type { Attempt } from '../handshake/attempt.js';
import { hopsOf } from '../model/ttl.js';
import { icmpMeaning } from '../model/icmp-names.js';
import { isoTime } from '../util/time.js';
import { vlanIds } from '../flow/table.js';
import { ruleIdOf } from '../verdict/rules.js';
import type { AttemptReport, ReasonCode } from './model.js';
import { connFields } from './conn.js';

/** Builds the report (the flags and frames arrays are the decision's own, never changed after). */
export function attemptReport(a: Attempt, file: string, serverTtl: number): AttemptReport {
  const serverIp = a.serverIp();
  const ttl: AttemptReport['ttl'] = {};
  const hops: AttemptReport['hops'] = {};
  if (a.synAckT >= 0 && a.synAckTtl >= 0) { ttl.synAck = a.synAckTtl; hops.synAck = hopsOf(a.synAckTtl); }
  if (a.rstT >= 0 && a.rstTtl >= 0) { ttl.rst = a.rstTtl; hops.rst = hopsOf(a.rstTtl); }
  if (a.icmpT >= 0) { ttl.icmp = a.icmpTtl; hops.icmp = hopsOf(a.icmpTtl); }
  if (serverTtl >= 0) { ttl.server = serverTtl; hops.server = hopsOf(serverTtl); }
  let answer = Infinity;
  if (a.synAckT >= 0) answer = a.synAckT;
  if (a.rstT >= 0 && a.rstT < answer) answer = a.rstT;
  if (a.icmpT >= 0 && a.icmpT < answer) answer = a.icmpT;
  const c = connFields(a);
  const r: AttemptReport = {
    client: { ip: a.clientIp(), port: a.cport },
    server: { ip: serverIp, port: a.sport },
    ...(a.vlan ? { vlan: vlanIds(a.vlan) } : {}),
    verdict: a.verdict,
    flags: a.flags,
    start: isoTime(a.startSec, a.startNsec, a.tsDigits),
    end: c.end,
    durationMs: c.durationMs,
    synCount: a.synCount,
    rttMs: a.synAckT >= 0 && !a.oneSided ? round3((a.synAckT - a.synBeforeAckT) * 1000) : null,
    answerMs: answer === Infinity ? null : round3((answer - a.t0) * 1000),
    frames: a.frames.length ? a.frames : a.synFrames,
    file,
    reason: a.reason,
    reasonCode: ruleIdOf(a.why) as ReasonCode,
    history: a.history,
    isn: a.isn,
    origPkts: c.origPkts,
    origBytes: c.origBytes,
    origIpBytes: c.origIpBytes,
    respPkts: c.respPkts,
    respBytes: c.respBytes,
    respIpBytes: c.respIpBytes,
    zeek: { uid: c.uid, connState: c.connState, history: c.zeekHistory, duration: c.zeekDuration },
    ttl,
    hops,
  };
  if (a.icmpT >= 0) {
    const sender = a.icmpSenderIp();
    r.icmp = { type: a.icmpType, code: a.icmpCode, name: icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name, sender, senderIsServer: sender === serverIp };
  }
  return r;
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
