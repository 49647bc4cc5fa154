/**
 * Presentation of a census: tables for people, JSON / CSV / Markdown for tools. Every figure carries its
 * convention and unit; nothing here computes a count.
 */
import Table from 'cli-table3';
import {
  MAC_CONVENTIONS,
  PARAM_CONVENTIONS,
  type Census,
  type LayerCensus,
  type MacConvention,
  type ParamConvention,
} from './census.js';
import type { PublishedFigure } from './graph.js';
import type { VerifyResult } from './verify.js';
import type { BenchResult } from './bench.js';
import type { Diagnostic } from './diagnose.js';
import { CAUSES, type Cause, type DiffResult } from './diff.js';

export const int = (n: number): string => n.toLocaleString('en-US');
export const shape = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** 1234567 -> "1.23M"; the SI prefix is decimal (10^6, 10^9). */
export function si(n: number, digits = 2): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(digits)}T`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(digits)}G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(digits)}K`;
  return `${n}`;
}

/** Bytes in both units, labelled: "243.86 MB (232.56 MiB)". */
export const bytes = (n: number): string => `${(n / 1e6).toFixed(2)} MB (${(n / 2 ** 20).toFixed(2)} MiB)`;

const plain = { head: [] as string[], border: [] as string[] };

/** No rule between body rows: the tables stay as dense as Keras' and torchinfo's. */
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function table(
  head: string[],
  rows: string[][],
  align: Array<'left' | 'right'>,
  widths?: Array<number | null>,
): string {
  const t = new Table({
    head,
    style: plain,
    colAligns: align,
    chars,
    ...(widths ? { colWidths: widths, wordWrap: true } : {}),
  });
  t.push(...rows);
  return t.toString();
}

const layerType = (l: LayerCensus): string => (l.detail ? `${l.type} ${l.detail}` : l.type);

/** torch-summary printed mult-adds in M below 1e9 and G above, two decimals. */
const legacyUnits = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : `${(n / 1e6).toFixed(2)}M`);

/** The per-layer table, then totals, then every total under every convention. */
export function formatSummary(
  c: Census,
  published: readonly PublishedFigure[] = [],
  diagnostics: readonly Diagnostic[] = [],
): string {
  const out: string[] = [];
  out.push(`Model: ${c.model} - ${c.description}`);
  out.push(`Source: ${c.source}`);
  out.push(
    `Input: ${shape(c.input)} (N, H, W, C)   Params convention: ${c.conventions.params}   MACs convention: weights (multiply-accumulates)`,
  );
  out.push(
    table(
      ['Layer', 'Type', 'Output shape', 'Param #', 'MACs'],
      c.layers.map((l) => [
        l.name,
        layerType(l),
        shape(l.outputShape),
        l.params ? int(l.params) : '--',
        l.macs ? int(l.macs) : '--',
      ]),
      ['left', 'left', 'left', 'right', 'right'],
    ),
  );
  const t = c.totals;
  out.push(
    table(
      ['Total', 'Value', 'Meaning'],
      [
        ['params', int(t.params), `${c.conventions.params} convention`],
        ['  trainable', int(t.trainableParams), ''],
        [
          '  non-trainable',
          int(t.nonTrainableParams),
          c.conventions.params === 'keras' ? 'BatchNorm moving statistics' : '',
        ],
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
  out.push(formatConventions(c));
  const notes = formatPublished(c, published);
  if (notes) out.push(notes);
  if (diagnostics.length)
    out.push(
      ['Diagnostics', ...diagnostics.map((d) => `  [${d.code}]${d.layer ? ` ${d.layer}:` : ''} ${d.message}`)].join(
        '\n',
      ),
    );
  return out.join('\n');
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
export function publishedValue(c: Census, f: PublishedFigure): number | undefined {
  const m = f.measure;
  switch (m.kind) {
    case 'total':
      return m.key === 'macs' ? c.totals.macs : c.byConvention.params[m.convention ?? c.conventions.params];
    case 'layerParams':
      return c.layers.find((l) => l.name === m.layer)?.params;
    case 'layerNeurons':
      return c.layers.find((l) => l.name === m.layer)?.neurons;
    case 'neurons':
      return c.byConvention.neurons[m.convention];
    case 'macs':
      return c.byConvention.macs[m.convention];
  }
}

export function formatPublished(c: Census, published: readonly PublishedFigure[]): string {
  if (published.length === 0) return '';
  const rows = published.map((f) => {
    const actual = publishedValue(c, f);
    const rounded =
      f.precision !== undefined && actual !== undefined && Math.round(actual / f.precision) * f.precision === f.value;
    const verdict =
      actual === undefined
        ? 'n/a'
        : actual === f.value
          ? 'agrees'
          : rounded
            ? `agrees, rounded to ${si(f.precision!, 0)}`
            : `differs by ${int(actual - f.value)}`;
    return [f.source, f.text, actual === undefined ? '--' : int(actual), verdict, f.why];
  });
  return `Published figures for ${c.model}\n${table(['Source', 'Says', 'netcensus', 'Verdict', 'Why'], rows, ['left', 'left', 'right', 'left', 'left'], [null, 30, null, null, 60])}`;
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

const csvCell = (v: unknown): string => {
  const s = Array.isArray(v) ? v.join('x') : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function formatCsv(c: Census): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const l of c.layers) lines.push(CSV_COLUMNS.map((k) => csvCell(l[k])).join(','));
  lines.push(
    ['TOTAL', '', '', '', ...CSV_COLUMNS.slice(4).map((k) => c.totals[k as keyof Census['totals']])]
      .map(csvCell)
      .join(','),
  );
  return lines.join('\n');
}

export function formatMarkdown(c: Census): string {
  const lines = [
    `## ${c.model}`,
    '',
    `${c.description}. Input ${shape(c.input)} (N, H, W, C); params convention \`${c.conventions.params}\`; MACs are weight multiply-accumulates.`,
    '',
    '| Layer | Type | Output shape | Param # | MACs |',
    '| --- | --- | --- | ---: | ---: |',
    ...c.layers.map(
      (l) => `| ${l.name} | ${layerType(l)} | ${shape(l.outputShape)} | ${int(l.params)} | ${int(l.macs)} |`,
    ),
    `| **Total** | | | **${int(c.totals.params)}** | **${int(c.totals.macs)}** |`,
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
export function formatVerify(
  results: readonly VerifyResult[],
  backend: { backend: string; device: string; note?: string },
): string {
  const out = [
    `Verification by execution on TensorFlow.js backend "${backend.backend}" (${backend.device})${backend.note ? `\nNote: ${backend.note}` : ''}`,
  ];
  out.push(
    table(
      [
        'Model',
        'Input',
        'Layers matched',
        'Params (census, keras)',
        'Params (tfjs countParams)',
        'Trainable',
        'Non-trainable',
        'Build',
        'Forward',
        'Result',
      ],
      results.map((r) => [
        r.model,
        r.input.join('x'),
        `${r.layers.filter((l) => l.ok).length}/${r.layers.length}`,
        int(r.params.census),
        int(r.params.framework),
        r.trainableParams.census === r.trainableParams.framework
          ? int(r.trainableParams.framework)
          : `${int(r.trainableParams.census)} vs ${int(r.trainableParams.framework)}`,
        r.nonTrainableParams.census === r.nonTrainableParams.framework
          ? int(r.nonTrainableParams.framework)
          : `${int(r.nonTrainableParams.census)} vs ${int(r.nonTrainableParams.framework)}`,
        `${(r.timings.buildMs / 1000).toFixed(2)} s`,
        `${(r.timings.forwardMs / 1000).toFixed(2)} s`,
        r.ok ? 'ok' : 'MISMATCH',
      ]),
      ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ),
  );
  for (const r of results.filter((x) => !x.ok)) {
    out.push(`${r.model}: ${r.mismatches.length} difference(s)`);
    out.push(
      table(
        ['Layer', 'Census shape', 'Executed shape', 'Census params', 'tfjs params'],
        r.layers
          .filter((l) => !l.ok)
          .map((l) => [
            l.name,
            shape(l.censusShape),
            shape(l.executedShape),
            int(l.censusParams),
            int(l.frameworkParams),
          ]),
        ['left', 'left', 'left', 'right', 'right'],
      ),
    );
    const other = r.mismatches.filter((m) => !r.layers.some((l) => !l.ok && m.startsWith(`${l.name}:`)));
    if (other.length) out.push(other.map((m) => `  ${m}`).join('\n'));
  }
  const ok = results.filter((r) => r.ok).length;
  out.push(
    `${ok} of ${results.length} models verified: every layer's executed shape and countParams() equal the census`,
  );
  return out.join('\n');
}

const signed = (n: number): string => (n > 0 ? `+${int(n)}` : int(n));

/** Aligned layers with their deltas and causes, then the deltas by cause, which add up to the total. */
export function formatDiff(d: DiffResult): string {
  const causes = (r: Partial<Record<Cause, number>>): string =>
    (Object.entries(r) as Array<[Cause, number]>).map(([k, v]) => `${k} ${signed(v)}`).join(', ');
  const rows = d.pairs
    .filter((p) => p.paramsA !== p.paramsB || p.macsA !== p.macsB || p.a === null || p.b === null)
    .map((p) => [
      p.a ?? '(none)',
      p.b ?? '(none)',
      int(p.paramsA),
      int(p.paramsB),
      signed(p.paramsB - p.paramsA),
      signed(p.macsB - p.macsA),
      [causes(p.params), causes(p.macs) ? `MACs: ${causes(p.macs)}` : ''].filter(Boolean).join('; '),
    ]);
  const out = [
    `${d.a.model} (${int(d.a.params)} params, ${d.a.convention} convention; ${int(d.a.macs)} MACs) -> ${d.b.model} (${int(d.b.params)} params, ${d.b.convention} convention; ${int(d.b.macs)} MACs)`,
    rows.length
      ? table(
          ['A layer', 'B layer', 'Params A', 'Params B', 'Δ params', 'Δ MACs', 'Causes'],
          rows,
          ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
          [null, null, null, null, null, null, 60],
        )
      : 'No weighted layer differs.',
  ];
  const all = [...new Set([...Object.keys(d.byCause.params), ...Object.keys(d.byCause.macs)])] as Cause[];
  out.push(
    table(
      ['Cause', 'Δ params', 'Δ MACs', 'Meaning'],
      [
        ...all.map((k) => [k, signed(d.byCause.params[k] ?? 0), signed(d.byCause.macs[k] ?? 0), CAUSES[k]]),
        [
          'total',
          signed(d.delta.params),
          signed(d.delta.macs),
          d.balanced ? 'the causes add up to the total difference' : 'UNBALANCED: please report this',
        ],
      ],
      ['left', 'right', 'right', 'left'],
      [null, null, null, 60],
    ),
  );
  return out.join('\n');
}

const GIB = 2 ** 30;

/** Benchmark results: peaks, one row per configuration, peers, and the targets with their verdicts. */
export function formatBench(r: BenchResult): string {
  const out = [
    `Benchmark ${r.date} on ${r.host.cpu}, ${r.host.threads} threads, Node ${r.host.node}, TensorFlow.js ${r.host.tfjs}`,
    `Convention: ${r.convention}`,
  ];
  out.push(`FMA peak: ${r.fma.measuredGflops ? `${r.fma.measuredGflops.toFixed(1)} GFLOP/s ` : ''}(${r.fma.how})`);
  for (const p of r.peaks) out.push(`${p.backend} matmul peak: ${p.gflops.toFixed(1)} GFLOP/s (${p.how})`);
  out.push(
    table(
      [
        'Model',
        'Backend',
        'Batch',
        'Median',
        'p10',
        'p90',
        'Images/s',
        'GFLOP/s',
        '% matmul peak',
        '% FMA peak',
        'Peak RSS',
        'tf bytes',
        'Note',
      ],
      r.rows.map((x) =>
        x.status === 'ok'
          ? [
              x.model,
              x.backend,
              String(x.batch),
              `${x.medianMs.toFixed(1)} ms`,
              `${x.p10Ms.toFixed(1)} ms`,
              `${x.p90Ms.toFixed(1)} ms`,
              x.imagesPerSec.toFixed(2),
              x.gflops.toFixed(1),
              `${(x.shareOfMatmulPeak * 100).toFixed(0)}%`,
              x.shareOfFmaPeak === null ? '--' : `${(x.shareOfFmaPeak * 100).toFixed(0)}%`,
              `${(x.memory.peakRssBytes / GIB).toFixed(2)} GiB`,
              `${(x.memory.tfBytesPeak / GIB).toFixed(2)} GiB`,
              x.leakedTensors ? `${x.leakedTensors} tensors leaked` : '',
            ]
          : [
              x.model,
              x.backend,
              String(x.batch),
              '--',
              '--',
              '--',
              '--',
              '--',
              '--',
              '--',
              '--',
              '--',
              `skipped: ${x.reason}`,
            ],
      ),
      [
        'left',
        'left',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'right',
        'left',
      ],
      [null, null, null, null, null, null, null, null, null, null, null, null, 40],
    ),
  );
  if (r.peers.length) {
    out.push(
      table(
        ['Peer', 'Model', 'Batch', 'Median', 'GFLOP/s', 'Note'],
        r.peers.map((p) => [
          p.peer,
          p.model,
          String(p.batch),
          p.status === 'ok' ? `${p.medianMs.toFixed(1)} ms` : '--',
          p.status === 'ok' ? p.gflops.toFixed(1) : '--',
          p.status === 'ok' ? (p.versions ?? '') : `skipped: ${p.reason}`,
        ]),
        ['left', 'left', 'right', 'right', 'right', 'left'],
        [null, null, null, null, null, 50],
      ),
    );
  }
  out.push(
    table(
      ['Target', 'Measured', 'Met'],
      r.targets.map((t) => [t.target, t.value, t.met === null ? `not measured: ${t.note}` : t.met ? 'yes' : 'NO']),
      ['left', 'left', 'left'],
      [46, 50, 30],
    ),
  );
  return out.join('\n');
}
