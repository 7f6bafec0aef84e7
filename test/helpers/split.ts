/** Writes a capture as two files, frames 1..`at` in `first` and the rest in `second` (a rotated set). */
import { writeFileSync } from 'node:fs';
import { readCapture } from '../../src/capture/reader.js';
import { PcapWriter } from '../../src/capture/writer.js';

export async function splitCapture(file: string, at: number, first: string, second: string): Promise<void> {
  const parts = [new PcapWriter({ linkType: 1 }), new PcapWriter({ linkType: 1 })];
  await readCapture(file, (r) => {
    parts[r.frame <= at ? 0 : 1].writePacket(r.tsSec, r.tsNsec, Buffer.from(r.buf.subarray(r.off, r.off + r.caplen)), r.origLen);
  });
  writeFileSync(first, parts[0].toBuffer());
  writeFileSync(second, parts[1].toBuffer());
}
