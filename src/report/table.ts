/** Terminal output: per-endpoint table, optional per-attempt table, summary line. */
import Table from 'cli-table3';
import { VERDICTS } from '../model/verdict.js';
import { endpointToString } from '../util/ip.js';
import type { Report } from './model.js';

export interface TableOptions {
  details?: boolean;
  hints?: boolean;
  width?: number;
}

export function formatTable(r: Report, opts: TableOptions = {}): string {
  const out: string[] = [];
  const width = Math.max(80, opts.width ?? 160);
  const counts = (v: Partial<Record<string, number>>) => VERDICTS.filter((k) => v[k]).map((k) => `${k} ${v[k]}`).join('\n');
  if (opts.details && r.attempts.length) {
    const t = new Table({ head: ['#', 'client', 'server', 'verdict', 'flags', 'SYNs', 'rtt ms', 'frames', 'reason'], wordWrap: true,
      colWidths: [5, 24, 24, 14, 18, 6, 8, 16, Math.max(40, width - 127)], style: { head: [], border: [] } });
    r.attempts.forEach((a, i) => t.push([i + 1, endpointToString(a.client.ip, a.client.port), endpointToString(a.server.ip, a.server.port), a.verdict,
      a.flags.join('\n'), a.synCount, a.rttMs === null ? '' : a.rttMs.toFixed(1), a.frames.join(','), a.reason]));
    out.push(t.toString());
  }
  if (r.endpoints.length) {
    const t = new Table({ head: ['server', 'attempts', 'verdicts', 'diagnosis'], wordWrap: true,
      colWidths: [26, 10, 18, Math.max(30, width - 60)], style: { head: [], border: [] } });
    for (const e of r.endpoints) t.push([endpointToString(e.server.ip, e.server.port), e.attempts, counts(e.verdicts), e.diagnosis]);
    out.push(t.toString());
  }
  if (opts.hints !== false) {
    const hints = r.endpoints.filter((e) => e.hints.length);
    if (hints.length) {
      out.push('Next steps:');
      for (const e of hints) {
        out.push(`  ${endpointToString(e.server.ip, e.server.port)}`);
        for (const h of e.hints) out.push(`    ${h}`);
      }
    }
  }
  const s = r.summary;
  out.push(`${s.packets} packets, ${s.attempts} connection attempts${s.midstream ? `, ${s.midstream} flows without their SYN (midstream)` : ''}: ${counts(s.verdicts).replace(/\n/g, ', ') || 'none'}`);
  for (const w of s.warnings) out.push(`warning: ${w}`);
  return `${out.join('\n')}\n`;
}
