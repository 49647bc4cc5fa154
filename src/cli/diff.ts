import { Option, type Command } from 'commander';
import { census, type Census, type ParamConvention } from '../census.js';
import type { Graph } from '../graph.js';
import { conventionOf, diffCensuses } from '../diff.js';
import { formatDiff } from '../format/diff.js';
import { NetcensusError } from '../errors.js';
import { formatTensorDiff } from '../format/diff.js';
import { censusInventory, type TensorInventory } from '../inventory.js';
import { checkOutFile } from '../outfile.js';
import { resolveInput } from '../resolve.js';
import { diffInventories } from '../tensor-diff.js';
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
    .argument('<a>', 'zoo model name, model file, or weights file (.safetensors, its index, a torch.save .pt)')
    .argument('<b>', 'zoo model name, model file, or weights file')
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
      const inputs = [
        await resolveInput(a, { skipUnknown: opts.skipUnknown }),
        await resolveInput(b, { skipUnknown: opts.skipUnknown }),
      ];
      const censusOf = (g: Graph): Census => census(g, { params: opts.params ?? conventionOf(g) });
      if (inputs.some((i) => 'weights' in i)) {
        // A weights file holds tensors, not layers: both sides are compared as tensor inventories.
        if (opts.out)
          throw new NetcensusError(
            "--out: the HTML diff compares two models; a weights file's diff prints as text or --json",
          );
        const [ia, ib] = inputs.map((i): TensorInventory =>
          'weights' in i ? i.weights : censusInventory(censusOf(i.graph)),
        );
        const td = diffInventories(ia!, ib!);
        if (opts.json) printJson(td);
        else print(formatTensorDiff(td) + '\n');
        return;
      }
      const [ca, cb] = inputs.map((i) => censusOf((i as { graph: Graph }).graph)) as [Census, Census];
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
