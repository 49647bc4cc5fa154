#!/usr/bin/env node
/**
 * Speed targets of verification (a benchmark, never a timed test):
 *  - census of the whole zoo: under 50 ms;
 *  - `verify --all` wall time, process start included: at most 1.5x the sum of the bare forward passes of
 *    the same models, each built with only its final output. verify runs every model once, so its fair
 *    counterpart is the first (cold) pass of a freshly built model in a fresh process.
 * The bare models are built as tfjs-layers builds them on its own (its Zeros initializer: a JavaScript
 * array, copied into TensorFlow at the first pass), as this benchmark has always measured them. A second
 * bare process builds them with verify's own weights, written by TensorFlow before the pass (and with
 * nothing copied at the first pass): the stricter ratio, reported beside. Their second (warm) pass too.
 * The three processes run alternately, `--rounds` times; each ratio is taken within its round.
 * Usage: node bench/verify-speed.mjs [--rounds 3] [--compare DIR]   (after npm ci; uses the compiled dist/)
 *        --compare DIR: also time `verify --all` of another checkout (built) in each round, for before/after.
 *        node bench/verify-speed.mjs --bare tfjs|backend   (internal: one process of bare passes, one JSON line)
 */
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, bare: { type: 'string' }, compare: { type: 'string' } },
});
const { ZOO_NAMES } = await import(join(root, 'dist/models/index.js'));
const { census } = await import(join(root, 'dist/src/census.js'));
const { zooModel } = await import(join(root, 'dist/src/resolve.js'));
const TARGET = 1.5;

if (values.bare) {
  // One process: every zoo model built with only its final output (verify's builder, zero weights made
  // by tfjs-layers or by TensorFlow), its first pass and its second timed until the output is read back.
  const { useBackend } = await import(join(root, 'dist/src/backend.js'));
  const { buildTfjs } = await import(join(root, 'dist/src/tfjs/builder.js'));
  const tf = await import('@tensorflow/tfjs');
  const info = await useBackend('auto');
  let cold = 0;
  let warm = 0;
  for (const n of ZOO_NAMES) {
    const c = census(zooModel(n));
    const built = buildTfjs(c.graph, c.infos, { outputs: 'final', backendConstants: values.bare === 'backend' });
    const x = tf.randomUniform(c.input);
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const y = built.model.predict(x);
      await y.data();
      if (i === 0) cold += performance.now() - t0;
      else warm += performance.now() - t0;
      y.dispose();
    }
    x.dispose();
    built.model.dispose();
  }
  process.stdout.write(JSON.stringify({ backend: info.backend, device: info.device, cold, warm }) + '\n');
  process.exit(0);
}

// Census: every zoo model, best of 5 passes (the first pays for JIT warm-up).
let censusMs = Infinity;
for (let rep = 0; rep < 5; rep++) {
  const t0 = performance.now();
  for (const n of ZOO_NAMES) census(zooModel(n));
  censusMs = Math.min(censusMs, performance.now() - t0);
}

function bare(weights) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--bare', weights], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  if (r.status !== 0) throw new Error(`bare passes failed: ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function verify(dir = root) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(dir, 'bin/netcensus.js'), 'verify', '--all', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 512 * 2 ** 20,
  });
  const ms = performance.now() - t0;
  return { ms, ok: r.status === 0 && JSON.parse(r.stdout).every((e) => e.ok) };
}

const rounds = [];
for (let i = 0; i < Number(values.rounds); i++) {
  // Rotate which goes first, so that none always follows the same other one.
  const jobs = [
    ['tfjs', () => bare('tfjs')],
    ['backend', () => bare('backend')],
    ['verify', () => verify()],
    ...(values.compare ? [['compare', () => verify(values.compare)]] : []),
  ];
  const out = {};
  for (let k = 0; k < jobs.length; k++) {
    const [name, job] = jobs[(k + i) % jobs.length];
    out[name] = job();
  }
  const v = out.verify;
  rounds.push({
    verifyMs: v.ms,
    ok: v.ok,
    bareColdMs: out.tfjs.cold,
    bareWarmMs: out.tfjs.warm,
    nativeColdMs: out.backend.cold,
    nativeWarmMs: out.backend.warm,
    device: out.tfjs.device,
    ...(out.compare ? { compareMs: out.compare.ms } : {}),
  });
  process.stderr.write(
    `round ${i + 1}: verify --all ${(v.ms / 1000).toFixed(2)} s; bare cold passes ${(out.tfjs.cold / 1000).toFixed(2)} s ` +
      `(ratio ${(v.ms / out.tfjs.cold).toFixed(2)}), with weights already in TensorFlow ${(out.backend.cold / 1000).toFixed(2)} s ` +
      `(ratio ${(v.ms / out.backend.cold).toFixed(2)})\n`,
  );
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratios = rounds.map((r) => r.verifyMs / r.bareColdMs);
const result = {
  date: new Date().toISOString(),
  device: rounds[0]?.device,
  loadAverage: os.loadavg()[0],
  models: ZOO_NAMES.length,
  censusOfZooMs: Number(censusMs.toFixed(2)),
  censusTargetMs: 50,
  censusMet: censusMs < 50,
  rounds: rounds.map((r) => ({
    verifyAllWallMs: Math.round(r.verifyMs),
    sumOfBareColdForwardMs: Math.round(r.bareColdMs),
    sumOfBareWarmForwardMs: Math.round(r.bareWarmMs),
    sumOfColdForwardWeightsInTensorflowMs: Math.round(r.nativeColdMs),
    ratio: Number((r.verifyMs / r.bareColdMs).toFixed(2)),
    ratioWeightsInTensorflow: Number((r.verifyMs / r.nativeColdMs).toFixed(2)),
    ...(r.compareMs
      ? {
          compareVerifyAllWallMs: Math.round(r.compareMs),
          compareRatio: Number((r.compareMs / r.bareColdMs).toFixed(2)),
        }
      : {}),
  })),
  ratio: Number(median(ratios).toFixed(2)),
  ratioRange: [Number(Math.min(...ratios).toFixed(2)), Number(Math.max(...ratios).toFixed(2))],
  ratioWeightsInTensorflow: Number(median(rounds.map((r) => r.verifyMs / r.nativeColdMs)).toFixed(2)),
  ratioToWarm: Number(median(rounds.map((r) => r.verifyMs / r.bareWarmMs)).toFixed(2)),
  ...(values.compare
    ? {
        compare: values.compare,
        compareRatio: Number(median(rounds.map((r) => r.compareMs / r.bareColdMs)).toFixed(2)),
        speedupOverCompare: Number(median(rounds.map((r) => r.compareMs / r.verifyMs)).toFixed(2)),
      }
    : {}),
  ratioTarget: TARGET,
  ratioMet: median(ratios) <= TARGET,
  verifyOk: rounds.every((r) => r.ok),
  note: "verify --all wall time includes process start, loading TensorFlow, building every model and running it once with every layer output kept; the bare passes are timed inside their process; ratio: against bare models with tfjs-layers' own zero weights (copied into TensorFlow at the first pass); ratioWeightsInTensorflow: against bare models whose zero weights TensorFlow wrote before the pass",
};
process.stdout.write(JSON.stringify(result, null, 2) + '\n');
