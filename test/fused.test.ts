/**
 * The benchmark's fast inference forms (src/fused.ts) compute the network as built: on the same input their
 * outputs equal model.predict's within FAST_PATH_RTOL, they leave no tensor behind, and a model the graph
 * form cannot write is refused in one line naming the layer. Small inputs keep the zoo models quick.
 */
import * as tf from '@tensorflow/tfjs';
import { readdirSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census } from '../src/census.js';
import {
  FAST_PATH_RTOL,
  inferenceForm,
  inferencePlan,
  NoGraphForm,
  outputDifference,
  type ExecutionPath,
} from '../src/fused.js';
import { GraphBuilder, batchNorm, dense, input, relu, type Graph } from '../src/graph.js';
import { resolveModel } from '../src/resolve.js';
import { buildTfjs, disposeBuilt, type BuiltModel } from '../src/tfjs/builder.js';

const fixture = (name: string): string => join(__dirname, 'fixtures', 'keras', name);
let native = false;

beforeAll(async () => {
  native = (await useBackend('auto')).backend === 'tensorflow';
});

/**
 * Builds the model with random weights, and BatchNorm statistics away from their initial 0 and 1, so that
 * folding them changes the kernels (with mean 0, variance 1, gamma 1 and beta 0 it would hardly show).
 */
function built(g: Graph, opts: { batch: number; input?: number[] }): { b: BuiltModel; x: tf.Tensor } {
  const c = census(g, { batch: opts.batch, ...(opts.input ? { input: opts.input } : {}) });
  const b = buildTfjs(c.graph, c.infos, { init: 'random', outputs: 'final' });
  for (const layer of b.model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const values = layer.weights.map((w) =>
      /(moving_variance|gamma)$/.test(w.originalName)
        ? tf.randomUniform(w.shape as number[], 0.5, 1.5)
        : tf.randomUniform(w.shape as number[], -0.2, 0.2),
    );
    layer.setWeights(values);
    tf.dispose(values);
  }
  return { b, x: tf.randomUniform(c.inputs[0]!) };
}

async function agrees(
  g: Graph,
  path: ExecutionPath,
  opts: { batch: number; input?: number[] },
): Promise<{ relative: number; folded: number }> {
  const before = tf.memory().numTensors;
  const { b, x } = built(g, opts);
  const form = inferenceForm(b.model, path);
  try {
    const d = await outputDifference(b.model, form, x);
    // A meaningful comparison: the output is not one repeated value.
    const range = tf.tidy(() => {
      const y = b.model.predict(x) as tf.Tensor;
      return tf.sub(y.max(), y.min());
    });
    const spread = (await range.data())[0]!;
    range.dispose();
    expect(spread).toBeGreaterThan(1e-3 * d.maxAbsOutput);
    expect(d.tolerance).toBe(FAST_PATH_RTOL);
    expect(d.ok, `${g.name} ${path}: relative difference ${d.relative}`).toBe(true);
    return { relative: d.relative, folded: form.facts?.foldedNorms ?? 0 };
  } finally {
    form.dispose();
    tf.dispose(x);
    disposeBuilt(b);
    // Every tensor the form made (folded kernels, outputs, the graph's results) is gone again.
    expect(tf.memory().numTensors).toBe(before);
  }
}

const denseBn = ((): Graph => {
  const g = new GraphBuilder({ name: 'dense-bn', description: 'dense, BN, relu', source: 'test', framework: 'keras' });
  g.add('in', input([24]));
  g.add('fc1', dense(32, { bias: false }));
  g.add('bn1', batchNorm(1e-3));
  g.add('r1', relu);
  g.add('fc2', dense(16));
  g.add('bn2', batchNorm());
  g.add('out', dense(10, { activation: 'softmax' }));
  return g.build();
})();

const gelu = ((): Graph => {
  const g = new GraphBuilder({ name: 'gelu-mlp', description: 'dense, gelu', source: 'test', framework: 'keras' });
  g.add('in', input([8]));
  g.add('fc1', dense(16));
  g.add('act', { kind: 'activation', fn: 'gelu' });
  g.add('fc2', dense(4));
  return g.build();
})();

describe('fast inference forms agree with the model as built', () => {
  const paths = (): ExecutionPath[] => (native ? ['fused', 'graph'] : ['fused']);

  it('resnet18 at 64x64, batch 2: BatchNorm folded into every convolution', async () => {
    const g = await resolveModel('resnet18');
    for (const path of paths()) {
      const r = await agrees(g, path, { batch: 2, input: [64, 64] });
      // 17 convolutions and 3 projection shortcuts, each with its BatchNorm.
      expect(r.folded).toBe(20);
    }
  });

  it('alexnet at 128x128: grouped convolutions, LRN, explicit pooling', async () => {
    const g = await resolveModel('alexnet');
    for (const path of paths()) await agrees(g, path, { batch: 1, input: [128, 128] });
  });

  it("Keras' MobileNet at 64x64: depthwise convolutions with their BatchNorm and ReLU6", async () => {
    const g = await resolveModel(fixture('mobilenet.json.gz'));
    for (const path of paths()) {
      const r = await agrees(g, path, { batch: 2, input: [64, 64] });
      expect(r.folded).toBe(27);
    }
  });

  it('BatchNorm after dense layers, softmax after the last', async () => {
    for (const path of paths()) {
      const r = await agrees(denseBn, path, { batch: 4 });
      expect(r.folded).toBe(2);
    }
  });

  it('the plan says what it folded, fused and left to the layers', () => {
    const { b, x } = built(denseBn, { batch: 1 });
    const plan = inferencePlan(b.model);
    expect(plan.foldedNorms).toBe(2);
    expect(plan.fusedActivations).toBe(1);
    expect(plan.ownCalls).toEqual({});
    expect(plan.steps.map((s) => (s.op === 'layer' ? s.layer.name : s.layers.join('+')))).toEqual([
      'fc1+bn1+r1',
      'fc2+bn2',
      'out',
    ]);
    plan.dispose();
    tf.dispose(x);
    disposeBuilt(b);
  });
});

describe('a layer the graph form cannot write', () => {
  it('is refused in one line that names it; the fused form still runs it', async () => {
    const { b, x } = built(gelu, { batch: 2 });
    const before = tf.memory().numTensors;
    try {
      if (native) {
        const e = (() => {
          try {
            inferenceForm(b.model, 'graph').dispose();
          } catch (err) {
            return err as Error;
          }
          throw new Error('no refusal');
        })();
        expect(e).toBeInstanceOf(NoGraphForm);
        expect(e.message).toBe('layer "act" (Activation: activation gelu) has no TensorFlow graph form here');
        expect(e.message).not.toContain('\n');
      } else {
        expect(() => inferenceForm(b.model, 'graph')).toThrow(/needs native TensorFlow/);
      }
      // Nothing was left behind by the refusal: no folded kernel, no temporary SavedModel.
      expect(tf.memory().numTensors).toBe(before);
      expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`netcensus-graph-${process.pid}-`))).toEqual([]);
    } finally {
      tf.dispose(x);
      disposeBuilt(b);
    }
    await agrees(gelu, 'fused', { batch: 2 });
  });

  it.runIf(process.env.NETCENSUS_SKIP_NATIVE !== '1')('the graph form leaves no temporary SavedModel', async () => {
    const { b, x } = built(denseBn, { batch: 1 });
    const form = inferenceForm(b.model, 'graph');
    expect(readdirSync(os.tmpdir()).filter((f) => f.startsWith(`netcensus-graph-${process.pid}-`))).toEqual([]);
    expect(form.facts?.graphOps).toBeGreaterThan(0);
    form.dispose();
    tf.dispose(x);
    disposeBuilt(b);
  });
});
