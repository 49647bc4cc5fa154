/**
 * Inference benchmark: per (backend, model, batch) latency percentiles, throughput and achieved GFLOP/s
 * (2 x census MACs per image), set against peaks measured in the same run (a large matmul per backend,
 * a native FMA loop) and against peers (PyTorch with torchvision's model, bare tfjs-node).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { useBackend, type BackendName } from './backend.js';
import { census, type Census } from './census.js';
import type { Graph } from './graph.js';
import { assetPath, cacheDir, packageRoot } from './paths.js';
import { assertFitsInMemory } from './resources.js';
import { buildTfjs, disposeBuilt } from './tfjs/builder.js';

export interface BenchOptions {
  backends: BackendName[];
  batches: number[];
  warmup: number;
  runs: number;
  /** A configuration whose single run is estimated (from the backend's measured matmul rate) above this is skipped. */
  maxRunSeconds: number;
  peers: boolean;
  progress?: (line: string) => void;
  /** Targets to check against the result; the library holds none (the benchmark in bench/ brings its own). */
  targets?: (result: Omit<BenchResult, 'targets'>) => TargetCheck[];
}

export interface BenchRow {
  model: string;
  backend: BackendName;
  device: string;
  batch: number;
  input: number[];
  status: 'ok' | 'skipped';
  reason?: string;
  timesMs: number[];
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  imagesPerSec: number;
  /** FLOPs per image: 2 x weight MACs (census), the convention every GFLOP/s figure here uses. */
  flopsPerImage: number;
  gflops: number;
  shareOfMatmulPeak: number;
  shareOfFmaPeak: number | null;
  memory: { peakRssBytes: number; tfBytesWeights: number; tfBytesPeak: number };
  leakedTensors: number;
}

export interface PeakInfo {
  backend: BackendName;
  gflops: number;
  how: string;
}

export interface FmaPeak {
  measuredGflops: number | null;
  theoreticalGflops: number | null;
  how: string;
}

export interface PeerRow {
  peer: 'pytorch' | 'bare-tfjs-node';
  model: string;
  batch: number;
  status: 'ok' | 'skipped';
  reason?: string;
  medianMs: number;
  p10Ms?: number;
  p90Ms?: number;
  gflops: number;
  versions?: string;
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
  note: string;
}

export interface BenchResult {
  date: string;
  host: { cpu: string; threads: number; memoryBytes: number; node: string; tfjs: string };
  convention: string;
  fma: FmaPeak;
  peaks: PeakInfo[];
  rows: BenchRow[];
  peers: PeerRow[];
  targets: TargetCheck[];
}

function percentile(sorted: number[], p: number): number {
  const k = (sorted.length - 1) * p;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (k - lo);
}

const cpuModel = (): string => os.cpus()[0]?.model?.trim() ?? 'unknown CPU';

/** Best-of-N large matmul: the practical roofline of a backend. */
async function matmulPeak(backend: BackendName): Promise<PeakInfo> {
  const n = backend === 'tensorflow' ? 3072 : backend === 'wasm' ? 1024 : 384;
  const reps = backend === 'cpu' ? 2 : 5;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  // One untimed product first: oneDNN and XNNPACK set up their kernels on first use.
  tf.matMul(a, b).dispose();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    best = Math.min(best, performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  const gflops = (2 * n ** 3) / (best / 1000) / 1e9;
  return {
    backend,
    gflops,
    how: `best of ${reps} float32 ${n}x${n} matmuls after one untimed (2n^3 FLOPs), result read back`,
  };
}

/** Compiles and runs assets/fma-peak.c; the theoretical figure assumes 2 FMA units per core at the reported clock. */
function fmaPeak(): FmaPeak {
  const threads = os.cpus().length;
  let flags = '';
  try {
    flags = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // not Linux
  }
  const mhz = os.cpus()[0]?.speed || Number(/cpu MHz\s*:\s*([\d.]+)/.exec(flags)?.[1] ?? 0);
  const lanes = /\bavx512f\b/.test(flags) ? 16 : /\bavx2\b/.test(flags) ? 8 : /\bsse2\b/.test(flags) ? 4 : 0;
  const theoretical = lanes && mhz ? threads * lanes * 2 * 2 * (mhz / 1000) : null;
  const theoryText = theoretical
    ? `theoretical ${threads} cores x ${lanes} fp32 lanes x 2 (FMA) x 2 FMA units x ${(mhz / 1000).toFixed(2)} GHz = ${theoretical.toFixed(0)} GFLOP/s`
    : 'theoretical peak unknown';
  const exe = join(cacheDir('bench'), 'fma-peak');
  const cc = spawnSync(
    'cc',
    ['-O3', '-funroll-loops', '-mavx2', '-mfma', '-pthread', assetPath('fma-peak.c'), '-o', exe],
    { encoding: 'utf8' },
  );
  if (cc.status !== 0)
    return {
      measuredGflops: null,
      theoreticalGflops: theoretical,
      how: `FMA loop not measured (cc failed: ${(cc.stderr || cc.error?.message || '').split('\n')[0]}); ${theoryText}`,
    };
  const r = spawnSync(exe, [String(threads)], { encoding: 'utf8', timeout: 60_000 });
  try {
    const j = JSON.parse(r.stdout) as { gflops: number };
    return {
      measuredGflops: j.gflops,
      theoreticalGflops: theoretical,
      how: `measured: ${threads} threads of AVX2 FMA chains (assets/fma-peak.c, best of 3); ${theoryText}`,
    };
  } catch {
    return { measuredGflops: null, theoreticalGflops: theoretical, how: `FMA loop failed to run; ${theoryText}` };
  }
}

async function benchOne(
  c: Census,
  backend: BackendName,
  device: string,
  opts: BenchOptions,
  peak: PeakInfo,
  fma: FmaPeak,
): Promise<BenchRow> {
  // runBench has already checked every (model, batch) against available memory.
  const { graph, batch } = c;
  const flopsPerImage = 2 * (c.totals.macs / batch);
  const base: BenchRow = {
    model: graph.name,
    backend,
    device,
    batch,
    input: c.input,
    status: 'skipped',
    timesMs: [],
    medianMs: 0,
    p10Ms: 0,
    p90Ms: 0,
    imagesPerSec: 0,
    flopsPerImage,
    gflops: 0,
    shareOfMatmulPeak: 0,
    shareOfFmaPeak: null,
    memory: { peakRssBytes: 0, tfBytesWeights: 0, tfBytesPeak: 0 },
    leakedTensors: 0,
  };
  const estimate = (flopsPerImage * batch) / (peak.gflops * 1e9);
  if (estimate > opts.maxRunSeconds) {
    return {
      ...base,
      reason: `estimated ${estimate.toFixed(0)} s per run at this backend's measured ${peak.gflops.toFixed(1)} GFLOP/s (limit ${opts.maxRunSeconds} s)`,
    };
  }
  const before = tf.memory().numTensors;
  const built = buildTfjs(graph, c.infos, { init: 'random', outputs: 'final' });
  const xs = c.inputs.map((shape) => tf.randomUniform(shape));
  const x = xs.length === 1 ? xs[0]! : xs;
  const tfBytesWeights = tf.memory().numBytes;
  let tfBytesPeak = tfBytesWeights;
  let peakRss = process.memoryUsage().rss;
  const times: number[] = [];
  try {
    for (let i = 0; i < opts.warmup + opts.runs; i++) {
      const t0 = performance.now();
      const y = built.model.predict(x) as tf.Tensor;
      // The timed region ends only when the result is back in JS memory.
      await y.data();
      const dt = performance.now() - t0;
      tfBytesPeak = Math.max(tfBytesPeak, tf.memory().numBytes);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      y.dispose();
      if (i >= opts.warmup) times.push(dt);
      opts.progress?.(
        `  ${graph.name} ${backend} batch ${batch} ${i < opts.warmup ? 'warm-up' : 'run'} ${i < opts.warmup ? i + 1 : i - opts.warmup + 1}: ${dt.toFixed(1)} ms`,
      );
    }
  } finally {
    tf.dispose(xs);
    disposeBuilt(built);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = percentile(sorted, 0.5);
  const gflops = (flopsPerImage * batch) / (medianMs / 1000) / 1e9;
  return {
    ...base,
    status: 'ok',
    timesMs: times,
    medianMs,
    p10Ms: percentile(sorted, 0.1),
    p90Ms: percentile(sorted, 0.9),
    imagesPerSec: batch / (medianMs / 1000),
    gflops,
    shareOfMatmulPeak: gflops / peak.gflops,
    shareOfFmaPeak: fma.measuredGflops ? gflops / fma.measuredGflops : null,
    memory: { peakRssBytes: peakRss, tfBytesWeights, tfBytesPeak },
    leakedTensors: tf.memory().numTensors - before,
  };
}

function peerPython(): string | undefined {
  const venv = join(packageRoot(), '.cache', 'peers-venv', 'bin', 'python');
  for (const py of [process.env.NETCENSUS_PYTHON, existsSync(venv) ? venv : undefined, 'python3']) {
    if (py && spawnSync(py, [assetPath('peers', 'torch_bench.py'), '--check'], { stdio: 'ignore' }).status === 0)
      return py;
  }
  return undefined;
}

function runPeers(censuses: Census[][], opts: BenchOptions, nativeRows: BenchRow[]): PeerRow[] {
  const out: PeerRow[] = [];
  const python = peerPython();
  const threads = os.cpus().length;
  for (const perBatch of censuses) {
    for (const c of perBatch) {
      const [g, batch] = [c.graph, c.batch];
      const flops = 2 * c.totals.macs;
      const input = c.input;
      if (!python) {
        out.push({
          peer: 'pytorch',
          model: g.name,
          batch,
          status: 'skipped',
          reason:
            'torch and torchvision do not import (NETCENSUS_PYTHON, .cache/peers-venv, python3); run bench/peers/setup.sh',
          medianMs: 0,
          gflops: 0,
        });
      } else {
        opts.progress?.(`peer pytorch ${g.name} batch ${batch}`);
        const r = spawnSync(
          python,
          [
            assetPath('peers', 'torch_bench.py'),
            '--model',
            g.name,
            '--batch',
            String(batch),
            '--input',
            String(input[1]),
            '--threads',
            String(threads),
            '--warmup',
            String(opts.warmup),
            '--runs',
            String(opts.runs),
          ],
          { encoding: 'utf8', timeout: 30 * 60_000 },
        );
        if (r.status === 0) {
          const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as {
            medianMs: number;
            p10Ms: number;
            p90Ms: number;
            torch: string;
            torchvision: string;
          };
          out.push({
            peer: 'pytorch',
            model: g.name,
            batch,
            status: 'ok',
            medianMs: j.medianMs,
            p10Ms: j.p10Ms,
            p90Ms: j.p90Ms,
            gflops: flops / (j.medianMs / 1000) / 1e9,
            versions: `torch ${j.torch}, torchvision ${j.torchvision}, ${threads} threads`,
          });
        } else {
          out.push({
            peer: 'pytorch',
            model: g.name,
            batch,
            status: 'skipped',
            reason: (r.stderr || 'failed').trim().split('\n').at(-1)!,
            medianMs: 0,
            gflops: 0,
          });
        }
      }
      if (
        ['vgg16', 'resnet50'].includes(g.name) &&
        nativeRows.some((row) => row.model === g.name && row.batch === batch && row.status === 'ok')
      ) {
        opts.progress?.(`peer bare tfjs-node ${g.name} batch ${batch}`);
        const r = spawnSync(
          process.execPath,
          [assetPath('peers', 'bare-tfjs.mjs'), g.name, String(batch), String(opts.warmup), String(opts.runs)],
          { encoding: 'utf8', cwd: packageRoot(), timeout: 30 * 60_000 },
        );
        if (r.status === 0) {
          const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { medianMs: number };
          out.push({
            peer: 'bare-tfjs-node',
            model: g.name,
            batch,
            status: 'ok',
            medianMs: j.medianMs,
            gflops: flops / (j.medianMs / 1000) / 1e9,
          });
        } else {
          out.push({
            peer: 'bare-tfjs-node',
            model: g.name,
            batch,
            status: 'skipped',
            reason: (r.stderr || 'failed').trim().split('\n').at(-1)!,
            medianMs: 0,
            gflops: 0,
          });
        }
      }
    }
  }
  return out;
}

export async function runBench(graphs: Graph[], opts: BenchOptions): Promise<BenchResult> {
  const censuses = graphs.map((g) => opts.batches.map((batch) => census(g, { batch })));
  for (const c of censuses.flat()) assertFitsInMemory(c, 'bench');
  const fma = fmaPeak();
  opts.progress?.(`FMA peak: ${fma.how}`);
  const peaks: PeakInfo[] = [];
  const rows: BenchRow[] = [];
  for (const backend of opts.backends) {
    const info = await useBackend(backend);
    const peak = await matmulPeak(backend);
    peaks.push(peak);
    opts.progress?.(`backend ${backend} (${info.device}): matmul peak ${peak.gflops.toFixed(1)} GFLOP/s`);
    for (const perBatch of censuses) {
      for (const c of perBatch) {
        const [g, batch] = [c.graph, c.batch];
        const r = await benchOne(c, backend, info.device, opts, peak, fma);
        rows.push(r);
        opts.progress?.(
          r.status === 'ok'
            ? `${g.name} ${backend} batch ${batch}: median ${r.medianMs.toFixed(1)} ms, ${r.gflops.toFixed(1)} GFLOP/s`
            : `${g.name} ${backend} batch ${batch}: skipped (${r.reason})`,
        );
      }
    }
  }
  // Peers run last, as separate processes, on the same machine and thread count.
  const peers = opts.peers
    ? runPeers(
        censuses,
        opts,
        rows.filter((r) => r.backend === 'tensorflow'),
      )
    : [];
  const tfjsVersion = (tf.version as Record<string, string>)['tfjs'] ?? tf.version_core;
  const result: Omit<BenchResult, 'targets'> = {
    date: new Date().toISOString(),
    host: {
      cpu: cpuModel(),
      threads: os.cpus().length,
      memoryBytes: os.totalmem(),
      node: process.version,
      tfjs: tfjsVersion,
    },
    convention:
      'GFLOP/s = 2 x census weight MACs per image x batch / median latency; latency is predict() until the output is read back; warm-up runs excluded',
    fma,
    peaks,
    rows,
    peers,
  };
  return { ...result, targets: opts.targets?.(result) ?? [] };
}
