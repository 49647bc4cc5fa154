/** `summary`, `list` and `main`'s census half: tables for people, CSV and Markdown for tools. */
import {
  MAC_CONVENTIONS,
  PARAM_CONVENTIONS,
  type Census,
  type LayerCensus,
  type MacConvention,
  type ParamConvention,
} from '../census.js';
import type { Diagnostic } from '../kinds/spec.js';
import type { PublishedVerdict } from '../published.js';
import { csvCell, markdownCell, terminalText } from './escape.js';
import { bytes, int, shape, si } from './numbers.js';
import { fitProse, table } from './table.js';
import { formatTorchinfo } from './torchinfo.js';

const marks = (l: LayerCensus): string =>
  (l.trainable ? '' : ' [frozen]') + (l.sharedWith === undefined ? '' : ` [shares ${l.sharedWith}]`);
const layerType = (l: LayerCensus): string => (l.detail ? `${l.type} ${l.detail}` : l.type) + marks(l);
const counted = (l: LayerCensus, n: number): string => (!l.counted ? 'not counted' : n ? int(n) : '--');

/** A name inside a container, shown by its last part under the tree's indentation. */
const leafName = (l: LayerCensus): string => {
  const parent = l.parents.at(-1);
  const own =
    parent !== undefined && l.name.startsWith(parent) ? l.name.slice(parent.length).replace(/^[/.]/, '') : l.name;
  return `${'  '.repeat(l.depth)}${l.depth ? '└ ' : ''}${own}`;
};

/**
 * Table rows: every layer, or with nested models (or --depth) a tree whose containers carry the sums the
 * census made for them, cut at `depth` where given.
 */
function layerRows(c: Census, depth: number | undefined): string[][] {
  const row = (l: LayerCensus, name: string): string[] => [
    name,
    layerType(l),
    shape(l.outputShape),
    counted(l, l.params),
    counted(l, l.macs),
  ];
  const tree = depth !== undefined || c.containers.some((k) => k.kind === 'model');
  if (!tree) return c.layers.map((l) => row(l, l.name));
  const containers = new Map(c.containers.map((k) => [k.name, k]));
  const shown = new Set<string>();
  const rows: string[][] = [];
  const container = (name: string, collapsed: boolean): void => {
    if (shown.has(name)) return;
    shown.add(name);
    const k = containers.get(name)!;
    const own =
      k.parents.length && name.startsWith(k.parents.at(-1)!) ? name.slice(k.parents.at(-1)!.length + 1) : name;
    const what = `(${k.kind}: ${k.layers} layer${k.layers === 1 ? '' : 's'}${collapsed ? ', collapsed' : ''})`;
    rows.push([
      `${'  '.repeat(k.depth)}${k.depth ? '└ ' : ''}${own}`,
      what,
      '',
      k.params ? int(k.params) : '--',
      k.macs ? int(k.macs) : '--',
    ]);
  };
  // torchinfo's depth: N levels of rows, the top-level modules (or layers) the first; what lies below the
  // N-th level is summed into its row there.
  const cut = depth === undefined ? undefined : depth - 1;
  for (const l of c.layers) {
    const limit = cut === undefined ? l.depth : Math.min(cut, l.depth);
    for (let d = 0; d < limit; d++) container(l.parents[d]!, false);
    if (cut !== undefined && l.depth > cut) container(l.parents[cut]!, true);
    else rows.push(row(l, leafName(l)));
  }
  return rows;
}

/** torch-summary printed mult-adds in M below 1e9 and G above, two decimals. */
const legacyUnits = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : `${(n / 1e6).toFixed(2)}M`);

/**
 * The layer table's two views: Keras' (every layer, its own totals, channels-last shapes) and torchinfo's
 * (module calls, torch.nn classes, N, C, H, W shapes), the default for models from PyTorch.
 */
export type SummaryStyle = 'keras' | 'torchinfo';
export const SUMMARY_STYLES: readonly SummaryStyle[] = ['keras', 'torchinfo'];

/** The view a model is shown in unless asked: torchinfo's view for what PyTorch wrote or torchvision defines; Keras' for the rest (ONNX from tf2onnx too). */
export const styleOf = (c: Census): SummaryStyle =>
  c.graph.framework === 'pytorch' && (c.graph.writtenBy ?? 'pytorch') === 'pytorch' ? 'torchinfo' : 'keras';

/** The per-layer table, then totals, then every total under every convention. */
export function formatSummary(
  c: Census,
  published: readonly PublishedVerdict[] = [],
  diagnostics: readonly Diagnostic[] = [],
  depth?: number,
  options: { style?: SummaryStyle; width?: number } = {},
): string {
  const out: string[] = [];
  const style = options.style ?? styleOf(c);
  // Lines outside a table escape the file's text themselves (table() escapes its cells).
  out.push(`Model: ${terminalText(c.model)} - ${terminalText(c.description)}`);
  out.push(`Source: ${terminalText(c.source)}`);
  if (style === 'torchinfo') {
    const input = c.layers.find((l) => l.kind === 'input');
    out.push(
      `Input: ${shape(input?.sourceShape ?? c.input)} (${input?.sourceShape ? 'N, C, H, W' : 'batch first'})   torchinfo 1.8's view: params under the pytorch convention, mult-adds under torchinfo-1.8's, MB = 10^6 bytes of float32`,
    );
    out.push(formatTorchinfo(c, { depth, width: options.width }));
    if (c.partial) out.push(partialLine(c));
    return fitProse([...out, ...closing(c, published, diagnostics)].join('\n'));
  }
  out.push(
    `Input: ${shape(c.input)} (N, H, W, C)   Params convention: ${c.conventions.params}   MACs convention: weights (multiply-accumulates)`,
  );
  out.push(
    table(['Layer', 'Type', 'Output shape', 'Param #', 'MACs'], layerRows(c, depth), [
      'left',
      'left',
      'left',
      'right',
      'right',
    ]),
  );
  const t = c.totals;
  if (c.partial) out.push(partialLine(c));
  const partial = c.partial ? ', PARTIAL (lower bound)' : '';
  const frozen = c.layers.some((l) => !l.trainable);
  out.push(
    table(
      ['Total', 'Value', 'Meaning'],
      [
        ['params', int(t.params), `${c.conventions.params} convention${partial}`],
        ['  trainable', int(t.trainableParams), ''],
        [
          '  non-trainable',
          int(t.nonTrainableParams),
          [
            c.conventions.params === 'keras' ? 'BatchNorm moving statistics' : '',
            frozen ? "frozen layers' weights" : '',
          ]
            .filter(Boolean)
            .join('; '),
        ],
        ...exportComputedRows(c),
        ['  weights', int(t.weights), 'kernels, BatchNorm gamma (and statistics when counted)'],
        ['  biases', int(t.biases), 'conv/dense biases, BatchNorm beta'],
        ['MACs', `${int(t.macs)}`, `${si(t.macs)} multiply-accumulates, batch ${c.batch}`],
        ['FLOPs', `${int(t.flops)}`, `${si(t.flops)}, 2 x MACs`],
        ['neurons', int(t.neurons), 'output elements of conv and dense layers (seed 002), per example'],
        ['param memory', bytes(t.paramBytes), 'float32'],
        [
          'activation memory',
          bytes(t.activationBytes),
          `float32, all layer outputs of one forward pass, batch ${c.batch}`,
        ],
      ],
      ['left', 'right', 'left'],
    ),
  );
  return fitProse([...out, ...closing(c, published, diagnostics)].join('\n'));
}

/** What both views end with: the importer's notes, every convention, the published figures, diagnostics. */
function closing(c: Census, published: readonly PublishedVerdict[], diagnostics: readonly Diagnostic[]): string[] {
  const out: string[] = [];
  if (c.notes.length) out.push(['Notes', ...c.notes.map((n) => `  ${terminalText(n)}`)].join('\n'));
  out.push(formatConventions(c));
  const notes = formatPublished(c, published);
  if (notes) out.push(notes);
  if (diagnostics.length)
    out.push(
      [
        'Diagnostics',
        ...diagnostics.map(
          (d) => `  [${terminalText(d.code)}]${d.layer ? ` ${terminalText(d.layer)}:` : ''} ${terminalText(d.message)}`,
        ),
      ].join('\n'),
    );
  return out;
}

/** Rows for the stored tensors an exporter computed: what the params total took them as (Census.exportComputed). */
function exportComputedRows(c: Census): string[][] {
  const e = c.exportComputed;
  if (!e) return [];
  const rows: string[][] = [];
  if (e.counted.tensors)
    rows.push([
      '  exporter-computed',
      int(e.counted.values),
      `${int(e.counted.tensors)} tensor(s) computed at export (first "${terminalText(e.counted.first)}"), counted as stored`,
    ]);
  if (e.uncounted.tensors)
    rows.push([
      '  not counted',
      int(e.uncounted.values),
      `${int(e.uncounted.tensors)} tensor(s) dynamo folded (first "${terminalText(e.uncounted.first)}"): parameters or buffers, unknown`,
    ]);
  return rows;
}

/** Said before any total of a model with layers that could not be counted; `text` escapes the file's names. */
export function partialLine(c: Census, text: (s: string) => string = terminalText): string {
  const names = c.notCounted.map((n) => `${text(n.layer)} (${text(n.className)})`);
  return `PARTIAL: ${c.notCounted.length} layer(s) not counted: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}; every total is a lower bound`;
}

/** The same totals under every convention, with the tool or document that prints each. */
export function formatConventions(c: Census): string {
  const b = c.byConvention;
  const rows: string[][] = [];
  for (const k of Object.keys(PARAM_CONVENTIONS) as ParamConvention[]) {
    rows.push([`params (${k})`, int(b.params[k]), PARAM_CONVENTIONS[k]]);
  }
  for (const k of Object.keys(MAC_CONVENTIONS) as MacConvention[]) {
    const shown =
      k === 'torch-summary-1.3'
        ? `${int(b.macs[k])} = ${legacyUnits(b.macs[k])}`
        : `${int(b.macs[k])} = ${si(b.macs[k])}`;
    rows.push([`MACs (${k})`, shown, `${MAC_CONVENTIONS[k].printedBy}: ${MAC_CONVENTIONS[k].meaning}`]);
  }
  rows.push([
    'FLOPs (2 x MACs)',
    `${int(b.flops['2xMACs'])} = ${si(b.flops['2xMACs'])}`,
    'one multiply + one add per weight MAC (fvcore/thop-style FLOPs are MACs: halve them)',
  ]);
  rows.push([
    'FLOPs (2 x MACs + bias adds)',
    `${int(b.flops['2xMACs+biasAdds'])} = ${si(b.flops['2xMACs+biasAdds'])}`,
    'as above, plus one add per bias per output position',
  ]);
  rows.push(['neurons (seed 002)', int(b.neurons.seed002), 'conv and dense output elements, before pooling']);
  rows.push([
    'neurons (seed 002, with input)',
    int(b.neurons.seed002WithInput),
    'the same plus the input image elements',
  ]);
  const m = b.memory;
  rows.push(['param memory (keras)', bytes(m.paramBytes.keras), 'float32']);
  rows.push(['param memory (pytorch)', bytes(m.paramBytes.pytorch), 'float32']);
  rows.push(['input memory', bytes(m.inputBytes), `float32, batch ${c.batch}`]);
  rows.push(['activation memory', bytes(m.activationBytes), 'float32, every layer output of one forward pass']);
  const ts = m.torchSummary;
  rows.push([
    'torch-summary 1.3 sizes ("MB" = MiB)',
    `${ts.totalMiB.toFixed(2)} MiB`,
    `input ${ts.inputMiB.toFixed(2)}, forward/backward pass ${ts.forwardBackwardMiB.toFixed(2)} (2 x outputs of layers with parameters), params ${ts.paramsMiB.toFixed(2)}`,
  ]);
  return `Every total under every convention\n${table(['Figure (convention)', 'Value', 'Printed by / meaning'], rows, ['left', 'right', 'left'], [null, null, 72])}`;
}

/** The figure a publication gives against the figure the architecture gives, and why they differ. */
export function formatPublished(c: Census, published: readonly PublishedVerdict[]): string {
  if (published.length === 0) return '';
  const rows = published.map((f) => [f.source, f.text, f.actual === null ? '--' : int(f.actual), f.verdict, f.why]);
  return `Published figures for ${terminalText(c.model)}\n${table(['Source', 'Says', 'netcensus', 'Verdict', 'Why'], rows, ['left', 'left', 'right', 'left', 'left'], [null, 30, null, null, 60])}`;
}

const CSV_COLUMNS = [
  'name',
  'scope',
  'type',
  'outputShape',
  'params',
  'trainableParams',
  'nonTrainableParams',
  'weights',
  'biases',
  'macs',
  'flops',
  'neurons',
  'paramBytes',
  'activationBytes',
] as const;

export function formatCsv(c: Census): string {
  const lines = [CSV_COLUMNS.join(',')];
  // Figures of a layer that could not be counted are said so, never written as 0.
  const figure = (l: LayerCensus, k: (typeof CSV_COLUMNS)[number]): unknown =>
    !l.counted && CSV_COLUMNS.indexOf(k) >= 4 && k !== 'activationBytes' ? 'not counted' : l[k];
  for (const l of c.layers) lines.push(CSV_COLUMNS.map((k) => csvCell(figure(l, k))).join(','));
  lines.push(
    [
      c.partial ? 'TOTAL (partial)' : 'TOTAL',
      '',
      '',
      '',
      ...CSV_COLUMNS.slice(4).map((k) => c.totals[k as keyof Census['totals']]),
    ]
      .map(csvCell)
      .join(','),
  );
  return lines.join('\n');
}

export function formatMarkdown(c: Census): string {
  const lines = [
    `## ${markdownCell(c.model)}`,
    '',
    `${markdownCell(c.description)}. Input ${shape(c.input)} (N, H, W, C); params convention \`${c.conventions.params}\`; MACs are weight multiply-accumulates.`,
    '',
    '| Layer | Type | Output shape | Param # | MACs |',
    '| --- | --- | --- | ---: | ---: |',
    ...c.layers.map(
      (l) =>
        `| ${markdownCell(l.name)} | ${markdownCell(layerType(l))} | ${shape(l.outputShape)} | ${l.counted ? int(l.params) : 'not counted'} | ${l.counted ? int(l.macs) : 'not counted'} |`,
    ),
    `| **Total${c.partial ? ' (partial)' : ''}** | | | **${int(c.totals.params)}** | **${int(c.totals.macs)}** |`,
    ...(c.partial ? ['', partialLine(c, markdownCell)] : []),
    '',
    '| Figure (convention) | Value |',
    '| --- | ---: |',
    ...(Object.keys(c.byConvention.params) as ParamConvention[]).map(
      (k) => `| params (${k}) | ${int(c.byConvention.params[k])} |`,
    ),
    ...(Object.keys(c.byConvention.macs) as MacConvention[]).map(
      (k) => `| MACs (${k}) | ${int(c.byConvention.macs[k])} |`,
    ),
    `| FLOPs (2 x MACs) | ${int(c.byConvention.flops['2xMACs'])} |`,
    `| neurons (seed 002) | ${int(c.byConvention.neurons.seed002)} |`,
    `| param memory, float32 | ${bytes(c.totals.paramBytes)} |`,
    `| activation memory, float32 | ${bytes(c.totals.activationBytes)} |`,
  ];
  return lines.join('\n');
}

/** The zoo at a glance: the main job's census half. */
export function formatZoo(censuses: readonly Census[]): string {
  const rows = censuses.map((c) => [
    c.model,
    c.input.slice(1).join('x'),
    int(c.byConvention.params.keras),
    int(c.byConvention.params.pytorch),
    si(c.totals.macs),
    int(c.totals.neurons),
    bytes(c.totals.paramBytes),
  ]);
  return `Census of the zoo (batch 1; MACs = conv/dense weight multiply-accumulates; bytes float32)\n${table(
    ['Model', 'Input', 'Params (keras)', 'Params (pytorch)', 'MACs', 'Neurons (seed 002)', 'Param memory'],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right'],
  )}`;
}

/** Verification results: one row per model, then the layer-by-layer differences of any mismatch. */
