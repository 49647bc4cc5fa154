/**
 * The normalization family: BatchNormalization on any axis, LayerNormalization, GroupNormalization,
 * UnitNormalization, RMSNormalization, Keras' Normalization (any kept axes, given statistics) and ConvNeXt's
 * LayerScale; against Keras' weight rules, Keras' own figures, and by execution.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend.js';
import { census } from '../../src/census.js';
import { batchNorm, GraphBuilder, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { loadModelFile } from '../../src/importers/files.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { kindSpec } from '../../src/kinds/index.js';
import { verifyGraph } from '../../src/verify.js';
import {
  FIXTURES,
  figures,
  fixtureTotals,
  isolatedGraph,
  nestedLayers,
  perLayerFigures,
} from './keras-elem-figures.js';

beforeAll(async () => {
  // Native TensorFlow where it is installed: ConvNeXt and EfficientNetV2 run in a second.
  await useBackend('auto');
});

const CLASSES = new Set([
  'BatchNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'UnitNormalization',
  'RMSNormalization',
  'Normalization',
  'LayerScale',
  'SpectralNormalization',
]);

function chain(shape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(shape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}
/** The one layer's weights (name and shape) and its params / trainable params. */
function counted(shape: number[], layer: LayerConfig) {
  const c = census(chain(shape, layer));
  const l = c.layers[1]!;
  return {
    weights: c.infos[1]!.weights.map((w) => [w.name, w.shape, w.trainable]),
    params: l.params,
    trainable: l.trainableParams,
    macs: l.macs,
    shape: l.outputShape.slice(1),
  };
}

/** A Keras 3 Sequential of one layer on an input of this shape, as model.to_json() writes it. */
const kerasModel = (shape: number[], cls: string, config: Record<string, unknown>, module = 'keras.layers') => ({
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'm',
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, ...shape], name: 'in' } },
      { module, class_name: cls, config: { name: 'n', trainable: true, dtype: 'float32', ...config } },
    ],
  },
});
const read = (shape: number[], cls: string, config: Record<string, unknown>): LayerConfig =>
  importKerasJson(kerasModel(shape, cls, config)).graph.nodes[1]!.config;
const keras = (shape: number[], cls: string, config: Record<string, unknown>) => {
  const c = census(importKerasJson(kerasModel(shape, cls, config)).graph);
  return { params: c.layers[1]!.params, trainable: c.layers[1]!.trainableParams, weights: c.infos[1]!.weights };
};

describe('BatchNormalization on any axis', () => {
  it('gamma, beta, moving mean and variance of the axis size; 2 trainable of 4; no weight MACs', () => {
    expect(counted([5, 6], { ...batchNorm(), axis: 0 })).toMatchObject({ params: 20, trainable: 10, macs: 0 });
    expect(counted([5, 6], batchNorm()).params).toBe(24);
    expect(counted([4, 4, 4, 2], { ...batchNorm(), axis: 0 }).weights).toEqual([
      ['gamma', [4], true],
      ['beta', [4], true],
      ['moving_mean', [4], false],
      ['moving_variance', [4], false],
    ]);
    expect(counted([5, 6, 3], { ...batchNorm(), axis: -2, center: false }).params).toBe(3 * 6);
    expect(() => counted([5, 6], { ...batchNorm(), axis: 2 })).toThrow(
      /layer "l0" \(batchNorm\): axis 2 is out of range for a rank-2 input/,
    );
  });

  it("reads Keras' axis counting the batch; the last axis keeps the config it always had", () => {
    expect(read([5, 6], 'BatchNormalization', { axis: 1 })).toEqual({ ...batchNorm(1e-3, 0.99), axis: 0 });
    expect(read([5, 6], 'BatchNormalization', { axis: -1, momentum: 0.9, epsilon: 1e-5 })).toEqual(batchNorm());
    expect(read([5, 6], 'BatchNormalization', {})).toEqual(batchNorm(1e-3, 0.99));
    expect(read([5, 6, 3], 'BatchNormalization', { axis: [3] })).toEqual({ ...batchNorm(1e-3, 0.99), axis: 2 });
    expect(() => read([5, 6], 'BatchNormalization', { axis: 0 })).toThrow(/axis 0 \(the batch axis\)/);
    expect(() => read([5, 6], 'BatchNormalization', { renorm: true })).toThrow(
      /layer "n" \(BatchNormalization\): renorm true is not supported/,
    );
  });

  it('diff factors take the channels of its axis', () => {
    const c = census(chain([5, 6], { ...batchNorm(), axis: 0 }));
    const f = kindSpec(c.infos[1]!.node.config).factors!(c.infos[1]!.node.config, c.infos[1]!, 'keras');
    expect([f!.cin, f!.cout, f!.bnTrainable, f!.bnStats]).toEqual([5, 5, 2, 2]);
  });
});

describe('Layer, Group, Unit and RMS normalization', () => {
  it("LayerNormalization: gamma and beta of the normalized axes' sizes (sorted), not the broadcast shape", () => {
    expect(keras([6, 6, 4], 'LayerNormalization', { axis: [1, 2, 3] }).params).toBe(2 * 6 * 6 * 4);
    expect(keras([5, 6], 'LayerNormalization', { axis: [2, 1] }).weights.map((w) => w.shape)).toEqual([
      [5, 6],
      [5, 6],
    ]);
    expect(keras([16, 16], 'LayerNormalization', { axis: -1, epsilon: 1e-6 }).params).toBe(32);
    expect(keras([16, 16], 'LayerNormalization', { axis: -1, center: false }).params).toBe(16);
    // Keras 3's rms_scaling keeps gamma only.
    expect(keras([16, 16], 'LayerNormalization', { axis: -1, rms_scaling: true }).weights.map((w) => w.name)).toEqual([
      'gamma',
    ]);
    expect(() => census(chain([4, 4], { kind: 'layerNorm', axis: [1, -1], epsilon: 1e-3, center: true, scale: true, rmsScaling: false }))).toThrow(
      /layer "l0" \(layerNorm\): axis \[1, -1\] names an axis twice/,
    ); // prettier-ignore
  });

  it('GroupNormalization: gamma and beta per channel; groups must divide the channels (-1: one per channel)', () => {
    expect(keras([6, 6, 4], 'GroupNormalization', { groups: 2, axis: -1 }).params).toBe(8);
    expect(keras([6, 6, 4], 'GroupNormalization', { groups: -1, scale: false }).params).toBe(4);
    expect(keras([4, 6, 6], 'GroupNormalization', { groups: 2, axis: 1 }).weights.map((w) => w.shape)).toEqual([
      [4],
      [4],
    ]);
    expect(() => keras([6, 6, 4], 'GroupNormalization', { groups: 3 })).toThrow(
      /layer "n" \(groupNorm\): 4 channels are not divisible into 3 groups/,
    );
    expect(() => read([6, 6, 4], 'GroupNormalization', { groups: 0 })).toThrow(
      /groups must be a positive integer or -1/,
    );
  });

  it("UnitNormalization has no weights; RMSNormalization one scale of the axes' sizes", () => {
    expect(keras([6, 6, 4], 'UnitNormalization', { axis: [1, 2] }).params).toBe(0);
    expect(keras([6, 6, 4], 'RMSNormalization', { axis: -1 }).weights).toEqual([
      { name: 'scale', shape: [4], role: 'weight', trainable: true, torchName: 'weight' },
    ]);
    expect(keras([6, 6, 4], 'RMSNormalization', { axis: [1, 2] }).params).toBe(36);
  });
});

describe("Keras' Normalization and ConvNeXt's LayerScale", () => {
  it('Normalization: mean and variance of the kept axes plus the scalar count, 2 x prod + 1, none trainable', () => {
    expect(keras([6, 6, 3], 'Normalization', { axis: [-1] })).toMatchObject({ params: 7, trainable: 0 });
    // axis=(1, 2): mean and variance have shape (H, W).
    const hw = keras([6, 6, 3], 'Normalization', { axis: [1, 2] });
    expect([hw.params, hw.weights.map((w) => w.shape)]).toEqual([2 * 36 + 1, [[6, 6], [6, 6], []]]);
    // axis=None keeps no axis: scalar statistics.
    expect(keras([6, 6, 3], 'Normalization', { axis: null }).params).toBe(3);
  });

  it('Normalization with the mean and variance in its config holds constants: 0 weights, as Keras counts', () => {
    const c = { axis: [3], mean: [0.485, 0.456, 0.406], variance: [0.052, 0.05, 0.051] };
    expect(keras([8, 8, 3], 'Normalization', c).params).toBe(0);
    expect(read([8, 8, 3], 'Normalization', { ...c, invert: true })).toEqual({
      kind: 'normalization',
      axis: [2],
      mean: c.mean,
      variance: c.variance,
      invert: true,
    });
    expect(() => read([8, 8, 3], 'Normalization', { mean: [1, 2, 3] })).toThrow(
      /layer "n" \(Normalization\): variance must be given with the other/,
    );
    expect(() => read([8, 8, 3], 'Normalization', { mean: ['a'], variance: [1] })).toThrow(
      /mean must be a number or a list/,
    );
  });

  it('LayerScale: one trainable weight Keras names `variable`, of shape [projection_dim]', () => {
    const c = census(
      importKerasJson(kerasModel([7, 7, 96], 'LayerScale', { init_values: 1e-6, projection_dim: 96 }, 'keras.src.applications.convnext')).graph,
    ); // prettier-ignore
    expect(c.infos[1]!.weights).toEqual([
      { name: 'variable', shape: [96], role: 'weight', trainable: true, torchName: 'weight' },
    ]);
    expect([c.layers[1]!.type, c.layers[1]!.params, c.layers[1]!.macs, c.layers[1]!.outputShape]).toEqual([
      'LayerScale',
      96,
      0,
      [1, 7, 7, 96],
    ]);
    expect(() => census(chain([7, 7, 5], { kind: 'layerScale', dim: 96 }))).toThrow(/do not broadcast/);
  });
});

describe('SpectralNormalization', () => {
  it('the wrapped layer as its kind counts it, plus vector u (1, kernel units), non-trainable', () => {
    const wrap = (layer: Record<string, unknown>, shape: number[]) =>
      keras(shape, 'SpectralNormalization', { power_iterations: 1, layer });
    const conv = {
      module: 'keras.layers',
      class_name: 'Conv2D',
      config: { name: 'c', filters: 4, kernel_size: [3, 3] },
    };
    const c = wrap(conv, [6, 6, 4]);
    expect([c.params, c.trainable]).toEqual([3 * 3 * 4 * 4 + 4 + 4, 3 * 3 * 4 * 4 + 4]);
    expect(c.weights.map((w) => [w.name, w.shape, w.trainable, w.torchName])).toEqual([
      ['kernel', [3, 3, 4, 4], true, 'weight'],
      ['bias', [4], true, 'bias'],
      ['vector_u', [1, 4], false, 'buffer'],
    ]);
    const dense = { module: 'keras.layers', class_name: 'Dense', config: { name: 'd', units: 5, use_bias: false } };
    expect(wrap(dense, [18]).params).toBe(18 * 5 + 5);
    const pool = { module: 'keras.layers', class_name: 'MaxPooling2D', config: { name: 'p', pool_size: 2 } };
    expect(() => wrap(pool, [6, 6, 4])).toThrow(
      /SpectralNormalization: the wrapped layer has no kernel nor embeddings/,
    );
  });
});

describe("Keras' own figures (Keras 3.15.1)", () => {
  perLayerFigures(CLASSES);
  fixtureTotals(CLASSES);
});

describe('verification by execution', () => {
  it('ConvNeXtTiny (LayerNormalization, LayerScale, residual ops, given Normalization) at 64x64', async () => {
    const { graph } = await loadModelFile(join(FIXTURES, 'convnexttiny.keras'));
    const r = await verifyGraph(graph, { input: [64, 64] });
    expect(r.mismatches).toEqual([]);
    expect(r.params.framework).toBe(figures.convnexttiny!.count_params);
  });

  it('EfficientNetV2B0 (Normalization with given statistics) and EfficientNetB0 (adapted) at 64x64', async () => {
    for (const name of ['efficientnetv2b0', 'efficientnetb0']) {
      const { graph } = await loadModelFile(join(FIXTURES, `${name}.h5`));
      const r = await verifyGraph(graph, { input: [64, 64] });
      expect(r.mismatches, name).toEqual([]);
      expect(r.params.framework).toBe(figures[name]!.count_params);
    }
  });

  it('every normalization layer of breadth_norm_noise and tiny_transformer, alone, as Keras wrote it', async () => {
    for (const model of ['breadth_norm_noise', 'tiny_transformer']) {
      const layers = nestedLayers(model).filter((l) => CLASSES.has(l.class_name) && l.graph !== false);
      expect(layers.length).toBeGreaterThan(0);
      for (const l of layers) {
        const r = await verifyGraph(isolatedGraph(model, l.path));
        expect(r.mismatches, `${model}/${l.path}`).toEqual([]);
        expect(r.params.framework, `${model}/${l.path}`).toBe(l.count_params);
      }
    }
  });

  it('each kind with varying axes, groups, flags and statistics', async () => {
    const g = new GraphBuilder({ name: 'norms', description: 't', source: 'test', framework: 'keras' });
    const map = g.add('map', input([6, 5, 4]));
    const seq = g.add('seq', input([5, 6]));
    const vol = g.add('vol', input([3, 4, 4, 2]));
    const ln = (axis: number[], o: Partial<Extract<LayerConfig, { kind: 'layerNorm' }>> = {}): LayerConfig => ({
      kind: 'layerNorm',
      axis,
      epsilon: 1e-3,
      center: true,
      scale: true,
      rmsScaling: false,
      ...o,
    });
    const gn = (groups: number, axis: number, o: Partial<Extract<LayerConfig, { kind: 'groupNorm' }>> = {}): LayerConfig => ({
      kind: 'groupNorm',
      groups,
      axis,
      epsilon: 1e-3,
      center: true,
      scale: true,
      ...o,
    }); // prettier-ignore
    const layers: Array<[string, LayerConfig]> = [
      [map, { ...batchNorm(), axis: 0 }],
      [map, { ...batchNorm(), axis: 1, scale: false }],
      [seq, { ...batchNorm(), axis: 0, center: false }],
      [vol, { ...batchNorm(), axis: 0 }],
      [map, ln([-1])],
      [map, ln([0, 1, 2])],
      [seq, ln([0, 1], { center: false })],
      [map, ln([1], { rmsScaling: true })],
      [map, gn(2, -1)],
      [map, gn(-1, -1, { center: false })],
      [map, gn(3, 0)],
      [seq, gn(5, 0, { scale: false })],
      [map, { kind: 'unitNorm', axis: [-1] }],
      [map, { kind: 'unitNorm', axis: [0, 1] }],
      [map, { kind: 'rmsNorm', axis: [-1], epsilon: 1e-6 }],
      [vol, { kind: 'rmsNorm', axis: [0, 1], epsilon: 1e-6 }],
      [map, { kind: 'normalization' }],
      [map, { kind: 'normalization', axis: [0, 1] }],
      [map, { kind: 'normalization', axis: [] }],
      [map, { kind: 'normalization', axis: [-1], mean: [1, 2, 3, 4], variance: [1, 4, 9, 16] }],
      [map, { kind: 'normalization', axis: [0, 1], mean: 0.5, variance: 2, invert: true }],
      [map, { kind: 'normalization', axis: [1, 2], mean: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], variance: 1 }], // prettier-ignore
      [map, { kind: 'layerScale', dim: 4 }],
    ];
    layers.forEach(([from, l], i) => g.add(`n${i}`, l, { from }));
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    expect(r.layers.map((l) => l.frameworkParams)).toEqual([
      24, 15, 15, 12, 8, 240, 30, 5, 8, 4, 12, 5, 0, 0, 4, 12, 9, 61, 3, 0, 0, 0, 4,
    ]);
  });
});
