/**
 * The report's stylesheet, inlined into the document (no external file, no web fonts: the
 * system's own sans-serif and monospace). A print stylesheet drops the controls, lets the wide
 * parts shrink to the page and keeps each ladder on one page.
 */
export const STYLE = `
:root { --fg: #1a1a1a; --muted: #555; --line: #ccc; --bg: #fff; --lane: #f4f4f4; --focus: #0072B2; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 16px; }
h1 { font-size: 20px; margin: 16px 0 4px; }
h2 { font-size: 17px; margin: 24px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 0 0 6px; }
code { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.files, .hint { color: var(--muted); margin: 4px 0; }
.summary { font-weight: 600; }
nav a, .back { color: var(--focus); }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 10; }
a:focus-visible, button:focus-visible, .mk:focus-visible, .ladder:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.controls { margin: 6px 0; }
button { font: inherit; padding: 3px 10px; border: 1px solid #888; border-radius: 4px; background: #f8f8f8; cursor: pointer; }
#range { color: var(--muted); margin-left: 8px; }
.legend { list-style: none; padding: 0; margin: 6px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; }
.legend li { display: flex; align-items: center; gap: 4px; }
.legend li.none { opacity: .45; }
.legend .shape { color: var(--muted); font-size: 12px; }
.tl-wrap { overflow-x: auto; }
#tl { display: block; max-width: 100%; height: auto; user-select: none; cursor: crosshair; }
#tl .lane-bg { fill: transparent; }
#tl .lane:nth-of-type(odd) .lane-bg { fill: var(--lane); }
#tl .lane-label { text-anchor: end; font: 12px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--fg); }
#tl .lane-line { stroke: #ddd; }
#tl .axis line { stroke: #999; }
#tl .tick { font-size: 11px; fill: var(--muted); text-anchor: middle; }
#tl .tickline { stroke: #e4e4e4; }
#tl .mk { cursor: pointer; }
#tl .mk:hover use, #tl .mk:focus use, #tl .mk.current use { filter: drop-shadow(0 0 1.5px #0072B2) drop-shadow(0 0 1.5px #0072B2); }
#tl .mk.out, #tl .bin.out { display: none; }
#tl .brush[hidden] { display: none; }
#tl .brush { fill: rgba(0, 114, 178, .15); stroke: #0072B2; }
#tip { position: absolute; z-index: 5; max-width: 420px; background: #222; color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 12.5px; pointer-events: none; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; }
td.n { text-align: right; }
td.hints code { white-space: pre-wrap; word-break: break-word; }
.chip { white-space: nowrap; }
.more-rows summary { cursor: pointer; margin: 6px 0; color: var(--focus); }
.ladder { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 10px 0; content-visibility: auto; contain-intrinsic-size: auto 260px; }
.ladder:target, .ladder.open { border-color: var(--focus); box-shadow: 0 0 0 2px var(--focus); }
.ladder .verdict { font-weight: 600; }
.ladder .back { font-weight: normal; font-size: 12px; margin-left: 8px; }
.ladder-body { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
.ladder-draw { overflow-x: auto; max-width: 100%; }
.ladder-svg { display: block; }
.ladder-svg .node-name { font-weight: 600; font-size: 12px; text-anchor: middle; }
.ladder-svg .node-addr { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; text-anchor: middle; fill: var(--muted); }
.ladder-svg .node line { stroke: #888; stroke-width: 2; }
.ladder-svg .pk line { stroke-width: 1.5; }
.ladder-svg .pk.dec line { stroke-width: 3; }
.ladder-svg .pk.dec .lbl { font-weight: 700; }
.ladder-svg .lbl { font-size: 12px; text-anchor: middle; }
.ladder-svg .t { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; text-anchor: end; fill: var(--muted); }
.ladder-svg .meta { font: 11px ui-monospace, "DejaVu Sans Mono", monospace; fill: var(--muted); }
.ladder-svg .timeout line { stroke: #D55E00; stroke-width: 1.5; stroke-dasharray: 3 3; }
.ladder-svg .timeout text { font-size: 11px; fill: #A04000; }
.ladder-svg .more { font-size: 11px; fill: var(--muted); }
.facts { flex: 1 1 280px; min-width: 260px; }
.facts .reason { margin: 0 0 6px; }
.facts dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 0; font-size: 12.5px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-word; }
.defs { position: absolute; }
@media print {
  .controls, .skip, nav, .back, #tip, .hint + .controls { display: none !important; }
  body { font-size: 11px; }
  code, .facts dl { font-size: 9.5px; }
  header, main { max-width: none; padding: 0; }
  #tl, .ladder-svg { max-width: 100%; height: auto; }
  .ladder { break-inside: avoid; content-visibility: visible; box-shadow: none !important; border-color: #999 !important; }
  .tl-wrap, .table-wrap, .ladder-draw { overflow: visible; }
  h2 { break-after: avoid; }
  .more-rows > summary { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;
