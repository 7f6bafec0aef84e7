/**
 * An attempt's timing, packet counts and Zeek view (end, durationMs, origPkts ... respIpBytes,
 * zeek {uid, connState, history, duration}) in the one form every writer reads: the report
 * object and the JSON bytes (both from fields.ts) and the worker's packed records
 * (attempt-record.ts) all take them from `connFields`, so the three stay the same.
 */
import type { Attempt } from '../handshake/attempt.js';
import { zeekConnState, zeekDurationUs, zeekOrigBytes, zeekRespBytes } from '../handshake/conn-track.js';
import type { ConnState } from '../model/conn-state.js';
import { isoTime } from '../util/time.js';
import type { AttemptReport } from './model.js';

/** The report's own fields, as AttemptReport documents them, flat, plus its `zeek` object's parts. */
export type ConnFields = Pick<AttemptReport, 'end' | 'durationMs' | 'origPkts' | 'origBytes' | 'origIpBytes' | 'respPkts' | 'respBytes' | 'respIpBytes'> & {
  uid: string;
  connState: ConnState;
  zeekHistory: string;
  /** Zeek's `duration` in seconds (microseconds, as its packet clock has them), or null where it leaves it unset. */
  zeekDuration: number | null;
};

/** Filled again for each attempt (the JSON writers copy what they need at once). */
const scratch: ConnFields = {
  end: '', durationMs: 0, origPkts: 0, origBytes: 0, origIpBytes: 0, respPkts: 0, respBytes: 0, respIpBytes: 0,
  uid: '', connState: 'OTH', zeekHistory: '', zeekDuration: null,
};

/** The attempt's fields (in a shared object, valid until the next call). */
export function connFields(a: Attempt): ConnFields {
  const c = scratch;
  c.end = isoTime(a.endSec, a.endNsec, a.tsDigits);
  c.durationMs = Math.round(((a.endSec - a.startSec) * 1e9 + (a.endNsec - a.startNsec)) / 1e3) / 1e3;
  c.origPkts = a.origPkts;
  c.origBytes = zeekOrigBytes(a);
  c.origIpBytes = a.origIpBytes;
  c.respPkts = a.respPkts;
  c.respBytes = zeekRespBytes(a);
  c.respIpBytes = a.respIpBytes;
  c.uid = zeekUid(a);
  c.connState = zeekConnState(a);
  c.zeekHistory = a.zHistory;
  const us = zeekDurationUs(a);
  c.zeekDuration = us === null ? null : us / 1e6;
  return c;
}

const UID_SEEDS = [0x811c9dc5, 0x01000193, 0x9e3779b9];
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const uidCodes: number[] = new Array<number>(19).fill(0x43); // 'C'

/** One 32-bit word into a MurmurHash3 state. */
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * A Zeek-style connection uid ("C" and 18 base62 characters), derived from the attempt itself
 * (addresses, ports, VLAN, ISN, first SYN's time), so the same capture always gives the same
 * uids: three MurmurHash3 lanes with different seeds over those numbers, 6 characters each.
 */
export function zeekUid(a: Attempt): string {
  let k = 1;
  for (const seed of UID_SEEDS) {
    let h = mix(seed, a.version);
    h = mix(h, a.c0); h = mix(h, a.c1); h = mix(h, a.c2); h = mix(h, a.c3);
    h = mix(h, a.s0); h = mix(h, a.s1); h = mix(h, a.s2); h = mix(h, a.s3);
    h = mix(h, a.cport * 65536 + a.sport);
    h = mix(h, a.vlan);
    h = mix(h, a.isn);
    h = mix(h, a.startSec % 4294967296);
    h = mix(h, Math.floor(a.startSec / 4294967296));
    h = mix(h, a.startNsec);
    h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
    let v = h >>> 0;
    for (let i = 0; i < 6; i++) { uidCodes[k++] = BASE62.charCodeAt(v % 62); v = Math.floor(v / 62); }
  }
  return String.fromCharCode.apply(null, uidCodes);
}
