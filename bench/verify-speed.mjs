#!/usr/bin/env node
/**
 * Speed targets of verification (a benchmark, never a timed test):
 *  - census of the whole zoo: under 50 ms;
 *  - `verify --all` wall time: at most 2x the sum of the bare forward passes of the same models, each
 *    built with only its final output. verify runs every model once, so its fair counterpart is the
 *    first (cold) pass of a freshly built model; the second (warm) pass is reported too.
 * Usage: node bench/verify-speed.mjs   (after npm ci; uses the compiled dist/)
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { ZOO_NAMES } = await import(join(root, 'dist/models/index.js'));
const { census, inferLayers } = await import(join(root, 'dist/src/census.js'));
const { zooModel } = await import(join(root, 'dist/src/resolve.js'));
const { useBackend } = await import(join(root, 'dist/src/backend.js'));
const { buildTfjs } = await import(join(root, 'dist/src/tfjs/builder.js'));
const tf = await import('@tensorflow/tfjs');

// Census: every zoo model, best of 5 passes (the first pays for JIT warm-up).
let censusMs = Infinity;
for (let rep = 0; rep < 5; rep++) {
  const t0 = performance.now();
  for (const n of ZOO_NAMES) census(zooModel(n));
  censusMs = Math.min(censusMs, performance.now() - t0);
}

const info = await useBackend('auto');
let bareMs = 0;
let warmMs = 0;
for (const n of ZOO_NAMES) {
  const g = zooModel(n);
  const built = buildTfjs(g, inferLayers(g), { outputs: 'final' });
  const x = tf.randomNormal([1, ...census(g).input.slice(1)]);
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const y = built.model.predict(x);
    await y.data();
    if (i === 0) bareMs += performance.now() - t0;
    else warmMs += performance.now() - t0;
    y.dispose();
  }
  x.dispose();
  built.model.dispose();
  process.stderr.write(`bare forward ${n}\n`);
}

const t0 = performance.now();
const r = spawnSync(process.execPath, [join(root, 'bin/netcensus.js'), 'verify', '--all', '--json'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 512 * 2 ** 20,
});
const verifyMs = performance.now() - t0;
const ok = r.status === 0 && JSON.parse(r.stdout).every((e) => e.ok);

const result = {
  date: new Date().toISOString(),
  backend: info.backend,
  device: info.device,
  models: ZOO_NAMES.length,
  censusOfZooMs: Number(censusMs.toFixed(2)),
  censusTargetMs: 50,
  censusMet: censusMs < 50,
  verifyAllWallMs: Math.round(verifyMs),
  sumOfBareForwardMs: Math.round(bareMs),
  sumOfBareWarmForwardMs: Math.round(warmMs),
  ratio: Number((verifyMs / bareMs).toFixed(2)),
  ratioToWarm: Number((verifyMs / warmMs).toFixed(2)),
  ratioTarget: 2,
  ratioMet: verifyMs <= 2 * bareMs,
  verifyOk: ok,
  note: 'verify --all wall time includes process start, loading TensorFlow, building every model and running it once with every layer output kept',
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
