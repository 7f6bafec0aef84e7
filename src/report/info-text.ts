/** Text form of `synscope info`, laid out like capinfos. */
import type { FileInfo } from '../info/info.js';

export function formatInfoText(infos: FileInfo[]): string {
  return infos.map(one).join('\n');
}

function one(i: FileInfo): string {
  const rows: Array<[string, string]> = [
    ['File', i.file],
    ['Format', `${i.format} ${i.version}${i.compression ? ` (${i.compression}-compressed)` : ''}, ${i.byteOrder}${i.sections > 1 ? `, ${i.sections} sections` : ''}`],
    ['Timestamp precision', i.tsPrecision],
    ['Link type(s)', i.interfaces.length > 1 ? i.interfaces.map((f, n) => `#${n} ${f.linkTypeName}${f.name ? ` (${f.name})` : ''}`).join('; ') : i.linkTypeNames.join(', ')],
    ['Snap length', String(i.snaplen)],
    ['Packets', String(i.packets)],
    ['Bytes', String(i.bytes)],
    ['First packet', i.first ?? 'n/a'],
    ['Last packet', i.last ?? 'n/a'],
    ['Duration', i.durationSec === null ? 'n/a' : `${i.durationSec.toFixed(6)} s`],
    ['IPv4 / IPv6 packets', `${i.ipv4} / ${i.ipv6}${i.fragments ? ` (${i.fragments} fragments)` : ''}`],
    ['TCP packets', String(i.tcp)],
    ['TCP SYN', String(i.syn)],
    ['TCP SYN-ACK', String(i.synAck)],
    ['TCP RST', String(i.rst)],
    ['ICMP/ICMPv6 unreachable', String(i.icmpUnreachable)],
    ['ICMP/ICMPv6 errors (all)', String(i.icmpErrors)],
    ['Cut by snap length', String(i.truncated)],
    ['Not IP / not decoded', String(i.notIp)],
  ];
  if (i.malformed) rows.push(['Malformed', String(i.malformed)]);
  const w = Math.max(...rows.map((r) => r[0].length));
  const lines = rows.map(([k, v]) => `${`${k}:`.padEnd(w + 2)}${v}`);
  for (const warn of i.warnings) lines.push(`warning: ${warn}`);
  return `${lines.join('\n')}\n`;
}
