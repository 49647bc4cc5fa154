import { InvalidArgumentError, Option, type Command } from 'commander';
import { join } from 'node:path';
import { formatBench, formatBenchMarkdown } from '../format/bench.js';
import { jsonText } from '../format/escape.js';
import { checkOutFile, writeWhole } from '../outfile.js';
import { resolveModel } from '../resolve.js';
import type { BackendName } from '../backend.js';
import { parseCount, parseList, prepareOutDir, progress, type Io } from './shared.js';

const PATHS = ['eager', 'fused', 'graph', 'fast'] as const;
type PathChoice = (typeof PATHS)[number];

/** A comma-separated list of execution paths, each once, in the order given. */
function parsePaths(value: string): PathChoice[] {
  const parts = value.split(',').map((p) => p.trim());
  const bad = parts.find((p) => !(PATHS as readonly string[]).includes(p));
  if (bad !== undefined)
    throw new InvalidArgumentError(`expected a comma-separated list of ${PATHS.join(', ')}, got "${bad}"`);
  return [...new Set(parts as PathChoice[])];
}

interface BenchOptions {
  backend: 'all' | BackendName;
  batch: number[];
  warmup: number;
  runs: number;
  repeat: number;
  threads?: number;
  algorithms: boolean;
  maxRunSeconds: number;
  peers: boolean;
  path: PathChoice[];
  json?: boolean;
  markdown?: boolean;
  out?: string;
}

export function addBench(program: Command, { print, printJson }: Io): void {
  program
    .command('bench')
    .description(
      'inference latency, throughput and achieved GFLOP/s per backend and batch, against measured peaks and peers',
    )
    .argument('<models...>', 'zoo model names or model files (.keras, .h5, .onnx, model.json)')
    .addOption(
      new Option('--backend <name>', 'backend(s) to measure')
        .choices(['all', 'tensorflow', 'webgpu', 'wasm', 'cpu'])
        .default('tensorflow'),
    )
    .option('--batch <list>', 'comma-separated batch sizes', parseList, [1])
    .option('--warmup <N>', 'warm-up runs, excluded from the figures', parseCount('--warmup', 1000, 0), 2)
    .option(
      '--runs <N>',
      'timed runs of each competitor per repeat, interleaved with the peers',
      parseCount('--runs', 10_000),
      5,
    )
    .option(
      '--repeat <N>',
      'run the whole comparison N times and report the range of each ratio',
      parseCount('--repeat', 1000),
      1,
    )
    .option(
      '--threads <N>',
      'threads for TensorFlow, PyTorch and the FMA loop (default: every logical CPU)',
      parseCount('--threads', 4096),
    )
    .option('--no-algorithms', 'do not ask oneDNN which convolution algorithms it runs (a child process)')
    .option(
      '--max-run-seconds <N>',
      'skip a configuration whose single run is estimated longer than this',
      parseCount('--max-run-seconds', 86_400),
      30,
    )
    .option(
      '--path <list>',
      "execution paths of netcensus' model, each a row, timed in the same rounds: eager (model.predict, the model as " +
        'verify builds it), fused (BatchNorm folded, bias and activation in fused ops), graph (a frozen TensorFlow ' +
        'graph run by native TensorFlow), fast (graph where the model has one on native TensorFlow, else fused)',
      parsePaths,
      ['fast', 'eager'] as PathChoice[],
    )
    .option('--no-peers', 'do not run the PyTorch, ONNX Runtime and bare tfjs-node peers')
    .option('--json', 'print JSON')
    .option('--markdown', 'print the tables as Markdown')
    .option('--out <dir>', 'write bench.json and bench.svg into this folder')
    .action(async (models: string[], opts: BenchOptions) => {
      const graphs = await Promise.all(models.map((m) => resolveModel(m)));
      const backends: BackendName[] = opts.backend === 'all' ? ['tensorflow', 'wasm', 'cpu'] : [opts.backend];
      if (opts.out) {
        prepareOutDir(opts.out);
        for (const f of ['bench.json', 'bench.svg']) checkOutFile(join(opts.out, f));
      }
      const { runBench } = await import('../bench.js');
      const result = await runBench(graphs, {
        backends,
        batches: opts.batch,
        warmup: opts.warmup,
        runs: opts.runs,
        repeat: opts.repeat,
        ...(opts.threads ? { threads: opts.threads } : {}),
        algorithms: opts.algorithms,
        maxRunSeconds: opts.maxRunSeconds,
        peers: opts.peers,
        paths: opts.path,
        progress,
      });
      if (opts.out) {
        const { benchSvg } = await import('../report/chart.js');
        // Written whole and renamed: an interrupted run leaves no half-written file.
        writeWhole(join(opts.out, 'bench.json'), jsonText(result) + '\n');
        writeWhole(join(opts.out, 'bench.svg'), benchSvg(result));
        progress(`wrote ${join(opts.out, 'bench.json')} and ${join(opts.out, 'bench.svg')}`);
      }
      if (opts.json) printJson(result);
      else if (opts.markdown) print(formatBenchMarkdown(result) + '\n');
      else print(formatBench(result) + '\n');
    });
}
