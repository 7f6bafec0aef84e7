/** Turns an engine Attempt into its report form (strings are built here, once per attempt). */
import type { Attempt } from '../handshake/attempt.js';
import { hopsOf } from '../handshake/classify.js';
import { icmpMeaning } from '../handshake/icmp-names.js';
import { ipToString } from '../util/ip.js';
import { isoTime } from '../util/time.js';
import type { AttemptReport } from './model.js';

export interface TtlLookup {
  (a: Attempt): number;
}

export function attemptReport(a: Attempt, file: string, serverTtl: number): AttemptReport {
  const serverIp = ipToString(a.version, a.srv);
  const r: AttemptReport = {
    client: { ip: ipToString(a.version, a.cli), port: a.cport },
    server: { ip: serverIp, port: a.sport },
    verdict: a.verdict,
    flags: [...a.flags],
    start: isoTime(a.startSec, a.startNsec, a.tsDigits),
    synCount: a.synCount,
    rttMs: a.synAckT >= 0 ? round3((a.synAckT - a.synBeforeAckT) * 1000) : null,
    answerMs: answerMs(a),
    frames: [...a.frames],
    file,
    reason: a.reason,
    history: a.history,
    isn: a.isn,
    ttl: {},
    hops: {},
  };
  if (r.frames.length === 0) r.frames = [...a.synFrames];
  const put = (k: 'synAck' | 'rst' | 'icmp' | 'server', ttl: number) => {
    if (ttl >= 0) { r.ttl[k] = ttl; r.hops[k] = hopsOf(ttl); }
  };
  if (a.synAckT >= 0) put('synAck', a.synAckTtl);
  if (a.rstT >= 0) put('rst', a.rstTtl);
  if (a.icmpT >= 0) {
    put('icmp', a.icmpTtl);
    const sender = ipToString(a.icmpFamily, a.icmpSender);
    r.icmp = { type: a.icmpType, code: a.icmpCode, name: icmpMeaning(a.icmpFamily, a.icmpType, a.icmpCode).name, sender, senderIsServer: sender === serverIp };
  }
  put('server', serverTtl);
  return r;
}

function answerMs(a: Attempt): number | null {
  const ts = [a.synAckT, a.rstT, a.icmpT].filter((t) => t >= 0);
  if (ts.length === 0) return null;
  return round3((Math.min(...ts) - a.t0) * 1000);
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}
