/**
 * The model report: one self-contained HTML page with the census of one model. The static parts
 * (header, totals under every convention, diagnostics, published figures, verification, benchmark) are
 * written here; the charts, the layer table and the graph are drawn in the page from one embedded JSON
 * blob by `modelClient`. Every figure shown is the census' own; the page only formats and takes shares.
 */
import {
  MAC_CONVENTIONS,
  PARAM_CONVENTIONS,
  type Census,
  type MacConvention,
  type ParamConvention,
} from '../census.js';
import { benchSvg } from './chart.js';
import type { BenchResult } from '../bench.js';
import { fmaText, pathText, shareText } from '../format/bench.js';
import type { VerifyResult } from '../verify.js';
import { modelClient, type ModelPageData, type NodeInfo, type VerifyCell } from './client-model.js';
import { esc, int, mbMib, page, shapeText, si } from './html.js';
import { parseRef } from '../graph.js';
import { fitLabel, labelWidth, layoutGraph, MAX_NODE_W, NODE_H, NODE_W } from './layout.js';
import { groupsOf } from './scopes.js';
import { STYLE } from './style.js';
import type { ModelReportInput, PublishedVerdict, ReportLayer } from './types.js';

/** Layer fields carried into the page, in this order ('counted', 'path', 'depth' only when the census has them). */
const LAYER_COLS = [
  'name',
  'scope',
  'type',
  'kind',
  'detail',
  'outputShape',
  'params',
  'trainableParams',
  'nonTrainableParams',
  'macs',
  'neurons',
  'paramBytes',
  'activationBytes',
] as const;
const OPTIONAL_COLS = ['counted', 'path', 'depth'] as const;

/** torch-summary printed mult-adds in M below 1e9 and G above. */
const legacyUnits = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : `${(n / 1e6).toFixed(2)}M`);

function figure(
  id: string,
  label: string,
  convention: string,
  value: string,
  unit: string,
  sub: string,
  raw?: number,
  meaning?: string,
): string {
  return (
    `<div class="fig" data-figure="${esc(id)}"${raw === undefined ? '' : ` data-value="${raw}"`}${meaning ? ` title="${esc(meaning)}"` : ''}>` +
    `<div class="lab">${esc(label)} <b>(${esc(convention)})</b></div>` +
    `<div class="val">${esc(value)}<span class="unit">${esc(unit)}</span></div>` +
    (sub ? `<div class="sub">${esc(sub)}</div>` : '') +
    '</div>'
  );
}

function bytesFigure(id: string, label: string, convention: string, bytes: number, sub: string): string {
  const { mb, mib } = mbMib(bytes);
  return figure(
    id,
    label,
    convention,
    mb.replace(' MB', ''),
    'MB (10^6 B)',
    `= ${mib} (2^20 B)${sub ? `; ${sub}` : ''}`,
    bytes,
    `${int(bytes)} bytes`,
  );
}

/** One line per convention on the card; the full meaning (census.ts) is the figure's hover title. */
const PARAM_SHORT: Record<ParamConvention, string> = {
  keras: 'Keras / tfjs count_params(): BatchNorm statistics counted',
  pytorch: 'PyTorch parameters(): BatchNorm statistics are buffers',
};

/** Every total under every convention, grouped, each labelled with its convention and unit. */
function totalsSection(c: Census): string {
  const b = c.byConvention;
  const params = (Object.keys(PARAM_CONVENTIONS) as ParamConvention[]).map((k) =>
    figure(
      `params.${k}`,
      'params',
      k,
      int(b.params[k]),
      'params',
      `${si(b.params[k])}, trainable ${int(b.trainableParams[k])}; ${PARAM_SHORT[k]}`,
      b.params[k],
      PARAM_CONVENTIONS[k],
    ),
  );
  const macs = (Object.keys(MAC_CONVENTIONS) as MacConvention[]).map((k) =>
    figure(
      `macs.${k}`,
      'MACs',
      k,
      int(b.macs[k]),
      'MACs',
      `${k === 'torch-summary-1.3' ? legacyUnits(b.macs[k]) : si(b.macs[k])}; ${MAC_CONVENTIONS[k].printedBy}`,
      b.macs[k],
      MAC_CONVENTIONS[k].meaning,
    ),
  );
  const flops = [
    figure(
      'flops.2xMACs',
      'FLOPs',
      '2 x MACs',
      int(b.flops['2xMACs']),
      'FLOPs',
      `${si(b.flops['2xMACs'])}; fvcore/thop "FLOPs" are MACs: halve these`,
      b.flops['2xMACs'],
    ),
    figure(
      'flops.2xMACs+biasAdds',
      'FLOPs',
      '2 x MACs + bias adds',
      int(b.flops['2xMACs+biasAdds']),
      'FLOPs',
      `${si(b.flops['2xMACs+biasAdds'])}; plus one add per bias and output position`,
      b.flops['2xMACs+biasAdds'],
    ),
  ];
  const neurons = [
    figure(
      'neurons.seed002',
      'neurons',
      'seed 002',
      int(b.neurons.seed002),
      'neurons',
      'conv and dense outputs before pooling, per example',
      b.neurons.seed002,
    ),
    figure(
      'neurons.seed002WithInput',
      'neurons',
      'seed 002, with input',
      int(b.neurons.seed002WithInput),
      'neurons',
      'the same plus the input elements',
      b.neurons.seed002WithInput,
    ),
  ];
  const m = b.memory;
  const ts = m.torchSummary;
  const memory = [
    bytesFigure('memory.paramBytes.keras', 'param memory', 'keras, float32', m.paramBytes.keras, ''),
    bytesFigure('memory.paramBytes.pytorch', 'param memory', 'pytorch, float32', m.paramBytes.pytorch, ''),
    bytesFigure('memory.inputBytes', 'input memory', `float32, batch ${c.batch}`, m.inputBytes, ''),
    bytesFigure(
      'memory.activationBytes',
      'activations',
      `float32, batch ${c.batch}`,
      m.activationBytes,
      'all layer outputs, input excluded',
    ),
    figure(
      'memory.torchSummary.totalMiB',
      'total size',
      'torch-summary 1.3, "MB" = MiB',
      ts.totalMiB.toFixed(2),
      'MiB (2^20 B)',
      `input ${ts.inputMiB.toFixed(2)} + fwd/bwd ${ts.forwardBackwardMiB.toFixed(2)} + params ${ts.paramsMiB.toFixed(2)} MiB`,
      ts.totalMiB,
      'torch-summary 1.3: input + forward/backward pass (2 x outputs of layers with parameters) + params, in MiB though it prints "MB"',
    ),
  ];
  const group = (title: string, figs: string[], wide = false): string =>
    `<div class="cardgroup${wide ? ' wide' : ''}"><h3>${esc(title)}</h3><div class="figs">${figs.join('')}</div></div>`;
  return (
    `<section id="totals"><h2>Totals under every convention</h2>` +
    `<div class="cards">${group('Parameters', params)}${group('MACs (multiply-accumulates, batch ' + c.batch + ')', macs)}${group('FLOPs (batch ' + c.batch + ')', flops)}${group('Neurons', neurons)}${group('Memory (float32; MB = 10^6 bytes, MiB = 2^20 bytes)', memory, true)}</div>` +
    `</section>`
  );
}

function alerts(input: ModelReportInput): string {
  const out: string[] = [];
  for (const d of input.diagnostics) {
    out.push(
      // zoo-variant is information (this model equals a zoo model but for ...), not a warning.
      `<div class="alert${d.code === 'zoo-variant' ? ' info' : ''}" data-diagnostic="${esc(d.code)}"${d.layer ? ` data-layer="${esc(d.layer)}"` : ''}><span class="code">${d.code === 'zoo-variant' ? '&#9432;' : '&#9888;'} ${esc(d.code)}</span>` +
        `${d.layer ? `<button class="goto" data-layer="${esc(d.layer)}" title="show this layer in the table, graph and charts">${esc(d.layer)}</button>` : ''}<span>${esc(d.message)}</span></div>`,
    );
  }
  const v = input.verify;
  if (v) {
    out.push(
      v.ok
        ? `<div class="alert ok" data-verify="ok"><span class="code">&#10003; verified</span><span>every layer's executed shape and countParams() equal the census (${esc(v.backend)} backend; ${v.layers.length} layers; ${int(v.params.framework)} params from countParams())</span></div>`
        : `<div class="alert" data-verify="mismatch"><span class="code">&#10007; verification mismatch</span><span>${esc(v.mismatches.length)} difference(s) between the census and the executed network on ${esc(v.backend)}; see <a href="#verify">Verification</a></span></div>`,
    );
  }
  return out.length ? `<div class="alerts">${out.join('')}</div>` : '';
}

function publishedSection(c: Census, published: readonly PublishedVerdict[]): string {
  if (published.length === 0) return '';
  const rows = published.map(
    (p) =>
      `<tr data-agrees="${p.agrees}"><td>${esc(p.source)}</td><td>${esc(p.text)}</td><td class="num">${int(p.value)}</td><td class="num">${p.actual === null ? '--' : int(p.actual)}</td>` +
      `<td><span class="verdict ${p.agrees ? 'agrees' : p.actual === null ? '' : 'differs'}">${p.agrees ? '&#10003; ' : p.actual === null ? '' : '&#10007; '}${esc(p.verdict)}</span></td><td>${esc(p.why)}</td></tr>`,
  );
  return (
    `<section id="published"><h2>Published figures for ${esc(c.model)}</h2>` +
    `<div class="scroll-x"><table class="plain"><thead><tr><th>Source</th><th>Says</th><th class="num">Value</th><th class="num">netcensus, same convention</th><th>Verdict</th><th>Why</th></tr></thead><tbody>${rows.join('')}</tbody></table></div></section>`
  );
}

function chartsSection(c: Census): string {
  const chart = (key: string, title: string, total: string, note = ''): string =>
    `<figure class="chart" id="chart-${key}"><figcaption>${title}: total <span class="total" data-total="${key}">${total}</span>${note ? ` <span class="muted small">${note}</span>` : ''}</figcaption><div class="plot"></div></figure>`;
  const t = c.totals;
  return (
    `<section id="charts"><h2>Per layer</h2>` +
    `<div class="toolbar"><span>Scale</span><span class="seg" id="scale"><button data-scale="linear" aria-pressed="true">linear</button><button data-scale="log" aria-pressed="false">log</button></span>` +
    `<span class="muted small">one bar per layer in graph order; hover for the layer's row, click to select it. Red: a layer with a diagnostic.</span></div>` +
    chart('params', `Parameters (${esc(c.conventions.params)} convention)`, `${int(t.params)} params`) +
    chart(
      'macs',
      `MACs (weights convention: multiply-accumulates of conv and dense weights, batch ${c.batch})`,
      `${int(t.macs)} MACs`,
    ) +
    chart(
      'activationBytes',
      `Activation memory (float32 layer outputs, batch ${c.batch})`,
      `${int(t.activationBytes)} bytes = ${mbMib(t.activationBytes).mb} (10^6 B) = ${mbMib(t.activationBytes).mib} (2^20 B)`,
      '(grey: the input, not part of the total)',
    ) +
    `</section>`
  );
}

function layersSection(): string {
  return (
    `<section id="layers"><h2>Layers</h2>` +
    `<div class="toolbar"><span>Colour by</span><span class="seg" id="colour-by"><button data-by="params" aria-pressed="true">params</button><button data-by="macs" aria-pressed="false">MACs</button></span>` +
    `<span class="seg" role="group" aria-label="zoom"><button id="zoom-out" title="zoom out (-)" aria-label="zoom out">&minus;</button><button id="zoom-fit" title="fit the width (0)">fit</button><button id="zoom-in" title="zoom in (+)" aria-label="zoom in">+</button></span><span id="zoom-level" class="muted small" aria-live="polite"></span>` +
    `<span class="muted small">drag to pan, Ctrl or &#8984; + wheel (or pinch) to zoom; click a layer for its details, arrow keys to walk the graph</span></div>` +
    `<div class="graph-wrap"><div class="pane" id="graph-pane" tabindex="0" aria-label="layer graph: arrow keys move between layers (up: an input, down: a consumer, left and right: graph order), + and - zoom, 0 fits"></div>` +
    `<aside class="details" id="node-details" aria-label="layer details"><p class="muted small">Click a layer in the graph, the table or the charts for its type, attributes, input and output shapes and parameters.</p></aside></div>` +
    `<div class="legend" id="graph-legend"></div>` +
    `<div class="toolbar"><input type="search" id="filter" placeholder="filter by name, scope or type" aria-label="filter layers"><select id="depth" aria-label="collapse by nesting depth"><option value="">no nesting</option></select>` +
    `<span id="table-count" class="muted small"></span><span id="selection" class="small" aria-live="polite"></span></div>` +
    `<div class="pane" id="table-pane"><table class="layers-table" id="layer-table"></table></div>` +
    `<div class="legend">Params under the table's convention; MACs: weight multiply-accumulates; memory: float32, decimal units (kB = 10^3 B, MB = 10^6 B). Click a header to sort, a row to select, a group to fold.</div></section>`
  );
}

function verifySection(v: VerifyResult): string {
  const pair = (label: string, x: { census: number; framework: number }): string =>
    `<tr><td>${esc(label)}</td><td class="num">${int(x.census)}</td><td class="num">${int(x.framework)}</td><td>${x.census === x.framework ? '<span class="badge ok">equal</span>' : '<span class="badge bad">differ</span>'}</td></tr>`;
  const bad = v.layers.filter((l) => !l.ok);
  return (
    `<section id="verify"><h2>Verification by execution</h2>` +
    `<p>Backend <code>${esc(v.backend)}</code> (${esc(v.device)}), input ${esc(shapeText(v.input))}: ${v.ok ? '<span class="badge ok">ok</span>' : '<span class="badge bad">MISMATCH</span>'} &mdash; ` +
    `${v.layers.filter((l) => l.ok).length} of ${v.layers.length} layers match; build ${(v.timings.buildMs / 1000).toFixed(2)} s, forward pass ${(v.timings.forwardMs / 1000).toFixed(2)} s; ${v.leakedTensors} tensors left alive. Per-layer results are in the table's Verify columns.</p>` +
    `<div class="scroll-x"><table class="plain" style="width:auto"><thead><tr><th>Figure</th><th class="num">census (keras)</th><th class="num">tfjs</th><th></th></tr></thead><tbody>` +
    pair('params (countParams())', v.params) +
    pair('trainable params', v.trainableParams) +
    pair('non-trainable params', v.nonTrainableParams) +
    `</tbody></table></div>` +
    (bad.length
      ? `<h3>Layers that differ</h3><div class="scroll-x"><table class="plain"><thead><tr><th>Layer</th><th>Census shape</th><th>Executed shape</th><th class="num">Census params</th><th class="num">countParams()</th></tr></thead><tbody>${bad
          .map(
            (l) =>
              `<tr><td>${esc(l.name)}</td><td>${esc(shapeText(l.censusShape))}</td><td>${esc(shapeText(l.executedShape))}</td><td class="num">${int(l.censusParams)}</td><td class="num">${int(l.frameworkParams)}</td></tr>`,
          )
          .join('')}</tbody></table></div>`
      : '') +
    (v.mismatches.length ? `<ul>${v.mismatches.map((m) => `<li><code>${esc(m)}</code></li>`).join('')}</ul>` : '') +
    `</section>`
  );
}

function benchSection(r: BenchResult): string {
  const GIB = 2 ** 30;
  const rows = r.rows.map((x) =>
    x.status === 'ok'
      ? `<tr><td>${esc(x.model)}</td><td>${esc(x.backend)} (${esc(pathText(x))})</td><td class="num">${x.batch}</td><td class="num">${x.medianMs.toFixed(1)} ms</td><td class="num">${x.p10Ms.toFixed(1)} ms</td><td class="num">${x.p90Ms.toFixed(1)} ms</td><td class="num">${x.imagesPerSec.toFixed(2)}</td><td class="num">${x.gflops.toFixed(1)}</td><td class="num">${esc(shareText(x.shareOfMatmulPeak, x.aboveMatmulPeakNote ? '*' : ''))}</td><td class="num">${esc(shareText(x.shareOfFmaPeak, x.aboveFmaPeakNote ? '*' : ''))}</td><td class="num">${(x.memory.peakRssBytes / GIB).toFixed(2)} GiB</td><td>${esc([x.leakedTensors ? `${x.leakedTensors} tensors leaked` : '', x.aboveFmaPeakNote ?? x.aboveMatmulPeakNote ?? ''].filter(Boolean).join('; '))}</td></tr>`
      : `<tr><td>${esc(x.model)}</td><td>${esc(x.backend)} (${esc(pathText(x))})</td><td class="num">${x.batch}</td><td colspan="8" class="muted">skipped: ${esc(x.reason ?? '')}</td><td></td></tr>`,
  );
  const peers = r.peers.map(
    (p) =>
      `<tr><td>${esc(p.peer)}</td><td>${esc(p.model)}</td><td class="num">${p.batch}</td><td class="num">${p.status === 'ok' ? `${p.medianMs.toFixed(1)} ms` : '--'}</td><td class="num">${p.status === 'ok' ? p.gflops.toFixed(1) : '--'}</td><td>${esc(p.status === 'ok' ? (p.versions ?? '') : `skipped: ${p.reason ?? ''}`)}</td></tr>`,
  );
  const targets = r.targets.map(
    (t) =>
      `<tr><td>${esc(t.target)}</td><td>${esc(t.value)}</td><td>${t.met === null ? `not measured: ${esc(t.note)}` : t.met ? '<span class="badge ok">yes</span>' : '<span class="badge bad">NO</span>'}</td></tr>`,
  );
  return (
    `<section id="bench"><h2>Benchmark</h2>` +
    `<p class="small">${esc(r.date)} on ${esc(r.host.cpu)}, ${r.host.threads} threads, Node ${esc(r.host.node)}, TensorFlow.js ${esc(r.host.tfjs)}. Convention: ${esc(r.convention)}. ` +
    `${esc(fmaText(r.fma))} ${r.peaks.map((p) => `${esc(p.backend)} matmul peak ${p.gflops.toFixed(1)} GFLOP/s`).join('; ')}.` +
    (r.rows.some((x) => x.aboveFmaPeakNote || x.aboveMatmulPeakNote) ? ` * ${esc(r.fastAlgorithmNote)}.` : '') +
    `</p>` +
    `<div class="benchsvg">${benchSvg(r)}</div>` +
    `<div class="scroll-x"><table class="plain"><thead><tr><th>Model</th><th>Backend</th><th class="num">Batch</th><th class="num">Median</th><th class="num">p10</th><th class="num">p90</th><th class="num">Images/s</th><th class="num">GFLOP/s (effective: 2 x direct-convolution MACs)</th><th class="num">% matmul peak</th><th class="num">% FMA peak</th><th class="num">Peak RSS</th><th>Note</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>` +
    (peers.length
      ? `<h3>Peers</h3><div class="scroll-x"><table class="plain"><thead><tr><th>Peer</th><th>Model</th><th class="num">Batch</th><th class="num">Median</th><th class="num">GFLOP/s</th><th>Note</th></tr></thead><tbody>${peers.join('')}</tbody></table></div>`
      : '') +
    (targets.length
      ? `<h3>Targets</h3><div class="scroll-x"><table class="plain"><thead><tr><th>Target</th><th>Measured</th><th>Met</th></tr></thead><tbody>${targets.join('')}</tbody></table></div>`
      : '') +
    `</section>`
  );
}

/** A config value as text, cut short: a folded constant can hold millions of values. */
function attrText(v: unknown): string {
  const text = (x: unknown, top: boolean): string =>
    Array.isArray(x)
      ? `[${[...x.slice(0, 16).map((y) => text(y, false)), ...(x.length > 16 ? [`\u2026 ${x.length} values`] : [])].join(', ')}]`
      : x !== null && typeof x === 'object'
        ? `{${Object.entries(x)
            .slice(0, 16)
            .map(([k, y]) => `${k}: ${text(y, false)}`)
            .join(', ')}}`
        : typeof x === 'string' && !top
          ? JSON.stringify(x)
          : String(x);
  const s = text(v, true);
  return s.length > 200 ? `${s.slice(0, 199)}\u2026` : s;
}

/** Edge labels: a tensor's shape as Netron writes it, batch first. */
const edgeShapeText = (s: readonly number[]): string => s.join('\u00d7');

/**
 * What the node details show beyond the table's columns: the layer's configuration, its inputs with their
 * shapes, every output and its weight tensors. Read from the census' per-node inference where it has one
 * (a census rebuilt from JSON has not: then the producers' output shapes and no attributes).
 */
function nodeInfos(c: Census): NodeInfo[] {
  const layers = c.layers;
  const infos = c.infos?.length === layers.length ? c.infos : undefined;
  const index = new Map(layers.map((l, i) => [l.name, i]));
  const has = (name: string): boolean => index.has(name);
  return layers.map((l, i) => {
    const info = infos?.[i]?.node.name === l.name ? infos[i] : undefined;
    const withBatch = (s: readonly number[]): number[] => [c.batch, ...s];
    const inputs: NodeInfo['inputs'] = l.inputs.map((ref, r) => {
      const from = index.get(parseRef(ref, has).node) ?? -1;
      const shape = info?.inputShapes[r]
        ? withBatch(info.inputShapes[r])
        : from >= 0
          ? layers[from]!.outputShape
          : null;
      return [ref, from, shape];
    });
    return {
      attrs: info
        ? Object.entries(info.node.config)
            .filter(([key, v]) => key !== 'kind' && v !== undefined)
            .slice(0, 40)
            .map(([key, v]) => [key, attrText(v)] as [string, string])
        : [],
      inputs,
      outputs: info ? info.outputShapes.map(withBatch) : [l.outputShape],
      tensors: info
        ? info.weights.map((w) => [w.name, w.shape, w.trainable ? w.role : `${w.role}, non-trainable`])
        : [],
    };
  });
}

/** The graph as drawn: positions, each node as wide as its labels (cut only past MAX_NODE_W), edge shapes. */
function graphData(c: Census, diag: ModelPageData['diag'], infos: NodeInfo[]): ModelPageData['graph'] {
  const layers = c.layers as ReportLayer[];
  const labels = layers.map((l): [string, string] => {
    const fig =
      l.counted === false
        ? 'not counted'
        : l.params
          ? `${si(l.params, l.params < 1e6 ? 1 : 2)} params`
          : l.macs
            ? `${si(l.macs, l.macs < 1e6 ? 1 : 2)} MACs`
            : '';
    const type = l.detail ? `${l.type} ${l.detail}` : l.type;
    return [`${diag[l.name] ? '\u26a0 ' : ''}${l.name}`, fig ? `${type} \u00b7 ${fig}` : type];
  });
  // Padding: 6 px either side of the text.
  const widths = labels.map(([nm, ty]) =>
    Math.min(MAX_NODE_W, Math.max(NODE_W, Math.ceil(Math.max(labelWidth(nm, 11, true), labelWidth(ty, 10)) + 14))),
  );
  const g = layoutGraph(layers, widths);
  const text = g.widths.map((w, i) => [fitLabel(labels[i]![0], w - 12, 11, true), fitLabel(labels[i]![1], w - 12, 10)]);
  // Each edge carries its input slot's shape: the k-th input of its target fed by its source, in order.
  const used = layers.map(() => new Set<number>());
  const edgeShapes = g.edges.map(([from, to]) => {
    const ins = infos[to!]!.inputs;
    const k = ins.findIndex(([, f], r) => f === from && !used[to!]!.has(r));
    if (k >= 0) used[to!]!.add(k);
    const shape = k >= 0 ? ins[k]![2] : layers[from!]!.outputShape;
    return shape ? edgeShapeText(shape) : '';
  });
  return {
    width: g.width,
    height: g.height,
    nodeH: NODE_H,
    nodes: g.nodes,
    widths: g.widths,
    labels: text as Array<[string, string]>,
    edges: g.edges,
    edgeShapes,
  };
}

/** Leaves out what the page knows already: an input's shape that is its producer's output shape, the one output. */
function compact(x: NodeInfo, layers: readonly ReportLayer[], i: number): NodeInfo {
  const same = (a: readonly number[] | null, b: readonly number[]): boolean => a?.join() === b.join();
  return {
    ...x,
    inputs: x.inputs.map(([ref, from, s]) => [ref, from, from >= 0 && same(s, layers[from]!.outputShape) ? null : s]),
    outputs: x.outputs.length === 1 && same(x.outputs[0]!, layers[i]!.outputShape) ? [] : x.outputs,
  };
}

/** The embedded data: layers as rows of a column list (half the size of objects), graph positions, marks. */
function pageData(input: ModelReportInput): ModelPageData {
  const c = input.census;
  const layers = c.layers as ReportLayer[];
  const optional = OPTIONAL_COLS.filter((k) => layers.some((l) => l[k] !== undefined));
  const cols = [...LAYER_COLS, ...optional];
  const diag: ModelPageData['diag'] = {};
  for (const d of input.diagnostics) if (d.layer) (diag[d.layer] ??= []).push({ code: d.code, message: d.message });
  let verify: ModelPageData['verify'] = null;
  if (input.verify) {
    verify = {};
    for (const l of input.verify.layers)
      verify[l.name] = [
        l.ok,
        l.censusShape,
        l.executedShape,
        l.censusParams,
        l.frameworkParams,
        l.censusTrainable,
        l.frameworkTrainable,
      ] satisfies VerifyCell;
  }
  const info = nodeInfos(c);
  return {
    paramsConvention: c.conventions.params,
    batch: c.batch,
    totals: { params: c.totals.params, macs: c.totals.macs, activationBytes: c.totals.activationBytes },
    cols,
    rows: layers.map((l) => cols.map((k) => (l as unknown as Record<string, unknown>)[k] ?? null)),
    groups: layers.map(groupsOf),
    diag,
    verify,
    graph: graphData(c, diag, info),
    info: info.map((x, i) => compact(x, layers, i)),
  };
}

export function renderModelReport(input: ModelReportInput): string {
  const c = input.census;
  const body = [
    `<header class="top"><h1>${esc(c.model)}</h1><span class="desc">${esc(c.description)}</span></header>`,
    `<dl class="meta"><dt>Source</dt><dd>${esc(c.source)}</dd>` +
      `<dt>Input</dt><dd><code>${esc(shapeText(c.input))}</code> (N, H, W, C), batch ${c.batch}</dd>` +
      `<dt>Layers</dt><dd>${c.layers.length}</dd>` +
      `<dt>Table and charts</dt><dd>params under the <b>${esc(c.conventions.params)}</b> convention (${esc(c.conventions.paramsMeaning)}); MACs under <b>weights</b> (${esc(c.conventions.macsMeaning)}); ${esc(c.conventions.bytes)}</dd></dl>`,
    alerts(input),
    totalsSection(c),
    publishedSection(c, input.published),
    chartsSection(c),
    layersSection(),
    input.verify ? verifySection(input.verify) : '',
    input.bench ? benchSection(input.bench) : '',
    `<footer>Conventions: ${esc(c.conventions.flops)}. ${esc(c.conventions.neurons)}. ${esc(c.conventions.bytes)}. Written by ${esc(input.generator)}; this file is self-contained and makes no network request.</footer>`,
    '<div id="tip" hidden></div>',
  ].join('\n');
  return page({
    title: `${c.model}: netcensus report`,
    style: STYLE,
    body,
    data: pageData(input),
    client: modelClient,
    generator: input.generator,
  });
}
