#!/usr/bin/env node
/**
 * Census at scale: `summary --json` of a Keras Sequential of N Dense layers, each in a fresh process
 * (process start, imports, reading the file, census, diagnostics against the zoo, JSON printing).
 * Target: 10,000 layers in under 1 s and 200 MB peak RSS. The other sizes show whether the cost grows
 * linearly: time per layer should stay flat from 2,500 to 40,000.
 *
 * Usage: node bench/census-scale.mjs [--runs 5] [--sizes 2500,5000,10000,20000,40000] [--compare DIR]
 * (after npm ci). --compare DIR times another checkout's bin/netcensus.js (built) in the same rounds,
 * interleaved, for before/after figures.
 * The model files go to .cache/census-scale/; each run is timed by wall clock, peak RSS by GNU time (%M).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    sizes: { type: 'string', default: '2500,5000,10000,20000,40000' },
    compare: { type: 'string' },
  },
});
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);
const TARGET = { layers: 10_000, ms: 1000, rssMB: 200 };
if (!existsSync('/usr/bin/time')) {
  process.stderr.write('census-scale: needs GNU time at /usr/bin/time for the peak RSS\n');
  process.exit(2);
}

/** A Keras 2 Sequential of n Dense(64, relu) layers on a 64-wide input. */
function writeModel(n) {
  const dir = join(root, '.cache', 'census-scale');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `dense-${n}.json`);
  const layers = [
    { class_name: 'InputLayer', config: { name: 'input', batch_input_shape: [null, 64], dtype: 'float32' } },
  ];
  for (let i = 0; i < n; i++)
    layers.push({ class_name: 'Dense', config: { name: `dense_${i}`, units: 64, activation: 'relu', use_bias: true } });
  writeFileSync(
    file,
    JSON.stringify({ class_name: 'Sequential', config: { name: `dense_stack_${n}`, layers }, keras_version: '2.15.0' }),
  );
  return file;
}

/** One command in a fresh process: wall time and peak RSS (GNU time's %M, KiB). */
function once(args, cli = join(root, 'bin', 'netcensus.js')) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 1024 * 2 ** 20,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`netcensus ${args.join(' ')} failed: ${r.stderr.slice(-500)}`);
  return { ms, rssMB: (Number(r.stderr.trim().split('\n').at(-1)) * 1024) / 1e6, stdout: r.stdout };
}

const files = Object.fromEntries(sizes.map((n) => [n, writeModel(n)]));
const clis = [['this', join(root, 'bin', 'netcensus.js')]];
if (values.compare) clis.push(['compare', join(values.compare, 'bin', 'netcensus.js')]);
// A Map keeps its order (an object would put the integer-like sizes before 'start').
const samples = new Map(clis.flatMap(([c]) => [[`${c} start`, []], ...sizes.map((n) => [`${c} ${n}`, []])]));
// Interleaved: each round runs every size once with every CLI, and the bare process start (--version).
for (let i = 0; i < runs; i++) {
  for (const [c, cli] of clis) samples.get(`${c} start`).push(once(['--version'], cli));
  for (const n of sizes) {
    for (const [c, cli] of clis) {
      const r = once(['summary', files[n], '--json'], cli);
      if (i === 0 && JSON.parse(r.stdout).layers.length !== n + 1) throw new Error(`summary of ${n} layers is wrong`);
      delete r.stdout;
      samples.get(`${c} ${n}`).push(r);
    }
  }
  process.stderr.write(`round ${i + 1}/${runs}\n`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [...samples].map(([key, s]) => {
  const [cli, n] = key.split(' ');
  const ms = median(s.map((x) => x.ms));
  return {
    cli: cli === 'this' ? 'this checkout' : values.compare,
    command:
      n === 'start'
        ? 'netcensus --version (process start)'
        : `summary --json, ${Number(n).toLocaleString('en-US')} Dense layers`,
    layers: n === 'start' ? 0 : Number(n),
    medianMs: Math.round(ms),
    maxMs: Math.round(Math.max(...s.map((x) => x.ms))),
    peakRssMB: Number(Math.max(...s.map((x) => x.rssMB)).toFixed(1)),
  };
});
for (const r of rows) {
  const start = rows.find((x) => x.cli === r.cli && x.layers === 0).medianMs;
  if (r.layers) r.usPerLayerAfterStart = Number((((r.medianMs - start) * 1000) / r.layers).toFixed(1));
}
const t = rows.find((r) => r.cli === 'this checkout' && r.layers === TARGET.layers);
const result = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: os.cpus()[0]?.model,
  loadAverage: os.loadavg()[0],
  runs,
  rows,
  target: `${TARGET.layers.toLocaleString('en-US')} layers: under ${TARGET.ms} ms and ${TARGET.rssMB} MB peak RSS, process start included`,
  met: t ? t.maxMs < TARGET.ms && t.peakRssMB < TARGET.rssMB : null,
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
