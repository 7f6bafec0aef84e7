/**
 * An attempt's report fields packed into flat buffers, to hand attempts to the JSON worker
 * (`--workers 2`): numbers in a Float64Array (the reason as its rule number and numbers: the worker writes
 * the sentence), text (history, start time, ICMP sender) as UTF-8 bytes. Packing copies about 40 numbers and 200 bytes per attempt, a tenth of what writing
 * its JSON costs; the worker unpacks each record into one reused `AttemptFields` object and writes
 * the same bytes `writeAttemptJson` writes from the engine's Attempt.
 */
import type { Attempt } from '../handshake/attempt.js';
import { FLAGS, VERDICTS, verdictIndex, type Flag, type Verdict } from '../model/verdict.js';
import { reasonOf, type ReasonFields } from '../verdict/reasons.js';
import { endpointToString } from '../util/ip.js';
import type { AttemptFields, ServerText } from './fields.js';
import type { ConnFields } from './conn.js';
import { CONN_STATES, type ConnState } from '../model/conn-state.js';

/**
 * Numbers a record needs besides its frames and flags: 29 fields (the reason as its rule number and four
 * numbers), 9 of timing, counts and Zeek view (ConnFields), two counts and six string lengths
 * (the frames, then the flags as indices into FLAGS, follow the fields).
 */
const RECORD_NUMS = 34 + 9 + 3;

/** Buffers being filled on the main thread; sent whole (transferred) when full. */
export class RecordBatch {
  readonly nums: Float64Array;
  readonly text: Buffer;
  n = 0;
  t = 0;
  records = 0;
  /** New servers: id, ip, port, VLAN IDs (text form sent once per server). */
  servers: Array<[number, string, number, readonly number[]]> = [];

  /** Shared with the worker: a batch is written here, then read there, never both at once. */
  readonly numsShared: SharedArrayBuffer;
  readonly textShared: SharedArrayBuffer;

  constructor(readonly id: number, readonly numCap = 1 << 16, readonly textCap = 1 << 18) {
    this.numsShared = new SharedArrayBuffer(numCap * 8);
    this.textShared = new SharedArrayBuffer(textCap);
    this.nums = new Float64Array(this.numsShared);
    this.text = Buffer.from(this.textShared);
  }

  /** Handed to the worker and not yet given back; `use` numbers the handing. */
  out = false;
  use = 0;

  clear(): void {
    this.n = this.t = this.records = 0;
    this.servers = [];
  }

  /** Whether one more attempt (with these strings) fits. */
  fits(a: Attempt, textBytesMax: number): boolean {
    return this.n + RECORD_NUMS + a.frames.length + a.synFrames.length + a.flags.length <= this.numCap && this.t + textBytesMax <= this.textCap;
  }

  private str(s: string): void {
    // Reasons and histories are ASCII: copied in a loop, cheaper than a call into Buffer.write
    // for strings this short; anything else goes through it as UTF-8.
    const text = this.text;
    const start = this.t;
    let t = start;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        t = start + text.write(s, start, 'utf8');
        break;
      }
      text[t++] = c;
    }
    this.nums[this.n++] = t - start;
    this.t = t;
  }

  pack(a: Attempt, serverId: number, serverTtl: number, start: string, icmpSender: string, c: ConnFields): void {
    const x = this.nums;
    let n = this.n;
    x[n++] = a.version;
    x[n++] = a.c0; x[n++] = a.c1; x[n++] = a.c2; x[n++] = a.c3;
    x[n++] = a.cport;
    x[n++] = serverId;
    x[n++] = verdictIndex(a.verdict);
    x[n++] = a.synCount;
    x[n++] = a.synAckT;
    x[n++] = a.synBeforeAckT;
    x[n++] = a.rstT;
    x[n++] = a.icmpT;
    x[n++] = a.t0;
    x[n++] = a.file;
    x[n++] = a.isn;
    x[n++] = a.synAckTtl;
    x[n++] = a.rstTtl;
    x[n++] = a.icmpTtl;
    x[n++] = serverTtl;
    x[n++] = a.icmpType;
    x[n++] = a.icmpCode;
    x[n++] = a.icmpFamily;
    x[n++] = a.oneSided ? 1 : 0;
    x[n++] = a.why; x[n++] = a.why0; x[n++] = a.why1; x[n++] = a.why2; x[n++] = a.why3;
    x[n++] = c.durationMs;
    x[n++] = c.origPkts; x[n++] = c.origBytes; x[n++] = c.origIpBytes;
    x[n++] = c.respPkts; x[n++] = c.respBytes; x[n++] = c.respIpBytes;
    x[n++] = CONN_STATES.indexOf(c.connState);
    x[n++] = c.zeekDuration === null ? -1 : c.zeekDuration;
    const frames = a.frames.length ? a.frames : a.synFrames;
    x[n++] = frames.length;
    for (let i = 0; i < frames.length; i++) x[n++] = frames[i];
    x[n++] = a.flags.length;
    for (let i = 0; i < a.flags.length; i++) x[n++] = FLAGS.indexOf(a.flags[i]);
    this.n = n;
    this.str(a.history);
    this.str(start);
    this.str(icmpSender);
    this.str(c.end);
    this.str(c.uid);
    this.str(c.zeekHistory);
    this.records++;
  }
}

/** An attempt's report fields, as `writeAttemptJson` reads them (filled from a record in the worker). */
export class UnpackedAttempt implements AttemptFields, ReasonFields, ConnFields {
  version = 4;
  c0 = 0; c1 = 0; c2 = 0; c3 = 0;
  cport = 0;
  serverId = 0;
  verdict: Verdict = 'incomplete';
  synCount = 0;
  synAckT = -1;
  synBeforeAckT = 0;
  rstT = -1;
  icmpT = -1;
  t0 = 0;
  file = 0;
  isn = 0;
  synAckTtl = -1;
  rstTtl = -1;
  icmpTtl = 0;
  serverTtl = -1;
  icmpType = 0;
  icmpCode = 0;
  icmpFamily = 0;
  oneSided = false;
  frames: number[] = [];
  synFrames: number[] = [];
  flags: Flag[] = [];
  why = 0; why0 = 0; why1 = 0; why2 = 0; why3 = 0;
  /** The record's server (set by the worker before writing it). */
  server: ServerText = { ip: '', port: 0, vlans: [], jsonBytes: null };
  history = '';
  start = '';
  sender = '';
  end = '';
  durationMs = 0;
  origPkts = 0; origBytes = 0; origIpBytes = 0;
  respPkts = 0; respBytes = 0; respIpBytes = 0;
  uid = '';
  connState: ConnState = 'OTH';
  zeekHistory = '';
  zeekDuration: number | null = null;

  icmpSenderIp(): string {
    return this.sender;
  }

  serverIpText(): string {
    return this.server.ip;
  }

  serverText(): string {
    return this.server.text ??= endpointToString(this.server.ip, this.server.port);
  }

  get reason(): string {
    return reasonOf(this);
  }

  /** Reads the record at `pos` (numbers `n`, text `t`) and moves `pos` past it. */
  unpack(x: Float64Array, text: Buffer, pos: { n: number; t: number }): void {
    let n = pos.n;
    this.version = x[n++];
    this.c0 = x[n++]; this.c1 = x[n++]; this.c2 = x[n++]; this.c3 = x[n++];
    this.cport = x[n++];
    this.serverId = x[n++];
    this.verdict = VERDICTS[x[n++]];
    this.synCount = x[n++];
    this.synAckT = x[n++];
    this.synBeforeAckT = x[n++];
    this.rstT = x[n++];
    this.icmpT = x[n++];
    this.t0 = x[n++];
    this.file = x[n++];
    this.isn = x[n++];
    this.synAckTtl = x[n++];
    this.rstTtl = x[n++];
    this.icmpTtl = x[n++];
    this.serverTtl = x[n++];
    this.icmpType = x[n++];
    this.icmpCode = x[n++];
    this.icmpFamily = x[n++];
    this.oneSided = x[n++] === 1;
    this.why = x[n++]; this.why0 = x[n++]; this.why1 = x[n++]; this.why2 = x[n++]; this.why3 = x[n++];
    this.durationMs = x[n++];
    this.origPkts = x[n++]; this.origBytes = x[n++]; this.origIpBytes = x[n++];
    this.respPkts = x[n++]; this.respBytes = x[n++]; this.respIpBytes = x[n++];
    this.connState = CONN_STATES[x[n++]];
    const zd = x[n++];
    this.zeekDuration = zd < 0 ? null : zd;
    const nf = x[n++];
    const frames = (this.frames = new Array<number>(nf));
    for (let i = 0; i < nf; i++) frames[i] = x[n++];
    const nflags = x[n++];
    const flags = (this.flags = new Array<Flag>(nflags));
    for (let i = 0; i < nflags; i++) flags[i] = FLAGS[x[n++]];
    let t = pos.t;
    const str = (): string => {
      const len = x[n++];
      const s = text.toString('utf8', t, t + len);
      t += len;
      return s;
    };
    this.history = str();
    this.start = str();
    this.sender = str();
    this.end = str();
    this.uid = str();
    this.zeekHistory = str();
    pos.n = n;
    pos.t = t;
  }
}
