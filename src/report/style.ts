/** The reports' stylesheet, inlined. System fonts only: nothing to fetch, nothing to embed. */
export const STYLE = `
:root {
  --fg: #1d232b; --muted: #5f6b7a; --line: #d9dee5; --bg: #fff; --panel: #f6f8fa;
  --accent: #2563b0; --accent-soft: #dbe7f6; --sel: #f59e0b; --sel-soft: #fff4dc;
  --bad: #c0262d; --bad-soft: #fde8e8; --ok: #1e7b34; --ok-soft: #e3f4e7; --warn: #9a5b00;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
html { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0 auto; padding: 16px clamp(10px, 3vw, 24px) 48px; max-width: 1680px; }
/* File names (model, layers, paths) can be long words: they wrap rather than widen the page. */
h1, header.top .desc, dl.meta dd, .alert > span, .fig, figcaption, .legend, p { overflow-wrap: anywhere; }
h1 { font-size: 24px; margin: 0; }
h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 16px 0 6px; }
a { color: var(--accent); }
code, .mono { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; }
header.top .desc { color: var(--muted); font-size: 15px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0 0; font-size: 13px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; min-width: 0; }
@media (max-width: 600px) { dl.meta { grid-template-columns: minmax(0, 1fr); } dl.meta dd { margin-bottom: 4px; } }
.alerts { margin: 14px 0 0; display: grid; gap: 6px; }
.alert { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: baseline; border: 1px solid #f1b7ba; border-left: 5px solid var(--bad); background: var(--bad-soft); padding: 8px 12px; border-radius: 4px; }
.alert .code { font-family: var(--mono); font-weight: 600; color: var(--bad); white-space: nowrap; }
.alert button.goto { font: inherit; font-weight: 600; color: var(--bad); background: none; border: 1px solid var(--bad); border-radius: 3px; padding: 0 6px; cursor: pointer; white-space: nowrap; }
.alert.ok { border-color: #a9d8b4; border-left-color: var(--ok); background: var(--ok-soft); }
.alert.ok .code { color: var(--ok); }
.alert.info { border-color: #b9cde8; border-left-color: var(--accent); background: #eef4fb; }
.alert.info .code { color: var(--accent); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(215px, 100%), 1fr)); gap: 10px; }
.cardgroup { min-width: 0; }
.cardgroup.wide { grid-column: span 2; }
.cardgroup.wide .figs { display: grid; grid-template-columns: 1fr 1fr; column-gap: 16px; }
.cardgroup.wide .fig:nth-child(2) { border-top: 0; }
.cardgroup { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--panel); }
/* One column of cards: the wide memory card is one column too, its figures stacked. */
@media (max-width: 520px) { .cardgroup.wide { grid-column: auto; } .cardgroup.wide .figs { grid-template-columns: minmax(0, 1fr); } .cardgroup.wide .fig:nth-child(2) { border-top: 1px dashed var(--line); } }
.cardgroup h3 { margin: 0 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.fig { padding: 4px 0; border-top: 1px dashed var(--line); }
.fig:first-child { border-top: 0; }
.fig .lab { font-size: 12.5px; }
.fig .lab b { font-weight: 600; color: var(--accent); }
.fig .val { font-family: var(--mono); font-size: 16px; font-weight: 600; }
.fig .val .unit { font-family: inherit; font-size: 12px; font-weight: 400; color: var(--muted); margin-left: 4px; }
.fig .sub { font-size: 11.5px; color: var(--muted); }
/* A table wider than the page scrolls inside its own box. */
.scroll-x { overflow-x: auto; max-width: 100%; }
table.plain { border-collapse: collapse; width: 100%; font-size: 13px; }
table.plain th, table.plain td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.plain th { background: var(--panel); font-weight: 600; }
table.plain td.num, table.plain th.num { text-align: right; font-family: var(--mono); font-size: 12.5px; white-space: nowrap; }
.verdict { font-weight: 600; white-space: nowrap; }
.verdict.agrees { color: var(--ok); }
.verdict.differs { color: var(--bad); }
/* On a phone a text-heavy table keeps readable columns and scrolls, rather than wrapping a word a line. */
@media (max-width: 700px) { .scroll-x > table.plain:not([style]) { min-width: 680px; } table.plain th.num, table.plain .verdict { white-space: normal; } table.plain td:last-child { min-width: 14em; } }
.badge { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; font-weight: 600; }
.badge.ok { background: var(--ok-soft); color: var(--ok); }
.badge.bad { background: var(--bad-soft); color: var(--bad); }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; margin: 6px 0 8px; font-size: 13px; }
.toolbar label { display: inline-flex; gap: 4px; align-items: center; }
.toolbar input[type=search] { font: inherit; padding: 3px 8px; border: 1px solid var(--line); border-radius: 4px; width: min(220px, 100%); }
.toolbar select { max-width: 100%; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
.toolbar select, .toolbar button { font: inherit; padding: 2px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
.seg { display: inline-flex; border: 1px solid var(--line); border-radius: 4px; overflow: hidden; }
.seg button { border: 0; border-radius: 0; padding: 2px 10px; background: #fff; }
.seg button[aria-pressed=true] { background: var(--accent); color: #fff; }
figure.chart { margin: 0 0 12px; }
figure.chart figcaption { font-size: 13px; margin-bottom: 2px; }
figure.chart figcaption .total { font-family: var(--mono); font-weight: 600; }
.plot { width: 100%; min-height: 150px; position: relative; }
.plot svg { display: block; }
svg text { font-family: system-ui, "DejaVu Sans", sans-serif; }
.bar { fill: var(--accent); shape-rendering: crispEdges; }
.bar.input { fill: #a7b0bb; }
.bar.diag { fill: var(--bad); }
.bar.sel { fill: var(--sel); }
.bar.diag.sel { fill: var(--bad); }
.hov { fill: #000; opacity: .12; pointer-events: none; }
.selmark { fill: var(--sel); opacity: .25; pointer-events: none; }
.diagmark { fill: var(--bad); }
.axis { stroke: #9aa5b1; shape-rendering: crispEdges; }
.grid { stroke: #edf0f3; shape-rendering: crispEdges; }
.ticklab { font-size: 10px; fill: var(--muted); }
.pane { border: 1px solid var(--line); border-radius: 6px; max-height: 78vh; overflow: auto; position: relative; background: #fff; }
/* Below the fold at first: the browser lays out the 500-row table and graph only when they come near the viewport. */
#layers .pane { content-visibility: auto; contain-intrinsic-size: auto 78vh; }
/* The graph over the page's width with its details beside it; the table below, as wide as the page. */
.graph-wrap { display: grid; grid-template-columns: minmax(0, 1fr) minmax(260px, 340px); gap: 12px; align-items: start; }
@media (max-width: 900px) { .graph-wrap { grid-template-columns: minmax(0, 1fr); } }
#graph-pane { background: #fbfcfd; cursor: grab; min-height: 240px; }
/* A phone keeps some page above and below the panes to scroll the page by. */
@media (max-width: 600px) { #layers .pane { max-height: 62vh; } }
#graph-pane.panning { cursor: grabbing; }
#graph-pane svg { display: block; margin: 0 auto; user-select: none; -webkit-user-select: none; }
#table-pane { margin-top: 4px; }
.details { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: var(--panel); max-height: 78vh; overflow: auto; font-size: 12.5px; min-width: 0; overflow-wrap: anywhere; }
.details h3 { margin: 0; font-size: 14px; font-family: var(--mono); }
.details .dtype { color: var(--muted); margin-bottom: 4px; }
.details h4 { margin: 10px 0 2px; font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.details table { border-collapse: collapse; width: 100%; }
.details th, .details td { text-align: left; vertical-align: top; padding: 1px 8px 1px 0; font-weight: 400; }
.details th { color: var(--muted); white-space: nowrap; width: 1%; }
.details td { font-family: var(--mono); font-size: 12px; }
.details button.dlink { font: inherit; color: var(--accent); background: none; border: 0; padding: 0; cursor: pointer; text-decoration: underline; text-align: left; overflow-wrap: anywhere; }
.es { font-size: 9px; fill: #5f6b7a; font-family: var(--mono); pointer-events: none; }
.far .es { display: none; }
.node rect { stroke: #8d99a6; stroke-width: 1; cursor: pointer; }
.node text { pointer-events: none; font-size: 11px; }
.node .nm { font-weight: 600; }
.node .ty { fill: #4a5561; font-size: 10px; }
.node.dark .nm, .node.dark .ty { fill: #fff; }
.node.diag rect { stroke: var(--bad); stroke-width: 3; }
.node.mismatch rect { stroke: var(--warn); stroke-width: 3; stroke-dasharray: 5 3; }
.node.sel rect { stroke: var(--sel); stroke-width: 3; filter: drop-shadow(0 0 3px var(--sel)) drop-shadow(0 0 2px var(--sel)); }
/* A selected layer with a diagnostic keeps its red outline; the glow says it is selected. */
.node.diag.sel rect { stroke: var(--bad); }
.node.hover rect { stroke: #333; }
.edge { fill: none; stroke: #9aa5b1; stroke-width: 1.1; }
.edge.hl { stroke: var(--sel); stroke-width: 2; }
table.layers-table { border-collapse: separate; border-spacing: 0; width: 100%; font-size: 12.5px; }
table.layers-table th { position: sticky; top: 0; z-index: 2; background: var(--panel); border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: bottom; white-space: nowrap; cursor: pointer; user-select: none; font-weight: 600; line-height: 1.2; }
table.layers-table th .sub { font-weight: 400; font-size: 11px; color: var(--muted); }
/* '#' and the layer name stay in view when the table scrolls sideways. */
table.layers-table .c-i { position: sticky; left: 0; min-width: 40px; max-width: 40px; background: #fff; z-index: 1; }
table.layers-table .c-name { position: sticky; left: 40px; max-width: min(260px, 38vw); overflow: hidden; text-overflow: ellipsis; background: #fff; z-index: 1; box-shadow: inset -1px 0 0 #eef1f4; }
table.layers-table th.c-i, table.layers-table th.c-name { z-index: 3; background: var(--panel); }
table.layers-table .gstick { position: sticky; left: 6px; }
table.layers-table th.num { text-align: right; }
table.layers-table th[aria-sort=ascending]::after { content: " \\25B2"; font-size: 9px; color: var(--accent); }
table.layers-table th[aria-sort=descending]::after { content: " \\25BC"; font-size: 9px; color: var(--accent); }
table.layers-table td { padding: 2px 6px; border-bottom: 1px solid #eef1f4; white-space: nowrap; height: 22px; }
table.layers-table td.num { text-align: right; font-family: var(--mono); font-size: 12px; }
table.layers-table tr.layer { cursor: pointer; }
table.layers-table tr.layer:hover td { background: #f3f6fa; }
table.layers-table tr.sel td { background: var(--sel-soft) !important; }
table.layers-table tr.sel td:first-child { box-shadow: inset 4px 0 0 var(--sel); }
table.layers-table tr.diag td { background: var(--bad-soft); }
table.layers-table tr.diag td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
table.layers-table tr.grp td { background: #eef2f7; font-weight: 600; cursor: pointer; }
table.layers-table tr.grp .twisty { display: inline-block; width: 14px; color: var(--muted); }
table.layers-table .nc { color: var(--warn); font-style: italic; font-family: inherit; }
table.layers-table .dz { color: #b3bcc6; }
.flag { color: var(--bad); font-weight: 600; }
.vok { color: var(--ok); font-weight: 600; }
.vbad { color: var(--bad); font-weight: 600; }
#tip { position: fixed; z-index: 10; pointer-events: none; background: #1d232b; color: #fff; padding: 7px 10px; border-radius: 5px; font-size: 12px; max-width: 440px; box-shadow: 0 3px 12px rgba(0,0,0,.25); }
#tip[hidden] { display: none; }
#tip table { border-collapse: collapse; }
#tip td { padding: 0 8px 0 0; vertical-align: top; }
#tip td:first-child { color: #aab4bf; white-space: nowrap; }
#tip .tipname { font-weight: 700; font-size: 13px; margin-bottom: 3px; }
#tip .tipdiag { color: #ffb4b8; margin-top: 4px; }
.legend { font-size: 12px; color: var(--muted); }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px; margin-right: 3px; }
.benchsvg svg { max-width: 100%; height: auto; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); border-top: 1px solid var(--line); padding-top: 8px; }
.pairs .sbs { display: grid; grid-template-columns: minmax(0, 1fr) clamp(28px, 18%, 220px) minmax(0, 1fr); max-width: 980px; padding: 6px; }
.pairs .sbs-head { font-weight: 700; font-size: 12px; padding-bottom: 6px; overflow-wrap: anywhere; }
.pairs .sbs-links { display: block; overflow: visible; }
.pairs .lay { display: flex; justify-content: space-between; gap: 6px; height: 18px; margin-bottom: 4px; padding: 0 5px; border: 1px solid #8d99a6; border-radius: 3px; font-size: 11px; line-height: 16px; white-space: nowrap; overflow: hidden; }
.pairs .lay .nm { flex: 0 1 auto; min-width: min(55%, 8em); overflow: hidden; text-overflow: ellipsis; }
.pairs .lay .ty { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; color: var(--muted); }
.pairs .lay.weighted { background: #fff; }
.pairs .lay.plainlayer { background: #f1f3f5; border-color: #d5dae0; }
.pairs .lay.unpaired { border: 1px dashed var(--bad); }
.pairs svg .pair { fill: none; stroke-width: 1.6; vector-effect: non-scaling-stroke; }
.pairs svg .pair.changed { stroke-width: 2.4; }
.wf .step.up { fill: #2563b0; }
.wf .step.down { fill: #d97706; }
.wf .step.total { fill: #64748b; }
.wf .conn { stroke: #888; stroke-dasharray: 3 2; }
.wf text { font-size: 11.5px; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.wf .wflab { font-weight: 600; }
.wf .wfval { font-family: var(--mono); font-size: 11px; }
.wf figcaption { font-size: 13px; margin-bottom: 4px; }
figure.wf { margin: 0 0 18px; max-width: 900px; }
figure.wf svg { display: block; }
.pairs svg .pair.lit { stroke-width: 5; }
.pairs .lay.lit { border: 2px solid var(--sel); }
#pair-table tr.lit td { background: var(--sel-soft); }
`;
