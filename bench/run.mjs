#!/usr/bin/env node
/**
 * The recorded inference benchmark: `netcensus bench` plus the product targets (bench/targets.mjs),
 * written to bench/results/ (bench.json and bench.svg).
 *
 * Native TensorFlow runs interleaved with its peers (the bare tfjs-layers model in this process, PyTorch in
 * a long-lived child, ONNX Runtime on PyTorch's export of the same module), netcensus' model on each of
 * `--path` (default: the fast path and eager), `--runs` rounds per repeat, `--repeat` times over. The slower backends (wasm, cpu)
 * run after it on their own, `--other-runs` runs and one repeat: they have no peers, and a VGG16 run on
 * wasm takes seconds.
 *
 * Usage: node bench/run.mjs [models...] [--backend all|tensorflow|wasm|cpu] [--batch 1,8] [--runs 20]
 *        [--repeat 3] [--warmup 2] [--threads N] [--path fast,eager] [--other-runs 5] [--out DIR]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkTargets } from './targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { runBench } = await import(join(root, 'dist/src/bench.js'));
const { benchSvg } = await import(join(root, 'dist/src/report/chart.js'));
const { formatBench } = await import(join(root, 'dist/src/format/bench.js'));
const { resolveModel } = await import(join(root, 'dist/src/resolve.js'));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'all' },
    batch: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    threads: { type: 'string' },
    'other-runs': { type: 'string', default: '5' },
    path: { type: 'string', default: 'fast,eager' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
  },
});
const models = positionals.length ? positionals : ['resnet50', 'vgg16', 'alexnet-torchvision'];
const graphs = await Promise.all(models.map((m) => resolveModel(m)));
const backends = values.backend === 'all' ? ['tensorflow', 'wasm', 'cpu'] : [values.backend];
const common = {
  batches: values.batch.split(',').map(Number),
  warmup: Number(values.warmup),
  maxRunSeconds: 30,
  paths: values.path.split(','),
  ...(values.threads ? { threads: Number(values.threads) } : {}),
  progress: (line) => process.stderr.write(line + '\n'),
};
// Only the targets about models this run measured.
const targets = (r) => checkTargets(r).filter((t) => models.some((m) => t.target.startsWith(`${m},`)));

let result;
if (backends.includes('tensorflow')) {
  result = await runBench(graphs, {
    ...common,
    backends: ['tensorflow'],
    runs: Number(values.runs),
    repeat: Number(values.repeat),
    peers: true,
  });
}
const others = backends.filter((b) => b !== 'tensorflow');
if (others.length) {
  const rest = await runBench(graphs, {
    ...common,
    backends: others,
    runs: Number(values['other-runs']),
    repeat: 1,
    peers: false,
  });
  if (result) {
    result.rows.push(...rest.rows);
    result.peaks.push(...rest.peaks);
    result.host.loadAverage.end = rest.host.loadAverage.end;
  } else result = rest;
}
result.targets = targets(result);

mkdirSync(values.out, { recursive: true });
for (const [file, text] of [
  ['bench.json', JSON.stringify(result, null, 2) + '\n'],
  ['bench.svg', benchSvg(result)],
]) {
  writeFileSync(join(values.out, `${file}.tmp`), text);
  renameSync(join(values.out, `${file}.tmp`), join(values.out, file));
}
process.stdout.write(formatBench(result) + '\n');
