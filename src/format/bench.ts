/** `bench`: peaks, one row per configuration, and the peers. */
import type { BenchResult } from '../bench.js';
import { table } from './table.js';

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
  return out.join('\n');
}
