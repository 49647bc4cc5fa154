/**
 * The command line. Commands parse options, call the library, and print; results go to stdout, progress
 * and diagnostics to stderr. A NetcensusError becomes one line and its exit code, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { census, type Census, type ParamConvention } from './census.js';
import { EXIT, NetcensusError } from './errors.js';
import { formatBench } from './format/bench.js';
import { formatDiff } from './format/diff.js';
import { jsonChunks, jsonText, terminalLines, terminalText } from './format/escape.js';
import { int, si } from './format/numbers.js';
import { formatCsv, formatMarkdown, formatSummary, formatZoo } from './format/summary.js';
import { formatVerify } from './format/verify.js';
import { publishedVerdicts } from './published.js';
import { resolveModel, zooModel } from './resolve.js';
import { ZOO, ZOO_NAMES } from '../models/index.js';
import { diagnose } from './diagnose.js';
import { assertFitsInMemory } from './resources.js';
import { conventionOf, diffCensuses } from './diff.js';
import type { BackendChoice, BackendInfo, BackendName } from './backend.js';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutFile, writeWhole } from './outfile.js';
import type { WeightInit } from './tfjs/builder.js';
import type { VerifyResult } from './verify.js';
import type { BenchResult } from './bench.js';

const VERSION = '0.1.0';

// TensorFlow.js loads only for the commands that execute networks: summary, diff and list stay instant.
const useBackend = async (c: BackendChoice): Promise<BackendInfo> => (await import('./backend.js')).useBackend(c);

function parseInput(value: string): number[] {
  if (!/^\d+(x\d+){0,2}$/i.test(value.trim()))
    throw new InvalidArgumentError(`expected H, HxW or HxWxC (e.g. 224 or 227x227), got "${value}"`);
  const dims = value.trim().toLowerCase().split('x').map(Number);
  if (dims.some((d) => !Number.isSafeInteger(d) || d < 1 || d > 1_000_000))
    throw new InvalidArgumentError(`sizes must be integers from 1 to 1,000,000, got "${value}"`);
  return dims.length === 1 ? [dims[0]!, dims[0]!] : dims;
}

function parseCount(what: string, max: number, min = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${int(max)}, got "${value}"`);
    return n;
  };
}

interface SummaryOptions {
  input?: number[];
  batch: number;
  params: ParamConvention;
  json?: boolean;
  markdown?: boolean;
  csv?: boolean;
  skipUnknown?: boolean;
  depth?: number;
}

const SKIP_UNKNOWN = [
  '--skip-unknown',
  'count the rest of a model with layers netcensus cannot count (a user\'s class, a Lambda): they are marked "not counted" and the totals partial',
] as const;

export function buildProgram(write: (s: string) => void = (s) => process.stdout.write(s)): Command {
  // The last guard at the exits: text printable but for its newlines, JSON with its strings' controls escaped.
  // The formatters escape the file's names already, and escaping twice changes nothing.
  const print = (s: string): void => write(terminalLines(s));
  const printJson = (value: unknown): void => {
    // Pieces gathered into writes of about a megabyte: neither one huge string nor a million writes.
    let buffered = '';
    for (const piece of jsonChunks(value)) {
      buffered += piece;
      if (buffered.length > 2 ** 20) (write(buffered), (buffered = ''));
    }
    write(buffered + '\n');
  };
  const program = new Command('netcensus')
    .description(
      'Exact parameter, neuron, MAC and memory census of convolutional networks, verified by execution in TensorFlow.js',
    )
    .version(VERSION)
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: print, writeErr: (s) => process.stderr.write(terminalLines(s)) });

  program
    .command('list')
    .description('list the model zoo with parameter and MAC totals')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      const rows = ZOO_NAMES.map((name) => {
        const g = zooModel(name);
        const c = census(g);
        return {
          name,
          description: g.description,
          input: c.input.slice(1),
          params: c.totals.params,
          paramsPytorch: c.byConvention.params.pytorch,
          macs: c.totals.macs,
          source: g.source,
        };
      });
      if (opts.json) return printJson(rows);
      const width = Math.max(...rows.map((r) => r.name.length));
      print(
        `${'model'.padEnd(width)}  ${'input'.padEnd(11)} ${'params (keras)'.padStart(15)} ${'params (pytorch)'.padStart(17)} ${'MACs (weights)'.padStart(16)}  description\n`,
      );
      for (const r of rows) {
        print(
          `${r.name.padEnd(width)}  ${r.input.join('x').padEnd(11)} ${int(r.params).padStart(15)} ${int(r.paramsPytorch).padStart(17)} ${si(r.macs).padStart(16)}  ${r.description}\n`,
        );
      }
    });

  program
    .command('summary')
    .description('per-layer census of a zoo model or a model file, with totals under every convention')
    .argument('<model>', 'zoo model name (see `netcensus list`) or a Keras / TensorFlow.js model JSON file')
    .option('--input <HxW>', "input size: H, HxW or HxWxC (default: the model's own)", parseInput)
    .option(...SKIP_UNKNOWN)
    .option(
      '--depth <N>',
      'show nested models or modules down to depth N, deeper layers summed into their container',
      parseCount('--depth', 1000, 0),
    )
    .option('--batch <N>', 'batch size', parseCount('--batch', 1_000_000), 1)
    .addOption(
      new Option('--params <convention>', 'parameter convention').choices(['keras', 'pytorch']).default('keras'),
    )
    .option('--json', 'print the JSON contract (see README)')
    .option('--markdown', 'print a Markdown table')
    .option('--csv', 'print CSV, one row per layer and a TOTAL row')
    .action(async (model: string, opts: SummaryOptions) => {
      if ([opts.json, opts.markdown, opts.csv].filter(Boolean).length > 1)
        throw new NetcensusError('choose one of --json, --markdown, --csv');
      const graph = await resolveModel(model, { input: opts.input, skipUnknown: opts.skipUnknown });
      const c = census(graph, { input: opts.input, batch: opts.batch, params: opts.params });
      const diagnostics = diagnose(c, { zoo: ZOO });
      if (opts.json) printJson({ ...c, diagnostics });
      else if (opts.markdown) print(formatMarkdown(c) + '\n');
      else if (opts.csv) print(formatCsv(c) + '\n');
      else print(formatSummary(c, publishedVerdicts(c, graph.published ?? []), diagnostics, opts.depth) + '\n');
    });

  program
    .command('diff')
    .description('align two models layer by layer and attribute every parameter and MAC of difference to a cause')
    .argument('<a>', 'zoo model name or model JSON file')
    .argument('<b>', 'zoo model name or model JSON file')
    .addOption(
      new Option(
        '--params <convention>',
        "count both models under one convention (default: each under its own framework's)",
      ).choices(['keras', 'pytorch']),
    )
    .option('--json', 'print JSON (see README)')
    .option('--out <file.html>', 'also write the diff as a self-contained HTML page')
    .option(...SKIP_UNKNOWN)
    .action(
      async (
        a: string,
        b: string,
        opts: { params?: ParamConvention; json?: boolean; out?: string; skipUnknown?: boolean },
      ) => {
        if (opts.out) checkOutFile(opts.out);
        const load = async (m: string): Promise<Census> => {
          const g = await resolveModel(m, { skipUnknown: opts.skipUnknown });
          return census(g, { params: opts.params ?? conventionOf(g) });
        };
        const [ca, cb] = [await load(a), await load(b)];
        const d = diffCensuses(ca, cb);
        if (opts.out) {
          const { renderDiffReport, writeReport } = await import('./report/index.js');
          writeReport(opts.out, renderDiffReport({ diff: d, a: ca, b: cb, generator: `netcensus ${VERSION}` }));
          progress(`wrote ${opts.out}`);
        }
        if (opts.json) printJson(d);
        else print(formatDiff(d) + '\n');
      },
    );

  program
    .command('report')
    .description(
      'write one self-contained HTML page: totals under every convention, per-layer charts and table, the layer graph, diagnostics, published figures',
    )
    .argument('<model>', 'zoo model name (see `netcensus list`) or a model file')
    .option('--out <file.html>', 'where to write it (default: MODEL.report.html in the current folder)')
    .option('--verify', 'verify by execution first and show the result per layer')
    .option('--bench', 'benchmark it first (batch 1) and show the chart and table')
    .addOption(backendOption())
    .option('--input <HxW>', "input size: H, HxW or HxWxC (default: the model's own)", parseInput)
    .addOption(
      new Option('--params <convention>', 'parameter convention').choices(['keras', 'pytorch']).default('keras'),
    )
    .option(...SKIP_UNKNOWN)
    .action(async (model: string, opts: ReportCliOptions) => {
      const graph = await resolveModel(model, { input: opts.input, skipUnknown: opts.skipUnknown });
      const out = opts.out ?? `${graph.name.replace(/[^\w.-]+/g, '_')}.report.html`;
      // Before any long work: a report that cannot be written is refused first.
      checkOutFile(out);
      const c = census(graph, { input: opts.input, params: opts.params });
      const diagnostics = diagnose(c, { zoo: ZOO });
      let verify: VerifyResult | undefined;
      let bench: BenchResult | undefined;
      if (opts.verify || opts.bench) {
        const backend = await useBackend(opts.backend);
        progress(
          `netcensus: backend ${backend.backend} (${backend.device})${backend.note ? ` - ${backend.note}` : ''}`,
        );
        if (opts.verify) {
          const { verifyCensus } = await import('./verify.js');
          verify = await verifyCensus(c, { device: backend.device });
          progress(`${c.model}: ${verify.ok ? 'verified' : 'MISMATCH'}`);
        }
        if (opts.bench) {
          const { runBench } = await import('./bench.js');
          bench = await runBench([graph], {
            backends: [backend.backend as BackendName],
            batches: [1],
            warmup: 1,
            runs: 5,
            maxRunSeconds: 30,
            peers: false,
            progress,
          });
        }
      }
      const { renderModelReport, writeReport } = await import('./report/index.js');
      const published = publishedVerdicts(c, graph.published ?? []);
      writeReport(
        out,
        renderModelReport({ census: c, diagnostics, published, verify, bench, generator: `netcensus ${VERSION}` }),
      );
      print(`${out}\n`);
      if (verify && !verify.ok) failOnMismatch([verify]);
    });

  program
    .command('verify')
    .description(
      "build each model as real TensorFlow.js layers, run a forward pass, and check every layer's shape and countParams() against the census",
    )
    .argument('[models...]', 'zoo model names or model JSON files')
    .option('--all', 'verify the whole zoo')
    .addOption(backendOption())
    .option('--input <HxW>', "input size: H, HxW or HxWxC (default: each model's own)", parseInput)
    .option('--batch <N>', 'batch size of the forward pass', parseCount('--batch', 4096), 1)
    .addOption(
      new Option('--init <weights>', 'weight initialisation (shapes and counts do not depend on it)')
        .choices(['zeros', 'random'])
        .default('zeros'),
    )
    .option('--json', 'print one JSON entry per model')
    .action(async (models: string[], opts: VerifyCliOptions) => {
      const names = opts.all ? [...ZOO_NAMES, ...models] : models;
      if (names.length === 0) throw new NetcensusError('verify: name at least one model, or --all');
      const graphs = await Promise.all(names.map((n) => resolveModel(n, { input: opts.input })));
      const censuses = graphs.map((g) => census(g, { input: opts.input, batch: opts.batch }));
      const { results, backend } = await verifyMany(censuses, opts);
      if (opts.json) printJson(results);
      else print(formatVerify(results, backend) + '\n');
      failOnMismatch(results);
    });

  program
    .command('main')
    .description(
      'the main job: census of the whole zoo, then verification of every model on the best available backend',
    )
    .addOption(backendOption())
    .action(async (opts: { backend: BackendChoice }) => {
      const censuses = ZOO_NAMES.map((n) => census(zooModel(n)));
      print(formatZoo(censuses) + '\n\n');
      const { results, backend } = await verifyMany(censuses, { backend: opts.backend, init: 'zeros' });
      print(formatVerify(results, backend) + '\n');
      failOnMismatch(results);
    });

  program
    .command('bench')
    .description(
      'inference latency, throughput and achieved GFLOP/s per backend and batch, against measured peaks and peers',
    )
    .argument('<models...>', 'zoo model names or model JSON files')
    .addOption(
      new Option('--backend <name>', 'backend(s) to measure')
        .choices(['all', 'tensorflow', 'wasm', 'cpu'])
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
    .option('--no-peers', 'do not run the PyTorch and bare tfjs-node peers')
    .option('--json', 'print JSON')
    .option('--out <dir>', 'write bench.json and bench.svg into this folder')
    .action(async (models: string[], opts: BenchCliOptions) => {
      const graphs = await Promise.all(models.map((m) => resolveModel(m)));
      const backends: BackendName[] = opts.backend === 'all' ? ['tensorflow', 'wasm', 'cpu'] : [opts.backend];
      if (opts.out) {
        prepareOutDir(opts.out);
        for (const f of ['bench.json', 'bench.svg']) checkOutFile(join(opts.out, f));
      }
      const { runBench } = await import('./bench.js');
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
        progress,
      });
      if (opts.out) {
        const { benchSvg } = await import('./chart.js');
        // Written whole and renamed: an interrupted run leaves no half-written file.
        writeWhole(join(opts.out, 'bench.json'), jsonText(result) + '\n');
        writeWhole(join(opts.out, 'bench.svg'), benchSvg(result));
        progress(`wrote ${join(opts.out, 'bench.json')} and ${join(opts.out, 'bench.svg')}`);
      }
      if (opts.json) printJson(result);
      else print(formatBench(result) + '\n');
    });

  return program;
}

interface ReportCliOptions {
  out?: string;
  verify?: boolean;
  bench?: boolean;
  backend: BackendChoice;
  input?: number[];
  params: ParamConvention;
  skipUnknown?: boolean;
}

interface BenchCliOptions {
  backend: 'all' | BackendName;
  batch: number[];
  warmup: number;
  runs: number;
  repeat: number;
  threads?: number;
  algorithms: boolean;
  maxRunSeconds: number;
  peers: boolean;
  json?: boolean;
  out?: string;
}

function parseList(value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p)) || parts.some((p) => Number(p) < 1 || Number(p) > 4096))
    throw new InvalidArgumentError(`expected a comma-separated list of integers from 1 to 4096, got "${value}"`);
  return [...new Set(parts.map(Number))];
}

function prepareOutDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new NetcensusError(
      `--out: cannot write to ${dir} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}

interface VerifyCliOptions {
  all?: boolean;
  backend: BackendChoice;
  input?: number[];
  batch: number;
  init: WeightInit;
  json?: boolean;
}

const backendOption = (): Option =>
  new Option('--backend <name>', 'TensorFlow.js backend')
    .choices(['auto', 'tensorflow', 'wasm', 'cpu'])
    .default('auto');

/** Exit 1 naming the models whose census and execution disagree (the report is already printed). */
function failOnMismatch(results: readonly VerifyResult[]): void {
  const bad = results.filter((r) => !r.ok).map((r) => r.model);
  if (bad.length) throw new NetcensusError(`verification failed for ${bad.join(', ')}`, EXIT.mismatch);
}

/** Verifies censuses one after another on one backend, with a progress line per model on stderr. */
async function verifyMany(
  censuses: Census[],
  opts: { backend: BackendChoice; init: WeightInit },
): Promise<{ results: VerifyResult[]; backend: BackendInfo }> {
  // Size problems are reported before any backend starts.
  for (const c of censuses) assertFitsInMemory(c, 'verify');
  // So is a file whose stored weights cannot be read: they are read once, here, before any backend starts.
  for (const c of censuses) await c.graph.file?.storedWeights?.(c);
  const backend = await useBackend(opts.backend);
  const { verifyCensus } = await import('./verify.js');
  const { ConstantPool } = await import('./tfjs/builder.js');
  progress(`netcensus: backend ${backend.backend} (${backend.device})${backend.note ? ` - ${backend.note}` : ''}`);
  const results: VerifyResult[] = [];
  // Zero weights of one shape are written once for all the models (VGG's classifier recurs ten times).
  const constants = censuses.length > 1 && opts.init === 'zeros' ? new ConstantPool() : undefined;
  try {
    for (const [i, c] of censuses.entries()) {
      const r = await verifyCensus(c, { init: opts.init, device: backend.device, constants });
      results.push(r);
      progress(
        `[${i + 1}/${censuses.length}] ${c.model}: ${r.ok ? 'ok' : 'MISMATCH'} (build ${(r.timings.buildMs / 1000).toFixed(2)} s, forward ${(r.timings.forwardMs / 1000).toFixed(2)} s)`,
      );
    }
  } finally {
    constants?.dispose();
  }
  return { results, backend };
}

/** One line on stderr: a newline inside it (a name from the file) is shown escaped, never obeyed. */
const progress = (line: string): void => {
  process.stderr.write(terminalText(line) + '\n');
};

/** Runs the CLI; returns the exit code instead of exiting, so tests can call it in-process. */
export async function run(argv: string[], write?: (s: string) => void): Promise<number> {
  const program = buildProgram(write);
  program.exitOverride();
  for (const cmd of program.commands) cmd.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with code 0; their text is already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (err instanceof NetcensusError) {
      // One line, printable: file contents can end up quoted in a message.
      process.stderr.write(`netcensus: ${terminalText(err.message)}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(
      `netcensus: internal error: ${terminalText(e?.message ?? String(err))}${process.env.NETCENSUS_DEBUG ? `\n${terminalLines(String(e?.stack))}` : ' (set NETCENSUS_DEBUG=1 for a stack trace)'}\n`,
    );
    return EXIT.internal;
  }
}
