import type { Command } from 'commander';
import { census, type ParamConvention } from '../census.js';
import { checkOutFile } from '../outfile.js';
import { resolveModel } from '../resolve.js';
import type { BackendChoice } from '../backend.js';
import type { BenchResult } from '../bench.js';
import type { VerifyResult } from '../verify.js';
import {
  backendLine,
  backendOption,
  failOnMismatch,
  paramsOption,
  parseInput,
  progress,
  SKIP_UNKNOWN,
  useBackend,
  VERSION,
  type Io,
} from './shared.js';

interface ReportOptions {
  out?: string;
  verify?: boolean;
  bench?: boolean;
  backend: BackendChoice;
  input?: number[];
  params?: ParamConvention;
  skipUnknown?: boolean;
}

export function addReport(program: Command, { print }: Io): void {
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
    .addOption(paramsOption())
    .option(...SKIP_UNKNOWN)
    .action(async (model: string, opts: ReportOptions) => {
      const graph = await resolveModel(model, { input: opts.input, skipUnknown: opts.skipUnknown });
      const out = opts.out ?? `${graph.name.replace(/[^\w.-]+/g, '_')}.report.html`;
      // Before any long work: a report that cannot be written is refused first.
      checkOutFile(out);
      const c = census(graph, { input: opts.input, params: opts.params });
      let verify: VerifyResult | undefined;
      let bench: BenchResult | undefined;
      if (opts.verify || opts.bench) {
        const backend = await useBackend(opts.backend);
        progress(backendLine(backend));
        if (opts.verify) {
          const { verifyCensus } = await import('../verify.js');
          verify = await verifyCensus(c, { device: backend.device });
          progress(`${c.model}: ${verify.ok ? 'verified' : 'MISMATCH'}`);
        }
        if (opts.bench) {
          const { runBench } = await import('../bench.js');
          bench = await runBench([graph], {
            backends: [backend.backend],
            batches: [1],
            warmup: 1,
            runs: 5,
            maxRunSeconds: 30,
            peers: false,
            progress,
          });
        }
      }
      const [{ writeReport }, { reportHtml }] = await Promise.all([
        import('../report/index.js'),
        import('../present.js'),
      ]);
      writeReport(out, reportHtml(c, { verify, bench }));
      print(`${out}\n`);
      if (verify && !verify.ok) failOnMismatch([verify]);
    });
}
