/**
 * The activation family: every activation name Keras 3 writes, standalone (Activation, ReLU, LeakyReLU,
 * ELU, Softmax, ThresholdedReLU) and fused into weighted layers, and PReLU; against Keras' formulas, Keras'
 * own figures, and by execution.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { GraphBuilder, conv, dense, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { loadModelFile } from '../../src/importers/files.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { ACTIVATIONS, activationOp, readActivation, type ActivationFn } from '../../src/kinds/activation.js';
import { buildTfjs } from '../../src/tfjs/builder.js';
import { verifyGraph } from '../../src/verify.js';
import { FIXTURES, figures, fixtureTotals, nestedLayers, perLayerFigures, sameShape } from './keras-elem-figures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CLASSES = new Set(['Activation', 'ReLU', 'LeakyReLU', 'PReLU', 'ELU', 'Softmax', 'ThresholdedReLU']);

function chain(shape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(shape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}

const act = (
  fn: ActivationFn,
  o: Omit<Extract<LayerConfig, { kind: 'activation' }>, 'kind' | 'fn'> = {},
): LayerConfig => ({
  kind: 'activation',
  fn,
  ...o,
});

/** A Keras 3 Sequential of one layer on an input of this shape, as model.to_json() writes it. */
const kerasModel = (shape: number[], cls: string, config: Record<string, unknown>) => ({
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'm',
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, ...shape], name: 'in' } },
      { module: 'keras.layers', class_name: cls, config: { name: 'a', trainable: true, dtype: 'float32', ...config } },
    ],
  },
});
const read = (shape: number[], cls: string, config: Record<string, unknown>): LayerConfig =>
  importKerasJson(kerasModel(shape, cls, config)).graph.nodes[1]!.config;

/** Keras 3's activation names (keras.activations.ALL_OBJECTS_DICT), less `threshold`, which needs arguments. */
const KERAS_NAMES = [
  'relu', 'leaky_relu', 'relu6', 'softmax', 'celu', 'elu', 'selu', 'softplus', 'softsign', 'squareplus',
  'soft_shrink', 'sparse_plus', 'silu', 'gelu', 'glu', 'tanh', 'tanh_shrink', 'sigmoid', 'sparse_sigmoid',
  'exponential', 'hard_sigmoid', 'hard_silu', 'hard_tanh', 'hard_shrink', 'linear', 'mish', 'log_softmax',
  'log_sigmoid', 'sparsemax', 'swish', 'hard_swish',
]; // prettier-ignore

describe('activation names', () => {
  it('reads every name Keras 3 writes, with its aliases (silu, hard_swish), and refuses the others', () => {
    for (const name of KERAS_NAMES) expect(readActivation(name).unknown, name).toBeUndefined();
    expect(readActivation('silu').fn).toBe('swish');
    expect(readActivation('swish').fn).toBe('swish');
    expect(readActivation('hard_swish').fn).toBe('hard_silu');
    expect(readActivation('linear')).toEqual({});
    expect(readActivation({ module: 'keras.activations', class_name: 'function', config: 'mish' }).fn).toBe('mish');
    expect(readActivation({ class_name: 'x', config: { name: 'mish' } }).fn).toBe('mish');
    expect(readActivation('threshold').unknown).toBe('threshold');
    expect(() => read([4], 'Activation', { activation: 'threshold' })).toThrow(
      /layer "a" \(Activation\): activation "threshold" is not a supported activation/,
    );
  });

  it("computes Keras 3's functions (keras/src/backend/numpy/nn.py) on a few points", async () => {
    const x = tf.tensor1d([-4, -1, -0.25, 0, 0.25, 1, 4]);
    const at = async (fn: ActivationFn, o = {}) => Array.from(await activationOp(tf, fn, o)(x).data());
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    // hard_silu(x) = x * relu6(x + 3) / 6
    close(await at('hard_silu'), [-0, -1 / 3, -0.25 * (2.75 / 6), 0, 0.25 * (3.25 / 6), 4 / 6, 4]);
    close(await at('hard_tanh'), [-1, -1, -0.25, 0, 0.25, 1, 1]);
    close(await at('hard_shrink'), [-4, -1, 0, 0, 0, 1, 4]);
    close(await at('soft_shrink'), [-3.5, -0.5, 0, 0, 0, 0.5, 3.5]);
    close(await at('sparse_sigmoid'), [0, 0, 0.375, 0.5, 0.625, 1, 1]);
    // sparse_plus: 0 below -1, (x + 1)^2 / 4 in between, x above 1
    close(await at('sparse_plus'), [0, 0, 0.140625, 0.25, 0.390625, 1, 4]);
    close(await at('squareplus'), [(-4 + Math.sqrt(20)) / 2, (-1 + Math.sqrt(5)) / 2, (-0.25 + Math.sqrt(4.0625)) / 2, 1, (0.25 + Math.sqrt(4.0625)) / 2, (1 + Math.sqrt(5)) / 2, (4 + Math.sqrt(20)) / 2]); // prettier-ignore
    close(await at('tanh_shrink'), [-4 - Math.tanh(-4), -1 - Math.tanh(-1), -0.25 - Math.tanh(-0.25), 0, 0.25 - Math.tanh(0.25), 1 - Math.tanh(1), 4 - Math.tanh(4)]); // prettier-ignore
    close(await at('celu', { alpha: 2 }), [
      2 * Math.expm1(-2),
      2 * Math.expm1(-0.5),
      2 * Math.expm1(-0.125),
      0,
      0.25,
      1,
      4,
    ]);
    close(await at('leaky_relu'), [-0.8, -0.2, -0.05, 0, 0.25, 1, 4]);
    close(await at('exponential'), [-4, -1, -0.25, 0, 0.25, 1, 4].map(Math.exp));
    close(
      await at('log_sigmoid'),
      [-4, -1, -0.25, 0, 0.25, 1, 4].map((v) => -Math.log1p(Math.exp(-v))),
    );
    // Keras' ReLU: x above the threshold, clipped at max_value, negative_slope * (x - threshold) below it.
    close(
      await at('relu', { threshold: 0.5, maxValue: 2, negativeSlope: 0.1 }),
      [-0.45, -0.15, -0.075, -0.05, -0.025, 1, 2],
    );
    // sparsemax of [0, 1, 4] along the last axis: all the mass on 4.
    close(Array.from(await activationOp(tf, 'sparsemax')(tf.tensor1d([0, 1, 4])).data()), [0, 0, 1]);
    // Keras' own sparsemax sums every cumulative sum in the support for tau (keras/src/backend/torch/nn.py), so
    // it need not sum to 1: Keras 3.15.1 on torch gives [0, 0.2, 0] for [0, 0.5, 0.2], and so does this.
    close(Array.from(await activationOp(tf, 'sparsemax')(tf.tensor1d([0, 0.5, 0.2])).data()), [0, 0.2, 0]);
    // glu: first half times sigmoid of the second half.
    close(Array.from(await activationOp(tf, 'glu')(tf.tensor1d([2, 3, 0, 100])).data()), [1, 3]);
    tf.dispose(x);
  });
});

describe('activation: shape rule, weights, MACs', () => {
  it('keeps the shape, has no weights and no weight MACs, for every function but glu', () => {
    for (const fn of ACTIVATIONS.filter((f) => f !== 'glu')) {
      const l = census(chain([3, 5, 4], act(fn))).layers[1]!;
      expect([l.outputShape, l.params, l.macs], fn).toEqual([[1, 3, 5, 4], 0, 0]);
    }
  });

  it('glu halves the last axis (or the one given) when run, and refuses an odd one', () => {
    expect(census(chain([3, 6], act('glu'))).layers[1]!.outputShape).toEqual([1, 3, 3]);
    expect(census(chain([4, 6], act('glu', { axis: [0] }))).layers[1]!.outputShape).toEqual([1, 2, 6]);
    expect(() => census(chain([3, 5], act('glu')))).toThrow(
      /layer "l0" \(activation\): glu halves axis 1, which has 5 elements \(odd\)/,
    );
  });

  it('refuses softmax axes outside the input, and sparsemax off the last axis', () => {
    expect(() => census(chain([3, 5], act('softmax', { axis: [2] })))).toThrow(
      /layer "l0" \(activation\): axis 2 is out of range for a rank-2 input/,
    );
    expect(() => census(chain([3, 5], act('sparsemax', { axis: [0] })))).toThrow(
      /sparsemax runs on the last axis only/,
    );
  });

  it('a fused glu halves the output of a Dense or a convolution', () => {
    const c = census(chain([6, 6, 3], conv(8, 3, { activation: 'glu' }), dense(6, { activation: 'glu' })));
    expect(c.layers.map((l) => l.outputShape)).toEqual([
      [1, 6, 6, 3],
      [1, 4, 4, 4],
      [1, 4, 4, 3],
    ]);
    // The weights and MACs are the layers' own: 3x3x3x8 + 8, and 8 -> 6 dense... on 4 channels after glu.
    expect(c.layers[1]!.params).toBe(3 * 3 * 3 * 8 + 8);
    expect(c.layers[1]!.macs).toBe(4 * 4 * 8 * 3 * 3 * 3);
    expect(c.layers[2]!.params).toBe(4 * 6 + 6);
    expect(() => census(chain([4], dense(5, { activation: 'glu' })))).toThrow(
      /glu halves the last axis, which has 5 elements/,
    );
  });
});

describe('Keras activation layers, read', () => {
  it('ReLU: plain, relu6, any max_value, negative_slope and threshold', () => {
    expect(read([4], 'ReLU', { max_value: null, negative_slope: 0, threshold: 0 })).toEqual(act('relu'));
    expect(read([4], 'ReLU', { max_value: 6 })).toEqual(act('relu6'));
    expect(read([4], 'ReLU', { max_value: 4.0 })).toEqual(act('relu', { maxValue: 4 }));
    expect(read([4], 'ReLU', { max_value: 4.0, negative_slope: 0.1, threshold: 0.5 })).toEqual(
      act('relu', { maxValue: 4, negativeSlope: 0.1, threshold: 0.5 }),
    );
    expect(() => read([4], 'ReLU', { negative_slope: -1 })).toThrow(/layer "a" \(ReLU\): negative_slope must be >= 0/);
    expect(() => read([4], 'ReLU', { max_value: -1 })).toThrow(/layer "a" \(ReLU\): max_value must be >= 0/);
  });

  it("LeakyReLU (Keras 3's negative_slope, Keras 2's alpha, default 0.3), ELU's alpha, ThresholdedReLU's theta", () => {
    expect(read([4], 'LeakyReLU', { negative_slope: 0.2 })).toEqual(act('leaky_relu', { negativeSlope: 0.2 }));
    expect(read([4], 'LeakyReLU', { alpha: 0.1 })).toEqual(act('leaky_relu', { negativeSlope: 0.1 }));
    expect(read([4], 'LeakyReLU', {})).toEqual(act('leaky_relu', { negativeSlope: 0.3 }));
    expect(read([4], 'ELU', { alpha: 0.5 })).toEqual(act('elu', { alpha: 0.5 }));
    expect(read([4], 'ELU', {})).toEqual(act('elu'));
    expect(read([4], 'ThresholdedReLU', { theta: 0.7 })).toEqual(act('relu', { threshold: 0.7 }));
  });

  it('Softmax on any axis or axes, counted per example; never the batch', () => {
    expect(read([3, 4, 5], 'Softmax', { axis: -1 })).toEqual(act('softmax'));
    expect(read([3, 4, 5], 'Softmax', { axis: 1 })).toEqual(act('softmax', { axis: [0] }));
    expect(read([3, 4, 5], 'Softmax', { axis: [1, 2] })).toEqual(act('softmax', { axis: [0, 1] }));
    expect(() => read([3, 4], 'Softmax', { axis: 0 })).toThrow(/layer "a" \(Softmax\): axis 0 \(the batch axis\)/);
  });

  it('PReLU: alpha has the input shape, 1 along the shared axes; trainable, Keras counts it', () => {
    const full = census(importKerasJson(kerasModel([6, 5, 4], 'PReLU', { shared_axes: null })).graph).layers[1]!;
    expect([full.params, full.trainableParams, full.macs, full.type]).toEqual([6 * 5 * 4, 6 * 5 * 4, 0, 'PReLU']);
    const hw = census(importKerasJson(kerasModel([6, 5, 4], 'PReLU', { shared_axes: [1, 2] })).graph);
    expect(hw.infos[1]!.weights).toEqual([
      { name: 'alpha', shape: [1, 1, 4], role: 'weight', trainable: true, torchName: 'weight' },
    ]);
    const all = census(importKerasJson(kerasModel([6, 5, 4], 'PReLU', { shared_axes: [1, 2, 3] })).graph);
    expect(all.layers[1]!.params).toBe(1);
    expect(() => read([6, 5], 'PReLU', { shared_axes: [3] })).not.toThrow();
    expect(() => census(importKerasJson(kerasModel([6, 5], 'PReLU', { shared_axes: [3] })).graph)).toThrow(
      /layer "a" \(prelu\): axis 2 is out of range for a rank-2 input/,
    );
  });

  it('Keras 3 activation ops in a config (keras.ops.relu(x)) are activations', () => {
    const op = (cls: string, config: Record<string, unknown> = {}) =>
      importKerasJson({
        module: 'keras',
        class_name: 'Functional',
        config: {
          name: 'm',
          layers: [
            { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4], name: 'in' }, name: 'in', inbound_nodes: [] },
            { module: 'keras.src.ops.nn', class_name: cls, config: { name: 'o', ...config }, name: 'o', inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { shape: [null, 4], keras_history: ['in', 0, 0] } }], kwargs: {} }] },
          ],
          input_layers: [['in', 0, 0]],
          output_layers: [['o', 0, 0]],
        },
      }).graph.nodes[1]!.config; // prettier-ignore
    expect(op('Relu')).toEqual(act('relu'));
    expect(op('HardSilu')).toEqual(act('hard_silu'));
    expect(op('LeakyRelu', { negative_slope: 0.1 })).toEqual(act('leaky_relu', { negativeSlope: 0.1 }));
    expect(op('Softmax', { axis: 1 })).toEqual(act('softmax', { axis: [0] }));
  });
});

describe("Keras' own figures (Keras 3.15.1)", () => {
  perLayerFigures(CLASSES);
  fixtureTotals(CLASSES);

  it('breadth_activations: every layer, fused activations included, as executed (glu halves its axis)', async () => {
    const c = census((await loadModelFile(join(FIXTURES, 'breadth_activations.keras'))).graph);
    const keras = figures.breadth_activations!;
    for (const l of nestedLayers('breadth_activations')) {
      const mine = c.layers.find((x) => x.name === l.path)!;
      const top = keras.layers!.find((t) => t.name === l.path)!;
      const shape = (top.executed_output_shape ?? l.output_shape) as number[];
      expect([mine.params, mine.trainableParams], l.path).toEqual([l.count_params, l.trainable]);
      expect(sameShape(mine.outputShape.slice(1), shape), `${l.path}: ${mine.outputShape} vs ${shape}`).toBe(true);
    }
    expect(c.layers.find((l) => l.name === 'dense_glu')!.outputShape).toEqual([1, 2]);
    expect(c.layers.find((l) => l.name === 'act_glu')!.outputShape).toEqual([1, 6]);
  });
});

describe('verification by execution', () => {
  it('breadth_activations, in its three formats', async () => {
    for (const ext of ['json', 'keras', 'h5']) {
      const r = await verifyGraph((await loadModelFile(join(FIXTURES, `breadth_activations.${ext}`))).graph);
      expect(r.mismatches, ext).toEqual([]);
      expect(r.params.framework).toBe(figures.breadth_activations!.count_params);
    }
  });

  it('every function standalone, and fused into Dense, Conv2D (grouped too), DepthwiseConv2D and SeparableConv2D', async () => {
    const g = new GraphBuilder({ name: 'fused', description: 't', source: 'test', framework: 'keras' });
    g.add('in', input([6, 6, 4]));
    for (const fn of ACTIVATIONS) {
      g.add(`act_${fn}`, act(fn), { from: 'in' });
      g.add(`dense_${fn}`, dense(4, { activation: fn }), { from: 'in' });
      g.add(`conv_${fn}`, conv(4, 3, { activation: fn, pad: 'same' }), { from: 'in' });
    }
    for (const fn of ['glu', 'hard_silu', 'sparsemax'] as const) {
      g.add(`grouped_${fn}`, conv(4, 3, { activation: fn, groups: 2 }), { from: 'in' });
      g.add(`dw_${fn}`, { kind: 'depthwiseConv2d', kernel: [3, 3], strides: [1, 1], padding: 'valid', dilation: [1, 1], depthMultiplier: 2, bias: true, activation: fn }, { from: 'in' }); // prettier-ignore
      g.add(`sep_${fn}`, { kind: 'separableConv2d', filters: 6, kernel: [3, 3], strides: [2, 2], padding: 'same', dilation: [1, 1], depthMultiplier: 1, bias: false, activation: fn }, { from: 'in' }); // prettier-ignore
    }
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    expect(r.layers.find((l) => l.name === 'grouped_glu')!.executedShape).toEqual([1, 4, 4, 2]);
    expect(r.layers.find((l) => l.name === 'dw_glu')!.executedShape).toEqual([1, 4, 4, 4]);
  });

  it('glu fused into every other weighted kind: Conv1D, Conv3D, transposed, depthwise and separable 1-D, strided dilated Conv2D', async () => {
    const g = new GraphBuilder({ name: 'glu', description: 't', source: 'test', framework: 'keras' });
    const seq = g.add('seq', input([9, 4]));
    const vol = g.add('vol', input([4, 5, 5, 2]));
    const map = g.add('map', input([9, 9, 3]));
    const nd = { strides: [1], padding: 'valid', dilation: [1], groups: 1, bias: true, activation: 'glu' } as const;
    g.add('conv1d', { kind: 'conv1d', filters: 6, kernel: [3], ...nd }, { from: seq });
    g.add('conv1d_grouped', { kind: 'conv1d', filters: 6, kernel: [3], ...nd, groups: 2 }, { from: seq });
    g.add('conv3d', { kind: 'conv3d', filters: 4, kernel: [2, 2, 2], ...nd, strides: [1, 1, 1], dilation: [1, 1, 1] }, { from: vol }); // prettier-ignore
    g.add('tconv1d', { kind: 'conv1dTranspose', filters: 4, kernel: [3], ...nd, strides: [2] }, { from: seq });
    g.add('tconv2d', { kind: 'conv2dTranspose', filters: 4, kernel: [3, 3], ...nd, strides: [2, 2], dilation: [1, 1] }, { from: map }); // prettier-ignore
    g.add('dw1d', { kind: 'depthwiseConv1d', kernel: [3], strides: [1], padding: 'same', dilation: [1], depthMultiplier: 2, bias: true, activation: 'glu' }, { from: seq }); // prettier-ignore
    g.add('sep1d', { kind: 'separableConv1d', filters: 8, kernel: [3], strides: [2], padding: 'valid', dilation: [1], depthMultiplier: 1, bias: true, activation: 'glu' }, { from: seq }); // prettier-ignore
    g.add('strided_dilated', conv(6, 3, { stride: 2, dilation: 2, activation: 'glu' }), { from: map });
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    const shape = (n: string) => r.layers.find((l) => l.name === n)!.executedShape;
    expect([shape('conv1d'), shape('conv3d'), shape('dw1d'), shape('sep1d'), shape('strided_dilated')]).toEqual([
      [1, 7, 3],
      [1, 3, 4, 4, 2],
      [1, 9, 4],
      [1, 4, 4],
      [1, 3, 3, 3],
    ]);
    // The MACs stay the layer's own: a depthwise 1-D conv's output channels before glu.
    const c = census(g.build());
    expect(c.layers.find((l) => l.name === 'dw1d')!.macs).toBe(9 * 4 * 2 * 3);
  });

  it('ReLU, LeakyReLU, ELU, ThresholdedReLU and Softmax with their options, PReLU with shared axes', async () => {
    const g = new GraphBuilder({ name: 'opts', description: 't', source: 'test', framework: 'keras' });
    g.add('in', input([5, 6, 4]));
    const variants: LayerConfig[] = [
      act('relu', { maxValue: 4 }),
      act('relu', { negativeSlope: 0.1 }),
      act('relu', { threshold: 0.5 }),
      act('relu', { maxValue: 4, negativeSlope: 0.1, threshold: 0.5 }),
      act('leaky_relu', { negativeSlope: 0.3 }),
      act('elu', { alpha: 0.5 }),
      act('celu', { alpha: 2 }),
      act('softmax', { axis: [0] }),
      act('softmax', { axis: [0, 1] }),
      act('log_softmax', { axis: [1] }),
      act('glu', { axis: [1] }),
      { kind: 'prelu', sharedAxes: [] },
      { kind: 'prelu', sharedAxes: [0, 1] },
      { kind: 'prelu', sharedAxes: [-1] },
    ];
    variants.forEach((v, i) => g.add(`v${i}`, v, { from: 'in' }));
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    expect(r.layers.map((l) => l.frameworkParams)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 120, 4, 30]);
    expect(r.layers.find((l) => l.name === 'v10')!.executedShape).toEqual([1, 5, 3, 4]);
  });

  it('a fused activation tfjs-layers lacks runs: hard_tanh keeps a Dense in [-1, 1], as linear would not', async () => {
    const built = buildTfjs(chain([8], dense(16, { activation: 'hard_tanh' })), census(chain([8], dense(16, { activation: 'hard_tanh' }))).infos, {
      init: 'random',
      outputs: 'final',
    }); // prettier-ignore
    const y = built.model.predict(tf.fill([1, 8], 100)) as tf.Tensor;
    const values = Array.from(await y.data());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(1);
    expect(values.some((v) => Math.abs(v) === 1)).toBe(true);
    tf.dispose(y);
    built.model.dispose();
  });
});
