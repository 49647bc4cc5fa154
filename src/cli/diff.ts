import { Option, type Command } from 'commander';
import { census, type Census, type ParamConvention } from '../census.js';
import { conventionOf, diffCensuses } from '../diff.js';
import { formatDiff } from '../format/diff.js';
import { checkOutFile } from '../outfile.js';
import { resolveModel } from '../resolve.js';
import { progress, SKIP_UNKNOWN, VERSION, type Io } from './shared.js';

interface DiffOptions {
  params?: ParamConvention;
  json?: boolean;
  out?: string;
  skipUnknown?: boolean;
}

export function addDiff(program: Command, { print, printJson }: Io): void {
  program
    .command('diff')
    .description('align two models layer by layer and attribute every parameter and MAC of difference to a cause')
    .argument('<a>', 'zoo model name or model file')
    .argument('<b>', 'zoo model name or model file')
    .addOption(
      new Option(
        '--params <convention>',
        "count both models under one convention (default: each under its own framework's)",
      ).choices(['keras', 'pytorch']),
    )
    .option('--json', 'print JSON (see README)')
    .option('--out <file.html>', 'also write the diff as a self-contained HTML page')
    .option(...SKIP_UNKNOWN)
    .action(async (a: string, b: string, opts: DiffOptions) => {
      if (opts.out) checkOutFile(opts.out);
      const load = async (m: string): Promise<Census> => {
        const g = await resolveModel(m, { skipUnknown: opts.skipUnknown });
        return census(g, { params: opts.params ?? conventionOf(g) });
      };
      const [ca, cb] = [await load(a), await load(b)];
      const d = diffCensuses(ca, cb);
      if (opts.out) {
        const { renderDiffReport, writeReport } = await import('../report/index.js');
        writeReport(opts.out, renderDiffReport({ diff: d, a: ca, b: cb, generator: `netcensus ${VERSION}` }));
        progress(`wrote ${opts.out}`);
      }
      if (opts.json) printJson(d);
      else print(formatDiff(d) + '\n');
    });
}
