/**
 * The report's inline stylesheet. Plain CSS, no fonts or images to fetch: the file must open
 * offline. Kind and verdict colours here are the legend the script's classes refer to.
 */
export const REPORT_CSS = `
:root { --fg:#1d2330; --muted:#687083; --line:#dde1ea; --bg:#f6f7fa; --panel:#fff; --pass:#1f9d55; --fail:#d43c3c; --timeout:#b5179e; --pending:#9aa0ad; --accent:#2f6fde; }
* { box-sizing: border-box; }
body { margin:0; font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
header { padding:12px 20px 8px; background:var(--panel); border-bottom:1px solid var(--line); }
header h1 { font-size:17px; margin:0 0 4px; }
.summary { display:flex; flex-wrap:wrap; gap:6px 18px; color:var(--muted); }
.summary b { color:var(--fg); font-weight:600; }
code { font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; background:#eef1f6; padding:1px 4px; border-radius:3px; word-break:break-all; }
nav { display:flex; gap:2px; padding:0 20px; background:var(--panel); border-bottom:1px solid var(--line); }
nav button { border:0; background:none; padding:9px 14px; font:inherit; color:var(--muted); cursor:pointer; border-bottom:2px solid transparent; }
nav button.active { color:var(--fg); border-bottom-color:var(--accent); font-weight:600; }
.panel { display:none; padding:14px 20px; }
.panel.active { display:block; }
.empty { color:var(--muted); font-style:italic; }
.toolbar { display:flex; flex-wrap:wrap; align-items:center; gap:8px; margin-bottom:8px; }
.toolbar button, .toolbar select { font:inherit; padding:2px 9px; border:1px solid var(--line); background:var(--panel); border-radius:4px; cursor:pointer; }
.legend label { display:inline-flex; align-items:center; gap:3px; margin-right:8px; cursor:pointer; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:50%; }
#tl-wrap { background:var(--panel); border:1px solid var(--line); border-radius:6px; overflow:auto; max-height:72vh; cursor:grab; }
#tl-wrap.dragging { cursor:grabbing; }
svg text { font:11px system-ui,sans-serif; fill:var(--fg); }
.row-bg { fill:#fafbfd; } .row-bg.odd { fill:#f1f3f8; } .row-bg.chaos { fill:#fff6ec; }
.axis line { stroke:var(--line); } .axis text { fill:var(--muted); }
.ev { stroke:none; cursor:pointer; } .ev:hover { stroke:#000; stroke-width:1.5; }
.k-ready{fill:#2f6fde} .k-connected{fill:#1f9d55} .k-disconnected{fill:#d43c3c} .k-neighbor{fill:#7aa7e8}
.k-pruned{fill:#e08a00} .k-heartbeat{fill:#b9bfcc} .k-evidence{fill:#b5179e} .k-problem{fill:#6b3fa0}
.bar { cursor:pointer; opacity:.85; } .bar.selected { stroke:#000; stroke-width:2; opacity:1; }
.v-passed{fill:var(--pass)} .v-failed_timeout{fill:var(--timeout)} .v-failed_assertion{fill:var(--fail)} .v-pending{fill:var(--pending)} .v-unobserved{fill:var(--pending)}
.detect-mark { stroke:#000; stroke-width:2; }
.down-span { fill:#c5c9d3; opacity:.7; stroke:#8a90a0; stroke-dasharray:3 2; }
.row-label.selected { font-weight:700; fill:var(--accent); }
#tooltip { position:fixed; z-index:10; max-width:480px; padding:6px 8px; background:#1d2330; color:#fff; border-radius:4px; pointer-events:none; font-size:12px; white-space:pre-wrap; word-break:break-all; }
table { border-collapse:collapse; background:var(--panel); border:1px solid var(--line); }
th, td { text-align:left; vertical-align:top; padding:5px 8px; border-bottom:1px solid var(--line); }
th { background:#eef1f6; font-weight:600; }
.chaos-row { cursor:pointer; } .chaos-row:hover { background:#f3f7ff; } .chaos-row.selected { background:#e6efff; }
.verdict { font-weight:600; } .verdict.passed, .cell.pass { color:var(--pass); } .verdict.failed_assertion, .verdict.failed_timeout, .cell.fail { color:var(--fail); } .verdict.pending, .verdict.unobserved { color:var(--pending); }
.evidence { margin:0; padding-left:14px; font-size:12px; color:var(--muted); }
.cell { font-weight:600; text-align:center; min-width:64px; }
.cell.fail { background:#fdeeee; } .cell.pass { background:#eef8f1; }
details summary { cursor:pointer; }
#tests-grid.aggregated td { max-width:720px; }
.count { font-weight:600; text-align:right; } .count.pass { color:var(--pass); } .count.fail { color:var(--fail); }
.failures { display:flex; flex-wrap:wrap; align-items:flex-start; gap:3px; max-width:440px; }
.failures .cell { text-align:left; min-width:0; padding:1px 6px; border-radius:3px; font-size:12px; }
.failures .cell details { display:inline; font-weight:400; } .failures .cell details[open] { display:block; max-width:420px; }
.strip { display:flex; flex-wrap:wrap; gap:1px; max-width:720px; }
.sq { display:block; width:7px; height:7px; } .sq.pass { background:var(--pass); opacity:.55; } .sq.fail { background:var(--fail); }
#topology { background:var(--panel); border:1px solid var(--line); border-radius:6px; width:100%; max-width:1000px; }
.group { fill:none; stroke:#c9cfdb; stroke-dasharray:4 4; } .group-label { fill:var(--muted); font-weight:600; }
.edge { stroke:#5b6b8c; stroke-width:1.4; } .edge.oneway { stroke-dasharray:4 3; stroke:#c07b00; }
.node { stroke:#fff; stroke-width:1.5; } .node.off { opacity:.18; } .node.down { fill:#c5c9d3 !important; stroke:#888; stroke-dasharray:2 2; }
.r-observer{fill:#1d2330} .r-bridge{fill:#b5179e} .r-gateway{fill:#2f6fde} .r-broker{fill:#1f9d55} .r-compute{fill:#e08a00} .r-registry{fill:#6b3fa0}
.node-label { font-size:9px; fill:var(--muted); }
.node.killed { fill:#f3d6d6 !important; stroke:var(--fail); stroke-dasharray:none; } .killed-mark { stroke:var(--fail); stroke-width:2; pointer-events:none; }
input[type=range] { width:420px; }
#exp-charts { display:flex; flex-wrap:wrap; gap:12px; margin-bottom:14px; }
.exp-chart { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:6px 8px; }
.u-legend .exp-bound { display:none; }
.exp-chart h3 { font-size:12px; margin:0 0 4px; font-weight:600; }
#exp-filter { font:inherit; padding:2px 6px; border:1px solid var(--line); border-radius:4px; }
`;
