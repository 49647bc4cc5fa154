/** Kinds of the core family added through ARCHITECTURE.md's recipe: UpSampling2D. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { GraphBuilder, conv, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { verifyGraph } from '../../src/verify.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const up = (size: [number, number], interpolation: 'nearest' | 'bilinear' = 'nearest'): LayerConfig => ({
  kind: 'upSampling2d',
  size,
  interpolation,
});

function chain(shape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(shape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}

/** A Keras 3 Sequential config of one UpSampling2D, in the form model.to_json() writes. */
const kerasModel = (config: Record<string, unknown>) => ({
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'up',
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 7, 5, 3], name: 'in' } },
      {
        module: 'keras.layers',
        class_name: 'UpSampling2D',
        config: { name: 'up', trainable: true, dtype: 'float32', data_format: 'channels_last', ...config },
      },
    ],
  },
});

describe('upSampling2d', () => {
  it('multiplies height and width by the size, keeps channels, has no weights and no weight MACs', () => {
    const c = census(chain([7, 5, 3], up([2, 3])));
    expect(c.layers[1]!.outputShape).toEqual([1, 14, 15, 3]);
    expect(c.layers[1]!.params).toBe(0);
    expect(c.layers[1]!.macs).toBe(0);
    expect(c.layers[1]!.detail).toBe('x2x3');
    expect(census(chain([4, 4, 1], up([2, 2], 'bilinear'))).layers[1]!.detail).toBe('x2 bilinear');
  });

  it('refuses a non-positive size, naming the layer', () => {
    expect(() => census(chain([4, 4, 1], up([0, 2])))).toThrow(
      /layer "l0" \(upSampling2d\): size must be a positive integer/,
    );
  });

  it("reads Keras' UpSampling2D (size, interpolation) and refuses interpolations TensorFlow.js cannot run", () => {
    const g = importKerasJson(kerasModel({ size: [2, 3], interpolation: 'bilinear' })).graph;
    expect(g.nodes[1]!.config).toEqual(up([2, 3], 'bilinear'));
    expect(importKerasJson(kerasModel({})).graph.nodes[1]!.config).toEqual(up([2, 2]));
    expect(() => importKerasJson(kerasModel({ size: 2, interpolation: 'bicubic' }))).toThrow(
      /layer "up" \(UpSampling2D\): interpolation "bicubic" is not supported/,
    );
  });

  it('verifies by execution, nearest and bilinear, between convolutions', async () => {
    for (const interpolation of ['nearest', 'bilinear'] as const) {
      const r = await verifyGraph(chain([6, 5, 3], conv(4, 3), up([2, 3], interpolation), conv(2, 3, { pad: 1 })));
      expect(r.mismatches).toEqual([]);
      expect(r.layers.map((l) => l.executedShape)).toEqual([
        [1, 4, 3, 4],
        [1, 8, 9, 4],
        [1, 8, 9, 2],
      ]);
    }
  });

  it('nearest repeats each pixel size times along each axis', async () => {
    const layer = tf.layers.upSampling2d({ size: [2, 3] });
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = layer.apply(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 4, 6, 1]);
    expect(((await y.array()) as number[][][][])[0]!.map((row) => row.map((p) => p[0]))).toEqual([
      [1, 1, 1, 2, 2, 2],
      [1, 1, 1, 2, 2, 2],
      [3, 3, 3, 4, 4, 4],
      [3, 3, 3, 4, 4, 4],
    ]);
    tf.dispose([x, y]);
  });
});
