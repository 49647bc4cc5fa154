#!/usr/bin/env node
/**
 * The recorded inference benchmark: `netcensus bench` plus the product targets (bench/targets.mjs),
 * written to bench/results/ (bench.json and bench.svg).
 * Usage: node bench/run.mjs [models...] [--backend all|tensorflow|wasm|cpu] [--batch 1,8] [--runs N] [--warmup N]
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkTargets } from './targets.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { runBench } = await import(join(root, 'dist/src/bench.js'));
const { benchSvg } = await import(join(root, 'dist/src/chart.js'));
const { formatBench } = await import(join(root, 'dist/src/format/bench.js'));
const { resolveModel } = await import(join(root, 'dist/src/resolve.js'));

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    backend: { type: 'string', default: 'all' },
    batch: { type: 'string', default: '1,8' },
    runs: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
  },
});
const models = positionals.length ? positionals : ['vgg16', 'resnet50'];
const result = await runBench(
  models.map((m) => resolveModel(m)),
  {
    backends: values.backend === 'all' ? ['tensorflow', 'wasm', 'cpu'] : [values.backend],
    batches: values.batch.split(',').map(Number),
    warmup: Number(values.warmup),
    runs: Number(values.runs),
    maxRunSeconds: 30,
    peers: true,
    progress: (line) => process.stderr.write(line + '\n'),
    // Only the targets about models this run measured.
    targets: (r) =>
      checkTargets(r).filter((t) => models.some((m) => t.target.startsWith(`${m},`) || t.target.startsWith(`${m}:`))),
  },
);
mkdirSync(values.out, { recursive: true });
for (const [file, text] of [
  ['bench.json', JSON.stringify(result, null, 2) + '\n'],
  ['bench.svg', benchSvg(result)],
]) {
  writeFileSync(join(values.out, `${file}.tmp`), text);
  renameSync(join(values.out, `${file}.tmp`), join(values.out, file));
}
process.stdout.write(formatBench(result) + '\n');
