/** `bench`: peaks, one row per configuration, the peers, the interleaved ratios and the targets. */
import type { AlgorithmUse, BenchResult, BenchRow, Comparison, FmaPeak } from '../bench.js';
import { markdownCell } from './escape.js';
import { fitProse, table } from './table.js';

const GIB = 2 ** 30;

/**
 * A share of a peak as printed: a percentage up to 100%; above, never a bare figure but "above peak" with a
 * mark that the notes below the table explain (a fast convolution algorithm, or what oneDNN reported).
 */
export function shareText(share: number | null, mark = '*'): string {
  if (share === null) return '--';
  return share > 1 ? `above peak${mark}` : `${(share * 100).toFixed(0)}%`;
}

/** The convolutions' algorithms in a few words: "convolution_direct (brg_conv_fwd:avx512_core) x13". */
export function convolutionAlgorithms(uses: readonly AlgorithmUse[] | undefined): string {
  const convs = (uses ?? []).filter((u) => u.primitive === 'convolution');
  return convs.map((u) => `${u.algorithm || 'unnamed'} (${u.implementation}) x${u.executions}`).join(', ');
}

const ratioText = (r: number): string => `${r.toFixed(3)}x`;
const ms = (v: number): string => `${v.toFixed(1)} ms`;
/** Median, p10 and p90 of a row's runs. */
const latencies = (t: { medianMs: number; p10Ms: number; p90Ms: number }): string[] =>
  [t.medianMs, t.p10Ms, t.p90Ms].map(ms);

/** The FMA peak in one paragraph: the ISA measured, both figures, the clock and the FMA units assumed. */
export function fmaText(f: FmaPeak): string {
  const measured =
    f.measuredGflops === null
      ? 'not measured'
      : `${f.measuredGflops.toFixed(1)} GFLOP/s measured with ${f.isa} (${f.lanes} fp32 lanes), ${f.threads} thread${f.threads === 1 ? '' : 's'}` +
        (f.oneThreadGflops ? `; one thread ${f.oneThreadGflops.toFixed(1)}` : '');
  const clock = [
    f.clock.measuredGhz ? `measured clock ${f.clock.measuredGhz.toFixed(2)} GHz` : '',
    f.clock.reportedGhz ? `reported ${f.clock.reportedGhz.toFixed(2)} GHz` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const implied =
    f.impliedFmaUnits === null ? '' : `; the measurement implies ${f.impliedFmaUnits.toFixed(2)} FMA units per core`;
  return (
    `FMA peak: ${measured} (${f.how}). ISAs of this CPU: ${f.supported.join(', ')}. ` +
    `Theoretical: ${f.theoreticalFormula}; FMA units: ${f.fmaUnits} (${f.fmaUnitsWhy})${implied}` +
    (clock ? `; ${clock}` : '') +
    '.'
  );
}

/** A row's execution path as printed: "graph", "fused (fast)" where 'fast' chose it. */
export const pathText = (r: Pick<BenchRow, 'path' | 'requested'>): string =>
  // A result written before execution paths existed ran eager only.
  r.requested ? `${r.path} (fast)` : (r.path ?? 'eager');

/** What a fast form did and how far its output was from eager's, in a few words. */
function formNote(x: BenchRow): string {
  const f = x.form;
  const parts: string[] = [];
  if (x.agreement)
    parts.push(
      `agrees with eager: ${x.agreement.relative.toExponential(1)} of max output (tolerance ${x.agreement.tolerance.toExponential(0)})`,
    );
  if (f) parts.push(`${f.foldedNorms} BN folded, ${f.fusedActivations} activations fused`);
  if (x.pathNote) parts.push(x.pathNote);
  return parts.join('; ');
}

/** Whom a ratio is against, as printed. */
const againstText = (c: Comparison): string =>
  c.peer === 'eager' ? 'netcensus eager' : `${c.peer}${c.sameNetwork ? '' : ' (not the same network)'}`;

const backendText = (x: BenchRow): string => (x.softwareAdapter ? `${x.backend} (software adapter)` : x.backend);

/** Benchmark results: peaks, one row per configuration, peers, ratios, and the targets with their verdicts. */
export function formatBench(r: BenchResult): string {
  const m = r.method;
  const tfThreads = m.tensorflowThreads;
  const out = [
    `Benchmark ${r.date} on ${r.host.cpu}, ${r.host.threads} logical CPUs, Node ${r.host.node}, TensorFlow.js ${r.host.tfjs}; ` +
      `load average ${r.host.loadAverage.start.toFixed(2)} at the start, ${r.host.loadAverage.end.toFixed(2)} at the end`,
    `Convention: ${r.convention}`,
    `Method: ${m.runs} timed runs per repeat after ${m.warmup} warm-up, ${m.repeat} repeat(s), ${m.threads} thread${m.threads === 1 ? '' : 's'}` +
      (tfThreads
        ? ` (TensorFlow intra-op ${tfThreads.intraOp ?? 'default'}, inter-op ${tfThreads.interOp ?? 'default'}${tfThreads.note ? `: ${tfThreads.note}` : ''})`
        : '') +
      `; ${m.order}`,
    fmaText(r.fma),
  ];
  for (const p of r.peaks) out.push(`${p.backend} matmul peak: ${p.gflops.toFixed(1)} GFLOP/s (${p.how})`);
  const notes: string[] = [];
  const mark = (text: string | undefined): string => {
    if (!text) return '';
    let i = notes.indexOf(text);
    if (i < 0) i = notes.push(text) - 1;
    return `[${i + 1}]`;
  };
  out.push(
    table(
      [
        'Model',
        'Backend',
        'Path',
        'Batch',
        'Median',
        'p10',
        'p90',
        'IQR',
        'Images/s',
        'GFLOP/s (effective)',
        '% matmul peak',
        '% FMA peak',
        'CPU busy',
        'Peak RSS',
        'tf bytes',
        'Note',
      ],
      r.rows.map((x) =>
        x.status === 'ok'
          ? [
              x.model,
              backendText(x),
              pathText(x),
              String(x.batch),
              ...latencies(x),
              ms(x.q3Ms - x.q1Ms),
              x.imagesPerSec.toFixed(2),
              x.gflops.toFixed(1),
              shareText(x.shareOfMatmulPeak, mark(x.aboveMatmulPeakNote)),
              shareText(x.shareOfFmaPeak, mark(x.aboveFmaPeakNote)),
              `${(x.cpuShare * 100).toFixed(0)}%`,
              `${(x.memory.peakRssBytes / GIB).toFixed(2)} GiB`,
              `${(x.memory.tfBytesPeak / GIB).toFixed(2)} GiB`,
              [
                x.leakedTensors ? `${x.leakedTensors} tensors leaked` : '',
                formNote(x),
                x.algorithms?.length ? `oneDNN: ${convolutionAlgorithms(x.algorithms)}` : '',
              ]
                .filter(Boolean)
                .join('; '),
            ]
          : [
              x.model,
              backendText(x),
              pathText(x),
              String(x.batch),
              ...Array<string>(11).fill('--'),
              `skipped: ${x.reason}`,
            ],
      ),
      ['left', 'left', 'left', ...Array<'right'>(12).fill('right'), 'left'],
      [null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, 40],
      // In a narrow terminal: memory, spread and load go before the medians and shares of the peaks.
      [14, 13, 7, 5, 6, 12, 10],
    ),
  );
  notes.forEach((n, i) => out.push(`[${i + 1}] ${n}`));
  if (r.peers.length) {
    out.push(
      table(
        ['Peer', 'Model', 'Batch', 'Median', 'p10', 'p90', 'GFLOP/s (effective)', 'CPU busy', 'Note'],
        r.peers.map((p) =>
          p.status === 'ok'
            ? [
                p.peer,
                p.model,
                String(p.batch),
                ...latencies(p),
                p.gflops.toFixed(1),
                `${(p.cpuShare * 100).toFixed(0)}%`,
                [p.versions ?? '', p.sameNetwork ? '' : (p.difference ?? 'not the same network')]
                  .filter(Boolean)
                  .join('; '),
              ]
            : [p.peer, p.model, String(p.batch), '--', '--', '--', '--', '--', `skipped: ${p.reason}`],
        ),
        ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
        [null, null, null, null, null, null, null, null, 60],
        [4, 5, 7],
      ),
    );
  }
  if (r.comparisons.length) {
    out.push('netcensus time / peer time, run against run within each interleaved round (below 1: netcensus faster):');
    out.push(
      table(
        ['Model', 'Batch', 'Path', 'Against', 'Median ratio', 'p10', 'p90', 'Range over repeats', 'Rounds'],
        r.comparisons.map((c) => [
          c.model,
          String(c.batch),
          c.path,
          againstText(c),
          ratioText(c.ratio),
          ratioText(c.p10),
          ratioText(c.p90),
          c.byRepeat.length > 1 ? `${ratioText(c.range[0])} to ${ratioText(c.range[1])}` : '(one repeat)',
          String(c.rounds),
        ]),
        ['left', 'right', 'left', 'left', 'right', 'right', 'right', 'right', 'right'],
        [null, null, null, 40, null, null, null, null, null],
      ),
    );
  }
  if (r.targets.length) {
    out.push(
      table(
        ['Target', 'Measured', 'Met'],
        r.targets.map((t) => [t.target, t.value, t.met === null ? `not measured: ${t.note}` : t.met ? 'yes' : 'NO']),
        ['left', 'left', 'left'],
        [46, 50, 30],
      ),
    );
  }
  return fitProse(out.join('\n'));
}

/** The benchmark's tables in Markdown: rows (with their path), peers, ratios within rounds, targets. */
export function formatBenchMarkdown(r: BenchResult): string {
  const cell = markdownCell;
  const m = r.method;
  const out = [
    `Benchmark ${cell(r.date)} on ${cell(r.host.cpu)}, ${r.host.threads} logical CPUs; ${m.runs} rounds x ${m.repeat} repeat(s), ${m.threads} threads; ` +
      `load average ${r.host.loadAverage.start.toFixed(2)} to ${r.host.loadAverage.end.toFixed(2)}.`,
    '',
    '| model | backend | path | batch | median | p10 | p90 | images/s | effective GFLOP/s | % FMA peak | note |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...r.rows.map((x) =>
      x.status === 'ok'
        ? `| ${cell(x.model)} | ${backendText(x)} | ${pathText(x)} | ${x.batch} | ${latencies(x).join(' | ')} | ${x.imagesPerSec.toFixed(2)} | ${x.gflops.toFixed(1)} | ${shareText(x.shareOfFmaPeak)} | ${cell(formNote(x))} |`
        : `| ${cell(x.model)} | ${backendText(x)} | ${pathText(x)} | ${x.batch} | -- | -- | -- | -- | -- | -- | skipped: ${cell(x.reason ?? '')} |`,
    ),
  ];
  if (r.peers.length)
    out.push(
      '',
      '| peer | model | batch | median | p10 | p90 | effective GFLOP/s | note |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
      ...r.peers.map((p) =>
        p.status === 'ok'
          ? `| ${p.peer} | ${cell(p.model)} | ${p.batch} | ${latencies(p).join(' | ')} | ${p.gflops.toFixed(1)} | ${cell([p.versions ?? '', p.sameNetwork ? '' : (p.difference ?? 'not the same network')].filter(Boolean).join('; '))} |`
          : `| ${p.peer} | ${cell(p.model)} | ${p.batch} | -- | -- | -- | -- | skipped: ${cell(p.reason ?? '')} |`,
      ),
    );
  if (r.comparisons.length)
    out.push(
      '',
      '| model | batch | path | against | median ratio | p10 | p90 | range over repeats | rounds |',
      '| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |',
      ...r.comparisons.map(
        (c) =>
          `| ${cell(c.model)} | ${c.batch} | ${c.path} | ${cell(againstText(c))} | ${ratioText(c.ratio)} | ${ratioText(c.p10)} | ${ratioText(c.p90)} | ${c.byRepeat.length > 1 ? `${ratioText(c.range[0])} to ${ratioText(c.range[1])}` : '(one repeat)'} | ${c.rounds} |`,
      ),
    );
  if (r.targets.length)
    out.push(
      '',
      '| target | measured | met |',
      '| --- | --- | --- |',
      ...r.targets.map(
        (t) =>
          `| ${cell(t.target)} | ${cell(t.value)} | ${t.met === null ? `not measured: ${cell(t.note)}` : t.met ? 'yes' : 'NO'} |`,
      ),
    );
  return out.join('\n');
}
