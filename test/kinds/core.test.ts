/** Kinds of the core family added through ARCHITECTURE.md's recipe: UpSampling2D, then the reshaping and pass-through layers. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { GraphBuilder, conv, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import type { LayerKind } from '../../src/kinds/index.js';
import { melFilterBank, type MelSpectrogramConfig } from '../../src/kinds/core.js';
import { verifyGraph } from '../../src/verify.js';
import { join } from 'node:path';
import { loadModelFile } from '../../src/importers/files.js';
import {
  FIXTURES,
  describeKerasLayers,
  describeWholeFixtures,
  figures,
  kerasClassesOf,
} from './keras-layer-figures.js';
import { indices, maxDiff, runLayer, stridesOf } from './layer-exec.js';

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

/**
 * The reshaping and pass-through kinds of the core family: zero padding, cropping and upsampling of rank
 * 1, 2 and 3, Permute, RepeatVector, Resizing, CenterCrop, and the layers that pass their input through at
 * inference. Shapes against Keras' documented rules, numbers against plain loops, Keras' own figures for
 * every such layer of the fixtures, and verification by execution.
 */
const KINDS_HERE: LayerKind[] = [
  'zeroPad1d',
  'zeroPad3d',
  'crop1d',
  'crop2d',
  'crop3d',
  'upSampling1d',
  'upSampling3d',
  'permute',
  'repeatVector',
  'resizing',
  'centerCrop',
  'passThrough',
  'discretization',
  'categoryEncoding',
  'melSpectrogram',
];
const CLASSES = kerasClassesOf(KINDS_HERE);
const prod = (v: readonly number[]): number => v.reduce((a, b) => a * b, 1);

/** A Keras 3 model.to_json() of one layer on an input of the given shape. */
const oneLayer = (cls: string, shape: number[], config: Record<string, unknown>) => ({
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
  importKerasJson(oneLayer(cls, shape, config)).graph.nodes[1]!.config;

/** Zero padding (sign 1) or cropping (sign -1) by its definition. */
function refPadCrop(x: Float32Array, shape: number[], amounts: number[][], sign: 1 | -1): Float32Array {
  const rank = amounts.length;
  const out = shape.map((n, i) => (i < rank ? n + sign * (amounts[i]![0]! + amounts[i]![1]!) : n));
  const xs = stridesOf(shape);
  const y = new Float32Array(prod(out));
  let k = 0;
  for (const o of indices(out)) {
    const pos = o.map((v, i) => (i < rank ? v - sign * amounts[i]![0]! : v));
    y[k++] = pos.some((p, i) => p < 0 || p >= shape[i]!) ? 0 : x[pos.reduce((a, p, i) => a + p * xs[i]!, 0)]!;
  }
  return y;
}

describe('zero padding and cropping of rank 1, 2 and 3', () => {
  const cases: Array<[number[], LayerConfig, 1 | -1]> = [
    [[6, 2], { kind: 'zeroPad1d', pads: [[2, 1]] }, 1],
    [
      [3, 4, 2, 2],
      {
        kind: 'zeroPad3d',
        pads: [
          [1, 0],
          [0, 2],
          [1, 1],
        ],
      },
      1,
    ],
    [[6, 2], { kind: 'crop1d', crops: [[1, 2]] }, -1],
    [
      [6, 5, 2],
      {
        kind: 'crop2d',
        crops: [
          [2, 1],
          [0, 3],
        ],
      },
      -1,
    ],
    [
      [5, 6, 4, 2],
      {
        kind: 'crop3d',
        crops: [
          [1, 1],
          [2, 0],
          [1, 2],
        ],
      },
      -1,
    ],
  ];

  it('add or take before + after along each axis, keep channels, and compute what they say', () => {
    for (const [shape, cfg, sign] of cases) {
      const amounts = ('pads' in cfg ? cfg.pads : (cfg as unknown as { crops: number[][] }).crops) as number[][];
      const l = census(chain(shape, cfg)).layers[1]!;
      const out = shape.map((n, i) => (i < amounts.length ? n + sign * (amounts[i]![0]! + amounts[i]![1]!) : n));
      expect(l.outputShape).toEqual([1, ...out]);
      expect([l.params, l.macs]).toEqual([0, 0]);
      const r = runLayer(shape, cfg);
      expect(r.shape).toEqual([1, ...out]);
      expect(maxDiff(r.y, refPadCrop(r.x, shape, amounts, sign))).toBe(0);
    }
    expect(census(chain([6, 5, 2], cases[3]![1])).layers[1]!.detail).toBe('(2,1,0,3)');
  });

  it('refuse a crop that leaves nothing and amounts that do not match the rank, naming the layer', () => {
    expect(() => census(chain([3, 2], { kind: 'crop1d', crops: [[2, 1]] }))).toThrow(
      /layer "l0" \(crop1d\): cropping 2 \+ 1 leaves nothing of the input length 3/,
    );
    expect(() => census(chain([3, 3, 3, 2], { kind: 'zeroPad3d', pads: [[1, 1]] }))).toThrow(
      /layer "l0" \(zeroPad3d\): padding has 1 axes, expected 3/,
    );
  });

  it("reads Keras' forms: an integer, a (before, after) pair for 1-D, per-axis integers or pairs for 2-D and 3-D", () => {
    expect(read('ZeroPadding1D', [6, 2], { padding: 3 })).toEqual({ kind: 'zeroPad1d', pads: [[3, 3]] });
    expect(read('ZeroPadding1D', [6, 2], { padding: [1, 2] })).toEqual({ kind: 'zeroPad1d', pads: [[1, 2]] });
    expect(read('ZeroPadding3D', [2, 2, 2, 1], {})).toEqual({
      kind: 'zeroPad3d',
      pads: [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
    });
    expect(read('ZeroPadding3D', [2, 2, 2, 1], { padding: [1, [0, 2], 3] })).toEqual({
      kind: 'zeroPad3d',
      pads: [
        [1, 1],
        [0, 2],
        [3, 3],
      ],
    });
    expect(read('Cropping1D', [6, 2], { cropping: [1, 2] })).toEqual({ kind: 'crop1d', crops: [[1, 2]] });
    expect(read('Cropping2D', [6, 6, 2], { cropping: 2 })).toEqual({
      kind: 'crop2d',
      crops: [
        [2, 2],
        [2, 2],
      ],
    });
    expect(read('Cropping2D', [6, 6, 2], { cropping: [[1, 0], 2] })).toEqual({
      kind: 'crop2d',
      crops: [
        [1, 0],
        [2, 2],
      ],
    });
    expect(
      read('Cropping3D', [6, 6, 6, 1], {
        cropping: [
          [1, 1],
          [2, 2],
          [3, 3],
        ],
      }),
    ).toEqual({
      kind: 'crop3d',
      crops: [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
    });
    expect(() => read('Cropping3D', [6, 6, 6, 1], { cropping: [1, 2] })).toThrow(
      /layer "layer" \(Cropping3D\): cropping must be non-negative integers/,
    );
    expect(() => read('ZeroPadding1D', [6, 2], { padding: -1 })).toThrow(
      /layer "layer" \(ZeroPadding1D\): padding must be non-negative integers/,
    );
  });
});

describe('upSampling1d and upSampling3d', () => {
  it('multiply each spatial axis by its size, repeating every step in place', () => {
    for (const [shape, cfg] of [
      [[4, 2], { kind: 'upSampling1d', size: [3] }],
      [[2, 3, 2, 2], { kind: 'upSampling3d', size: [1, 2, 3] }],
    ] as Array<[number[], LayerConfig & { size: number[] }]>) {
      const rank = cfg.size.length;
      const out = shape.map((n, i) => (i < rank ? n * cfg.size[i]! : n));
      expect(census(chain(shape, cfg)).layers[1]!.outputShape).toEqual([1, ...out]);
      const r = runLayer(shape, cfg);
      const xs = stridesOf(shape);
      const want = [...indices(out)].map(
        (o) => r.x[o.reduce((a, v, i) => a + (i < rank ? Math.floor(v / cfg.size[i]!) : v) * xs[i]!, 0)]!,
      );
      expect(maxDiff(r.y, want)).toBe(0);
    }
    expect(read('UpSampling1D', [4, 2], { size: 2 })).toEqual({ kind: 'upSampling1d', size: [2] });
    expect(read('UpSampling3D', [2, 2, 2, 1], { size: [2, 1, 2] })).toEqual({ kind: 'upSampling3d', size: [2, 1, 2] });
    expect(() => census(chain([4, 2], { kind: 'upSampling1d', size: [0] }))).toThrow(
      /layer "l0" \(upSampling1d\): size must be a positive integer, got 0/,
    );
  });
});

describe('permute and repeatVector', () => {
  it("Permute moves axis dims[i] (1-based, Keras') to position i", () => {
    const cfg: LayerConfig = { kind: 'permute', dims: [3, 1, 2] };
    expect(census(chain([2, 3, 4], cfg)).layers[1]!.outputShape).toEqual([1, 4, 2, 3]);
    const r = runLayer([2, 3, 4], cfg);
    const xs = stridesOf([2, 3, 4]);
    const want = [...indices([4, 2, 3])].map(([c, a, b]) => r.x[a! * xs[0]! + b! * xs[1]! + c! * xs[2]!]!);
    expect(maxDiff(r.y, want)).toBe(0);
    expect(read('Permute', [6, 8], { dims: [2, 1] })).toEqual({ kind: 'permute', dims: [2, 1] });
    expect(() => census(chain([2, 3], { kind: 'permute', dims: [1, 3] }))).toThrow(
      /layer "l0" \(permute\): dims \[1, 3\] are not a permutation of the input's axes 1..2/,
    );
  });

  it('RepeatVector turns a vector of F into n x F copies', () => {
    const cfg: LayerConfig = { kind: 'repeatVector', n: 3 };
    expect(census(chain([5], cfg)).layers[1]!.outputShape).toEqual([1, 3, 5]);
    const r = runLayer([5], cfg);
    expect(Array.from(r.y)).toEqual([...r.x, ...r.x, ...r.x]);
    expect(() => census(chain([2, 5], cfg))).toThrow(
      /layer "l0" \(repeatVector\): expects a vector input, got shape \[2, 5\]/,
    );
  });
});

describe('resizing and centerCrop', () => {
  it('give height x width x channels whatever the input size; Resizing refuses what TensorFlow.js cannot run', () => {
    const resize: LayerConfig = {
      kind: 'resizing',
      height: 4,
      width: 6,
      interpolation: 'bilinear',
      cropToAspectRatio: true,
    };
    expect(census(chain([9, 7, 3], resize)).layers[1]!.outputShape).toEqual([1, 4, 6, 3]);
    expect(census(chain([9, 7, 3], resize)).layers[1]!.detail).toBe('-> 4x6 bilinear crop');
    for (const input of [
      [9, 7, 3],
      [2, 3, 3],
    ])
      expect(census(chain(input, { kind: 'centerCrop', height: 5, width: 4 })).layers[1]!.outputShape).toEqual([
        1, 5, 4, 3,
      ]);
    expect(read('Resizing', [9, 7, 3], { height: 8, width: 8, interpolation: 'nearest' })).toEqual({
      kind: 'resizing',
      height: 8,
      width: 8,
      interpolation: 'nearest',
      cropToAspectRatio: false,
    });
    expect(() => read('Resizing', [9, 7, 3], { height: 8, width: 8, interpolation: 'bicubic' })).toThrow(
      /layer "layer" \(Resizing\): interpolation "bicubic" is not supported/,
    );
    expect(() => read('Resizing', [9, 7, 3], { height: 8, width: 8, pad_to_aspect_ratio: true })).toThrow(
      /layer "layer" \(Resizing\): pad_to_aspect_ratio true is not supported/,
    );
  });

  it('CenterCrop keeps the central window', () => {
    const r = runLayer([6, 5, 1], { kind: 'centerCrop', height: 2, width: 3 });
    const want = [2, 3].flatMap((i) => [1, 2, 3].map((j) => r.x[i * 5 + j]!));
    expect(maxDiff(r.y, want)).toBe(0);
  });
});

describe('pass-through layers', () => {
  const classes = [
    ['Identity', {}],
    ['ActivityRegularization', { l1: 0.01, l2: 0.02 }],
    ['GaussianNoise', { stddev: 0.1 }],
    ['GaussianDropout', { rate: 0.2 }],
    ['AlphaDropout', { rate: 0.1, noise_shape: null }],
    ['SpatialDropout1D', { rate: 0.3 }],
    ['SpatialDropout3D', { rate: 0.3 }],
    ['Masking', { mask_value: 0.5 }],
    ['RandomFlip', { mode: 'horizontal' }],
    ['RandomRotation', { factor: [-0.1, 0.1] }],
    ['RandomZoom', { height_factor: 0.1 }],
    ['RandomTranslation', { height_factor: 0.1, width_factor: 0.1 }],
    ['RandomContrast', { factor: 0.1 }],
    ['RandomBrightness', { factor: 0.1 }],
    ['RandomCrop', { height: 3, width: 3 }],
    ['MixUp', {}],
  ] as const;

  it('are the identity at inference, without weights, shown under their Keras class with their settings', () => {
    for (const [cls, config] of classes) {
      const shape = cls.endsWith('1D') ? [6, 3] : cls.endsWith('3D') ? [2, 3, 4, 3] : [5, 6, 3];
      const cfg = read(cls, shape, config);
      const l = census(chain(shape, cfg)).layers[1]!;
      expect([l.type, l.outputShape, l.params, l.macs]).toEqual([cls, [1, ...shape], 0, 0]);
      const r = runLayer(shape, cfg);
      expect(maxDiff(r.y, r.x)).toBe(0);
    }
    expect(census(chain([6, 3], read('SpatialDropout1D', [6, 3], { rate: 0.3 }))).layers[1]!.detail).toBe('rate 0.3');
    expect(census(chain([5, 6, 3], read('RandomCrop', [5, 6, 3], { height: 3, width: 3 }))).layers[1]!.detail).toBe(
      '3x3, uncropped at inference',
    );
    expect(read('Masking', [6, 3], {})).toEqual({ kind: 'passThrough', className: 'Masking', args: { mask_value: 0 } });
  });
});

describe("Keras' Discretization and CategoryEncoding", () => {
  it("bucket by numpy's digitize (boundaries at or below the value) and encode as Keras shapes it", () => {
    const boundaries = [0, 0.25, 0.5];
    const bucket = (v: number) => boundaries.filter((b) => b <= v).length;
    for (const [mode, out] of [
      ['int', [3]],
      ['one_hot', [3, 4]],
      ['multi_hot', [4]],
      ['count', [4]],
    ] as const) {
      const cfg: LayerConfig = { kind: 'discretization', boundaries, outputMode: mode };
      expect(census(chain([3], cfg)).layers[1]!.outputShape).toEqual([1, ...out]);
      const r = runLayer([3], cfg, 7);
      const b = Array.from(r.x, bucket);
      const want =
        mode === 'int'
          ? b
          : mode === 'one_hot'
            ? b.flatMap((i) => [0, 1, 2, 3].map((j) => (i === j ? 1 : 0)))
            : [0, 1, 2, 3].map((j) => (mode === 'count' ? b.filter((i) => i === j).length : b.includes(j) ? 1 : 0));
      expect(Array.from(r.y)).toEqual(want);
    }
    expect(
      census(chain([2, 1], { kind: 'discretization', boundaries, outputMode: 'one_hot' })).layers[1]!.outputShape,
    ).toEqual([1, 2, 4]);
    expect(
      census(chain([2, 5], { kind: 'discretization', boundaries, outputMode: 'multi_hot' })).layers[1]!.outputShape,
    ).toEqual([1, 5, 4]);
  });

  it('CategoryEncoding: one_hot appends the tokens (replacing a last axis of 1); multi_hot and count reduce the last axis', () => {
    const enc = (outputMode: 'one_hot' | 'multi_hot' | 'count'): LayerConfig => ({
      kind: 'categoryEncoding',
      numTokens: 5,
      outputMode,
    });
    expect(census(chain([4], enc('one_hot'))).layers[1]!.outputShape).toEqual([1, 4, 5]);
    expect(census(chain([1], enc('one_hot'))).layers[1]!.outputShape).toEqual([1, 5]);
    expect(census(chain([3, 4], enc('count'))).layers[1]!.outputShape).toEqual([1, 3, 5]);
    expect(census(chain([4], enc('multi_hot'))).layers[1]!.outputShape).toEqual([1, 5]);
    // Tokens are the values' integer parts; those outside [0, tokens) count nowhere.
    const r = runLayer([4], enc('count'));
    const tokens = Array.from(r.x, Math.floor);
    expect(Array.from(r.y)).toEqual([0, 1, 2, 3, 4].map((j) => tokens.filter((v) => v === j).length));
    expect(read('CategoryEncoding', [3], { num_tokens: 4, output_mode: 'multi_hot' })).toEqual({
      kind: 'categoryEncoding',
      numTokens: 4,
      outputMode: 'multi_hot',
    });
    expect(() => read('CategoryEncoding', [3], { num_tokens: 4, sparse: true })).toThrow(
      /layer "layer" \(CategoryEncoding\): sparse true is not supported/,
    );
    expect(() => read('Discretization', [3], { bin_boundaries: null, num_bins: 4 })).toThrow(
      /layer "layer" \(Discretization\): bin_boundaries must be a list of numbers/,
    );
  });
});

describe("Keras' MelSpectrogram", () => {
  const mel = (o: Partial<MelSpectrogramConfig>): MelSpectrogramConfig => ({
    kind: 'melSpectrogram',
    fftLength: 32,
    sequenceStride: 10,
    sequenceLength: 32,
    window: 'hann',
    samplingRate: 8000,
    numMelBins: 6,
    minFreq: 20,
    maxFreq: 4000,
    powerToDb: true,
    topDb: 80,
    magExp: 2,
    minPower: 1e-10,
    refPower: 1,
    ...o,
  });

  it('gives [mel bins, 1 + (T + 2 floor(fft / 2) - fft) / stride] frames, as it runs, with no weights', () => {
    for (const [t, fft, stride] of [
      [256, 64, 32],
      [100, 32, 10],
      [95, 33, 8],
      [31, 16, 32],
    ] as const) {
      const l = census(chain([t], mel({ fftLength: fft, sequenceLength: fft, sequenceStride: stride }))).layers[1]!;
      expect(l.outputShape).toEqual([1, 6, Math.floor((t + 2 * Math.floor(fft / 2) - fft) / stride) + 1]);
      expect([l.params, l.macs]).toEqual([0, 0]);
    }
    expect(() => census(chain([10], mel({})))).toThrow(
      /layer "l0" \(melSpectrogram\): the signal \(10\) must be longer than half/,
    );
  });

  it("has Keras' HTK filter bank: triangles between adjacent mel edges, peaks at most 1, the DC row zero", () => {
    const bank = melFilterBank(mel({ fftLength: 64, numMelBins: 8 }));
    expect(bank.length).toBe(33);
    expect(bank[0]!.every((v) => v === 0)).toBe(true);
    for (let m = 0; m < 8; m++) {
      const column = bank.map((row) => row[m]!);
      expect(Math.max(...column)).toBeLessThanOrEqual(1);
      expect(Math.max(...column)).toBeGreaterThan(0.5);
      // A triangle: rises, then falls.
      const peak = column.indexOf(Math.max(...column));
      for (let k = 1; k <= peak; k++) expect(column[k]!).toBeGreaterThanOrEqual(column[k - 1]!);
      for (let k = peak + 1; k < column.length; k++) expect(column[k]!).toBeLessThanOrEqual(column[k - 1]!);
    }
  });

  it('computes a centred STFT (reflect padding, window centred in the fft), |X|^mag_exp, the filter bank and decibels', () => {
    for (const cfg of [
      mel({}),
      mel({ sequenceLength: 20, window: 'hamming', magExp: 1, powerToDb: false }),
      mel({ window: null, topDb: 5 }),
    ]) {
      const t = 100;
      const r = runLayer([t], cfg, 3);
      const n = cfg.fftLength;
      const pad = n / 2;
      const padded = Array.from({ length: t + 2 * pad }, (_, i) => {
        const j = i - pad;
        return r.x[j < 0 ? -j : j >= t ? 2 * (t - 1) - j : j]!;
      });
      const offset = (n - cfg.sequenceLength) / 2;
      const win = Array.from({ length: n }, (_, i) => {
        const j = i - offset;
        if (j < 0 || j >= cfg.sequenceLength) return 0;
        const c = Math.cos((2 * Math.PI * j) / cfg.sequenceLength);
        return cfg.window === null ? 1 : cfg.window === 'hann' ? 0.5 - 0.5 * c : 0.54 - 0.46 * c;
      });
      const frames = Math.floor((t + 2 * pad - n) / cfg.sequenceStride) + 1;
      const bank = melFilterBank(cfg);
      const spec = Array.from({ length: frames }, (_, f) =>
        Array.from({ length: pad + 1 }, (_, k) => {
          let re = 0;
          let im = 0;
          for (let i = 0; i < n; i++) {
            const v = padded[f * cfg.sequenceStride + i]! * win[i]!;
            re += v * Math.cos((2 * Math.PI * k * i) / n);
            im -= v * Math.sin((2 * Math.PI * k * i) / n);
          }
          return Math.hypot(re, im) ** cfg.magExp;
        }),
      );
      let melSpec = spec.map((row) => bank[0]!.map((_, m) => row.reduce((a, v, k) => a + v * bank[k]![m]!, 0)));
      if (cfg.powerToDb) {
        melSpec = melSpec.map((row) =>
          row.map((v) => 10 * Math.log10(Math.max(v, cfg.minPower)) - 10 * Math.log10(cfg.refPower)),
        );
        const top = Math.max(...melSpec.flat());
        melSpec = melSpec.map((row) => row.map((v) => Math.max(v, top - cfg.topDb)));
      }
      const want = bank[0]!.flatMap((_, m) => melSpec.map((row) => row[m]!));
      expect(r.shape).toEqual([1, 6, frames]);
      const scale = Math.max(...want.map(Math.abs), 1);
      expect(maxDiff(r.y, want) / scale).toBeLessThan(1e-4);
    }
  });
});

describe('core: every layer of this family in the Keras fixtures', () => {
  it('RandomCrop is counted as Keras 3 runs it: at inference its output is its input, not the symbolic crop', () => {
    const crop = figures.models.breadth_preprocessing!.layers!.find((l) => l.name === 'random_crop')!;
    expect(crop.executed_output_shape).toEqual([16, 16, 3]);
  });
});

describeKerasLayers(CLASSES, [
  'ZeroPadding1D',
  'ZeroPadding3D',
  'Cropping1D',
  'Cropping2D',
  'Cropping3D',
  'UpSampling1D',
  'UpSampling3D',
  'Permute',
  'RepeatVector',
  'Resizing',
  'CenterCrop',
  'Identity',
  'ActivityRegularization',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'SpatialDropout1D',
  'SpatialDropout3D',
  'Masking',
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomTranslation',
  'RandomContrast',
  'RandomCrop',
  'Discretization',
  'CategoryEncoding',
  'MelSpectrogram',
]);

describeWholeFixtures(CLASSES, ['audio_cnn_1d', 'cnn3d', 'unet_small', 'nasnetlarge', 'breadth_preprocessing']);

describe('core: verification by execution', () => {
  it('breadth_preprocessing (Keras fixture: augmentation, RandomCrop as Keras 3 runs it, Discretization, CategoryEncoding, STFT and mel spectrograms) builds and runs layer for layer', async () => {
    const r = await verifyGraph((await loadModelFile(join(FIXTURES, 'breadth_preprocessing.json'))).graph);
    expect(r.mismatches).toEqual([]);
    expect(r.params.framework).toBe(figures.models.breadth_preprocessing!.count_params);
    expect(r.layers.find((l) => l.name === 'conv')!.executedShape).toEqual([1, 14, 14, 2]);
  });

  it('a Reshape with an inferred (-1) axis feeds a Flatten: tfjs-layers gets the resolved shape, not its own unknown axis', async () => {
    const r = await verifyGraph(
      chain([6], { kind: 'repeatVector', n: 3 }, { kind: 'reshape', target: [-1, 2] }, { kind: 'flatten' }),
    );
    expect(r.mismatches).toEqual([]);
    expect(r.layers.map((l) => l.executedShape)).toEqual([
      [1, 3, 6],
      [1, 9, 2],
      [1, 18],
    ]);
  });

  it('small graphs of every reshaping kind between convolutions', async () => {
    const graphs: Array<[number[], LayerConfig[]]> = [
      [
        [10, 3],
        [
          { kind: 'zeroPad1d', pads: [[2, 0]] },
          { kind: 'upSampling1d', size: [2] },
          { kind: 'crop1d', crops: [[1, 3]] },
          { kind: 'permute', dims: [2, 1] },
        ],
      ],
      [
        [3, 4, 5, 2],
        [
          {
            kind: 'zeroPad3d',
            pads: [
              [0, 1],
              [1, 1],
              [2, 0],
            ],
          },
          { kind: 'upSampling3d', size: [2, 1, 3] },
          {
            kind: 'crop3d',
            crops: [
              [1, 0],
              [0, 2],
              [3, 3],
            ],
          },
        ],
      ],
      [
        [12, 10, 3],
        [
          conv(4, 3),
          {
            kind: 'crop2d',
            crops: [
              [1, 2],
              [0, 3],
            ],
          },
          { kind: 'resizing', height: 5, width: 9, interpolation: 'nearest', cropToAspectRatio: false },
          { kind: 'centerCrop', height: 7, width: 4 },
        ],
      ],
      [
        [6],
        [
          { kind: 'repeatVector', n: 4 },
          { kind: 'passThrough', className: 'SpatialDropout1D', args: { rate: 0.5 } },
          { kind: 'passThrough', className: 'Masking', args: { mask_value: 0 } },
        ],
      ],
      [
        [8, 8, 3],
        [
          { kind: 'passThrough', className: 'RandomFlip' },
          { kind: 'passThrough', className: 'GaussianNoise', args: { stddev: 1 } },
          { kind: 'passThrough', className: 'AlphaDropout', args: { rate: 0.5 } },
          conv(2, 3),
        ],
      ],
    ];
    for (const [shape, layers] of graphs) {
      const r = await verifyGraph(chain(shape, ...layers));
      expect(r.mismatches).toEqual([]);
    }
  });
});
