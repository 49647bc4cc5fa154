/**
 * The pooling family's new kinds: max and average pools over 1-D sequences and 3-D volumes (Keras' floor
 * mode with valid / same; explicit pads, ceil mode and count_include_pad as PyTorch and ONNX give them, at
 * every rank), global pools of every rank, and Keras' adaptive pools. Shapes against the documented
 * formulas, numbers against plain-loop references, Keras' own figures, and verification by execution.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { conv, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import type { LayerKind } from '../../src/kinds/index.js';
import type { AdaptivePoolConfig, GlobalPoolConfig, Pool2dConfig, PoolNdConfig } from '../../src/kinds/pooling.js';
import { axisPadsOf, type AxisPads } from '../../src/kinds/window.js';
import { verifyGraph } from '../../src/verify.js';
import { describeKerasLayers, describeWholeFixtures, kerasClassesOf } from './keras-layer-figures.js';
import { chain, indices, maxDiff, runLayer, stridesOf } from './layer-exec.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const KINDS_HERE: LayerKind[] = [
  'maxPool1d',
  'avgPool1d',
  'maxPool3d',
  'avgPool3d',
  'globalAvgPool1d',
  'globalMaxPool1d',
  'globalAvgPool3d',
  'globalMaxPool3d',
  'adaptiveAvgPool',
  'adaptiveMaxPool',
];
const CLASSES = kerasClassesOf(KINDS_HERE);

const prod = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);
const same = (n: number, v: number): number[] => Array.from({ length: n }, () => v);

const pool = (rank: 1 | 3, mode: 'max' | 'avg', o: Partial<PoolNdConfig> & { pool: number[] }): PoolNdConfig => ({
  kind: `${mode}Pool${rank}d`,
  strides: o.pool,
  padding: 'valid',
  ceilMode: false,
  ...o,
});

/** PyTorch's pooling output size, ceil mode's last window dropped when it starts in the right padding. */
function torchOut(n: number, k: number, s: number, before: number, after: number, ceil: boolean): number {
  const raw = (n + before + after - k) / s;
  let o = (ceil ? Math.ceil(raw) : Math.floor(raw)) + 1;
  if (ceil && (o - 1) * s >= n + before) o -= 1;
  return o;
}

/**
 * A pool by PyTorch's definition (and TensorFlow's SAME, whose padding is never counted): a window
 * starting at o x s - before, clipped to the input plus the explicit padding for the divisor when padding
 * counts, to the input alone otherwise; max over the input positions it covers.
 */
function refPool(
  x: Float32Array,
  inShape: number[],
  mode: 'max' | 'avg',
  k: readonly number[],
  s: readonly number[],
  pads: AxisPads,
  out: number[],
  includePad: boolean,
): Float32Array {
  const rank = k.length;
  const ch = inShape[rank]!;
  const xs = stridesOf(inShape);
  const y = new Float32Array(prod(out) * ch);
  const os = stridesOf([...out, ch]);
  for (const o of indices([...out, ch])) {
    const c = o[rank]!;
    let acc = mode === 'max' ? -Infinity : 0;
    let count = 1;
    for (let i = 0; i < rank; i++) {
      const start = o[i]! * s[i]! - pads[i]![0];
      const lo = includePad ? Math.max(start, -pads[i]![0]) : Math.max(start, 0);
      const hi = includePad ? Math.min(start + k[i]!, inShape[i]! + pads[i]![1]) : Math.min(start + k[i]!, inShape[i]!);
      count *= hi - lo;
    }
    for (const t of indices(k)) {
      const pos = t.map((v, i) => o[i]! * s[i]! - pads[i]![0] + v);
      if (pos.some((p, i) => p < 0 || p >= inShape[i]!)) continue;
      const v = x[pos.reduce((a, p, i) => a + p * xs[i]!, 0) + c]!;
      acc = mode === 'max' ? Math.max(acc, v) : acc + v;
    }
    y[o.reduce((a, v, i) => a + v * os[i]!, 0)] = mode === 'max' ? acc : acc / count;
  }
  return y;
}

describe('1-D and 3-D pools: shape rule', () => {
  it("floor((n + pads - k) / s) + 1 per axis, SAME's ceil(n / s), and ceil mode's rule (exhaustive over small sizes)", () => {
    let checked = 0;
    for (const rank of [1, 3] as const)
      for (let n = 2; n <= 9; n += rank === 1 ? 1 : 3)
        for (let k = 1; k <= 4; k++)
          for (let s = 1; s <= 3; s++)
            for (const padding of ['valid', 'same', 0, 1, 2] as const)
              for (const ceilMode of [false, true]) {
                if (typeof padding === 'number' && padding * 2 > k) continue;
                if (padding === 'same' && ceilMode) continue;
                const p = typeof padding === 'number' ? padding : 0;
                if (padding !== 'same' && k > n + 2 * p) continue;
                const sizes = same(rank, n).map((v, i) => v + i);
                const c = pool(rank, 'max', {
                  pool: same(rank, k),
                  strides: same(rank, s),
                  padding: typeof padding === 'number' ? sizes.map(() => [p, p] as const) : padding,
                  ceilMode,
                });
                const l = census(chain([...sizes, 3], c)).layers[1]!;
                const out = sizes.map((m) =>
                  padding === 'same' ? Math.ceil(m / s) : torchOut(m, k, s, p, p, ceilMode),
                );
                expect(l.outputShape).toEqual([1, ...out, 3]);
                expect([l.params, l.macs]).toEqual([0, 0]);
                checked++;
              }
    expect(checked).toBeGreaterThan(500);
  });

  it('describe themselves, and refuse padding beyond half the window, axes that do not match, and windows larger than the input', () => {
    const c = census(
      chain(
        [9, 2],
        pool(1, 'avg', { pool: [3], strides: [2], padding: [[1, 0]], ceilMode: true, countIncludePad: false }),
      ),
    );
    expect(c.layers[1]!.detail).toBe('3/2 p(1,0) ceil excl-pad');
    expect(c.layers[1]!.type).toBe('AveragePooling1D');
    expect(() => census(chain([9, 2], pool(1, 'max', { pool: [2], padding: [[2, 0]] })))).toThrow(
      /layer "l0" \(maxPool1d\): padding \(2, 0\) on the length exceeds half the pool window 2/,
    );
    expect(() => census(chain([4, 4, 4, 2], pool(3, 'max', { pool: [2, 2] })))).toThrow(
      /layer "l0" \(maxPool3d\): pool size has 2 axes, expected 3/,
    );
    expect(() => census(chain([4, 1, 4, 2], pool(3, 'avg', { pool: [2, 2, 2] })))).toThrow(
      /layer "l0" \(avgPool3d\): pool window 2 is larger than its input height 1/,
    );
  });
});

describe('pools compute their definitions', () => {
  it("explicit pads, ceil mode and count_include_pad at every rank (PyTorch's definition), and Keras' valid / same", () => {
    const cases: Array<[number[], PoolNdConfig | Pool2dConfig]> = [];
    for (const rank of [1, 3] as const)
      for (const mode of ['max', 'avg'] as const)
        for (const ceilMode of [false, true])
          for (const countIncludePad of mode === 'avg' ? [true, false] : [true]) {
            const shape = [...[9, 7, 6].slice(0, rank), 2];
            cases.push([
              shape,
              pool(rank, mode, {
                pool: same(rank, 3),
                strides: same(rank, 2),
                padding: same(rank, 1).map(() => [1, 1] as const),
                ceilMode,
                countIncludePad,
              }),
            ]);
          }
    for (const rank of [1, 3] as const)
      for (const mode of ['max', 'avg'] as const)
        for (const padding of ['valid', 'same'] as const) {
          const shape = [...[8, 7, 5].slice(0, rank), 2];
          cases.push([shape, pool(rank, mode, { pool: same(rank, 3), strides: same(rank, 2), padding })]);
        }
    // 2-D average pools with ONNX's count_include_pad = 0.
    for (const ceilMode of [false, true]) {
      cases.push([
        [7, 6, 2],
        {
          kind: 'avgPool2d',
          pool: [3, 3],
          strides: [2, 2],
          padding: axisPadsOf({ top: 1, bottom: 0, left: 1, right: 1 }),
          ceilMode,
          countIncludePad: false,
        },
      ]);
    }
    for (const [shape, cfg] of cases) {
      const info = census(chain(shape, cfg)).infos[1]!;
      const rank = cfg.pool.length;
      const sizes = shape.slice(0, rank);
      const out = info.outputShape.slice(0, rank);
      const pads: AxisPads =
        cfg.padding === 'valid'
          ? sizes.map(() => [0, 0])
          : cfg.padding === 'same'
            ? sizes.map((n, i) => {
                const total = Math.max((out[i]! - 1) * cfg.strides[i]! + cfg.pool[i]! - n, 0);
                return [Math.floor(total / 2), total - Math.floor(total / 2)];
              })
            : cfg.padding;
      const mode = cfg.kind.startsWith('max') ? 'max' : 'avg';
      // TensorFlow's SAME never counts its padding; explicit padding counts unless count_include_pad is false.
      const includePad = cfg.padding !== 'same' && cfg.countIncludePad !== false;
      const r = runLayer(shape, cfg);
      const want = refPool(r.x, shape, mode, cfg.pool, cfg.strides, pads, out, includePad);
      expect(r.shape).toEqual([1, ...info.outputShape]);
      expect(maxDiff(r.y, want), `${cfg.kind} ${JSON.stringify(cfg)}`).toBeLessThan(1e-5);
    }
  });
});

describe('global pools of every rank', () => {
  const g = (kind: GlobalPoolConfig['kind'], keepDims = false): GlobalPoolConfig => ({ kind, keepDims });

  it('give [channels], or ones for every spatial axis with keepdims, and the mean or max over all positions', () => {
    for (const [kind, shape] of [
      ['globalAvgPool1d', [7, 3]],
      ['globalMaxPool1d', [7, 3]],
      ['globalAvgPool3d', [3, 4, 2, 3]],
      ['globalMaxPool3d', [3, 4, 2, 3]],
    ] as Array<[GlobalPoolConfig['kind'], number[]]>) {
      for (const keepDims of [false, true]) {
        const rank = shape.length - 1;
        const l = census(chain(shape, g(kind, keepDims))).layers[1]!;
        expect(l.outputShape).toEqual(keepDims ? [1, ...same(rank, 1), 3] : [1, 3]);
        const r = runLayer(shape, g(kind, keepDims));
        const positions = prod(shape.slice(0, -1));
        const want = [0, 1, 2].map((c) => {
          const v = Array.from({ length: positions }, (_, p) => r.x[p * 3 + c]!);
          return kind.includes('Max') ? Math.max(...v) : v.reduce((a, b) => a + b, 0) / positions;
        });
        expect(maxDiff(r.y, want)).toBeLessThan(1e-5);
      }
    }
    expect(census(chain([5, 2], g('globalAvgPool1d'))).layers[1]!.type).toBe('GlobalAveragePooling1D');
    expect(() => census(chain([5, 5, 2], g('globalMaxPool1d')))).toThrow(
      /layer "l0" \(globalMaxPool1d\): expects a T x C input, got shape \[5, 5, 2\]/,
    );
  });
});

describe("Keras' adaptive pools", () => {
  const ad = (kind: AdaptivePoolConfig['kind'], output: number[]): AdaptivePoolConfig => ({ kind, output });

  it("give the output size per axis; each bin spans [floor(i n / out), ceil((i + 1) n / out)), PyTorch's bins", () => {
    for (const [cfg, shape] of [
      [ad('adaptiveMaxPool', [3]), [8, 2]],
      [ad('adaptiveAvgPool', [3]), [7, 2]],
      [ad('adaptiveAvgPool', [2, 3]), [5, 7, 2]],
      [ad('adaptiveMaxPool', [2, 2]), [4, 4, 1]],
      [ad('adaptiveAvgPool', [2, 2, 3]), [3, 5, 4, 2]],
      [ad('adaptiveMaxPool', [3, 1, 2]), [3, 5, 4, 2]],
    ] as Array<[AdaptivePoolConfig, number[]]>) {
      const rank = cfg.output.length;
      const l = census(chain(shape, cfg)).layers[1]!;
      expect(l.outputShape).toEqual([1, ...cfg.output, shape[rank]]);
      expect(l.type).toBe(`Adaptive${cfg.kind === 'adaptiveMaxPool' ? 'Max' : 'Average'}Pooling${rank}D`);
      const r = runLayer(shape, cfg);
      const ch = shape[rank]!;
      const xs = stridesOf(shape);
      const want: number[] = [];
      for (const o of indices([...cfg.output, ch])) {
        const ranges = cfg.output.map((out, i) => [
          Math.floor((o[i]! * shape[i]!) / out),
          Math.ceil(((o[i]! + 1) * shape[i]!) / out),
        ]);
        const values: number[] = [];
        for (const t of indices(ranges.map(([a, b]) => b! - a!))) {
          const pos = t.map((v, i) => ranges[i]![0]! + v);
          values.push(r.x[pos.reduce((a, p, i) => a + p * xs[i]!, 0) + o[rank]!]!);
        }
        want.push(
          cfg.kind === 'adaptiveMaxPool' ? Math.max(...values) : values.reduce((a, b) => a + b, 0) / values.length,
        );
      }
      expect(maxDiff(r.y, want)).toBeLessThan(1e-5);
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
const read = (cls: string, shape: number[], config: Record<string, unknown>) =>
  importKerasJson(kerasModel(cls, shape, config)).graph.nodes[1]!.config;

describe('reading Keras configs', () => {
  it('reads 1-D and 3-D pools (strides default to the pool), their Keras 2 names, global pools with keepdims and adaptive pools', () => {
    expect(read('MaxPooling1D', [8, 2], { pool_size: 2, strides: null, padding: 'valid' })).toEqual(
      pool(1, 'max', { pool: [2] }),
    );
    expect(read('AvgPool3D', [4, 4, 4, 2], { pool_size: [1, 2, 2], strides: [1, 2, 1], padding: 'same' })).toEqual(
      pool(3, 'avg', { pool: [1, 2, 2], strides: [1, 2, 1], padding: 'same' }),
    );
    expect(read('GlobalMaxPooling3D', [4, 4, 4, 2], { keepdims: true })).toEqual({
      kind: 'globalMaxPool3d',
      keepDims: true,
    });
    expect(read('GlobalAvgPool1D', [4, 2], {})).toEqual({ kind: 'globalAvgPool1d', keepDims: false });
    expect(read('AdaptiveMaxPooling1D', [8, 2], { output_size: [3] })).toEqual({
      kind: 'adaptiveMaxPool',
      output: [3],
    });
    expect(read('AdaptiveAveragePooling3D', [8, 8, 8, 2], { output_size: 2 })).toEqual({
      kind: 'adaptiveAvgPool',
      output: [2, 2, 2],
    });
  });

  it('refuses channels_first and padding modes pools do not have, naming layer and field', () => {
    expect(() => read('AveragePooling3D', [4, 4, 4, 2], { pool_size: 2, data_format: 'channels_first' })).toThrow(
      /layer "layer" \(AveragePooling3D\): data_format "channels_first" is not supported/,
    );
    expect(() => read('MaxPooling1D', [8, 2], { pool_size: 2, padding: 'causal' })).toThrow(
      /layer "layer" \(MaxPooling1D\): padding "causal" is not supported \(valid or same\)/,
    );
  });
});

describeKerasLayers(CLASSES, [
  'MaxPooling1D',
  'AveragePooling1D',
  'MaxPooling3D',
  'AveragePooling3D',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'GlobalAveragePooling3D',
  'GlobalMaxPooling3D',
  'AdaptiveAveragePooling2D',
  'AdaptiveMaxPooling1D',
  'AdaptiveMaxPooling2D',
]);

describeWholeFixtures(CLASSES, ['audio_cnn_1d', 'cnn3d', 'breadth_norm_noise', 'breadth_preprocessing']);

describe('verification by execution', () => {
  it('small graphs of every kind between convolutions, varying pads, ceil mode, count_include_pad and keepdims', async () => {
    const graphs: Array<[number[], LayerConfig[]]> = [
      [
        [17, 3],
        [
          pool(1, 'max', { pool: [3], strides: [2], padding: [[1, 1]], ceilMode: true }),
          pool(1, 'avg', { pool: [2], padding: 'same', strides: [3] }),
          { kind: 'globalMaxPool1d', keepDims: true },
        ],
      ],
      [
        [17, 3],
        [
          pool(1, 'avg', { pool: [4], strides: [1], padding: [[2, 1]], countIncludePad: false }),
          { kind: 'adaptiveAvgPool', output: [5] },
          { kind: 'globalAvgPool1d', keepDims: false },
        ],
      ],
      [
        [7, 8, 9, 2],
        [
          pool(3, 'max', { pool: [2, 3, 2], strides: [1, 2, 2], padding: 'same' }),
          pool(3, 'avg', {
            pool: [3, 3, 3],
            strides: [2, 2, 2],
            padding: [
              [1, 1],
              [1, 0],
              [0, 1],
            ],
            ceilMode: true,
            countIncludePad: false,
          }),
          { kind: 'globalAvgPool3d', keepDims: true },
        ],
      ],
      [
        [7, 8, 9, 2],
        [
          { kind: 'adaptiveMaxPool', output: [2, 3, 4] },
          { kind: 'globalMaxPool3d', keepDims: false },
        ],
      ],
      [
        [9, 9, 3],
        [
          conv(4, 3),
          {
            kind: 'avgPool2d',
            pool: [3, 3],
            strides: [2, 2],
            padding: axisPadsOf({ top: 1, bottom: 1, left: 1, right: 0 }),
            ceilMode: true,
            countIncludePad: false,
          },
          { kind: 'adaptiveAvgPool', output: [2, 3] },
        ],
      ],
    ];
    for (const [shape, layers] of graphs) {
      const r = await verifyGraph(chain(shape, ...layers));
      expect(r.mismatches).toEqual([]);
    }
  });
});
