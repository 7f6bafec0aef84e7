/**
 * Writes the contract's JSON document while the analysis runs: the attempts array grows as final
 * reports arrive, endpoints and summary close it. Output goes out as UTF-8 in large chunks.
 */
import type { Attempt } from '../handshake/attempt.js';
import { writeAttemptJson, type FrameFiles, type ServerText } from './attempt-json.js';
import { JsonOut, type ChunkSink } from './json-out.js';
import type { AttemptReport, EndpointReport, Summary } from './model.js';

export class JsonReportWriter {
  private readonly out: JsonOut;
  private count = 0;

  /** `write` gets strings or byte chunks (UTF-8), each once, in order. */
  constructor(write: ChunkSink) {
    this.out = new JsonOut(write);
    this.out.ascii('{\n"attempts": [');
  }

  attempt(a: AttemptReport): void {
    this.attemptText(attemptJson(a));
  }

  /** An attempt already written as JSON text (attemptJson's). */
  attemptText(json: string): void {
    this.out.ascii(this.count++ ? ',\n' : '\n');
    this.out.text(json);
  }

  /** An attempt written straight from the engine's state (see writeAttemptJson): the same bytes as `attempt(attemptReport(a, ...))`. */
  attemptFrom(a: Attempt, server: ServerText, serverTtl: number, start: string, ff: FrameFiles): void {
    this.out.ascii(this.count++ ? ',\n' : '\n');
    writeAttemptJson(this.out, a, server, serverTtl, start, ff);
  }

  end(endpoints: EndpointReport[], summary: Summary): void {
    this.out.text(`${this.count ? '\n' : ''}],\n"endpoints": ${JSON.stringify(endpoints, null, 2)},\n"summary": ${JSON.stringify(summary, null, 2)}\n}\n`);
    this.out.drain();
  }
}

function numbers(o: Record<string, number | undefined>): string {
  let s = '';
  for (const k in o) if (o[k] !== undefined) s += `${s ? ',' : ''}"${k}":${o[k]}`;
  return `{${s}}`;
}

function strings(xs: readonly string[]): string {
  let s = '';
  for (const x of xs) s += `${s ? ',' : ''}${JSON.stringify(x)}`;
  return `[${s}]`;
}

/**
 * JSON.stringify's result for an attempt report, written out by hand: it is the one object per
 * attempt of a large report, and this is about twice as fast. Free text goes through
 * JSON.stringify; addresses, verdicts, flags and history letters are plain ASCII by construction.
 */
export function attemptJson(a: AttemptReport): string {
  let s = `{"client":{"ip":"${a.client.ip}","port":${a.client.port}},"server":{"ip":"${a.server.ip}","port":${a.server.port}}`
    + `,"verdict":"${a.verdict}","flags":${strings(a.flags)},"start":"${a.start}","synCount":${a.synCount}`
    + `,"rttMs":${a.rttMs},"answerMs":${a.answerMs},"frames":[${a.frames.join(',')}],"file":${JSON.stringify(a.file)}`
    + `,"reason":${JSON.stringify(a.reason)},"history":"${a.history}","isn":${a.isn},"ttl":${numbers(a.ttl)},"hops":${numbers(a.hops)}`;
  if (a.icmp) {
    const i = a.icmp;
    s += `,"icmp":{"type":${i.type},"code":${i.code},"name":"${i.name}","sender":"${i.sender}","senderIsServer":${i.senderIsServer}}`;
  }
  if (a.otherFrames) s += `,"otherFrames":${JSON.stringify(a.otherFrames)}`;
  return `${s}}`;
}
