/**
 * Attention kinds: MultiHeadAttention, GroupedQueryAttention, Attention, AdditiveAttention and EinsumDense:
 * shape rules, weights and named MAC parts against Keras' documented formulas, against the figures Keras
 * wrote for its fixtures, by execution, and their computation against Keras' einsum equations.
 */
import { census } from '../../src/census.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { customLayer } from '../../src/tfjs/custom.js';
import {
  einsumShapes,
  luongAttentionLayer,
  multiHeadAttention,
  multiHeadAttentionLayer,
  type AttentionConfig,
  type EinsumDenseConfig,
  type GroupedQueryAttentionConfig,
  type MultiHeadAttentionArgs,
  type MultiHeadAttentionConfig,
} from '../../src/kinds/attention.js';
import { describeKerasFigures, paramsUnder, verifies } from './keras-figures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A graph whose inputs have the given shapes, feeding one layer. */
function graphOf(shapes: number[][], l: LayerConfig): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  const names = shapes.map((s, i) => g.add(`in${i}`, input(s)));
  g.add('l', l, { from: names });
  return g.build();
}
const layerOf = (shapes: number[][], l: LayerConfig) => census(graphOf(shapes, l)).layers.at(-1)!;
const infoOf = (shapes: number[][], l: LayerConfig) => census(graphOf(shapes, l)).infos.at(-1)!;

const gqa = (queryHeads: number, kvHeads: number, headDim: number, o: Partial<GroupedQueryAttentionConfig> = {}) =>
  ({ kind: 'groupedQueryAttention', queryHeads, kvHeads, headDim, bias: true, ...o }) as GroupedQueryAttentionConfig;
const einsum = (equation: string, outputShape: Array<number | null>, biasAxes?: string): EinsumDenseConfig => ({
  kind: 'einsumDense',
  equation,
  outputShape,
  ...(biasAxes ? { biasAxes } : {}),
});

/** A Keras 3 Functional config of one layer called on the inputs, positionally and by keyword. */
function kerasCall(
  cls: string,
  config: Record<string, unknown>,
  inputs: Array<[string, number[]]>,
  call: { args?: string[]; list?: string[]; kwargs?: Record<string, string> },
) {
  const t = (name: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } });
  return importKerasJson({
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        ...inputs.map(([name, shape]) => ({
          class_name: 'InputLayer',
          name,
          config: { name, batch_shape: [null, ...shape] },
          inbound_nodes: [],
        })),
        {
          module: 'keras.layers',
          class_name: cls,
          name: 'l',
          config: { name: 'l', trainable: true, dtype: 'float32', ...config },
          inbound_nodes: [
            {
              args: call.list ? [call.list.map(t)] : (call.args ?? []).map(t),
              kwargs: Object.fromEntries(Object.entries(call.kwargs ?? {}).map(([k, v]) => [k, t(v)])),
            },
          ],
        },
      ],
      input_layers: inputs.map(([n]) => [n, 0, 0]),
      output_layers: [['l', 0, 0]],
    },
  }).graph;
}

describe('MultiHeadAttention', () => {
  // Keras' EinsumDense projections: query/key kernels [features, heads, key_dim], value [features, heads,
  // value_dim], output [heads, value_dim, ...output]; biases the projections' output dims.
  const params = (dq: number, dk: number, dv: number, h: number, k: number, v: number, out: number, bias = true) =>
    dq * h * k + dk * h * k + dv * h * v + h * v * out + (bias ? h * k + h * k + h * v + out : 0);

  it("counts Keras' four projections, with or without biases, and a gate", () => {
    expect(
      layerOf(
        [
          [16, 16],
          [16, 16],
        ],
        multiHeadAttention(2, 8),
      ).params,
    ).toBe(params(16, 16, 16, 2, 8, 8, 16));
    const cross = multiHeadAttention(3, 4, { valueDim: 6, bias: false, outputShape: [16] });
    expect(
      layerOf(
        [
          [16, 16],
          [10, 12],
          [10, 12],
        ],
        cross,
      ).params,
    ).toBe(params(16, 12, 12, 3, 4, 6, 16, false));
    const gated = multiHeadAttention(2, 3, { gate: true });
    expect(
      layerOf(
        [
          [5, 4],
          [7, 6],
        ],
        gated,
      ).params,
    ).toBe(params(4, 6, 6, 2, 3, 3, 4) + 4 * 2 * 3 + 2 * 3);
    expect(
      infoOf(
        [
          [5, 4],
          [7, 6],
        ],
        multiHeadAttention(2, 3, { outputShape: [2, 5] }),
      ).weights.map((w) => [w.name, w.shape]),
    ).toEqual([
      ['query/kernel', [4, 2, 3]],
      ['query/bias', [2, 3]],
      ['key/kernel', [6, 2, 3]],
      ['key/bias', [2, 3]],
      ['value/kernel', [6, 2, 3]],
      ['value/bias', [2, 3]],
      ['attention_output/kernel', [2, 3, 2, 5]],
      ['attention_output/bias', [2, 5]],
    ]);
  });

  it('outputs the query positions with the query features or output_shape', () => {
    expect(
      layerOf(
        [
          [16, 16],
          [9, 12],
        ],
        multiHeadAttention(3, 4),
      ).outputShape,
    ).toEqual([1, 16, 16]);
    expect(
      layerOf(
        [
          [16, 16],
          [9, 12],
        ],
        multiHeadAttention(3, 4, { outputShape: [2, 5] }),
      ).outputShape,
    ).toEqual([1, 16, 2, 5]);
    expect(
      layerOf(
        [
          [4, 5, 6],
          [3, 2, 6],
        ],
        multiHeadAttention(2, 2),
      ).outputShape,
    ).toEqual([1, 4, 5, 6]);
  });

  it('names its MACs: the projections, QK^T and AV over the attention axes; the parts add up', () => {
    const [t, s, d, h, k, v] = [16, 9, 16, 3, 4, 6];
    const l = layerOf(
      [
        [t, d],
        [s, 12],
        [s, 10],
      ],
      multiHeadAttention(h, k, { valueDim: v, outputShape: [7] }),
    );
    expect(l.macParts).toEqual({
      query: t * d * h * k,
      key: s * 10 * h * k,
      value: s * 12 * h * v,
      'QK^T': h * t * s * k,
      AV: h * t * s * v,
      output: t * h * v * 7,
    });
    expect(l.macs).toBe(Object.values(l.macParts!).reduce((a, b) => a + b, 0));
    // A 2-D query attends over both axes by default, over the axes given otherwise (the rest are batch-like).
    const both = layerOf(
      [
        [4, 5, 6],
        [3, 2, 6],
      ],
      multiHeadAttention(2, 3),
    ).macParts!;
    expect(both['QK^T']).toBe(2 * (4 * 5) * (3 * 2) * 3);
    const width = layerOf(
      [
        [4, 5, 6],
        [4, 2, 6],
      ],
      multiHeadAttention(2, 3, { attentionAxes: [2] }),
    ).macParts!;
    expect(width['QK^T']).toBe(4 * 2 * 5 * 2 * 3);
    expect(width.AV).toBe(4 * 2 * 5 * 2 * 3);
  });

  it('refuses inputs that do not line up, naming the layer', () => {
    expect(() =>
      layerOf(
        [
          [16, 16],
          [9, 12],
          [8, 12],
        ],
        multiHeadAttention(2, 4),
      ),
    ).toThrow(/layer "l" \(multiHeadAttention\): key \[8, 12\] and value \[9, 12\] differ before the last axis/);
    expect(() =>
      layerOf(
        [
          [4, 5, 6],
          [3, 2, 6],
        ],
        multiHeadAttention(2, 3, { attentionAxes: [2] }),
      ),
    ).toThrow(/differ on axis 1, outside the attention axes/);
    expect(() =>
      layerOf(
        [
          [4, 6],
          [4, 6],
        ],
        multiHeadAttention(2, 3, { attentionAxes: [2] }),
      ),
    ).toThrow(/attention axis 2 is not an axis between the batch and the features/);
    expect(() => layerOf([[4, 6]], multiHeadAttention(2, 3))).toThrow(/expects query, value and optionally key, got 1/);
  });

  it("reads Keras' config and its call: query, value, key positional or by keyword, in that order", () => {
    const config = { num_heads: 3, key_dim: 4, value_dim: 6, use_bias: false, output_shape: [16], attention_axes: [1] };
    const byKeyword = kerasCall(
      'MultiHeadAttention',
      config,
      [
        ['q', [16, 16]],
        ['kv', [16, 12]],
        ['k', [16, 12]],
      ],
      {
        kwargs: { key: 'k', value: 'kv', query: 'q' },
      },
    );
    const node = byKeyword.nodes.at(-1)!;
    expect(node.config).toEqual(
      multiHeadAttention(3, 4, { valueDim: 6, bias: false, outputShape: [16], attentionAxes: [1] }),
    );
    expect(node.inputs).toEqual(['q', 'kv', 'k']);
    const positional = kerasCall('MultiHeadAttention', { num_heads: 2, key_dim: 8 }, [['x', [16, 16]]], {
      args: ['x', 'x'],
    });
    expect(positional.nodes.at(-1)!.config).toEqual(multiHeadAttention(2, 8));
    expect(positional.nodes.at(-1)!.inputs).toEqual(['x', 'x']);
  });

  it('verifies by execution: self and cross attention, output_shape, 2-D attention, a gate, no biases', async () => {
    const cases: Array<[number[][], MultiHeadAttentionConfig]> = [
      [
        [
          [6, 8],
          [6, 8],
        ],
        multiHeadAttention(2, 4),
      ],
      [
        [
          [6, 8],
          [5, 3],
          [5, 7],
        ],
        multiHeadAttention(3, 2, { valueDim: 5, bias: false, outputShape: [4] }),
      ],
      [
        [
          [6, 8],
          [5, 3],
        ],
        multiHeadAttention(2, 3, { outputShape: [2, 3], gate: true }),
      ],
      [
        [
          [4, 5, 6],
          [3, 2, 6],
        ],
        multiHeadAttention(2, 3),
      ],
      [
        [
          [4, 5, 6],
          [4, 2, 6],
        ],
        multiHeadAttention(2, 3, { attentionAxes: [2] }),
      ],
      [
        [
          [4, 5, 6],
          [3, 5, 6],
        ],
        multiHeadAttention(2, 3, { attentionAxes: [-3] }),
      ],
    ];
    for (const [shapes, c] of cases) await verifies(graphOf(shapes, c));
  });
});

describe('GroupedQueryAttention', () => {
  it('counts fewer key and value heads than query heads; names its MACs', () => {
    const l = layerOf(
      [
        [6, 8],
        [5, 10],
      ],
      gqa(4, 2, 4),
    );
    expect(l.params).toBe(8 * 4 * 4 + 4 * 4 + 2 * (10 * 2 * 4 + 2 * 4) + 4 * 4 * 8 + 8);
    expect(l.outputShape).toEqual([1, 6, 8]);
    expect(l.macParts).toEqual({
      query: 6 * 8 * 16,
      key: 5 * 10 * 8,
      value: 5 * 10 * 8,
      'QK^T': 4 * 6 * 5 * 4,
      AV: 4 * 6 * 5 * 4,
      output: 6 * 16 * 8,
    });
    expect(() =>
      layerOf(
        [
          [6, 8],
          [5, 10],
        ],
        gqa(4, 3, 4),
      ),
    ).toThrow(/num_query_heads 4 is not divisible by num_key_value_heads 3/);
  });

  it("reads Keras' GroupQueryAttention and verifies by execution", async () => {
    const g = kerasCall(
      'GroupQueryAttention',
      { head_dim: 4, num_query_heads: 4, num_key_value_heads: 2 },
      [['x', [6, 8]]],
      {
        args: ['x', 'x'],
      },
    );
    expect(g.nodes.at(-1)!.config).toEqual(gqa(4, 2, 4));
    await verifies(g);
    await verifies(
      graphOf(
        [
          [6, 8],
          [5, 3],
          [5, 7],
        ],
        gqa(6, 3, 2, { bias: false, gate: true }),
      ),
    );
  });
});

describe('Attention and AdditiveAttention', () => {
  const att = (scoreMode: 'dot' | 'concat', useScale: boolean): AttentionConfig => ({
    kind: 'attention',
    scoreMode,
    useScale,
  });

  it("count Keras' scale (a scalar, or one per feature for AdditiveAttention) and concat score weight", () => {
    const shapes = [
      [6, 5],
      [4, 3],
      [4, 5],
    ];
    expect(layerOf(shapes, att('dot', false)).params).toBe(0);
    expect(layerOf(shapes, att('dot', true)).params).toBe(1);
    expect(layerOf(shapes, att('concat', true)).params).toBe(2);
    expect(layerOf(shapes, { kind: 'additiveAttention', useScale: true }).params).toBe(5);
    expect(layerOf(shapes, att('dot', true)).outputShape).toEqual([1, 6, 3]);
    expect(layerOf(shapes, att('dot', true)).macParts).toEqual({ 'QK^T': 6 * 4 * 5, AV: 6 * 4 * 3 });
    expect(layerOf(shapes, { kind: 'additiveAttention', useScale: false }).macParts).toEqual({
      scores: 6 * 4 * 5,
      AV: 6 * 4 * 3,
    });
    expect(() =>
      layerOf(
        [
          [6, 5],
          [4, 3],
        ],
        att('dot', false),
      ),
    ).toThrow(/layer "l" \(attention\): query \[6, 5\] and key \[4, 3\] differ in features/);
  });

  it("reads Keras' configs called on a list [query, value] and verifies by execution", async () => {
    const g = kerasCall(
      'Attention',
      { use_scale: true, score_mode: 'concat' },
      [
        ['q', [6, 5]],
        ['v', [4, 5]],
      ],
      { list: ['q', 'v'] },
    );
    expect(g.nodes.at(-1)!.config).toEqual(att('concat', true));
    expect(g.nodes.at(-1)!.inputs).toEqual(['q', 'v']);
    await verifies(g);
    const a = kerasCall(
      'AdditiveAttention',
      {},
      [
        ['q', [6, 5]],
        ['v', [4, 5]],
      ],
      { list: ['q', 'v', 'v'] },
    );
    expect(a.nodes.at(-1)!.config).toEqual({ kind: 'additiveAttention', useScale: true });
    await verifies(a);
    for (const c of [
      att('dot', false),
      att('dot', true),
      att('concat', false),
      { kind: 'additiveAttention', useScale: false } as const,
    ])
      await verifies(
        graphOf(
          [
            [2, 6, 5],
            [2, 4, 3],
            [2, 4, 5],
          ],
          c,
        ),
      );
  });
});

describe('EinsumDense', () => {
  it("derives kernel, bias and output shapes from the equation as Keras' analysis does", () => {
    const s = (c: EinsumDenseConfig, shape: number[]) => {
      const r = einsumShapes(c, shape, 'e');
      return { kernel: r.kernel, bias: r.bias, out: r.out, macs: r.macs };
    };
    expect(s(einsum('abc,cd->abd', [6, 7], 'd'), [6, 8])).toEqual({
      kernel: [8, 7],
      bias: [7],
      out: [6, 7],
      macs: 6 * 8 * 7,
    });
    expect(s(einsum('abc,cde->abde', [null, 2, 4], 'de'), [6, 8])).toEqual({
      kernel: [8, 2, 4],
      bias: [2, 4],
      out: [6, 2, 4],
      macs: 6 * 8 * 2 * 4,
    });
    expect(s(einsum('abcd,cde->abe', [null, 5], 'e'), [3, 2, 4])).toEqual({
      kernel: [2, 4, 5],
      bias: [5],
      out: [3, 5],
      macs: 3 * 2 * 4 * 5,
    });
    // Ellipses: "...b" elides the leading axes (kept in order, as executed), "ab..." the trailing ones (bias padded with 1s).
    expect(s(einsum('...b,bc->...c', [5], 'c'), [3, 4, 6])).toEqual({
      kernel: [6, 5],
      bias: [5],
      out: [3, 4, 5],
      macs: 3 * 4 * 6 * 5,
    });
    expect(s(einsum('ab...,bc->ac...', [7], 'c'), [5, 3, 4])).toEqual({
      kernel: [5, 7],
      bias: [7, 1, 1],
      out: [7, 3, 4],
      macs: 5 * 7 * 3 * 4,
    });
    expect(() => einsumShapes(einsum('ab,bc', [3]), [4], 'e')).toThrow(
      /layer "e" \(einsumDense\): equation "ab,bc" is not of the form/,
    );
    expect(() => einsumShapes(einsum('abc,cd->abd', [5, 7]), [6, 8], 'e')).toThrow(
      /input and output differ on "b": 6 and 5/,
    );
  });

  it("reads Keras' EinsumDense and verifies by execution", async () => {
    const g = kerasCall(
      'EinsumDense',
      { equation: 'abc,cd->abd', output_shape: [6, 7], bias_axes: 'd', activation: 'relu' },
      [['x', [6, 8]]],
      {
        args: ['x'],
      },
    );
    expect(g.nodes.at(-1)!.config).toEqual({ ...einsum('abc,cd->abd', [6, 7], 'd'), activation: 'relu' });
    await verifies(g);
    const cases: Array<[number[], EinsumDenseConfig]> = [
      [[6, 8], einsum('abc,cde->abde', [null, 2, 4], 'de')],
      [[3, 2, 4], einsum('abcd,cde->abe', [null, 5])],
      [[3, 4, 6], einsum('...b,bc->...c', [5], 'c')],
      [[5, 3, 4], einsum('ab...,bc->ac...', [7], 'c')],
    ];
    for (const [shape, c] of cases) await verifies(graphOf([shape], c));
  });
});

describe("the attention layers compute Keras' equations", () => {
  const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);
  const close = (a: tf.Tensor, b: tf.Tensor) => {
    expect(a.shape).toEqual(b.shape);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
  };

  /** Keras' MultiHeadAttention on [batch, T, features] inputs, in its own einsum equations. */
  function kerasMha(ws: tf.Tensor[], q: tf.Tensor, v: tf.Tensor, k: tf.Tensor, keyDim: number, repeat = 1): tf.Tensor {
    const [wq, bq, wk, bk, wv, bv, wo, bo] = ws as [
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
      tf.Tensor,
    ];
    const heads = (t: tf.Tensor) =>
      repeat === 1
        ? t
        : tf.gather(
            t,
            Array.from({ length: t.shape[2]! * repeat }, (_, i) => Math.floor(i / repeat)),
            2,
          );
    const query = tf.mul(tf.add(tf.einsum('abc,cde->abde', q, wq), bq), 1 / Math.sqrt(keyDim));
    const key = heads(tf.add(tf.einsum('abc,cde->abde', k, wk), bk));
    const value = heads(tf.add(tf.einsum('abc,cde->abde', v, wv), bv));
    const scores = tf.softmax(tf.einsum('aecd,abcd->acbe', key, query));
    const out = tf.einsum('acbe,aecd->abcd', scores, value);
    return tf.add(tf.einsum('abcd,cde->abe', out, wo), bo);
  }

  /** Our layer, built, with random kernels and biases (in Keras' order: each projection's kernel, then bias). */
  function ours(shapes: number[][], args: MultiHeadAttentionArgs) {
    const Layer = customLayer(multiHeadAttentionLayer);
    const layer = new Layer({ ...args, kernelInitializer: 'glorotUniform' });
    layer.build(shapes.map((s) => [null, ...s]));
    layer.setWeights(layer.getWeights().map((w, i) => (i % 2 === 1 ? rand(w.shape, 100 + i) : w)));
    return layer;
  }

  it('MultiHeadAttention and GroupedQueryAttention, over one axis', () => {
    const [q, v, k] = [rand([2, 6, 8], 1), rand([2, 5, 3], 2), rand([2, 5, 7], 3)];
    const mha = ours(
      [
        [6, 8],
        [5, 3],
        [5, 7],
      ],
      { heads: 3, kvHeads: 3, keyDim: 4, valueDim: 4, useBias: true, gate: false, outputShape: [8], attention: [0] },
    );
    close(mha.apply([q, v, k]) as tf.Tensor, kerasMha(mha.getWeights(), q, v, k, 4));
    const group = ours(
      [
        [6, 8],
        [5, 3],
        [5, 7],
      ],
      { heads: 4, kvHeads: 2, keyDim: 3, valueDim: 3, useBias: true, gate: false, outputShape: [8], attention: [0] },
    );
    close(group.apply([q, v, k]) as tf.Tensor, kerasMha(group.getWeights(), q, v, k, 3, 2));
  });

  it('MultiHeadAttention over two axes is attention over their flattening; over one of two, a batch of rows', () => {
    const args = { heads: 2, kvHeads: 2, keyDim: 3, valueDim: 3, useBias: true, gate: false, outputShape: [6] };
    const [q, v] = [rand([2, 4, 5, 6], 4), rand([2, 4, 3, 6], 5)];
    const both = ours(
      [
        [4, 5, 6],
        [4, 3, 6],
        [4, 3, 6],
      ],
      { ...args, attention: [0, 1] },
    );
    const flat = kerasMha(both.getWeights(), q.reshape([2, 20, 6]), v.reshape([2, 12, 6]), v.reshape([2, 12, 6]), 3);
    close(both.apply([q, v]) as tf.Tensor, flat.reshape([2, 4, 5, 6]));
    const rows = ours(
      [
        [4, 5, 6],
        [4, 3, 6],
        [4, 3, 6],
      ],
      { ...args, attention: [1] },
    );
    const perRow = tf.stack(
      [0, 1, 2, 3].map((r) => {
        const at = (t: tf.Tensor) => t.slice([0, r, 0, 0], [-1, 1, -1, -1]).squeeze([1]);
        return kerasMha(rows.getWeights(), at(q), at(v), at(v), 3);
      }),
      1,
    );
    close(rows.apply([q, v]) as tf.Tensor, perRow);
  });

  it('Attention (dot and concat scores) and AdditiveAttention', () => {
    const Layer = customLayer(luongAttentionLayer);
    const [q, v, k] = [rand([2, 6, 5], 6), rand([2, 4, 3], 7), rand([2, 4, 5], 8)];
    const dot = new Layer({ config: { kind: 'attention', scoreMode: 'dot', useScale: true } });
    dot.build([
      [null, 6, 5],
      [null, 4, 3],
      [null, 4, 5],
    ]);
    dot.setWeights([tf.scalar(0.7)]);
    close(dot.apply([q, v, k]) as tf.Tensor, tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 0.7)), v));
    const pairs = tf.add(tf.expandDims(q, -2), tf.expandDims(k, -3));
    const concat = new Layer({ config: { kind: 'attention', scoreMode: 'concat', useScale: true } });
    concat.build([
      [null, 6, 5],
      [null, 4, 3],
      [null, 4, 5],
    ]);
    concat.setWeights([tf.scalar(0.5), tf.scalar(1.5)]);
    close(
      concat.apply([q, v, k]) as tf.Tensor,
      tf.matMul(tf.softmax(tf.mul(tf.sum(tf.tanh(tf.mul(pairs, 0.5)), -1), 1.5)), v),
    );
    const additive = new Layer({ config: { kind: 'additiveAttention', useScale: true } });
    additive.build([
      [null, 6, 5],
      [null, 4, 3],
      [null, 4, 5],
    ]);
    const scale = rand([5], 9);
    additive.setWeights([scale]);
    close(additive.apply([q, v, k]) as tf.Tensor, tf.matMul(tf.softmax(tf.sum(tf.mul(tf.tanh(pairs), scale), -1)), v));
  });
});

describeKerasFigures({
  kinds: ['multiHeadAttention', 'groupedQueryAttention', 'attention', 'additiveAttention', 'einsumDense'],
  fixtures: ['breadth_sequence', 'tiny_transformer'],
  wholeModels: ['tiny_transformer'],
  // Keras' figures for the projections inside: query, key, value, attention_output (EinsumDense each).
  inner: (l, info, children) => {
    for (const child of children.filter((x) => x.class_name === 'EinsumDense')) {
      expect(paramsUnder(info, `${child.path.split('/').at(-1)}/`), child.path).toBe(child.count_params);
    }
  },
});
