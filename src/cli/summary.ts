import { Option, type Command } from 'commander';
import { census, type ParamConvention } from '../census.js';
import { diagnose } from '../diagnose.js';
import { NetcensusError } from '../errors.js';
import { formatInventory, inventoryCsv, inventoryMarkdown } from '../format/inventory.js';
import { formatCsv, formatMarkdown, SUMMARY_STYLES, type SummaryStyle } from '../format/summary.js';
import { fitTablesTo, tableColumns } from '../format/table.js';
import { summaryText } from '../present.js';
import { resolveInput } from '../resolve.js';
import { ZOO } from '../../models/index.js';
import { paramsOption, parseCount, parseInput, SKIP_UNKNOWN, type Io } from './shared.js';

interface SummaryOptions {
  input?: number[];
  batch: number;
  params?: ParamConvention;
  json?: boolean;
  markdown?: boolean;
  csv?: boolean;
  skipUnknown?: boolean;
  depth?: number;
  style?: SummaryStyle;
}

export function addSummary(program: Command, { print, printJson }: Io): void {
  program
    .command('summary')
    .description('per-layer census of a zoo model or a model file, with totals under every convention')
    .argument(
      '<model>',
      'zoo model name (see `netcensus list`), a model file (.keras, .h5, .onnx, model.json) or a weights file (.safetensors, its index, a torch.save .pt)',
    )
    .option('--input <HxW>', "input size: H, HxW or HxWxC (default: the model's own)", parseInput)
    .option(...SKIP_UNKNOWN)
    .option(
      '--depth <N>',
      "show N levels of nested models or modules (torchinfo's depth: 1 is the top level), deeper layers summed into their container",
      parseCount('--depth', 1000, 1),
    )
    .addOption(
      new Option(
        '--style <view>',
        "the layer table: torchinfo's (torch.nn classes, N, C, H, W shapes) or Keras' (every layer, channels-last); default: the model's own framework's",
      ).choices(SUMMARY_STYLES),
    )
    .option('--batch <N>', 'batch size', parseCount('--batch', 1_000_000), 1)
    .addOption(paramsOption())
    .option('--json', 'print the JSON contract (see README)')
    .option('--markdown', 'print a Markdown table')
    .option('--csv', 'print CSV, one row per layer and a TOTAL row')
    .action(async (model: string, opts: SummaryOptions) => {
      if ([opts.json, opts.markdown, opts.csv].filter(Boolean).length > 1)
        throw new NetcensusError('choose one of --json, --markdown, --csv');
      const input = await resolveInput(model, { input: opts.input, skipUnknown: opts.skipUnknown });
      if ('weights' in input) {
        // A weights file's tensors: no graph, so no input size, batch or convention applies; said, not ignored silently.
        const w = input.weights;
        const moot = [
          opts.input && '--input',
          opts.batch !== 1 && '--batch',
          opts.params && '--params',
          opts.style && '--style',
        ].filter(Boolean);
        if (moot.length)
          process.stderr.write(
            `netcensus: ${moot.join(', ')}: a weights file holds tensors, not a network; counted as stored, ${moot.length === 1 ? 'it does' : 'they do'} not apply\n`,
          );
        if (opts.json) printJson(w);
        else if (opts.markdown) print(inventoryMarkdown(w) + '\n');
        else if (opts.csv) print(inventoryCsv(w) + '\n');
        else {
          fitTablesTo(tableColumns());
          print(formatInventory(w, opts.depth) + '\n');
        }
        return;
      }
      const graph = input.graph;
      const c = census(graph, { input: opts.input, batch: opts.batch, params: opts.params });
      const diagnostics = diagnose(c, { zoo: ZOO });
      if (opts.json) printJson({ ...c, diagnostics });
      else if (opts.markdown) print(formatMarkdown(c) + '\n');
      else if (opts.csv) print(formatCsv(c) + '\n');
      else print(summaryText(c, { depth: opts.depth, width: tableColumns(), style: opts.style }) + '\n');
    });
}
