/**
 * The diff report: two models side by side with their aligned weighted layers joined, and a waterfall
 * per measure that walks from A's total to B's through the deltas by cause (which add up exactly when
 * the diff is `balanced`). Drawn as static SVG here; the page script adds hover details and a filter.
 */
import type { Census } from '../census.js';
import { CAUSES, type Cause, type DiffResult, type PairDiff } from '../diff.js';
import { diffClient } from './client-diff.js';
import { esc, int, page, si, signed } from './html.js';
import { STYLE } from './style.js';
import type { DiffReportInput } from './types.js';

const CAUSE_COLOURS: Record<Cause, string> = {
  grouping: '#7c3aed',
  bias: '#0891b2',
  'bn-statistics': '#65a30d',
  'bn-folding': '#ca8a04',
  'fan-in': '#dc2626',
  widths: '#2563eb',
  kernel: '#db2777',
  'input-size': '#ea580c',
  'layers-added-removed': '#475569',
};
const SAME = '#c3cad3';

type Measure = 'params' | 'macs';

/** The cause that moved a pair most (params first, then MACs); none for an unchanged pair. */
function mainCause(p: PairDiff): Cause | null {
  const all = [...Object.entries(p.params), ...Object.entries(p.macs)] as Array<[Cause, number]>;
  if (all.length === 0) return null;
  const byParams = (Object.entries(p.params) as Array<[Cause, number]>).sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]));
  return (byParams[0] ?? all.sort((x, y) => Math.abs(y[1]) - Math.abs(x[1]))[0]!)[0];
}

/** Causes in the order CAUSES lists them, restricted to those present. */
function causesOf(d: DiffResult): Cause[] {
  const present = new Set([...Object.keys(d.byCause.params), ...Object.keys(d.byCause.macs)]);
  return (Object.keys(CAUSES) as Cause[]).filter((c) => present.has(c));
}

/**
 * Horizontal waterfall: A's total, one floating bar per cause, B's total. Each row is its label and figure
 * on one line and its bar below, positioned in percent of the figure's width: it fits a phone and a desktop
 * alike, and its text keeps its size at any width.
 */
function waterfall(d: DiffResult, measure: Measure): string {
  const causes = (Object.keys(CAUSES) as Cause[]).filter((c) => d.byCause[measure][c] !== undefined);
  const start = d.a[measure];
  const end = d.b[measure];
  type Row = { label: string; from: number; to: number; cls: string; value: number; cause?: Cause };
  const rows: Row[] = [{ label: `A: ${d.a.model}`, from: 0, to: start, cls: 'total', value: start }];
  let run = start;
  for (const c of causes) {
    const v = d.byCause[measure][c]!;
    rows.push({ label: c, from: run, to: run + v, cls: v >= 0 ? 'up' : 'down', value: v, cause: c });
    run += v;
  }
  rows.push({ label: `B: ${d.b.model}`, from: 0, to: end, cls: 'total', value: end });
  const lo = Math.min(0, ...rows.flatMap((r) => [r.from, r.to]));
  const hi = Math.max(1, ...rows.flatMap((r) => [r.from, r.to]));
  const rowH = 40;
  const barY = 18;
  const barH = 15;
  const x = (v: number): number => ((v - lo) / (hi - lo)) * 100;
  const pc = (v: number): string => `${v.toFixed(2)}%`;
  const unit = measure === 'params' ? 'params' : 'MACs';
  const out: string[] = [];
  rows.forEach((r, k) => {
    const y = 4 + k * rowH;
    const x0 = Math.min(x(r.from), x(r.to));
    const w = Math.max(0.25, Math.abs(x(r.to) - x(r.from)));
    const isStep = r.cause !== undefined;
    out.push(
      `<g class="wfrow" data-label="${esc(r.label)}"><text x="0" y="${y + 12}"><tspan class="wflab">${esc(r.label)}</tspan> ` +
        `<tspan class="wfval">${esc(isStep ? signed(r.value) : int(r.value))} (${esc(isStep && r.value > 0 ? '+' : '')}${esc(si(r.value))})</tspan></text>` +
        `<rect class="step ${r.cls}${isStep ? ' cause' : ''}" data-value="${r.value}"${r.cause ? ` data-cause="${r.cause}"` : ''} x="${pc(x0)}" y="${y + barY}" width="${pc(w)}" height="${barH}"><title>${esc(r.label)}: ${esc(isStep ? signed(r.value) : int(r.value))} ${unit}${r.cause ? ` (${esc(CAUSES[r.cause])})` : ''}</title></rect></g>`,
    );
    // The dashed connector carries the running total to the next row's bar.
    if (k < rows.length - 1)
      out.push(
        `<line class="conn" x1="${pc(x(r.to))}" x2="${pc(x(r.to))}" y1="${y + barY + barH}" y2="${y + rowH + barY}"/>`,
      );
  });
  if (lo < 0)
    out.push(`<line class="axis" x1="${pc(x(0))}" x2="${pc(x(0))}" y1="${barY}" y2="${rows.length * rowH}"/>`);
  const height = 8 + rows.length * rowH;
  const sum = causes.reduce((s, c) => s + d.byCause[measure][c]!, 0);
  const title =
    measure === 'params'
      ? `Parameters (A under ${d.a.convention}, B under ${d.b.convention} convention)`
      : 'MACs (weights convention: multiply-accumulates, batch 1)';
  return (
    `<figure class="wf" data-measure="${measure}" data-delta="${d.delta[measure]}" data-a="${start}" data-b="${end}"><figcaption><b>${esc(title)}</b>: ${esc(int(start))} &rarr; ${esc(int(end))}, ` +
    `total delta <span class="mono">${esc(signed(d.delta[measure]))}</span> ${unit}; the causes add up to <span class="mono">${esc(signed(sum))}</span> ` +
    `${sum === d.delta[measure] ? '<span class="badge ok">balanced</span>' : '<span class="badge bad">UNBALANCED</span>'} <span class="legend"><span class="swatch" style="background:#2563b0"></span>increase <span class="swatch" style="background:#d97706"></span>decrease</span></figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="100%" height="${height}">${out.join('')}</svg></figure>`
  );
}

/**
 * Both models' layers in two columns; aligned weighted pairs joined by curves coloured by their main cause.
 * The columns are HTML boxes that share the width (names cut with an ellipsis, whole on hover), and the
 * curves an SVG stretched over the gap between them, so both models show side by side on a phone too.
 */
function sideBySide(d: DiffResult, a: Census, b: Census): string {
  const rowH = 22;
  const ia = new Map(a.layers.map((l, i) => [l.name, i]));
  const ib = new Map(b.layers.map((l, i) => [l.name, i]));
  const pairedA = new Map<string, number>();
  const pairedB = new Map<string, number>();
  d.pairs.forEach((p, k) => {
    if (p.a !== null) pairedA.set(p.a, k);
    if (p.b !== null) pairedB.set(p.b, k);
  });
  const column = (c: Census, side: 'a' | 'b', paired: Map<string, number>): string =>
    c.layers
      .map((l) => {
        const k = paired.get(l.name);
        const p = k === undefined ? undefined : d.pairs[k]!;
        const alone = p !== undefined && (p.a === null || p.b === null);
        const cls = ['lay', p ? 'weighted' : 'plainlayer', alone ? 'unpaired' : ''].filter(Boolean).join(' ');
        const info = `${l.type}${l.params ? ` \u00b7 ${si(l.params)} params` : ''}`;
        return (
          `<div class="${cls}" data-side="${side}" data-layer="${esc(l.name)}"${k === undefined ? '' : ` data-pair="${k}"`} title="${esc(`${l.name}: ${info}`)}">` +
          `<span class="nm">${esc(l.name)}</span><span class="ty">${esc(info)}</span></div>`
        );
      })
      .join('');
  const height = Math.max(a.layers.length, b.layers.length) * rowH;
  const links: string[] = [];
  d.pairs.forEach((p, k) => {
    if (p.a === null || p.b === null) return;
    const ya = ia.get(p.a)! * rowH + (rowH - 4) / 2;
    const yb = ib.get(p.b)! * rowH + (rowH - 4) / 2;
    const cause = mainCause(p);
    links.push(
      `<path class="pair${cause ? ' changed' : ''}" data-pair="${k}" d="M0 ${ya} C50 ${ya} 50 ${yb} 100 ${yb}" stroke="${cause ? CAUSE_COLOURS[cause] : SAME}"${cause ? ' stroke-width="2.4"' : ''}/>`,
    );
  });
  const legend = causesOf(d)
    .map((c) => `<span><span class="swatch" style="background:${CAUSE_COLOURS[c]}"></span>${esc(c)}</span>`)
    .join(' ');
  return (
    `<section id="pairs" class="pairs"><h2>Side by side</h2><p class="legend">Every layer of both models in graph order; curves join the aligned pairs of weighted layers, coloured by the cause that changed the pair most (grey: unchanged). ` +
    `Dashed red boxes: weighted layers present in only one model. Hover a curve or box for the pair's deltas.</p><p class="legend">${legend}</p>` +
    `<div class="pane sbs-pane"><div class="sbs">` +
    `<div class="sbs-head" data-side="a">A: ${esc(a.model)} (${esc(int(d.a.params))} params, ${esc(d.a.convention)})</div><div></div>` +
    `<div class="sbs-head" data-side="b">B: ${esc(b.model)} (${esc(int(d.b.params))} params, ${esc(d.b.convention)})</div>` +
    `<div class="sbs-col">${column(a, 'a', pairedA)}</div>` +
    // Stretched sideways (preserveAspectRatio none) but not up and down: y is in pixels, the strokes stay their width.
    `<svg class="sbs-links" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 ${height}" preserveAspectRatio="none" width="100%" height="${height}">${links.join('')}</svg>` +
    `<div class="sbs-col">${column(b, 'b', pairedB)}</div></div></div></section>`
  );
}

function pairsTable(d: DiffResult): string {
  const causes = (r: Partial<Record<Cause, number>>): string =>
    (Object.entries(r) as Array<[Cause, number]>)
      .map(([k, v]) => `<span style="color:${CAUSE_COLOURS[k]}">${esc(k)}</span> ${esc(signed(v))}`)
      .join(', ');
  const rows = d.pairs.map((p, k) => {
    const same = p.paramsA === p.paramsB && p.macsA === p.macsB && p.a !== null && p.b !== null;
    return (
      `<tr data-pair="${k}" class="${same ? 'same' : 'changed'}"${same ? ' hidden' : ''}><td>${esc(p.a ?? '(none)')}</td><td>${esc(p.b ?? '(none)')}</td><td>${esc(p.kind)}</td>` +
      `<td class="num">${int(p.paramsA)}</td><td class="num">${int(p.paramsB)}</td><td class="num">${esc(signed(p.paramsB - p.paramsA))}</td><td class="num">${esc(signed(p.macsB - p.macsA))}</td>` +
      `<td>${causes(p.params)}${Object.keys(p.macs).length ? `${Object.keys(p.params).length ? '; ' : ''}MACs: ${causes(p.macs)}` : ''}</td></tr>`
    );
  });
  const meaning = causesOf(d)
    .map(
      (c) =>
        `<tr><td><span class="swatch" style="background:${CAUSE_COLOURS[c]}"></span>${esc(c)}</td><td class="num">${esc(signed(d.byCause.params[c] ?? 0))}</td><td class="num">${esc(signed(d.byCause.macs[c] ?? 0))}</td><td>${esc(CAUSES[c])}</td></tr>`,
    )
    .join('');
  return (
    `<section id="causes"><h2>Deltas by cause</h2><div class="scroll-x"><table class="plain"><thead><tr><th>Cause</th><th class="num">&Delta; params</th><th class="num">&Delta; MACs (weights)</th><th>Meaning</th></tr></thead><tbody>${meaning}` +
    `<tr><td><b>total</b></td><td class="num"><b>${esc(signed(d.delta.params))}</b></td><td class="num"><b>${esc(signed(d.delta.macs))}</b></td><td>${d.balanced ? 'the causes add up to the total difference (balanced)' : 'UNBALANCED: please report this'}</td></tr></tbody></table></div></section>` +
    `<section id="pair-table"><h2>Aligned weighted layers</h2><div class="toolbar"><label><input type="checkbox" id="show-same"> show unchanged pairs</label><span class="muted small">${d.pairs.filter((p) => p.paramsA !== p.paramsB || p.macsA !== p.macsB || p.a === null || p.b === null).length} of ${d.pairs.length} pairs differ</span></div>` +
    `<div class="scroll-x"><table class="plain"><thead><tr><th>A layer</th><th>B layer</th><th>Kind</th><th class="num">Params A</th><th class="num">Params B</th><th class="num">&Delta; params</th><th class="num">&Delta; MACs (weights)</th><th>Causes</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

export function renderDiffReport(input: DiffReportInput): string {
  const { diff: d, a, b } = input;
  const body = [
    `<header class="top"><h1>${esc(d.a.model)} &rarr; ${esc(d.b.model)}</h1><span class="desc">netcensus diff: where every parameter and MAC of difference comes from</span></header>`,
    `<dl class="meta"><dt>A</dt><dd>${esc(a.model)}: ${esc(a.description)}; ${esc(int(d.a.params))} params (${esc(d.a.convention)} convention), ${esc(int(d.a.macs))} MACs (weights), input <code>[${a.input.join(', ')}]</code></dd>` +
      `<dt>B</dt><dd>${esc(b.model)}: ${esc(b.description)}; ${esc(int(d.b.params))} params (${esc(d.b.convention)} convention), ${esc(int(d.b.macs))} MACs (weights), input <code>[${b.input.join(', ')}]</code></dd>` +
      `<dt>Delta (B &minus; A)</dt><dd><span class="mono">${esc(signed(d.delta.params))}</span> params, <span class="mono">${esc(signed(d.delta.macs))}</span> MACs (weights) ${d.balanced ? '<span class="badge ok">balanced: the causes add up to the total</span>' : '<span class="badge bad">UNBALANCED</span>'}</dd></dl>`,
    `<section id="waterfall"><h2>Waterfall</h2>${waterfall(d, 'params')}${waterfall(d, 'macs')}</section>`,
    pairsTable(d),
    sideBySide(d, a, b),
    `<footer>Each aligned pair is walked from A's configuration to B's one factor at a time, so the per-cause deltas add up exactly to the total. This file is self-contained and makes no network request.</footer>`,
    '<div id="tip" hidden></div>',
  ].join('\n');
  const data = { pairs: d.pairs };
  return page({
    title: `${d.a.model} vs ${d.b.model}: netcensus diff`,
    style: STYLE,
    body,
    data,
    client: diffClient,
    generator: input.generator ?? 'netcensus',
  });
}
