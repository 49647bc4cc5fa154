#!/usr/bin/env node
/**
 * Where netcensus' build of a model spends its time against the bare tfjs-layers model
 * (assets/peers/bare-tfjs.mjs), kernel by kernel: `tf.profile` of both, interleaved pass by pass, the
 * median per kernel over the passes, and for convolutions, pads and pools each op's own median with its
 * input shape, so that a difference can be traced to a layer.
 * Usage: node bench/builder-gap.mjs [MODEL=resnet50] [BATCH=1] [PASSES=12] [--ops]   (after npm ci)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, nativeNetcensus, timedPass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { ops: { type: 'boolean' } } });
const [name = 'resnet50', batchArg = '1', passesArg = '12'] = positionals;
const batch = Number(batchArg);
const passes = Number(passesArg);

const { tf, census, zooModel, buildTfjs } = await nativeNetcensus();
const { bareModel } = await import(join(root, 'assets/peers/bare-tfjs.mjs'));

const c = census(zooModel(name), { batch });
const models = {
  netcensus: buildTfjs(c.graph, c.infos, { init: 'random', outputs: 'final' }).model,
  bare: bareModel(tf, name, c.input.slice(1, 3)),
};
if (!models.bare) {
  process.stderr.write(`builder-gap: no bare definition of ${name}\n`);
  process.exit(2);
}
const x = tf.randomUniform(c.input);
const plain = (m) => timedPass(m, x);
async function profiled(m) {
  const p = await tf.profile(async () => {
    const y = m.predict(x);
    await y.data();
    y.dispose();
  });
  // TensorFlow's own ops only: tfjs' wrappers (fusedConv2d__op) contain them.
  const ops = [];
  for (const k of p.kernels) {
    if (k.name.includes('__op')) continue;
    ops.push({ name: k.name, ms: await k.kernelTimeMs, input: JSON.stringify(k.inputShapes[0]) });
  }
  return ops;
}

for (let i = 0; i < 3; i++) for (const m of Object.values(models)) await plain(m);
const wall = { netcensus: [], bare: [] };
const prof = { netcensus: [], bare: [] };
for (let i = 0; i < passes; i++) {
  const order = i % 2 ? ['bare', 'netcensus'] : ['netcensus', 'bare'];
  for (const k of order) wall[k].push(await plain(models[k]));
  for (const k of order) prof[k].push(await profiled(models[k]));
}
const ratios = wall.netcensus.map((a, i) => a / wall.bare[i]);
const out = [
  `${name} batch ${batch}, ${passes} interleaved passes each: netcensus ${median(wall.netcensus).toFixed(1)} ms, ` +
    `bare ${median(wall.bare).toFixed(1)} ms, ratio ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)})`,
];
const perKind = (runs, kind) =>
  median(runs.map((ops) => ops.filter((o) => o.name === kind).reduce((s, o) => s + o.ms, 0)));
const kinds = [...new Set([...prof.netcensus, ...prof.bare].flat().map((o) => o.name))];
const total = (runs) => median(runs.map((ops) => ops.reduce((s, o) => s + o.ms, 0)));
out.push(
  `kernel time, median per pass: netcensus ${total(prof.netcensus).toFixed(1)} ms, bare ${total(prof.bare).toFixed(1)} ms`,
);
const rows = kinds
  .map((k) => ({
    k,
    n: prof.netcensus[0].filter((o) => o.name === k).length,
    b: prof.bare[0].filter((o) => o.name === k).length,
    a: perKind(prof.netcensus, k),
    z: perKind(prof.bare, k),
  }))
  .sort((p, q) => Math.abs(q.a - q.z) - Math.abs(p.a - p.z));
out.push('| kernel | netcensus ops | ms | bare ops | ms | difference |', '| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  out.push(`| ${r.k} | ${r.n} | ${r.a.toFixed(2)} | ${r.b} | ${r.z.toFixed(2)} | ${(r.a - r.z).toFixed(2)} |`);
if (values.ops) {
  for (const kind of ['FusedConv2D', 'Conv2D', 'PadV2', 'Pad', 'MaxPool', 'AvgPool']) {
    const a = prof.netcensus.map((ops) => ops.filter((o) => o.name === kind));
    const b = prof.bare.map((ops) => ops.filter((o) => o.name === kind));
    const n = Math.max(a[0].length, b[0].length);
    for (let i = 0; i < n; i++) {
      const am = a[0][i] ? median(a.map((s) => s[i].ms)).toFixed(2) : '-';
      const bm = b[0][i] ? median(b.map((s) => s[i].ms)).toFixed(2) : '-';
      out.push(`${kind} #${i}: ${am} ms ${a[0][i]?.input ?? ''} | ${bm} ms ${b[0][i]?.input ?? ''}`);
    }
  }
}
process.stdout.write(out.join('\n') + '\n');
tf.dispose(x);
for (const m of Object.values(models)) m.dispose();
