/**
 * Collects what went wrong while reading a capture as one-line warnings that name the file and
 * the byte offset. Damage stops the reading (the caller still gets everything before it).
 */
import type { CaptureInfo } from './record.js';

export class DamageReporter {
  constructor(private readonly info: CaptureInfo, private readonly label: string) {}

  warn(offset: number, what: string): void {
    if (this.info.warnings.length < 100) this.info.warnings.push(`${this.label}: byte ${offset}: ${what}`);
  }

  /** The data from `offset` on cannot be trusted: stop there. */
  corrupt(offset: number, what: string): void {
    this.info.damaged = true;
    this.warn(offset, `${what}; the file is damaged from here, ${this.info.packets} packets before it were analysed, the rest is not read (repair with \`editcap\` or re-capture)`);
  }
}
