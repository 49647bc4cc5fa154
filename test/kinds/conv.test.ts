/**
 * The convolution family's rank-generic kinds: Conv1D, Conv3D, DepthwiseConv1D, SeparableConv1D and the
 * transposed convolutions of rank 1, 2 and 3. Their shape rules, weights and MACs against the frameworks'
 * documented formulas; their numbers against plain-loop references of the definitions; every such layer
 * of every Keras fixture against Keras' own figures; and verification by execution.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { conv, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { loadModelFile } from '../../src/importers/files.js';
import { activationOp } from '../../src/kinds/activation.js';
import { axisPadsOf, padsOf, type AxisPads } from '../../src/kinds/window.js';
import { buildTfjs } from '../../src/tfjs/builder.js';
import type {
  Conv2dConfig,
  StftConfig,
  ConvNdConfig,
  ConvTransposeConfig,
  DepthwiseConv1dConfig,
  SeparableConv1dConfig,
} from '../../src/kinds/conv.js';
import type { LayerKind } from '../../src/kinds/index.js';
import { verifyGraph } from '../../src/verify.js';
import {
  FIXTURES,
  describeKerasLayers,
  describeWholeFixtures,
  figures,
  kerasClassesOf,
} from './keras-layer-figures.js';
import { chain, indices, maxDiff, runLayer, stridesOf } from './layer-exec.js';
import { join } from 'node:path';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const KINDS_HERE: LayerKind[] = [
  'conv1d',
  'conv3d',
  'depthwiseConv1d',
  'separableConv1d',
  'conv1dTranspose',
  'conv2dTranspose',
  'conv3dTranspose',
  'stftSpectrogram',
];
const CLASSES = kerasClassesOf(KINDS_HERE);

const prod = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
const ones = (n: number): number[] => Array.from({ length: n }, () => 1);
const same = (n: number, v: number): number[] => Array.from({ length: n }, () => v);

const convNd = (rank: 1 | 3, o: Partial<ConvNdConfig> & { filters: number; kernel: number[] }): ConvNdConfig => ({
  kind: rank === 1 ? 'conv1d' : 'conv3d',
  strides: ones(rank),
  padding: 'valid',
  dilation: ones(rank),
  groups: 1,
  bias: true,
  ...o,
});

const transposed = (
  rank: 1 | 2 | 3,
  o: Partial<ConvTransposeConfig> & { filters: number; kernel: number[] },
): ConvTransposeConfig => ({
  kind: rank === 1 ? 'conv1dTranspose' : rank === 2 ? 'conv2dTranspose' : 'conv3dTranspose',
  strides: ones(rank),
  padding: 'valid',
  dilation: ones(rank),
  groups: 1,
  bias: true,
  ...o,
});

/** TensorFlow's and PyTorch's output size of a convolution: floor((n + pads - d(k - 1) - 1) / s) + 1. */
const convOut = (n: number, k: number, s: number, d: number, pads: number): number =>
  Math.floor((n + pads - d * (k - 1) - 1) / s) + 1;

/** Keras' transposed output size (keras.src.backend.common.backend_utils._get_output_shape_given_tf_padding). */
function kerasTransposedOut(n: number, k: number, s: number, d: number, padding: string, op?: number): number {
  const ek = (k - 1) * d + 1;
  if (padding === 'valid') return (n - 1) * s + ek + (op ?? Math.max(ek, s) - ek);
  return op === undefined ? n * s : (n - 1) * s + (ek % 2) + op;
}

/** PyTorch's ConvTranspose output size: (n - 1) s - pads + d (k - 1) + output_padding + 1. */
const torchTransposedOut = (n: number, k: number, s: number, d: number, pads: number, op: number): number =>
  (n - 1) * s - pads + d * (k - 1) + op + 1;

/**
 * Where a transposed conv's output starts in its full output, independently of the implementation:
 * explicit pads crop `before`; Keras' same is TensorFlow's conv_transpose, the gradient of a SAME conv
 * whose input is the output, so its before-padding floor(total / 2) is cropped.
 */
function cropBefore(c: ConvTransposeConfig, sizes: number[], out: number[]): number[] {
  return sizes.map((n, i) => {
    if (typeof c.padding !== 'string') return c.padding[i]![0];
    if (c.padding === 'valid') return 0;
    const ek = (c.kernel[i]! - 1) * c.dilation[i]! + 1;
    return Math.floor(Math.max((n - 1) * c.strides[i]! + ek - out[i]!, 0) / 2);
  });
}

/** A grouped, strided, dilated, padded convolution by its definition, kernel [...k, cin / groups, filters]. */
function refConv(
  x: Float32Array,
  inShape: number[],
  w: Float32Array,
  c: {
    kernel: readonly number[];
    strides: readonly number[];
    dilation: readonly number[];
    groups: number;
    filters: number;
  },
  before: number[],
  outSpatial: number[],
  bias?: Float32Array,
): Float32Array {
  const rank = c.kernel.length;
  const cin = inShape[rank]!;
  const cg = cin / c.groups;
  const fg = c.filters / c.groups;
  const xs = stridesOf(inShape);
  const ws = stridesOf([...c.kernel, cg, c.filters]);
  const os = stridesOf([...outSpatial, c.filters]);
  const out = new Float32Array(prod(outSpatial) * c.filters);
  for (const o of indices([...outSpatial, c.filters])) {
    const oc = o[rank]!;
    const g = Math.floor(oc / fg);
    let acc = bias ? bias[oc]! : 0;
    for (const t of indices(c.kernel)) {
      const pos = t.map((ti, i) => o[i]! * c.strides[i]! + ti * c.dilation[i]! - before[i]!);
      if (pos.some((p, i) => p < 0 || p >= inShape[i]!)) continue;
      const xBase = pos.reduce((a, p, i) => a + p * xs[i]!, 0);
      const wBase = t.reduce((a, ti, i) => a + ti * ws[i]!, 0);
      for (let ci = 0; ci < cg; ci++) acc += x[xBase + g * cg + ci]! * w[wBase + ci * ws[rank]! + oc]!;
    }
    out[o.reduce((a, v, i) => a + v * os[i]!, 0)] = acc;
  }
  return out;
}

/** A transposed convolution by its definition: each input element scatters kernel x itself, then the crop. */
function refTransposed(
  x: Float32Array,
  inShape: number[],
  w: Float32Array,
  c: ConvTransposeConfig,
  before: number[],
  outSpatial: number[],
  bias?: Float32Array,
): Float32Array {
  const rank = c.kernel.length;
  const cin = inShape[rank]!;
  const cg = cin / c.groups;
  const fg = c.filters / c.groups;
  const xs = stridesOf(inShape);
  const ws = stridesOf([...c.kernel, fg, cin]);
  const os = stridesOf([...outSpatial, c.filters]);
  const out = new Float32Array(prod(outSpatial) * c.filters);
  for (const p of indices(inShape.slice(0, rank))) {
    const xBase = p.reduce((a, v, i) => a + v * xs[i]!, 0);
    for (const t of indices(c.kernel)) {
      const q = p.map((v, i) => v * c.strides[i]! + t[i]! * c.dilation[i]! - before[i]!);
      if (q.some((v, i) => v < 0 || v >= outSpatial[i]!)) continue;
      const oBase = q.reduce((a, v, i) => a + v * os[i]!, 0);
      const wBase = t.reduce((a, v, i) => a + v * ws[i]!, 0);
      for (let ci = 0; ci < cin; ci++) {
        const g = Math.floor(ci / cg);
        for (let j = 0; j < fg; j++) out[oBase + g * fg + j]! += x[xBase + ci]! * w[wBase + j * ws[rank]! + ci]!;
      }
    }
  }
  if (bias) for (let i = 0; i < out.length; i++) out[i]! += bias[i % c.filters]!;
  return out;
}

describe('conv1d and conv3d: shape rule, weights and MACs', () => {
  it("follow floor((n + pads - d(k - 1) - 1) / s) + 1 per axis, SAME's ceil(n / s) and causal's n - d(k - 1) before (exhaustive over small sizes)", () => {
    let checked = 0;
    for (const rank of [1, 3] as const)
      for (let n = 3; n <= 9; n += rank === 1 ? 1 : 3)
        for (let k = 1; k <= 3; k++)
          for (let s = 1; s <= 3; s++)
            for (const d of [1, 2])
              for (const groups of [1, 2])
                for (const padding of ['valid', 'same', 'causal', [[1, 2]], [[0, 1]]] as const) {
                  if (padding === 'causal' && rank !== 1) continue;
                  const pads = typeof padding === 'string' ? undefined : same(rank, 0).map(() => padding[0]!);
                  const ek = (k - 1) * d + 1;
                  const padTotal = pads ? pads[0]![0] + pads[0]![1] : padding === 'causal' ? ek - 1 : 0;
                  if (padding !== 'same' && ek > n + padTotal) continue;
                  const sizes = same(rank, n).map((v, i) => v + i);
                  const c = convNd(rank, {
                    filters: 4,
                    kernel: same(rank, k),
                    strides: same(rank, s),
                    dilation: same(rank, d),
                    groups,
                    padding: pads ?? (padding as 'valid' | 'same' | 'causal'),
                  });
                  const l = census(chain([...sizes, 6], c)).layers[1]!;
                  const out = sizes.map((m) => (padding === 'same' ? Math.ceil(m / s) : convOut(m, k, s, d, padTotal)));
                  expect(l.outputShape).toEqual([1, ...out, 4]);
                  expect(l.params).toBe(prod(c.kernel) * (6 / groups) * 4 + 4);
                  expect(l.macs).toBe(prod(out) * 4 * (6 / groups) * prod(c.kernel));
                  checked++;
                }
    expect(checked).toBeGreaterThan(1000);
  });

  it("have Keras' weights: kernel [...k, cin / groups, filters] and bias [filters]", () => {
    const c = census(chain([8, 6, 5, 4], convNd(3, { filters: 6, kernel: [3, 2, 1], groups: 2, bias: false })));
    expect(c.infos[1]!.weights.map((w) => [w.name, w.shape, w.torchName])).toEqual([
      ['kernel', [3, 2, 1, 2, 6], 'weight'],
    ]);
    expect(c.layers[1]!.detail).toBe('3x2x1 g2 nobias');
    const d = census(chain([9, 4], convNd(1, { filters: 2, kernel: [3], dilation: [2], padding: 'causal' })));
    expect(d.infos[1]!.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 4, 2]],
      ['bias', [2]],
    ]);
    expect(d.layers[1]!.detail).toBe('3 causal d2');
  });

  it('refuse, naming the layer: groups that do not divide, causal padding beyond 1-D, axes that do not match the rank, windows larger than the input', () => {
    expect(() => census(chain([8, 6], convNd(1, { filters: 4, kernel: [3], groups: 4 })))).toThrow(
      /layer "l0" \(conv1d\): input channels 6 are not divisible by groups 4/,
    );
    expect(() => census(chain([4, 4, 4, 2], convNd(3, { filters: 2, kernel: [3, 3, 3], padding: 'causal' })))).toThrow(
      /layer "l0" \(conv3d\): causal padding is for 1-D convolutions/,
    );
    expect(() => census(chain([4, 4, 4, 2], convNd(3, { filters: 2, kernel: [3, 3] })))).toThrow(
      /layer "l0" \(conv3d\): kernel has 2 axes, expected 3/,
    );
    expect(() => census(chain([4, 2], convNd(1, { filters: 2, kernel: [3], dilation: [2] })))).toThrow(
      /layer "l0" \(conv1d\): kernel 5 is larger than its input length 4/,
    );
  });
});

describe('depthwiseConv1d and separableConv1d', () => {
  const dw = (o: Partial<DepthwiseConv1dConfig>): DepthwiseConv1dConfig => ({
    kind: 'depthwiseConv1d',
    kernel: [3],
    strides: [1],
    padding: 'same',
    dilation: [1],
    depthMultiplier: 2,
    bias: true,
    ...o,
  });
  const sep = (o: Partial<SeparableConv1dConfig>): SeparableConv1dConfig => ({
    kind: 'separableConv1d',
    filters: 5,
    kernel: [3],
    strides: [1],
    padding: 'same',
    dilation: [1],
    depthMultiplier: 2,
    bias: true,
    ...o,
  });

  it('depthwise: kernel [k, cin, multiplier] (Keras 3 names it kernel), bias [cin x multiplier], MACs = output elements x k', () => {
    const c = census(chain([10, 3], dw({ strides: [2], padding: 'valid' })));
    expect(c.layers[1]!.outputShape).toEqual([1, 4, 6]);
    expect(c.infos[1]!.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [3, 3, 2]],
      ['bias', [6]],
    ]);
    expect(c.layers[1]!.macs).toBe(4 * 6 * 3);
    expect(c.layers[1]!.detail).toBe('3/2 x2');
  });

  it('separable: depthwise [k, cin, m], pointwise [1, cin x m, filters], bias; MACs = positions x cin x m x (k + filters)', () => {
    const c = census(chain([10, 3], sep({ dilation: [2] })));
    expect(c.layers[1]!.outputShape).toEqual([1, 10, 5]);
    expect(c.infos[1]!.weights.map((w) => [w.name, w.shape])).toEqual([
      ['depthwise_kernel', [3, 3, 2]],
      ['pointwise_kernel', [1, 6, 5]],
      ['bias', [5]],
    ]);
    expect(c.layers[1]!.macs).toBe(10 * 6 * (3 + 5));
    expect(c.layers[1]!.params).toBe(18 + 30 + 5);
  });

  it('compute what their definitions say (depthwise as a conv with one group per channel, separable as depthwise then 1x1)', () => {
    for (const [shape, cfg] of [
      [[11, 3], dw({ strides: [2], dilation: [1], padding: [[2, 1]] })],
      [[11, 3], dw({ strides: [2], dilation: [2], padding: 'same' })],
      [[9, 2], sep({ strides: [1], dilation: [2], padding: 'valid' })],
      [[9, 2], sep({ strides: [3], dilation: [2], padding: 'same', bias: false })],
    ] as Array<[number[], DepthwiseConv1dConfig | SeparableConv1dConfig]>) {
      const info = census(chain(shape, cfg)).infos[1]!;
      const r = runLayer(shape, cfg);
      const cin = shape[1]!;
      const m = cfg.depthMultiplier;
      const before = [
        cfg.padding === 'same'
          ? Math.floor(
              Math.max(
                (info.outputShape[0]! - 1) * cfg.strides[0]! + (cfg.kernel[0]! - 1) * cfg.dilation[0]! + 1 - shape[0]!,
                0,
              ) / 2,
            )
          : typeof cfg.padding === 'string'
            ? 0
            : cfg.padding[0]![0],
      ];
      const spatialOut = info.outputShape.slice(0, 1);
      // A depthwise kernel [k, cin, m] is a grouped kernel [k, 1, cin x m] with cin groups.
      const dwOut = refConv(
        r.x,
        shape,
        r.weights[0]!,
        { kernel: cfg.kernel, strides: cfg.strides, dilation: cfg.dilation, groups: cin, filters: cin * m },
        before,
        spatialOut,
        cfg.kind === 'depthwiseConv1d' && cfg.bias ? r.weights[1] : undefined,
      );
      const want =
        cfg.kind === 'depthwiseConv1d'
          ? dwOut
          : refConv(
              dwOut,
              [...spatialOut, cin * m],
              r.weights[1]!,
              { kernel: [1], strides: [1], dilation: [1], groups: 1, filters: (cfg as SeparableConv1dConfig).filters },
              [0],
              spatialOut,
              cfg.bias ? r.weights[2] : undefined,
            );
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
    }
  });
});

describe('depthwiseConv2d with dilation', () => {
  // tfjs-layers' DepthwiseConv2D ignores dilation_rate when it runs (MobileNetV3's dilated last stage in
  // torchvision's segmentation models, Keras' dilation_rate): netcensus runs it as its own layer.
  it('computes its definition: explicit pads, SAME, a stride with a dilation, a multiplier', () => {
    for (const [shape, padding, strides, multiplier] of [
      [[14, 14, 4], { top: 4, bottom: 4, left: 4, right: 4 }, [1, 1], 1],
      [[9, 11, 3], 'same', [1, 1], 2],
      [[12, 10, 2], { top: 1, bottom: 3, left: 2, right: 0 }, [2, 2], 1],
    ] as Array<
      [number[], 'same' | { top: number; bottom: number; left: number; right: number }, [number, number], number]
    >) {
      const cfg: LayerConfig = {
        kind: 'depthwiseConv2d',
        kernel: [5, 3],
        strides,
        padding: padding === 'same' ? padding : axisPadsOf(padding),
        dilation: [2, 3],
        depthMultiplier: multiplier,
        bias: true,
      };
      const info = census(chain(shape, cfg)).infos[1]!;
      const r = runLayer(shape, cfg);
      const spatialOut = info.outputShape.slice(0, 2);
      const before =
        padding === 'same'
          ? spatialOut.map((o, i) =>
              Math.floor(Math.max((o - 1) * strides[i]! + ([5, 3][i]! - 1) * [2, 3][i]! + 1 - shape[i]!, 0) / 2),
            )
          : [padding.top, padding.left];
      const cin = shape[2]!;
      const want = refConv(
        r.x,
        shape,
        r.weights[0]!,
        { kernel: [5, 3], strides, dilation: [2, 3], groups: cin, filters: cin * multiplier },
        before,
        spatialOut,
        r.weights[1],
      );
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
    }
  });
});

describe('conv1d and conv3d compute their definition', () => {
  it('grouped, strided and dilated together, causal, explicit asymmetric pads, in tfjs-layers and in ConvND', () => {
    const cases: Array<[number[], ConvNdConfig]> = [
      [[12, 4], convNd(1, { filters: 6, kernel: [3], strides: [2], dilation: [2], groups: 2, padding: [[2, 1]] })],
      [[12, 4], convNd(1, { filters: 4, kernel: [3], dilation: [3], padding: 'causal' })],
      [[12, 4], convNd(1, { filters: 4, kernel: [4], strides: [3], padding: 'same', groups: 4 })],
      [[12, 4], convNd(1, { filters: 3, kernel: [2], strides: [2], padding: 'valid', bias: false })],
      [[12, 4], convNd(1, { filters: 3, kernel: [3], dilation: [2], padding: 'same', activation: 'relu' })],
      [[5, 6, 7, 2], convNd(3, { filters: 3, kernel: [2, 2, 3], dilation: [2, 1, 2], padding: 'valid' })],
      [
        [5, 6, 4, 2],
        convNd(3, {
          filters: 4,
          kernel: [2, 3, 2],
          strides: [2, 1, 2],
          dilation: [1, 2, 1],
          groups: 2,
          padding: [
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        }),
      ],
      [[5, 6, 4, 2], convNd(3, { filters: 2, kernel: [3, 3, 3], padding: 'same' })],
      [[5, 6, 4, 4], convNd(3, { filters: 4, kernel: [1, 2, 2], dilation: [1, 2, 1], groups: 4, padding: 'valid' })],
    ];
    for (const [shape, cfg] of cases) {
      const info = census(chain(shape, cfg)).infos[1]!;
      const rank = cfg.kernel.length;
      const sizes = shape.slice(0, rank);
      const out = info.outputShape.slice(0, rank);
      const before =
        cfg.padding === 'valid'
          ? ones(rank).map(() => 0)
          : cfg.padding === 'causal'
            ? [(cfg.kernel[0]! - 1) * cfg.dilation[0]!]
            : cfg.padding === 'same'
              ? sizes.map((n, i) =>
                  Math.floor(
                    Math.max((out[i]! - 1) * cfg.strides[i]! + (cfg.kernel[i]! - 1) * cfg.dilation[i]! + 1 - n, 0) / 2,
                  ),
                )
              : cfg.padding.map(([b]) => b);
      const r = runLayer(shape, cfg);
      const raw = refConv(r.x, shape, r.weights[0]!, cfg, before, out, cfg.bias ? r.weights[1] : undefined);
      const want = cfg.activation === 'relu' ? raw.map((v) => Math.max(v, 0)) : raw;
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
    }
  });

  it('a 2-D conv with explicit padding other than SAME computes it inside the convolution, with or without groups and a fused activation', () => {
    const cases: Array<[number[], Conv2dConfig]> = [
      [[9, 8, 4], conv(6, 7, { stride: 2, pad: 3, bias: false })],
      [[9, 8, 4], conv(6, 3, { stride: 2, pad: 1, activation: 'relu' })],
      [
        [9, 8, 4],
        {
          ...conv(4, [3, 2], { groups: 2, activation: 'elu' }),
          padding: axisPadsOf({ top: 1, bottom: 2, left: 0, right: 3 }),
        },
      ],
      [
        [9, 8, 4],
        {
          ...conv(3, 3, { stride: 3, activation: 'gelu' }),
          padding: axisPadsOf({ top: 2, bottom: 0, left: 1, right: 1 }),
        },
      ],
    ];
    for (const [shape, cfg] of cases) {
      const graph = chain(shape, cfg);
      const info = census(graph).infos[1]!;
      const built = buildTfjs(graph, census(graph).infos);
      // One layer: no padding op in front of the convolution.
      expect(built.nodes[0]!.layers.map((l) => l.getClassName())).toEqual(['GroupedConv2D']);
      built.model.dispose();
      const p = padsOf(cfg.padding as AxisPads);
      const r = runLayer(shape, cfg);
      const raw = refConv(r.x, shape, r.weights[0]!, cfg, [p.top, p.left], info.outputShape.slice(0, 2), r.weights[1]);
      const act = cfg.activation ? activationOp(tf, cfg.activation) : (t: tf.Tensor) => t;
      const want = tf.tidy(() => act(tf.tensor(raw)).dataSync());
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
    }
  });

  it('a 2-D conv with both stride and dilation (ONNX allows it; tfjs-layers does not) runs through ConvND', () => {
    const cfg = conv(4, 3, { stride: 2, dilation: 2, groups: 2, pad: 1 });
    const r = runLayer([9, 8, 4], cfg);
    const info = census(chain([9, 8, 4], cfg)).infos[1]!;
    const want = refConv(
      r.x,
      [9, 8, 4],
      r.weights[0]!,
      { ...cfg, kernel: cfg.kernel, strides: cfg.strides, dilation: cfg.dilation },
      [1, 1],
      info.outputShape.slice(0, 2),
      r.weights[1],
    );
    expect(r.shape).toEqual([1, convOut(9, 3, 2, 2, 2), convOut(8, 3, 2, 2, 2), 4]);
    expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
  });
});

describe('transposed convolutions: shape rule, weights and MACs', () => {
  it("Keras' valid and same, with and without output_padding, follow Keras' own output-size rule (exhaustive over small sizes)", () => {
    let checked = 0;
    for (const rank of [1, 2, 3] as const)
      for (let n = 1; n <= 5; n += rank === 1 ? 1 : 2)
        for (let k = 1; k <= 4; k++)
          for (let s = 1; s <= 3; s++)
            for (const d of s > 1 ? [1] : [1, 2])
              for (const padding of ['valid', 'same'] as const)
                for (const op of [undefined, ...Array.from({ length: s }, (_, i) => i)]) {
                  const sizes = same(rank, n).map((v, i) => v + i);
                  const c = transposed(rank, {
                    filters: 3,
                    kernel: same(rank, k),
                    strides: same(rank, s),
                    dilation: same(rank, d),
                    padding,
                    ...(op === undefined ? {} : { outputPadding: same(rank, op) }),
                  });
                  const out = sizes.map((m) => kerasTransposedOut(m, k, s, d, padding, op));
                  if (out.some((o) => o < 1)) continue;
                  const l = census(chain([...sizes, 2], c)).layers[1]!;
                  expect(l.outputShape).toEqual([1, ...out, 3]);
                  checked++;
                }
    expect(checked).toBeGreaterThan(500);
  });

  it("explicit pads and output padding follow PyTorch's rule; weights [...k, filters / groups, cin]; MACs = input elements x filters / groups x k (PyTorch's hooks)", () => {
    let checked = 0;
    for (const rank of [1, 2, 3] as const)
      for (let n = 2; n <= 4; n++)
        for (let k = 1; k <= 3; k++)
          for (let s = 1; s <= 3; s++)
            for (const d of [1, 2])
              for (const p of [0, 1, 2])
                for (const groups of [1, 2]) {
                  const op = Math.max(s, d) - 1;
                  const out = torchTransposedOut(n, k, s, d, 2 * p, op);
                  if (out < 1) continue;
                  const c = transposed(rank, {
                    filters: 4,
                    kernel: same(rank, k),
                    strides: same(rank, s),
                    dilation: same(rank, d),
                    padding: same(rank, 0).map(() => [p, p] as const),
                    outputPadding: same(rank, op),
                    groups,
                  });
                  const info = census(chain([...same(rank, n), 2], c)).infos[1]!;
                  expect(info.outputShape).toEqual([...same(rank, out), 4]);
                  expect(info.weights.map((w) => w.shape)).toEqual([[...c.kernel, 4 / groups, 2], [4]]);
                  expect(info.macs).toBe(n ** rank * 2 * (4 / groups) * k ** rank);
                  checked++;
                }
    expect(checked).toBeGreaterThan(500);
  });

  it('show output padding and groups in tables, and refuse what cannot be built, naming the layer', () => {
    const c = census(
      chain(
        [5, 4, 2],
        transposed(2, {
          filters: 4,
          kernel: [3, 3],
          strides: [2, 2],
          padding: 'same',
          outputPadding: [1, 1],
          groups: 2,
        }),
      ),
    );
    expect(c.layers[1]!.detail).toBe('3/2 same g2 op1');
    expect(c.layers[1]!.type).toBe('Conv2DTranspose');
    expect(() =>
      census(chain([5, 2], transposed(1, { filters: 2, kernel: [3], strides: [2], outputPadding: [2] }))),
    ).toThrow(
      /layer "l0" \(conv1dTranspose\): output padding 2 must be smaller than the stride or the dilation on the length/,
    );
    expect(() => census(chain([1, 2], transposed(1, { filters: 2, kernel: [2], padding: [[1, 1]] })))).toThrow(
      /layer "l0" \(conv1dTranspose\): padding leaves no output along the length/,
    );
    expect(() => census(chain([4, 3], transposed(1, { filters: 2, kernel: [2], groups: 2 })))).toThrow(
      /input channels 3 are not divisible by groups 2/,
    );
  });

  it('compute their definition (scatter, then crop) in tfjs-layers and in ConvTransposeND, every rank', () => {
    const cases: Array<[number[], ConvTransposeConfig]> = [
      [[5, 2], transposed(1, { filters: 3, kernel: [3], strides: [2], padding: 'valid' })],
      [[5, 2], transposed(1, { filters: 3, kernel: [4], strides: [2], padding: 'same', outputPadding: [1] })],
      [[5, 2], transposed(1, { filters: 3, kernel: [1], strides: [3], padding: 'valid' })],
      [
        [5, 4],
        transposed(1, { filters: 6, kernel: [3], strides: [2], padding: [[1, 1]], outputPadding: [1], groups: 2 }),
      ],
      [[4, 2], transposed(1, { filters: 2, kernel: [3], dilation: [2], padding: 'same' })],
      [[3, 4, 2], transposed(2, { filters: 3, kernel: [3, 2], strides: [2, 3], padding: 'same' })],
      [
        [3, 4, 2],
        transposed(2, { filters: 3, kernel: [3, 2], strides: [2, 3], padding: 'same', outputPadding: [1, 0] }),
      ],
      [
        [3, 4, 4],
        transposed(2, {
          filters: 4,
          kernel: [3, 3],
          strides: [2, 1],
          dilation: [1, 1],
          padding: [
            [2, 0],
            [1, 2],
          ],
          groups: 4,
          bias: false,
        }),
      ],
      [[4, 4, 2], transposed(2, { filters: 3, kernel: [3, 2], dilation: [2, 1], padding: 'same' })],
      [
        [2, 3, 3, 2],
        transposed(3, { filters: 2, kernel: [2, 3, 2], strides: [1, 2, 2], padding: 'same', outputPadding: [0, 1, 1] }),
      ],
      [[2, 3, 3, 2], transposed(3, { filters: 2, kernel: [2, 2, 2], strides: [2, 2, 2], padding: 'valid' })],
      [
        [2, 3, 3, 4],
        transposed(3, {
          filters: 2,
          kernel: [3, 3, 3],
          strides: [2, 2, 1],
          dilation: [1, 1, 2],
          padding: [
            [1, 1],
            [0, 2],
            [1, 0],
          ],
          groups: 2,
        }),
      ],
    ];
    for (const [shape, cfg] of cases) {
      const info = census(chain(shape, cfg)).infos[1]!;
      const rank = cfg.kernel.length;
      const sizes = shape.slice(0, rank);
      const out = info.outputShape.slice(0, rank);
      const r = runLayer(shape, cfg);
      const want = refTransposed(
        r.x,
        shape,
        r.weights[0]!,
        cfg,
        cropBefore(cfg, sizes, out),
        out,
        cfg.bias ? r.weights[1] : undefined,
      );
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want)).toBeLessThan(1e-4);
    }
  });
});

/** A Keras 3 model.to_json() of one layer on an input of the given shape. */
const kerasModel = (cls: string, shape: number[], config: Record<string, unknown>) => ({
  module: 'keras',
  class_name: 'Sequential',
  config: {
    name: 'm',
    layers: [
      { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, ...shape], name: 'in' } },
      {
        module: 'keras.layers',
        class_name: cls,
        config: { name: 'layer', trainable: true, dtype: 'float32', ...config },
      },
    ],
  },
});

describe('reading Keras configs', () => {
  it('reads Conv1D (causal, groups, dilation), Conv3D, their Keras 2 names, and the transposed convolutions with output_padding', () => {
    const c1 = importKerasJson(
      kerasModel('Convolution1D', [10, 4], {
        filters: 4,
        kernel_size: 3,
        padding: 'causal',
        dilation_rate: [2],
        groups: 2,
        use_bias: false,
        activation: 'relu',
      }),
    ).graph.nodes[1]!.config;
    expect(c1).toEqual(
      convNd(1, {
        filters: 4,
        kernel: [3],
        padding: 'causal',
        dilation: [2],
        groups: 2,
        bias: false,
        activation: 'relu',
      }),
    );
    const c3 = importKerasJson(
      kerasModel('Conv3D', [4, 4, 4, 1], { filters: 2, kernel_size: [3, 1, 3], strides: 2, padding: 'same' }),
    ).graph.nodes[1]!.config;
    expect(c3).toEqual(convNd(3, { filters: 2, kernel: [3, 1, 3], strides: [2, 2, 2], padding: 'same' }));
    const t = importKerasJson(
      kerasModel('Conv2DTranspose', [4, 4, 2], {
        filters: 3,
        kernel_size: [3, 3],
        strides: [2, 2],
        padding: 'same',
        output_padding: [1, 1],
        dilation_rate: [1, 1],
      }),
    ).graph.nodes[1]!.config;
    expect(t).toEqual(
      transposed(2, { filters: 3, kernel: [3, 3], strides: [2, 2], padding: 'same', outputPadding: [1, 1] }),
    );
    const none = importKerasJson(
      kerasModel('Conv1DTranspose', [4, 2], { filters: 3, kernel_size: 3, output_padding: null }),
    ).graph.nodes[1]!.config;
    expect(none).toEqual(transposed(1, { filters: 3, kernel: [3] }));
  });

  it('refuses causal padding beyond 1-D, output padding not below the stride, LoRA and channels_first, naming layer and field', () => {
    expect(() =>
      importKerasJson(kerasModel('Conv3D', [4, 4, 4, 1], { filters: 2, kernel_size: 3, padding: 'causal' })),
    ).toThrow(/layer "layer" \(Conv3D\): padding "causal" is not supported \(valid or same\)/);
    expect(() =>
      importKerasJson(
        kerasModel('Conv1DTranspose', [4, 2], { filters: 2, kernel_size: 3, strides: 2, output_padding: 2 }),
      ),
    ).toThrow(/layer "layer" \(Conv1DTranspose\): output_padding must be smaller than the stride/);
    expect(() => importKerasJson(kerasModel('Conv1D', [4, 2], { filters: 2, kernel_size: 3, lora_rank: 4 }))).toThrow(
      /layer "layer" \(Conv1D\): lora_rank is not supported/,
    );
    expect(() =>
      importKerasJson(
        kerasModel('SeparableConv1D', [4, 2], { filters: 2, kernel_size: 3, data_format: 'channels_first' }),
      ),
    ).toThrow(/layer "layer" \(SeparableConv1D\): data_format "channels_first" is not supported/);
  });
});

describe("Keras' STFTSpectrogram", () => {
  const stft = (o: Partial<StftConfig>): StftConfig => ({
    kind: 'stftSpectrogram',
    mode: 'log',
    frameLength: 8,
    frameStep: 3,
    fftLength: 8,
    padding: 'valid',
    expandDims: false,
    ...o,
  });

  it('is a 1-D conv per channel with a real and an imaginary kernel [frame, 1, fft / 2 + 1]; MACs per kernel = frames x channels x bins x frame', () => {
    const c = census(chain([40, 2], stft({})));
    const frames = convOut(40, 8, 3, 1, 0);
    expect(c.layers[1]!.outputShape).toEqual([1, frames, 2 * 5]);
    expect(c.infos[1]!.weights.map((w) => [w.name, w.shape, w.trainable])).toEqual([
      ['real_kernel', [8, 1, 5], true],
      ['imag_kernel', [8, 1, 5], true],
    ]);
    expect(c.layers[1]!.macParts).toEqual({ real: frames * 2 * 5 * 8, imag: frames * 2 * 5 * 8 });
    expect(c.layers[1]!.macs).toBe(2 * frames * 2 * 5 * 8);
    const real = census(chain([30, 3], stft({ mode: 'real', padding: 'same', expandDims: true, fftLength: 16 })));
    expect(real.layers[1]!.outputShape).toEqual([1, Math.ceil(30 / 3), 9, 3]);
    expect(real.layers[1]!.params).toBe(8 * 9);
    expect(census(chain([30, 1], stft({ mode: 'stft' }))).layers[1]!.outputShape).toEqual([
      1,
      convOut(30, 8, 3, 1, 0),
      10,
    ]);
    expect(() => census(chain([30, 1], stft({ fftLength: 4 })))).toThrow(
      /layer "l0" \(stftSpectrogram\): fft length 4 is smaller than the frame length 8/,
    );
  });

  it('computes each mode from the two convolutions, channel-major as Keras lays it out', () => {
    for (const mode of ['log', 'magnitude', 'psd', 'real', 'imag', 'angle', 'stft'] as const) {
      for (const expandDims of [false, true]) {
        const shape = [20, 2];
        const cfg = stft({ mode, expandDims, padding: expandDims ? 'same' : 'valid' });
        const info = census(chain(shape, cfg)).infos[1]!;
        const r = runLayer(shape, cfg);
        const frames = info.outputShape[0]!;
        const before = cfg.padding === 'same' ? [Math.floor(Math.max((frames - 1) * 3 + 8 - 20, 0) / 2)] : [0];
        const conv = (k: Float32Array, ch: number) =>
          refConv(
            Float32Array.from({ length: 20 }, (_, t) => r.x[t * 2 + ch]!),
            [20, 1],
            k,
            { kernel: [8], strides: [3], dilation: [1], groups: 1, filters: 5 },
            before,
            [frames],
          );
        const kernels = mode === 'imag' ? [undefined, r.weights[0]] : [r.weights[0], r.weights[1]];
        const want: number[] = new Array(r.y.length);
        for (let ch = 0; ch < 2; ch++) {
          const re = kernels[0] ? conv(kernels[0], ch) : undefined;
          const im = kernels[1] ? conv(kernels[1], ch) : undefined;
          const width = mode === 'stft' ? 10 : 5;
          for (let t = 0; t < frames; t++)
            for (let f = 0; f < width; f++) {
              const fb = f % 5;
              const a = re?.[t * 5 + fb] ?? 0;
              const b = im?.[t * 5 + fb] ?? 0;
              const power = a * a + b * b;
              const v =
                mode === 'real'
                  ? a
                  : mode === 'imag'
                    ? b
                    : mode === 'angle'
                      ? Math.atan2(b, a)
                      : mode === 'stft'
                        ? f < 5
                          ? a
                          : b
                        : mode === 'psd'
                          ? power * (fb > 0 && fb < 4 ? 2 : 1)
                          : mode === 'magnitude'
                            ? Math.sqrt(Math.max(power, 1e-7))
                            : Math.log(Math.max(Math.sqrt(Math.max(power, 1e-7)), 1e-7));
              want[expandDims ? (t * width + f) * 2 + ch : t * 2 * width + ch * width + f] = v;
            }
        }
        expect(r.shape).toEqual([1, ...info.outputShape]);
        expect(maxDiff(r.y, want), `${mode} ${expandDims}`).toBeLessThan(1e-4);
      }
    }
  });

  it("reads Keras' config (frame_step and fft_length default from the frame length)", () => {
    expect(
      importKerasJson(
        kerasModel('STFTSpectrogram', [64, 1], { frame_length: 20, frame_step: null, fft_length: null, mode: 'psd' }),
      ).graph.nodes[1]!.config,
    ).toEqual(stft({ mode: 'psd', frameLength: 20, frameStep: 10, fftLength: 32 }));
  });
});

describeKerasLayers(CLASSES, [
  'Conv1D',
  'Conv3D',
  'SeparableConv1D',
  'DepthwiseConv1D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'STFTSpectrogram',
]);

describeWholeFixtures(CLASSES, ['audio_cnn_1d', 'cnn3d', 'unet_small', 'breadth_sequence']);

describe('verification by execution', () => {
  it.each(['audio_cnn_1d', 'cnn3d', 'unet_small'])(
    '%s (Keras fixture) builds and runs layer for layer',
    async (model) => {
      const r = await verifyGraph((await loadModelFile(join(FIXTURES, `${model}.json`))).graph);
      expect(r.mismatches).toEqual([]);
      expect(r.params.framework).toBe(figures.models[model]!.count_params);
    },
  );

  it('small graphs of every kind, varying strides, padding, dilation, groups and output padding', async () => {
    const graphs: Array<[number[], LayerConfig[]]> = [
      [
        [16, 4],
        [
          convNd(1, { filters: 4, kernel: [3], padding: 'causal', dilation: [2] }),
          convNd(1, { filters: 6, kernel: [3], strides: [2], groups: 2, padding: [[0, 2]] }),
        ],
      ],
      [
        [16, 4],
        [
          convNd(1, { filters: 4, kernel: [5], padding: 'same', strides: [3] }),
          transposed(1, { filters: 2, kernel: [3], strides: [3], padding: 'same', outputPadding: [2] }),
        ],
      ],
      [
        [6, 7, 8, 2],
        [
          convNd(3, { filters: 4, kernel: [3, 3, 3], padding: 'same', strides: [2, 1, 2] }),
          transposed(3, { filters: 2, kernel: [2, 2, 2], strides: [2, 2, 2] }),
        ],
      ],
      [
        [6, 7, 8, 4],
        [
          convNd(3, {
            filters: 4,
            kernel: [2, 2, 2],
            dilation: [2, 1, 1],
            groups: 4,
            padding: [
              [1, 0],
              [0, 0],
              [1, 1],
            ],
          }),
          transposed(3, {
            filters: 4,
            kernel: [3, 3, 3],
            dilation: [2, 2, 1],
            groups: 2,
            padding: [
              [1, 1],
              [1, 1],
              [0, 0],
            ],
            outputPadding: [1, 0, 0],
          }),
        ],
      ],
      [
        [6, 5, 4],
        [
          transposed(2, { filters: 3, kernel: [3, 3], strides: [2, 2], padding: 'valid' }),
          transposed(2, { filters: 2, kernel: [2, 3], strides: [1, 2], padding: 'same', outputPadding: [0, 1] }),
        ],
      ],
      [
        [20, 3],
        [
          {
            kind: 'depthwiseConv1d',
            kernel: [3],
            strides: [2],
            padding: 'same',
            dilation: [1],
            depthMultiplier: 3,
            bias: true,
            activation: 'relu',
          },
          {
            kind: 'separableConv1d',
            filters: 4,
            kernel: [3],
            strides: [1],
            padding: 'valid',
            dilation: [2],
            depthMultiplier: 1,
            bias: false,
          },
        ],
      ],
    ];
    for (const [shape, layers] of graphs) {
      const r = await verifyGraph(chain(shape, ...layers));
      expect(r.mismatches).toEqual([]);
    }
  });
});
