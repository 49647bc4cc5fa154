/**
 * Inference benchmark: per (backend, model, batch) latency percentiles, throughput and effective GFLOP/s
 * (2 x direct-convolution MACs per image / time), set against peaks measured in the same run (a large
 * matmul per backend; a native FMA loop with the CPU's widest vector ISA) and against peers: the same
 * model written directly in tfjs-layers (in this process) and torchvision's definition in PyTorch (a
 * long-lived child process). The competitors run interleaved, one timed run each in turn (A B C A B C ...),
 * with the same thread count, so that whatever else the machine does falls on all of them alike; each
 * ratio is taken run by run, and `repeat` reruns the whole comparison to show how far the ratios move.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tfjs/tf.js';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ZOO } from '../models/index.js';
import { pinNativeThreads, useBackend, type BackendName, type NativeThreads } from './backend.js';
import { activeAdapter } from './webgpu.js';
import { census, type Census } from './census.js';
import { conventionOf, diffGraphs, CAUSES, type Cause } from './diff.js';
import type { Graph } from './graph.js';
import {
  aboveFmaPeak,
  aboveMatmulPeak,
  bareDifference,
  bareVersions,
  EFFECTIVE_CONVENTION,
  FAST_ALGORITHM_NOTE,
  INTERLEAVED_ORDER,
  matmulPeakHow,
  overTimeLimit,
  PEER_SKIPPED,
  PROBE,
  torchParamsDifference,
  torchPeerEnded,
  torchVersions as torchVersionsText,
  agreementText,
  AGREEMENT_RULE,
  ortVersions,
  PATH_NOTES,
  twinDifference as twinDifferenceText,
} from './format/bench-notes.js';
import { cpuFacts, fmaPeak, type FmaPeak } from './peak.js';
import { assetPath, cacheDir, packageRoot } from './paths.js';
import { assertFitsInMemory } from './resources.js';
import { buildTfjs, disposeBuilt } from './tfjs/builder.js';
import { FAST_PATH_RTOL, type ExecutionPath, type FormFacts, type OutputDifference } from './execution-path.js';
import { inferenceForm, NoGraphForm, outputDifference, type InferenceForm } from './fused.js';
import { native } from './native.js';

export * from './peak.js';
export { EXECUTION_PATHS, FAST_PATH_RTOL, type ExecutionPath, type OutputDifference } from './execution-path.js';

/** An execution path to measure; 'fast' is the graph form where the model has one on native TensorFlow, else fused. */
export type PathChoice = ExecutionPath | 'fast';
export const PATH_CHOICES: readonly PathChoice[] = ['eager', 'fused', 'graph', 'fast'];
/** What bench measures unless told: the fastest form and the model as built, side by side. */
export const DEFAULT_PATHS: readonly PathChoice[] = ['fast', 'eager'];

export interface BenchOptions {
  backends: BackendName[];
  batches: number[];
  /** Untimed runs of each competitor before the timed rounds of each repeat. */
  warmup: number;
  /** Timed interleaved rounds per repeat: each competitor runs once per round. */
  runs: number;
  /** How many times the whole comparison runs (models rebuilt, warmed up and timed again); default 1. */
  repeat?: number;
  /** Threads for TensorFlow (intra- and inter-op pools), PyTorch and the FMA loop; default: every logical CPU. */
  threads?: number;
  /** A configuration whose single run is estimated (from the backend's measured matmul rate) above this is skipped. */
  maxRunSeconds: number;
  peers: boolean;
  /** Execution paths of netcensus' model to time, each a row, interleaved with each other and the peers (default DEFAULT_PATHS). */
  paths?: readonly PathChoice[];
  /** Ask oneDNN which convolution algorithms native TensorFlow ran (a child process with ONEDNN_VERBOSE=1); default true. */
  algorithms?: boolean;
  progress?: (line: string) => void;
  /** Targets to check against the result; the library holds none (the benchmark in bench/ brings its own). */
  targets?: (result: Omit<BenchResult, 'targets'>) => TargetCheck[];
}

/** Median and spread of a set of timed runs, in milliseconds. */
export interface Spread {
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  /** Interquartile range: 25th and 75th percentiles. */
  q1Ms: number;
  q3Ms: number;
}

/** A competitor's timed runs and their summary (zeros until it has run). */
export interface Timings {
  /** Every timed run, in order, all repeats together. */
  timesMs: number[];
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  q1Ms: number;
  q3Ms: number;
  /** Median and spread of each repeat on its own. */
  repeats: Spread[];
}

const noTimings = (): Timings => ({ timesMs: [], medianMs: 0, p10Ms: 0, p90Ms: 0, q1Ms: 0, q3Ms: 0, repeats: [] });

export interface BenchRow extends Timings {
  model: string;
  backend: BackendName;
  /** How the model ran: eager (model.predict, as verify builds it), fused or graph (src/fused.ts). */
  path: ExecutionPath;
  /** Set where the path was chosen for 'fast', with why it is not the graph form where it is not. */
  requested?: 'fast';
  pathNote?: string;
  /** A fast form's output against the eager model's on the benchmark's input, checked before timing (worst repeat). */
  agreement?: OutputDifference;
  /** What the fast form does differently: BatchNorms folded, activations fused, layers run by their own call, graph nodes. */
  form?: FormFacts;
  device: string;
  /** On webgpu, a software adapter (the CPU standing in for a GPU): its figures are no GPU's. */
  softwareAdapter?: true;
  batch: number;
  input: number[];
  status: 'ok' | 'skipped';
  reason?: string;
  imagesPerSec: number;
  /** FLOPs per image: 2 x weight MACs (census) as direct convolution and dense layers perform them. */
  flopsPerImage: number;
  /** Effective GFLOP/s: flopsPerImage x batch / median latency (see BenchResult.convention). */
  gflops: number;
  shareOfMatmulPeak: number;
  shareOfFmaPeak: number | null;
  /** Set where a share of a peak exceeds 100%: why that is possible (a fast algorithm, or what oneDNN says). */
  aboveFmaPeakNote?: string;
  aboveMatmulPeakNote?: string;
  /** Median share of the run's wall time that this process spent on the CPU, over all its threads. */
  cpuShare: number;
  /** The convolution algorithms oneDNN ran for this model and batch (native TensorFlow on x86). */
  algorithms?: AlgorithmUse[];
  memory: { peakRssBytes: number; tfBytesWeights: number; tfBytesPeak: number };
  leakedTensors: number;
}

export interface PeakInfo {
  backend: BackendName;
  gflops: number;
  how: string;
}

/** One oneDNN primitive implementation as it ran for a model's forward pass (from ONEDNN_VERBOSE). */
export interface AlgorithmUse {
  /** oneDNN's primitive kind: convolution, matmul, inner_product, pooling, ... */
  primitive: string;
  /** Its implementation, e.g. brg_conv_fwd:avx512_core, jit:avx2, gemm:jit. */
  implementation: string;
  /** alg: convolution_direct, convolution_winograd, ... (empty for primitives that name none). */
  algorithm: string;
  executions: number;
  /** oneDNN's own execution time, summed over one forward pass, in milliseconds. */
  ms: number;
}

export interface PeerRow extends Timings {
  peer: 'pytorch' | 'bare-tfjs-node' | 'onnxruntime';
  model: string;
  batch: number;
  status: 'ok' | 'skipped';
  reason?: string;
  /** Effective GFLOP/s of the network the peer runs (2 x its weight MACs per image x batch / median). */
  gflops: number;
  cpuShare: number;
  /** The peer's own parameter count (PyTorch numel; tfjs countParams) against the census of what it runs. */
  params?: number;
  /** false where the peer runs a different network than the row it is compared with, which `difference` names. */
  sameNetwork: boolean;
  difference?: string;
  versions?: string;
}

/** netcensus' time over a peer's, run by run within one round, then summarised. */
export interface Comparison {
  model: string;
  batch: number;
  /** netcensus' execution path (the numerator). */
  path: ExecutionPath;
  /** The denominator: a peer, or netcensus' own eager path (a fast path against the model as built). */
  peer: PeerRow['peer'] | 'eager';
  sameNetwork: boolean;
  /** Median over every round of every repeat of (netcensus ms / peer ms) in the same round. */
  ratio: number;
  p10: number;
  p90: number;
  /** The median ratio of each repeat; their min and max are the range. */
  byRepeat: number[];
  range: [number, number];
  rounds: number;
}

export interface TargetCheck {
  target: string;
  value: string;
  met: boolean | null;
  note: string;
}

export interface BenchResult {
  date: string;
  host: {
    cpu: string;
    threads: number;
    memoryBytes: number;
    node: string;
    tfjs: string;
    /** 1-minute load average at the start and the end of the run: above the core count, other work competed. */
    loadAverage: { start: number; end: number };
  };
  convention: string;
  /** How the competitors were run against each other. */
  method: {
    threads: number;
    tensorflowThreads?: NativeThreads;
    warmup: number;
    runs: number;
    repeat: number;
    order: string;
    /** The execution paths asked for, and the agreement every fast form must reach with eager before it is timed. */
    paths: PathChoice[];
    tolerance: { relative: number; rule: string };
  };
  fma: FmaPeak;
  /** Printed beside any share of a peak above 100%. */
  fastAlgorithmNote: string;
  peaks: PeakInfo[];
  rows: BenchRow[];
  peers: PeerRow[];
  comparisons: Comparison[];
  targets: TargetCheck[];
}

export { EFFECTIVE_CONVENTION, FAST_ALGORITHM_NOTE };

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const k = (sorted.length - 1) * p;
  const lo = Math.floor(k);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (k - lo);
}

export function spread(times: readonly number[]): Spread {
  const s = [...times].sort((a, b) => a - b);
  return {
    medianMs: percentile(s, 0.5),
    p10Ms: percentile(s, 0.1),
    p90Ms: percentile(s, 0.9),
    q1Ms: percentile(s, 0.25),
    q3Ms: percentile(s, 0.75),
  };
}

const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

// ---------------------------------------------------------------------------------------------------------
// Peaks of the backends

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
    how: matmulPeakHow(reps, n),
  };
}

// ---------------------------------------------------------------------------------------------------------
// oneDNN's algorithms, from a child process with ONEDNN_VERBOSE=1 (it prints on its stdout)

const PROBE_MARK = 'NETCENSUS_PROBE ';

/** Parses ONEDNN_VERBOSE output: every `exec` line after each probe mark, grouped by batch. */
export function parseOnednnVerbose(text: string): { threads: number | null; byBatch: Map<number, AlgorithmUse[]> } {
  const byBatch = new Map<number, AlgorithmUse[]>();
  let threads: number | null = null;
  let current: Map<string, AlgorithmUse> | undefined;
  const flush = (batch: number, m: Map<string, AlgorithmUse>): void => {
    byBatch.set(
      batch,
      [...m.values()].sort((a, b) => b.ms - a.ms),
    );
  };
  let batch = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(PROBE_MARK)) {
      const mark = JSON.parse(line.slice(PROBE_MARK.length)) as { batch: number; pass: number };
      if (current) flush(batch, current);
      batch = mark.batch;
      current = mark.pass === 2 ? new Map() : undefined;
      continue;
    }
    const nthr = /nthr:(\d+)/.exec(line);
    if (nthr && line.startsWith('onednn_verbose')) threads = Number(nthr[1]);
    if (!current || !line.startsWith('onednn_verbose')) continue;
    const f = line.split(',');
    const at = f.indexOf('exec');
    if (at < 0 || f.length < at + 4) continue;
    const primitive = f[at + 2]!;
    const implementation = f[at + 3]!;
    const algorithm = /\balg:([\w]+)/.exec(line)?.[1] ?? '';
    const ms = Number(f.at(-1));
    const key = `${primitive}|${implementation}|${algorithm}`;
    const e = current.get(key) ?? { primitive, implementation, algorithm, executions: 0, ms: 0 };
    e.executions += 1;
    e.ms += Number.isFinite(ms) ? ms : 0;
    current.set(key, e);
  }
  if (current) flush(batch, current);
  return { threads, byBatch };
}

/**
 * Runs the model in a child process (dist/src/bench-probe.js) with ONEDNN_VERBOSE=1, two passes per
 * batch, and reads which implementation and algorithm oneDNN ran for each primitive in the second.
 */
async function probeAlgorithms(
  c: Census,
  batches: number[],
  env: NodeJS.ProcessEnv,
): Promise<{ byBatch?: Map<number, AlgorithmUse[]>; threads?: number | null; note?: string }> {
  const script = fileURLToPath(new URL('./bench-probe.js', import.meta.url));
  if (!existsSync(script)) return { note: PROBE.notCompiled };
  const file = join(cacheDir('bench'), `probe-${process.pid}.json`);
  const g = c.graph;
  try {
    writeFileSync(
      file,
      JSON.stringify({
        graph: {
          name: g.name,
          description: g.description,
          source: g.source,
          framework: g.framework,
          nodes: g.nodes,
          outputs: g.outputs,
        },
        ...(c.options.input ? { input: c.options.input } : {}),
        batches,
      }),
    );
  } catch (e) {
    return { note: PROBE.unavailable((e as Error).message.split('\n')[0]!) };
  }
  const out = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, [script, file], {
      env: { ...env, ONEDNN_VERBOSE: '1', TF_CPP_MIN_LOG_LEVEL: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => {
      rmSync(file, { force: true });
      resolve({ status, stdout, stderr });
    });
    p.on('error', (e) => {
      rmSync(file, { force: true });
      resolve({ status: -1, stdout, stderr: e.message });
    });
  });
  if (out.status !== 0) return { note: PROBE.failed(out.stderr.trim().split('\n').at(-1) ?? `exit ${out.status}`) };
  const parsed = parseOnednnVerbose(out.stdout);
  if (![...parsed.byBatch.values()].some((uses) => uses.length > 0))
    return { note: 'oneDNN reported nothing: this TensorFlow build does not use oneDNN or ignores ONEDNN_VERBOSE' };
  return { byBatch: parsed.byBatch, threads: parsed.threads };
}

// ---------------------------------------------------------------------------------------------------------
// Competitors

/** One timed run: wall milliseconds, and the share of that time the competitor's process was on the CPU. */
export interface Timed {
  ms: number;
  cpuShare: number;
}

export interface Competitor {
  label: string;
  /** One timed run. */
  once: () => Promise<Timed>;
  dispose: () => Promise<void> | void;
}

/** Pause before each timed run, in milliseconds. */
const SETTLE_MS = 20;

/**
 * The order of round `round` among n competitors: within each block of n rounds every competitor starts
 * one round (A B C, B C A, C A B); each block steps through the competitors by another stride coprime with
 * n (1, then 2 or reversed, ...), so that who runs right after whom changes from block to block. A plain
 * rotation would always put the same competitor after the same other one, and a competitor can leave the
 * next one a cold cache or a busy core: ONNX Runtime before TensorFlow's AlexNet cost the latter a third.
 */
export function roundOrder(n: number, round: number): number[] {
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const strides = Array.from({ length: Math.max(1, n - 1) }, (_, i) => i + 1).filter((k) => gcd(k, n) === 1);
  const stride = strides[Math.floor(round / n) % strides.length]!;
  return Array.from({ length: n }, (_, i) => (round + i * stride) % n);
}

/**
 * Warms every competitor up, then runs `runs` rounds in which each runs once, in the order roundOrder
 * gives. Returns each competitor's timed runs, round by round.
 */
export async function interleave(
  competitors: readonly Competitor[],
  warmup: number,
  runs: number,
  label: string,
  progress?: (line: string) => void,
): Promise<Map<string, Timed[]>> {
  const samples = new Map<string, Timed[]>(competitors.map((k) => [k.label, []]));
  for (const k of competitors) {
    for (let i = 0; i < warmup; i++) {
      const t = await k.once();
      progress?.(`  ${label} ${k.label} warm-up ${i + 1}: ${t.ms.toFixed(1)} ms`);
    }
  }
  for (let round = 0; round < runs; round++) {
    for (const at of roundOrder(competitors.length, round)) {
      const k = competitors[at]!;
      // A short pause first: the previous competitor's worker threads stop spinning and go to sleep.
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      samples.get(k.label)!.push(await k.once());
    }
    progress?.(
      `  ${label} round ${round + 1}/${runs}: ${competitors.map((k) => `${k.label} ${samples.get(k.label)!.at(-1)!.ms.toFixed(1)} ms`).join(', ')}`,
    );
  }
  return samples;
}

/** Times predict() until the result is read back, with this process' CPU time over the same span. */
async function timePredict(
  model: { predict: (x: TF.Tensor | TF.Tensor[]) => TF.Tensor | TF.Tensor[] },
  x: TF.Tensor | TF.Tensor[],
  threads: number,
): Promise<Timed & { tfBytes: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const y = model.predict(x) as TF.Tensor;
  // The timed region ends only when the result is back in JS memory.
  await y.data();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  // TensorFlow.js' bytes while the output is still alive (intermediates are released as predict() goes).
  const tfBytes = tf.memory().numBytes;
  y.dispose();
  return { ms, cpuShare: (cpu.user + cpu.system) / 1000 / (ms * threads), tfBytes };
}

/** The PyTorch peer: a long-lived child answering one JSON line per request. */
class TorchPeer {
  private readonly waiting: Array<(line: string | null) => void> = [];
  private readonly lines: string[] = [];
  private stderr = '';
  private closed = false;

  private constructor(private readonly proc: ChildProcessWithoutNullStreams) {
    createInterface({ input: proc.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    proc.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
    proc.on('error', () => undefined);
  }

  static start(python: string, threads: number): TorchPeer {
    const proc = spawn(python, [assetPath('peers', 'torch_bench.py'), '--serve', '--threads', String(threads)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    return new TorchPeer(proc);
  }

  async request<T>(req: Record<string, unknown>): Promise<T> {
    if (this.closed) throw new Error(this.lastError());
    const line = this.lines.shift();
    const reply = line
      ? Promise.resolve<string | null>(line)
      : new Promise<string | null>((resolve) => this.waiting.push(resolve));
    this.proc.stdin.write(JSON.stringify(req) + '\n');
    const text = await reply;
    if (text === null) throw new Error(this.lastError());
    const j = JSON.parse(text) as T & { error?: string };
    if (j.error) throw new Error(j.error);
    return j;
  }

  private lastError(): string {
    return torchPeerEnded(this.stderr.trim().split('\n').at(-1));
  }

  close(): void {
    if (!this.closed) this.proc.stdin.end();
  }
}

function peerPython(): string | undefined {
  const venv = join(packageRoot(), '.cache', 'peers-venv', 'bin', 'python');
  for (const py of [process.env.NETCENSUS_PYTHON, existsSync(venv) ? venv : undefined, 'python3']) {
    if (
      py &&
      spawnSync(py, [assetPath('peers', 'torch_bench.py'), '--check'], { stdio: 'ignore', timeout: 120_000 }).status ===
        0
    )
      return py;
  }
  return undefined;
}

/** The zoo models torchvision defines the same way, by netcensus name; and the one it defines differently. */
const TORCHVISION_TWIN: Record<string, string> = {
  'alexnet-torchvision': 'alexnet-torchvision',
  alexnet: 'alexnet-torchvision',
  ...Object.fromEntries([11, 13, 16, 19].flatMap((d) => [`vgg${d}`, `vgg${d}-bn`].map((n) => [n, n]))),
  ...Object.fromEntries([18, 34, 50, 101, 152].map((d) => [`resnet${d}`, `resnet${d}`])),
};

/** What differs between a model and the torchvision twin the PyTorch peer runs instead, from netcensus' diff. */
function twinDifference(graph: Graph, twin: Graph): string {
  const d = diffGraphs(twin, graph, { params: conventionOf(graph) });
  const causes = (Object.keys({ ...d.byCause.params, ...d.byCause.macs }) as Cause[]).map((k) => ({
    cause: CAUSES[k],
    params: d.byCause.params[k] ?? 0,
    macs: d.byCause.macs[k] ?? 0,
  }));
  const lrn = graph.nodes.some((n) => n.config.kind === 'lrn') && !twin.nodes.some((n) => n.config.kind === 'lrn');
  return twinDifferenceText(twin.name, graph.name, causes, lrn);
}

/** Per-round ratios mine / theirs, where both ran in that round. */
function roundRatios(mine: readonly number[], theirs: readonly number[]): number[] {
  return mine
    .slice(0, theirs.length)
    .map((m, i) => m / theirs[i]!)
    .filter((r) => Number.isFinite(r));
}

// ---------------------------------------------------------------------------------------------------------

/** One execution path of a configuration: what was asked for and its row. */
interface PathState {
  requested: PathChoice;
  row: BenchRow;
}

interface ConfigState {
  c: Census;
  backend: BackendName;
  device: string;
  /** One per execution path; 'fast' becomes graph or fused at the first build. */
  paths: PathState[];
  peers: PeerRow[];
  /** Per repeat, per competitor label, the times and CPU shares. */
  samples: Array<Map<string, Timed[]>>;
  /** FLOPs per run of the network each peer runs (2 x its weight MACs x batch). */
  peerFlops: Map<string, number>;
}

const skippedPeer = (
  peer: PeerRow['peer'],
  model: string,
  batch: number,
  reason: string,
  sameNetwork = true,
): PeerRow => ({
  peer,
  model,
  batch,
  status: 'skipped',
  reason,
  ...noTimings(),
  gflops: 0,
  cpuShare: 0,
  sameNetwork,
});

export async function runBench(graphs: Graph[], opts: BenchOptions): Promise<BenchResult> {
  const threads = opts.threads ?? os.cpus().length;
  const repeat = Math.max(1, opts.repeat ?? 1);
  const loadStart = os.loadavg()[0]!;
  const censuses = graphs.map((g) => opts.batches.map((batch) => census(g, { batch })));
  for (const c of censuses.flat()) assertFitsInMemory(c, 'bench');
  // Before any backend loads: TensorFlow reads its thread counts once, at start.
  const tensorflowThreads = opts.backends.includes('tensorflow') ? pinNativeThreads(threads) : undefined;
  if (tensorflowThreads?.note) opts.progress?.(`warning: ${tensorflowThreads.note}`);
  opts.progress?.(`FMA peak: measuring (${threads} threads)`);
  const fma = fmaPeak(threads);
  opts.progress?.(
    `FMA peak: ${fma.measuredGflops?.toFixed(1) ?? 'not measured'} GFLOP/s with ${fma.isa ?? 'no ISA'}; ${fma.theoreticalFormula}`,
  );

  const peaks: PeakInfo[] = [];
  const states: ConfigState[] = [];
  const bareFile = assetPath('peers', 'bare-tfjs.mjs');
  const bare =
    opts.peers && opts.backends.includes('tensorflow') && existsSync(bareFile)
      ? ((await import(pathToFileURL(bareFile).href)) as {
          bareModel: (t: typeof tf, name: string, input: number[]) => TF.LayersModel | undefined;
          kernelMacs: (m: TF.LayersModel) => number;
        })
      : undefined;
  const python = opts.peers && opts.backends.includes('tensorflow') ? peerPython() : undefined;
  if (opts.peers && opts.backends.includes('tensorflow'))
    opts.progress?.(python ? `PyTorch peer: ${python}` : 'PyTorch peer: torch and torchvision do not import');
  const torch = python ? TorchPeer.start(python, threads) : undefined;
  let torchVersions: string | undefined;
  const ort = opts.peers && opts.backends.includes('tensorflow') && torch ? loadOrt() : undefined;
  if (opts.peers && opts.backends.includes('tensorflow') && torch)
    opts.progress?.(
      ort ? `ONNX Runtime peer: onnxruntime-node ${ort.version}` : 'ONNX Runtime peer: onnxruntime-node does not load',
    );
  const paths = [...new Set(opts.paths?.length ? opts.paths : DEFAULT_PATHS)];

  try {
    for (const backend of opts.backends) {
      const info = await useBackend(backend);
      const peak = await matmulPeak(backend);
      peaks.push(peak);
      opts.progress?.(`backend ${backend} (${info.device}): matmul peak ${peak.gflops.toFixed(1)} GFLOP/s`);
      const mine = censuses.flat().map((c) => newState(c, backend, info.device, peak, opts, paths));
      states.push(...mine);
      // Which algorithms oneDNN runs does not change between repeats: asked once per model.
      if (backend === 'tensorflow' && opts.algorithms !== false) {
        for (const perBatch of censuses) {
          const ok = perBatch.filter((c) => live(mine.find((s) => s.c === c)!));
          if (!ok.length) continue;
          opts.progress?.(`${ok[0]!.model}: asking oneDNN which algorithms it runs (ONEDNN_VERBOSE, a child process)`);
          const probe = await probeAlgorithms(
            ok[0]!,
            ok.map((c) => c.batch),
            process.env,
          );
          if (probe.note) opts.progress?.(`  ${probe.note}`);
          for (const c of ok) {
            const uses = probe.byBatch?.get(c.batch);
            // The probe runs the model as built: its algorithms are the eager path's.
            const eager = mine.find((s) => s.c === c)!.paths.find((p) => p.row.path === 'eager');
            if (uses && eager) eager.row.algorithms = uses;
          }
        }
      }
      for (let rep = 0; rep < repeat; rep++) {
        for (const state of mine) {
          if (!live(state)) continue;
          const versions = await runConfig(state, rep, repeat, threads, opts, bare, torch, ort);
          torchVersions ??= versions;
        }
      }
    }
  } finally {
    torch?.close();
  }

  const rows = states.flatMap((s) =>
    s.paths.map((p) =>
      finishRow(
        s,
        p.row,
        fma,
        peaks.find((k) => k.backend === s.backend)!,
      ),
    ),
  );
  const peers = states.flatMap((s) => finishPeers(s, torchVersions, threads));
  const comparisons = states.flatMap((s) => compare(s));
  const tfjsVersion = (tf.version as Record<string, string>)['tfjs'] ?? tf.version_core;
  const result: Omit<BenchResult, 'targets'> = {
    date: new Date().toISOString(),
    host: {
      cpu: cpuFacts().name,
      threads: os.cpus().length,
      memoryBytes: os.totalmem(),
      node: process.version,
      tfjs: tfjsVersion,
      loadAverage: { start: loadStart, end: os.loadavg()[0]! },
    },
    convention: EFFECTIVE_CONVENTION,
    method: {
      threads,
      ...(tensorflowThreads ? { tensorflowThreads } : {}),
      warmup: opts.warmup,
      runs: opts.runs,
      repeat,
      order: INTERLEAVED_ORDER,
      paths: [...paths],
      tolerance: { relative: FAST_PATH_RTOL, rule: AGREEMENT_RULE },
    },
    fma,
    fastAlgorithmNote: FAST_ALGORITHM_NOTE,
    peaks,
    rows,
    peers,
    comparisons,
  };
  return { ...result, targets: opts.targets?.(result) ?? [] };
}

/** A configuration with a row still to time. */
const live = (s: ConfigState): boolean => s.paths.some((p) => p.row.status === 'ok');
/** The interleaving label of netcensus' model on one path. */
const pathLabel = (path: ExecutionPath): string => `netcensus-${path}`;

function newState(
  c: Census,
  backend: BackendName,
  device: string,
  peak: PeakInfo,
  opts: BenchOptions,
  paths: readonly PathChoice[],
): ConfigState {
  const flopsPerImage = 2 * (c.totals.macs / c.batch);
  const estimate = (flopsPerImage * c.batch) / (peak.gflops * 1e9);
  const rowFor = (requested: PathChoice): BenchRow => {
    const row: BenchRow = {
      model: c.model,
      backend,
      // 'fast' off native TensorFlow is the fused form; on it, the graph form unless the model has none.
      path: requested === 'fast' ? (backend === 'tensorflow' ? 'graph' : 'fused') : requested,
      ...(requested === 'fast' ? { requested } : {}),
      device,
      ...(backend === 'webgpu' && activeAdapter()?.software ? { softwareAdapter: true as const } : {}),
      batch: c.batch,
      input: c.input,
      status: 'ok',
      ...noTimings(),
      imagesPerSec: 0,
      flopsPerImage,
      gflops: 0,
      shareOfMatmulPeak: 0,
      shareOfFmaPeak: null,
      cpuShare: 0,
      memory: { peakRssBytes: 0, tfBytesWeights: 0, tfBytesPeak: 0 },
      leakedTensors: 0,
    };
    if (estimate > opts.maxRunSeconds) {
      row.status = 'skipped';
      row.reason = overTimeLimit(estimate, peak.gflops, opts.maxRunSeconds);
    } else if (row.path === 'graph' && backend !== 'tensorflow') {
      row.status = 'skipped';
      row.reason = PATH_NOTES.graphNeedsNative;
    }
    return row;
  };
  return {
    c,
    backend,
    device,
    paths: paths.map((requested) => ({ requested, row: rowFor(requested) })),
    peers: [],
    samples: [],
    peerFlops: new Map(),
  };
}

/**
 * The form one path runs, checked against the eager model on the benchmark's input before it is timed.
 * 'fast' without a graph form becomes fused (the reason kept); a form whose output disagrees is not timed.
 * Returns undefined where the row was skipped.
 */
async function pathForm(
  state: ConfigState,
  p: PathState,
  model: TF.LayersModel,
  x: TF.Tensor | TF.Tensor[],
  progress: BenchOptions['progress'],
): Promise<InferenceForm | undefined> {
  const { row } = p;
  const what = `${row.model} ${row.backend} batch ${row.batch}`;
  let form: InferenceForm;
  try {
    form = inferenceForm(model, row.path);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]!;
    if (!(e instanceof NoGraphForm) || p.requested !== 'fast') {
      row.status = 'skipped';
      row.reason = why;
      progress?.(`  ${what} ${row.path}: skipped: ${why}`);
      return undefined;
    }
    row.path = 'fused';
    row.pathNote = PATH_NOTES.noGraphForm(why);
    progress?.(`  ${what}: ${row.pathNote}`);
    // Asked for 'fast' and for 'fused' too: one row of it is enough.
    if (state.paths.some((q) => q !== p && q.row.path === 'fused')) {
      state.paths.splice(state.paths.indexOf(p), 1);
      return undefined;
    }
    form = inferenceForm(model, 'fused');
  }
  if (form.facts) row.form = form.facts;
  if (form.path === 'eager') return form;
  const d = await outputDifference(model, form, x);
  // The worst repeat is what the row reports.
  if (!row.agreement || !(d.relative <= row.agreement.relative)) row.agreement = d;
  progress?.(`  ${what} ${form.path}: ${agreementText(d)}`);
  if (!d.ok) {
    row.status = 'skipped';
    row.reason = agreementText(d);
    form.dispose();
    return undefined;
  }
  return form;
}

/** ONNX Runtime (onnxruntime-node, CPU), in this process; undefined where it does not load. */
interface OrtPeer {
  version: string;
  mod: typeof import('onnxruntime-common');
}

function loadOrt(): OrtPeer | undefined {
  try {
    const mod = native().requireNative('onnxruntime-node') as typeof import('onnxruntime-common');
    const dir = native().packageDir('onnxruntime-node');
    const version = dir
      ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version
      : 'unknown';
    return { version, mod };
  } catch {
    return undefined;
  }
}

/**
 * One repeat of one configuration: build netcensus' model, its forms and the peers', warm each up, then
 * `runs` rounds in which each runs once, the first of a round rotating. Returns the PyTorch peer's versions.
 */
async function runConfig(
  state: ConfigState,
  rep: number,
  repeat: number,
  threads: number,
  opts: BenchOptions,
  bare:
    | {
        bareModel: (t: typeof tf, name: string, input: number[]) => TF.LayersModel | undefined;
        kernelMacs: (m: TF.LayersModel) => number;
      }
    | undefined,
  torch: TorchPeer | undefined,
  ort: OrtPeer | undefined,
): Promise<string | undefined> {
  const { c, backend } = state;
  const label = `${c.model} ${backend} batch ${c.batch}${repeat > 1 ? ` (repeat ${rep + 1}/${repeat})` : ''}`;
  const before = tf.memory().numTensors;
  const bytes0 = tf.memory().numBytes;
  const competitors: Competitor[] = [];
  let versions: string | undefined;
  const xs = c.inputs.map((shape) => tf.randomUniform(shape));
  const x = xs.length === 1 ? xs[0]! : xs;
  const built = buildTfjs(c.graph, c.infos, { init: 'random', outputs: 'final' });
  const weightBytes = tf.memory().numBytes - bytes0 - xs.reduce((s, t) => s + t.size * 4, 0);
  const peerRow = (peer: PeerRow['peer']): PeerRow | undefined => state.peers.find((p) => p.peer === peer);
  const peaks = new Map<BenchRow, { rss: number; tf: number }>();
  try {
    for (const p of [...state.paths]) {
      if (p.row.status !== 'ok') continue;
      const form = await pathForm(state, p, built.model, x, opts.progress);
      if (!form) continue;
      const row = p.row;
      row.memory.tfBytesWeights = weightBytes;
      const peak = { rss: process.memoryUsage().rss, tf: weightBytes };
      peaks.set(row, peak);
      competitors.push({
        label: pathLabel(row.path),
        once: async () => {
          const b = tf.memory().numBytes;
          const { tfBytes, ...t } = await timePredict(form, x, threads);
          // This model's weights and what its run added on top of everything else alive (the bare model's weights).
          peak.tf = Math.max(peak.tf, weightBytes + tfBytes - b);
          peak.rss = Math.max(peak.rss, process.memoryUsage().rss);
          return t;
        },
        dispose: () => form.dispose(),
      });
    }
    if (backend === 'tensorflow' && opts.peers) {
      // The bare tfjs-layers model, in this process, on the same TensorFlow.
      const input = c.input.slice(1, 3);
      const m =
        c.inputs.length === 1 && c.input.length === 4 && !c.graph.file
          ? bare?.bareModel(tf, c.model, input)
          : undefined;
      if (m) {
        competitors.push({
          label: 'bare-tfjs-node',
          once: async () => {
            const { tfBytes: _, ...t } = await timePredict(m, x, threads);
            return t;
          },
          dispose: () => {
            m.dispose();
          },
        });
        if (!peerRow('bare-tfjs-node')) {
          // The same network: its parameters, and its MACs from its layers' output shapes (a feature map one
          // pixel too large changes no parameter).
          const params = m.countParams();
          const macs = bare!.kernelMacs(m) * c.batch;
          const same = params === c.byConvention.params.keras && macs === c.totals.macs;
          state.peers.push({
            ...skippedPeer('bare-tfjs-node', c.model, c.batch, ''),
            status: 'ok',
            reason: undefined,
            params,
            sameNetwork: same,
            ...(same
              ? {}
              : {
                  difference: bareDifference(params, macs, c.byConvention.params.keras, c.totals.macs),
                }),
          });
          if (!same) state.peerFlops.set('bare-tfjs-node', 2 * macs);
        }
      } else if (!peerRow('bare-tfjs-node')) {
        state.peers.push(skippedPeer('bare-tfjs-node', c.model, c.batch, PEER_SKIPPED.noBareDefinition));
      }
      // PyTorch, in its long-lived process; ONNX Runtime, here, on the file PyTorch exports of the same module.
      const twinName = Object.hasOwn(TORCHVISION_TWIN, c.model) ? TORCHVISION_TWIN[c.model] : undefined;
      const both = (reason: string): void => {
        for (const peer of ['pytorch', 'onnxruntime'] as const)
          if (!peerRow(peer)) state.peers.push(skippedPeer(peer, c.model, c.batch, reason));
      };
      if (!torch) {
        both(PEER_SKIPPED.noTorch);
      } else if (!twinName || c.graph.file) {
        both(PEER_SKIPPED.noTwin);
      } else {
        const twin = ZOO[twinName]!();
        const same = twinName === c.model;
        const twinCensus = same ? c : census(twin, { batch: c.batch, params: 'pytorch' });
        const expected = twinCensus.byConvention.params.pytorch;
        const sameAs = (params: number) => ({
          params,
          sameNetwork: same && params === expected,
          ...(same
            ? params === expected
              ? {}
              : { difference: torchParamsDifference(params, expected) }
            : { difference: twinDifference(c.graph, twin) }),
        });
        try {
          const loaded = await torch.request<{ params: number; torch: string; torchvision: string; threads: number }>({
            cmd: 'load',
            model: twinName,
            batch: c.batch,
            input: twinCensus.input.slice(1, 3),
          });
          // The twin's effective rate counts its own network's FLOPs.
          state.peerFlops.set('pytorch', 2 * twinCensus.totals.macs);
          versions = torchVersionsText(loaded.torch, loaded.torchvision, loaded.threads);
          competitors.push({
            label: 'pytorch',
            once: async () => {
              const r = await torch.request<{ ms: number; cpuMs: number }>({ cmd: 'run' });
              return { ms: r.ms, cpuShare: r.cpuMs / (r.ms * threads) };
            },
            dispose: async () => {
              await torch.request({ cmd: 'unload' });
            },
          });
          if (!peerRow('pytorch')) {
            state.peers.push({
              ...skippedPeer('pytorch', c.model, c.batch, '', same),
              status: 'ok',
              reason: undefined,
              ...sameAs(loaded.params),
            });
          }
          if (!ort) {
            if (!peerRow('onnxruntime'))
              state.peers.push(skippedPeer('onnxruntime', c.model, c.batch, PEER_SKIPPED.noOrt));
          } else {
            const session = await ortSession(torch, ort, threads, c.batch, twinCensus.input.slice(1, 3));
            state.peerFlops.set('onnxruntime', 2 * twinCensus.totals.macs);
            competitors.push({
              label: 'onnxruntime',
              once: session.once,
              dispose: session.dispose,
            });
            if (!peerRow('onnxruntime')) {
              state.peers.push({
                ...skippedPeer('onnxruntime', c.model, c.batch, '', same),
                status: 'ok',
                reason: undefined,
                ...sameAs(loaded.params),
                versions: ortVersions(ort.version, session.opset, threads, loaded.torch),
              });
            }
          }
        } catch (e) {
          both((e as Error).message.split('\n')[0]!);
        }
      }
    }

    state.samples.push(await interleave(competitors, opts.warmup, opts.runs, label, opts.progress));
  } finally {
    for (const k of competitors.reverse()) await k.dispose();
    disposeBuilt(built);
    tf.dispose(xs);
  }
  const leaked = tf.memory().numTensors - before;
  for (const { row } of state.paths) {
    const peak = peaks.get(row);
    if (peak) {
      row.memory.peakRssBytes = Math.max(row.memory.peakRssBytes, peak.rss);
      row.memory.tfBytesPeak = Math.max(row.memory.tfBytesPeak, peak.tf);
    }
    // Leaks are the configuration's: its forms share one model and one input.
    if (row.status === 'ok') row.leakedTensors += leaked;
  }
  const times = state.paths
    .filter((p) => p.row.status === 'ok')
    .map(
      (p) =>
        `${p.row.path} ${spread((state.samples.at(-1)!.get(pathLabel(p.row.path)) ?? []).map((s) => s.ms)).medianMs.toFixed(1)} ms`,
    );
  opts.progress?.(`${label}: median ${times.join(', ')}`);
  return versions;
}

/**
 * An ONNX Runtime session on the peer's model: PyTorch exports the module it loaded (the same random
 * weights) to a temporary file, ONNX Runtime loads it with its default graph optimizations and `threads`
 * intra-op threads, and the file goes.
 */
async function ortSession(
  torch: TorchPeer,
  ort: OrtPeer,
  threads: number,
  batch: number,
  input: number[],
): Promise<{ once: () => Promise<Timed>; dispose: () => Promise<void>; opset: number }> {
  const file = join(cacheDir('bench'), `peer-${process.pid}-${randomBytes(4).toString('hex')}.onnx`);
  let session: import('onnxruntime-common').InferenceSession;
  let opset: number;
  try {
    ({ opset } = await torch.request<{ opset: number }>({ cmd: 'export', path: file }));
    session = await ort.mod.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: threads });
  } finally {
    rmSync(file, { force: true });
  }
  const name = session.inputNames[0]!;
  const n = batch * 3 * input[0]! * input[1]!;
  const data = Float32Array.from({ length: n }, () => Math.random());
  const feeds = { [name]: new ort.mod.Tensor('float32', data, [batch, 3, input[0]!, input[1]!]) };
  return {
    opset,
    once: async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      // The outputs come back in JS memory: nothing more to read.
      const out = await session.run(feeds);
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(c0);
      for (const t of Object.values(out)) t.dispose?.();
      return { ms, cpuShare: (cpu.user + cpu.system) / 1000 / (ms * threads) };
    },
    dispose: async () => {
      await session.release();
    },
  };
}

function finishRow(s: ConfigState, row: BenchRow, fma: FmaPeak, peak: PeakInfo): BenchRow {
  if (row.status !== 'ok') return row;
  const runs = s.samples.map((m) => m.get(pathLabel(row.path)) ?? []);
  const all = runs.flat();
  if (!all.length) return { ...row, status: 'skipped', reason: PEER_SKIPPED.noTimedRun };
  const sp = spread(all.map((t) => t.ms));
  const gflops = (row.flopsPerImage * row.batch) / (sp.medianMs / 1000) / 1e9;
  // A GPU is measured against its own matmul peak; the CPU's FMA peak says nothing about it.
  const onGpu = row.backend === 'webgpu' && !row.softwareAdapter;
  const shareOfFmaPeak = fma.measuredGflops && !onGpu ? gflops / fma.measuredGflops : null;
  const shareOfMatmulPeak = gflops / peak.gflops;
  const direct = (row.algorithms ?? []).filter((u) => u.primitive === 'convolution');
  const allDirect = direct.length > 0 && direct.every((u) => /direct/.test(u.algorithm));
  return {
    ...row,
    timesMs: all.map((t) => t.ms),
    ...sp,
    repeats: runs.map((r) => spread(r.map((t) => t.ms))),
    imagesPerSec: row.batch / (sp.medianMs / 1000),
    gflops,
    shareOfMatmulPeak,
    shareOfFmaPeak,
    ...(shareOfFmaPeak !== null && shareOfFmaPeak > 1
      ? { aboveFmaPeakNote: aboveFmaPeak(row.algorithms, allDirect) }
      : {}),
    ...(shareOfMatmulPeak > 1
      ? {
          aboveMatmulPeakNote: aboveMatmulPeak(peak.backend, peak.how, row.algorithms, allDirect),
        }
      : {}),
    cpuShare: median(all.map((t) => t.cpuShare)),
  };
}

function finishPeers(s: ConfigState, torchVersions: string | undefined, threads: number): PeerRow[] {
  const flopsPerRun = s.paths[0]!.row.flopsPerImage * s.paths[0]!.row.batch;
  return s.peers.map((p) => {
    if (p.status !== 'ok') return p;
    const runs = s.samples.map((m) => m.get(p.peer) ?? []);
    const all = runs.flat();
    if (!all.length) return { ...p, status: 'skipped', reason: PEER_SKIPPED.noTimedRun };
    const sp = spread(all.map((t) => t.ms));
    const flops = s.peerFlops.get(p.peer) ?? flopsPerRun;
    return {
      ...p,
      timesMs: all.map((t) => t.ms),
      ...sp,
      repeats: runs.map((r) => spread(r.map((t) => t.ms))),
      gflops: flops / (sp.medianMs / 1000) / 1e9,
      cpuShare: median(all.map((t) => t.cpuShare)),
      versions: p.peer === 'pytorch' ? torchVersions : p.peer === 'bare-tfjs-node' ? bareVersions(threads) : p.versions,
    };
  });
}

/** Every timed path against every peer that ran, and each fast path against eager, round by round. */
function compare(s: ConfigState): Comparison[] {
  const out: Comparison[] = [];
  const timed = s.paths.filter((p) => p.row.status === 'ok').map((p) => p.row.path);
  for (const path of timed) {
    const base = { model: s.c.model, batch: s.c.batch, path };
    for (const p of s.peers) {
      if (p.status !== 'ok') continue;
      const cmp = compareRuns(s.samples, pathLabel(path), p.peer);
      if (cmp) out.push({ ...base, peer: p.peer, sameNetwork: p.sameNetwork, ...cmp });
    }
    if (path !== 'eager' && timed.includes('eager')) {
      const cmp = compareRuns(s.samples, pathLabel(path), pathLabel('eager'));
      if (cmp) out.push({ ...base, peer: 'eager', sameNetwork: true, ...cmp });
    }
  }
  return out;
}

/**
 * Ratio of `mine` to `theirs`, run against run within each round, over every repeat: the median and
 * p10/p90 over all rounds, each repeat's median, and the range of those. Undefined without paired runs.
 */
export function compareRuns(
  repeats: ReadonlyArray<ReadonlyMap<string, readonly Timed[]>>,
  mine: string,
  theirs: string,
): Omit<Comparison, 'model' | 'batch' | 'path' | 'peer' | 'sameNetwork'> | undefined {
  const byRepeatAll = repeats.map((m) =>
    roundRatios(
      (m.get(mine) ?? []).map((t) => t.ms),
      (m.get(theirs) ?? []).map((t) => t.ms),
    ),
  );
  const all = byRepeatAll.flat().sort((a, b) => a - b);
  if (!all.length) return undefined;
  const byRepeat = byRepeatAll.filter((r) => r.length).map((r) => median(r));
  return {
    ratio: percentile(all, 0.5),
    p10: percentile(all, 0.1),
    p90: percentile(all, 0.9),
    byRepeat,
    range: [Math.min(...byRepeat), Math.max(...byRepeat)],
    rounds: all.length,
  };
}
