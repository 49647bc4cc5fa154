#!/usr/bin/env node
/**
 * Where a forward pass goes on each execution path (eager, fused, graph; src/fused.ts), on native TensorFlow:
 *  - per path, the median wall time of PASSES passes;
 *  - for eager and fused, tf.profile's kernels: how many TensorFlow ops a pass dispatches, the sum of their
 *    own times, the rest of the wall time (dispatch through tfjs and the TFE eager API), and the time per
 *    kernel kind (so BatchNorm and separate bias/activation ops show);
 *  - with --onednn, each path once more in a child process with ONEDNN_VERBOSE=1: oneDNN's primitives per
 *    pass (convolutions, reorders between NHWC and its blocked layouts, ...) with their count and time.
 * Usage: node bench/profile-paths.mjs [MODEL=resnet50] [BATCH=1] [PASSES=10] [--onednn]   (after npm run build)
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, nativeNetcensus, timedPass } from './timing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { onednn: { type: 'boolean' }, 'verbose-child': { type: 'string' } },
});
const [name = 'resnet50', batchArg = '1', passesArg = '10'] = positionals;
const batch = Number(batchArg);
const passes = Number(passesArg);
const child = values['verbose-child'];

const { tf, census, zooModel, buildTfjs } = await nativeNetcensus();
const { inferenceForm } = await import(join(root, 'dist/src/fused.js'));

const c = census(zooModel(name), { batch });
const model = buildTfjs(c.graph, c.infos, { init: 'random', outputs: 'final' }).model;
const x = tf.randomUniform(c.input);
const once = (form) => timedPass(form, x);

if (child) {
  // Two passes; the parent reads oneDNN's lines after the mark (the first pass sets kernels up).
  const form = inferenceForm(model, child);
  await once(form);
  process.stdout.write('PROFILE_MARK\n');
  await once(form);
  process.stdout.write('PROFILE_END\n');
  form.dispose();
  process.exit(0);
}

const out = [`${name}, batch ${batch}, ${passes} passes per path, ${cpus().length} threads`, ''];
// What one eager op costs beyond its arithmetic: tfjs -> tfjs-node -> TFE_Execute on a 16-element tensor.
const tiny = tf.ones([16]);
for (let i = 0; i < 200; i++) tf.relu(tiny).dispose();
const t0 = performance.now();
for (let i = 0; i < 2000; i++) tf.relu(tiny).dispose();
const dispatchUs = ((performance.now() - t0) / 2000) * 1000;
tiny.dispose();
out.push(`one eager op on a 16-element tensor (tf.relu, dispatch only): ${dispatchUs.toFixed(1)} us`, '');
out.push('| path | median wall | kernels per pass (tf.profile) | their dispatch at that cost |');
out.push('| --- | ---: | ---: | ---: |');
const kinds = {};
for (const path of ['eager', 'fused', 'graph']) {
  const form = inferenceForm(model, path);
  for (let i = 0; i < 2; i++) await once(form);
  const walls = [];
  for (let i = 0; i < passes; i++) walls.push(await once(form));
  const wall = median(walls);
  if (path === 'graph') {
    out.push(`| graph | ${wall.toFixed(1)} ms | one session run (${form.facts.graphOps} nodes before Grappler) | -- |`);
  } else {
    const runs = [];
    for (let i = 0; i < Math.min(passes, 5); i++) {
      const p = await tf.profile(async () => {
        const y = form.predict(x);
        await y.data();
        y.dispose();
      });
      // TensorFlow's own ops only: tfjs' wrappers (fusedConv2d__op) contain them.
      const ops = [];
      for (const k of p.kernels) if (!k.name.includes('__op')) ops.push({ name: k.name, ms: await k.kernelTimeMs });
      runs.push(ops);
    }
    out.push(
      `| ${path} | ${wall.toFixed(1)} ms | ${runs[0].length} | ${((runs[0].length * dispatchUs) / 1000).toFixed(1)} ms |`,
    );
    kinds[path] = {};
    for (const k of new Set(runs[0].map((o) => o.name)))
      kinds[path][k] = {
        n: runs[0].filter((o) => o.name === k).length,
        ms: median(runs.map((ops) => ops.filter((o) => o.name === k).reduce((s, o) => s + o.ms, 0))),
      };
  }
  form.dispose();
}
const all = [...new Set([...Object.keys(kinds.eager), ...Object.keys(kinds.fused)])].sort(
  (a, b) => (kinds.eager[b]?.ms ?? 0) - (kinds.eager[a]?.ms ?? 0),
);
// Composite kernels (FusedConv2D, _FusedMatMul) run the Add, Relu and BatchMatMul kernels listed beside
// them as eager ops of their own: their times include those.
out.push('', '| kernel | eager ops | eager ms | fused ops | fused ms |', '| --- | ---: | ---: | ---: | ---: |');
for (const k of all)
  out.push(
    `| ${k} | ${kinds.eager[k]?.n ?? 0} | ${(kinds.eager[k]?.ms ?? 0).toFixed(1)} | ${kinds.fused[k]?.n ?? 0} | ${(kinds.fused[k]?.ms ?? 0).toFixed(1)} |`,
  );

if (values.onednn) {
  out.push('', '| path | oneDNN primitive | executions per pass | ms (oneDNN) |', '| --- | --- | ---: | ---: |');
  for (const path of ['eager', 'fused', 'graph']) {
    const r = spawnSync(
      process.execPath,
      [fileURLToPath(import.meta.url), name, batchArg, '1', '--verbose-child', path],
      {
        env: { ...process.env, ONEDNN_VERBOSE: '1' },
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      },
    );
    const text = r.stdout.split('PROFILE_MARK\n')[1]?.split('PROFILE_END')[0] ?? '';
    const by = new Map();
    for (const line of text.split('\n')) {
      const f = line.split(',');
      const at = f.indexOf('exec');
      if (!line.startsWith('onednn_verbose') || at < 0) continue;
      const key = f[at + 2];
      const e = by.get(key) ?? { n: 0, ms: 0 };
      e.n += 1;
      e.ms += Number(f.at(-1)) || 0;
      by.set(key, e);
    }
    for (const [k, e] of [...by].sort((a, b) => b[1].ms - a[1].ms))
      out.push(`| ${path} | ${k} | ${e.n} | ${e.ms.toFixed(1)} |`);
  }
}
process.stdout.write(out.join('\n') + '\n');
