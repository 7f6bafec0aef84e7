/**
 * Writes the contract's JSON document while the analysis runs: the attempts array grows as final
 * reports arrive, endpoints and summary close it. Output goes out as UTF-8 in large chunks.
 */
import type { Attempt } from '../handshake/attempt.js';
import { writeAttemptJson, type FrameFiles, type ServerText } from './attempt-json.js';
import { JsonOut, type ChunkSink } from './json-out.js';
import type { EndpointReport, Summary } from './model.js';

export class JsonReportWriter {
  private readonly out: JsonOut;
  private count = 0;

  /** `write` gets strings or byte chunks (UTF-8), each once, in order. */
  constructor(write: ChunkSink) {
    this.out = new JsonOut(write);
    this.out.ascii('{\n"attempts": [');
  }

  /** An attempt, written straight from the engine's state (see writeAttemptJson). */
  attemptFrom(a: Attempt, server: ServerText, serverTtl: number, start: string, ff: FrameFiles): void {
    this.out.ascii(this.count++ ? ',\n' : '\n');
    writeAttemptJson(this.out, a, server, serverTtl, start, ff);
  }

  end(endpoints: EndpointReport[], summary: Summary): void {
    this.out.text(`${this.count ? '\n' : ''}],\n"endpoints": ${JSON.stringify(endpoints, null, 2)},\n"summary": ${JSON.stringify(summary, null, 2)}\n}\n`);
    this.out.drain();
  }
}
