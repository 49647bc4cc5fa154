import { Option, type Command } from 'commander';
import { census } from '../census.js';
import { NetcensusError } from '../errors.js';
import { formatVerify } from '../format/verify.js';
import { formatZoo } from '../format/summary.js';
import { resolveModel, zooModel } from '../resolve.js';
import { ZOO_NAMES } from '../../models/index.js';
import type { BackendChoice } from '../backend.js';
import type { WeightInit } from '../tfjs/builder.js';
import { backendOption, failOnMismatch, parseCount, parseInput, verifyMany, type Io } from './shared.js';

interface VerifyOptions {
  all?: boolean;
  backend: BackendChoice;
  input?: number[];
  batch: number;
  init: WeightInit;
  json?: boolean;
}

export function addVerify(program: Command, { print, printJson }: Io): void {
  program
    .command('verify')
    .description(
      "build each model as real TensorFlow.js layers, run a forward pass, and check every layer's shape and countParams() against the census",
    )
    .argument('[models...]', 'zoo model names or model files (.keras, .h5, .onnx, model.json)')
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
    .action(async (models: string[], opts: VerifyOptions) => {
      const names = opts.all ? [...ZOO_NAMES, ...models] : models;
      if (names.length === 0) throw new NetcensusError('verify: name at least one model, or --all');
      const graphs = await Promise.all(names.map((n) => resolveModel(n, { input: opts.input })));
      const censuses = graphs.map((g) => census(g, { input: opts.input, batch: opts.batch }));
      const { results, backend } = await verifyMany(censuses, opts);
      if (opts.json) printJson(results);
      else print(formatVerify(results, backend) + '\n');
      failOnMismatch(results);
    });
}

/** The main job: the zoo's census, then every model verified. */
export function addMain(program: Command, { print }: Io): void {
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
}
