/**
 * Child process of `netcensus bench`: runs a model on native TensorFlow with ONEDNN_VERBOSE=1 set by the
 * parent, so that oneDNN prints, on this process' stdout, which implementation and algorithm it ran for
 * every primitive. Two passes per batch, each announced by a mark line; the parent reads the second.
 * Usage (internal): node dist/src/bench-probe.js SPEC.json, SPEC = { graph, input?, batches }.
 */
import { readFileSync } from 'node:fs';
import type { Tensor } from '@tensorflow/tfjs';
import type { Graph } from './graph.js';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  graph: Graph;
  input?: number[];
  batches: number[];
};
const { useBackend } = await import('./backend.js');
await useBackend('tensorflow');
const tf = await import('@tensorflow/tfjs');
const { census } = await import('./census.js');
const { buildTfjs, disposeBuilt } = await import('./tfjs/builder.js');
for (const batch of spec.batches) {
  const c = census(spec.graph, { batch, ...(spec.input ? { input: spec.input } : {}) });
  const built = buildTfjs(c.graph, c.infos, { init: 'random', outputs: 'final' });
  const xs = c.inputs.map((shape) => tf.randomUniform(shape));
  for (const pass of [1, 2]) {
    // Pipes are written synchronously on Linux, and oneDNN flushes each line: the order is kept.
    process.stdout.write(`NETCENSUS_PROBE ${JSON.stringify({ batch, pass })}\n`);
    const y = built.model.predict(xs.length === 1 ? xs[0]! : xs) as Tensor;
    await y.data();
    y.dispose();
  }
  process.stdout.write(`NETCENSUS_PROBE ${JSON.stringify({ batch, pass: 3 })}\n`);
  tf.dispose(xs);
  disposeBuilt(built);
}
