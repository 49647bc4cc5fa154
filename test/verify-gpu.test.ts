/**
 * The checks that make a GPU verification one, exercised without a GPU: the comparison with a CPU backend
 * finds a layer whose output came back as zeros, and the census finds a tensor past an adapter's binding.
 */
import type * as TF from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census } from '../src/census.js';
import { zooModel } from '../src/resolve.js';
import { buildTfjs, disposeBuilt } from '../src/tfjs/builder.js';
import { tf } from '../src/tfjs/tf.js';
import { GPU_RTOL, referenceWitness } from '../src/verify-gpu.js';
import { overLimit, type AdapterInfo } from '../src/webgpu.js';

const adapter = (maxStorageBufferBindingSize: number): AdapterInfo => ({
  vendor: 'test',
  architecture: 'test',
  device: 'test',
  description: '',
  software: true,
  driver: 'system',
  maxStorageBufferBindingSize,
  maxBufferSize: 2 ** 32,
});

describe('the comparison with a CPU backend', () => {
  it('agrees with itself, and names the first layer whose output came back as zeros', async () => {
    await useBackend('cpu');
    const c = census(zooModel('resnet18'), { input: [32, 32, 3] });
    const before = tf.memory().numTensors;
    const built = buildTfjs(c.graph, c.infos, { init: 'random' });
    const xs = c.inputs.map((s) => tf.randomUniform(s));
    const out = built.model.predict(xs[0]!) as TF.Tensor[];
    try {
      const same = await referenceWitness(c, built, xs, out);
      expect(same.ok, same.note).toBe(true);
      expect(same.relative as number).toBeLessThanOrEqual(GPU_RTOL);
      // What a GPU does with a binding it refused: that layer's output is zeros, and every later one differs.
      const k = built.nodes.findIndex((n) => n.name === 'layer2.0.conv1');
      const broken = out.map((t, i) => (i === k ? tf.zerosLike(t) : t));
      const bad = await referenceWitness(c, built, xs, broken);
      expect(bad.ok).toBe(false);
      expect(bad.note).toMatch(/^layer "layer2\.0\.conv1" is the first to differ/);
      tf.dispose(broken[k]!);
    } finally {
      tf.dispose([...out, ...xs]);
      disposeBuilt(built);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("a tensor past an adapter's largest storage binding", () => {
  it("is found from the census: AlexNet's fc6 kernel at 128 MiB, nothing at 256 MiB", () => {
    const c = census(zooModel('alexnet'));
    expect(overLimit(c, adapter(2 ** 27))).toMatchObject({ layer: 'fc6', tensor: 'kernel', shape: [9216, 4096] });
    expect(overLimit(c, adapter(2 ** 28))).toBeUndefined();
  });
  it('a layer output counts too, at the census batch', () => {
    const c = census(zooModel('vgg16'), { batch: 64 });
    // conv1_1's output at batch 64: 64 x 224 x 224 x 64 float32, 822 MB.
    expect(overLimit(c, adapter(2 ** 29))).toMatchObject({ tensor: 'output', shape: [64, 224, 224, 64] });
  });
});
