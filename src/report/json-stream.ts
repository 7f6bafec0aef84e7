/**
 * Writes the contract's JSON document while the analysis runs: the attempts array grows as final
 * reports arrive, endpoints and summary close it. Output is batched into large writes.
 */
import type { AttemptReport, EndpointReport, Summary } from './model.js';

export class JsonReportWriter {
  private buf = '';
  private count = 0;

  constructor(private readonly write: (s: string) => void) {
    this.buf = '{\n"attempts": [';
  }

  attempt(a: AttemptReport): void {
    this.buf += `${this.count++ ? ',' : ''}\n${JSON.stringify(a)}`;
    if (this.buf.length > 1 << 16) this.drain();
  }

  end(endpoints: EndpointReport[], summary: Summary): void {
    this.buf += `${this.count ? '\n' : ''}],\n"endpoints": ${JSON.stringify(endpoints, null, 2)},\n"summary": ${JSON.stringify(summary, null, 2)}\n}\n`;
    this.drain();
  }

  private drain(): void {
    this.write(this.buf);
    this.buf = '';
  }
}
