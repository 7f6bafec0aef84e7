/**
 * A one-line progress display on stderr for long files: bytes read, packets per second and time
 * left. Shown only on a terminal and never with --quiet, so scripts and pipes see nothing.
 */
export class Progress {
  private start = process.hrtime.bigint();
  private last = 0;
  private shown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {}

  static wanted(quiet: boolean | undefined): boolean {
    return !quiet && Boolean(process.stderr.isTTY);
  }

  update(p: { file: string; index: number; files: number; bytes: number; size: number | null; packets: number }): void {
    const now = Number(process.hrtime.bigint() - this.start) / 1e9;
    if (now - this.last < 0.2 || now < 1) return; // short runs show nothing
    this.last = now;
    const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
    const pps = p.packets / now;
    let line = `${p.files > 1 ? `[${p.index + 1}/${p.files}] ` : ''}${mb(p.bytes)}`;
    if (p.size) {
      const frac = Math.min(1, p.bytes / p.size);
      const width = 20;
      const fill = Math.round(frac * width);
      const left = frac > 0 ? (now / frac) * (1 - frac) : 0;
      line = `[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0)}% ${line}/${mb(p.size)}, ${Math.ceil(left)} s left`;
    }
    line += `, ${(pps / 1e6).toFixed(2)} M packets/s`;
    this.out.write(`\r\x1b[K${line}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
