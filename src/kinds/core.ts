/**
 * Core kinds: the input, and layers that move or pass values without weights: Keras' reshaping layers
 * (Flatten, Reshape, Permute, RepeatVector, zero padding, cropping and upsampling of rank 1, 2 and 3),
 * Rescaling, Resizing and CenterCrop, and the layers that pass their input through at inference (Dropout
 * and its kin, noise, Identity, ActivityRegularization, Masking, the Random* augmentation layers).
 */
import type * as TF from '@tensorflow/tfjs';
import { customBase, perExample, singleInput, singleShape } from '../tfjs/base.js';
import type { LayerArgs } from '../tfjs/args.js';
import { NetcensusError } from '../errors.js';
import { mul, prod } from '../exact.js';
import { checkPositive, fail, one, spatialInput, unweighted } from './spec.js';
import type { BuildCtx, ConfigReader, Kinds, LayerClass, Pair, Shape, Tf } from './spec.js';
import { axisName, axisPadsOf, padText, sizeText, type AxisPads, type Pads } from './window.js';

export interface InputConfig {
  kind: 'input';
  shape: Shape;
}
export interface FlattenConfig {
  kind: 'flatten';
}
export interface ReshapeConfig {
  kind: 'reshape';
  target: readonly number[];
}
export interface DropoutConfig {
  kind: 'dropout';
  rate: number;
}
export interface ZeroPad2dConfig {
  kind: 'zeroPad2d';
  pads: Pads;
}
export interface RescalingConfig {
  kind: 'rescaling';
  scale: number;
  offset: number;
}
/**
 * A layer netcensus cannot count (a user's class, a Lambda), kept under --skip-unknown so the rest can be
 * counted: its output shapes come from the file (the layers it feeds record them), its figures are "not
 * counted" everywhere, and the totals are labelled partial.
 */
export interface UnknownConfig {
  kind: 'unknown';
  className: string;
  outputShapes: Shape[];
}
/** Keras' UpSampling2D: each pixel repeated (nearest) or interpolated (bilinear) `size` times per axis. */
export interface UpSampling2dConfig {
  kind: 'upSampling2d';
  size: Pair;
  interpolation: 'nearest' | 'bilinear';
}
/** Keras' ZeroPadding1D and ZeroPadding3D: per spatial axis, [before, after]. */
export interface ZeroPadNdConfig {
  kind: 'zeroPad1d' | 'zeroPad3d';
  pads: AxisPads;
}
/** Keras' Cropping1D, Cropping2D and Cropping3D: per spatial axis, [before, after] taken off. */
export interface CropConfig {
  kind: 'crop1d' | 'crop2d' | 'crop3d';
  crops: AxisPads;
}
/** Keras' UpSampling1D and UpSampling3D: each step (voxel) repeated `size` times per axis. */
export interface UpSamplingNdConfig {
  kind: 'upSampling1d' | 'upSampling3d';
  size: readonly number[];
}
/** Keras' Permute: `dims` are 1-based positions of the input's axes (without the batch), as Keras writes them. */
export interface PermuteConfig {
  kind: 'permute';
  dims: readonly number[];
}
export interface RepeatVectorConfig {
  kind: 'repeatVector';
  n: number;
}
/** Keras' Resizing: any H x W x C image to height x width, interpolated. */
export interface ResizingConfig {
  kind: 'resizing';
  height: number;
  width: number;
  interpolation: 'bilinear' | 'nearest';
  /** Crop to the target's aspect ratio before resizing, as Keras' crop_to_aspect_ratio. */
  cropToAspectRatio: boolean;
}
/** Keras' CenterCrop: the central height x width window (an input smaller than that is resized up first). */
export interface CenterCropConfig {
  kind: 'centerCrop';
  height: number;
  width: number;
}
/**
 * A layer that passes its input through unchanged at inference, without weights: Identity, noise and
 * dropout layers, ActivityRegularization, Masking, the Random* augmentation layers (Keras 3's RandomCrop
 * included: at inference it returns its input uncropped, whatever its symbolic shape says).
 */
export interface PassThroughConfig {
  kind: 'passThrough';
  /** The Keras class, as tables show it. */
  className: string;
  /** Its numeric settings (rate, stddev, mask_value, l1, l2, height, width), for tables and tfjs' own layers. */
  args?: Readonly<Record<string, number>>;
}
/**
 * Keras' Discretization: each value's bucket among sorted boundaries (numpy's digitize: how many
 * boundaries are <= it), as an index (int) or encoded like CategoryEncoding.
 */
export interface DiscretizationConfig {
  kind: 'discretization';
  boundaries: readonly number[];
  outputMode: 'int' | 'one_hot' | 'multi_hot' | 'count';
}
/** Keras' CategoryEncoding: integer tokens in [0, numTokens) as one-hot rows, or multi-hot / count vectors over the last axis. */
export interface CategoryEncodingConfig {
  kind: 'categoryEncoding';
  numTokens: number;
  outputMode: 'one_hot' | 'multi_hot' | 'count';
}
/**
 * Keras' MelSpectrogram: a mono signal [T] to [mel bins, frames]: a centered STFT (reflect padding of
 * fft / 2), magnitude to the power mag_exp, a fixed mel filter bank (HTK scale, not weights), and
 * optionally decibels floored top_db below the maximum.
 */
export interface MelSpectrogramConfig {
  kind: 'melSpectrogram';
  fftLength: number;
  sequenceStride: number;
  sequenceLength: number;
  window: 'hann' | 'hamming' | null;
  samplingRate: number;
  numMelBins: number;
  minFreq: number;
  maxFreq: number;
  powerToDb: boolean;
  topDb: number;
  magExp: number;
  minPower: number;
  refPower: number;
}
/** Every config this family defines. */
export type CoreFamily =
  | DiscretizationConfig
  | CategoryEncodingConfig
  | MelSpectrogramConfig
  | InputConfig
  | FlattenConfig
  | ReshapeConfig
  | DropoutConfig
  | ZeroPad2dConfig
  | RescalingConfig
  | UpSampling2dConfig
  | UnknownConfig
  | ZeroPadNdConfig
  | CropConfig
  | UpSamplingNdConfig
  | PermuteConfig
  | RepeatVectorConfig
  | ResizingConfig
  | CenterCropConfig
  | PassThroughConfig;

export const input = (shape: Shape): InputConfig => ({ kind: 'input', shape });
export const flatten: FlattenConfig = { kind: 'flatten' };
export const dropout = (rate: number): DropoutConfig => ({ kind: 'dropout', rate });

/** Keras' ZeroPadding2D forms: 1, (1, 2) symmetric per axis, or ((top, bottom), (left, right)). */
function zeroPads(r: ConfigReader): Pads {
  const v = r.raw('padding') ?? 1;
  const asPair = (x: unknown): [number, number] =>
    typeof x === 'number' ? [x, x] : Array.isArray(x) && x.length === 2 ? [x[0] as number, x[1] as number] : [NaN, NaN];
  let rows: [number, number];
  let cols: [number, number];
  if (typeof v === 'number') rows = cols = [v, v];
  else if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) {
    rows = [v[0] as number, v[0] as number];
    cols = [v[1] as number, v[1] as number];
  } else if (Array.isArray(v) && v.length === 2) {
    rows = asPair(v[0]);
    cols = asPair(v[1]);
  } else rows = cols = [NaN, NaN];
  const pads = { top: rows[0], bottom: rows[1], left: cols[0], right: cols[1] };
  if (Object.values(pads).some((p) => !Number.isSafeInteger(p) || p < 0)) {
    r.fail('padding', `must be non-negative integers, got ${JSON.stringify(v)}`);
  }
  return pads;
}

const passThrough = {
  outputShape: (c: { kind: string }, inputs: Shape[], name: string) => one(name, c.kind, inputs),
  ...unweighted,
  window: null,
} as const;

const RESHAPE_RANK = {
  zeroPad1d: 1,
  zeroPad3d: 3,
  crop1d: 1,
  crop2d: 2,
  crop3d: 3,
  upSampling1d: 1,
  upSampling3d: 3,
} as const;

/**
 * Keras' forms of per-axis [before, after] amounts: an integer for every side; for rank 1 a pair
 * (before, after); for rank 2 and 3 a list of `rank` entries, each an integer (both sides) or a pair.
 */
function axisPairs(r: ConfigReader, field: string, rank: number, fallback: unknown): AxisPads {
  const v = r.raw(field) ?? fallback;
  const side = (x: unknown): [number, number] =>
    typeof x === 'number'
      ? [x, x]
      : Array.isArray(x) && x.length === 2 && x.every((d) => typeof d === 'number')
        ? [x[0] as number, x[1] as number]
        : [NaN, NaN];
  const pairs: Array<[number, number]> =
    typeof v === 'number'
      ? Array.from({ length: rank }, () => [v, v])
      : rank === 1
        ? [side(v)]
        : Array.isArray(v) && v.length === rank
          ? v.map(side)
          : [[NaN, NaN]];
  if (pairs.flat().some((p) => !Number.isSafeInteger(p) || p < 0)) {
    r.fail(
      field,
      `must be non-negative integers, ${rank === 1 ? 'one or a (before, after) pair' : `one, or ${rank} entries of one or a (before, after) pair`}, got ${JSON.stringify(v)}`,
    );
  }
  return pairs;
}

function checkAmounts(name: string, kind: string, rank: number, amounts: AxisPads, what: string): void {
  if (amounts.length !== rank) fail(name, kind, `${what} has ${amounts.length} axes, expected ${rank}`);
  for (const v of amounts.flat()) {
    if (!Number.isSafeInteger(v) || v < 0) fail(name, kind, `${what} must be a non-negative integer, got ${v}`);
  }
}

const amountsText = (p: AxisPads): string => padText(p).trim().replace(/^p/, '');

/** The tfjs-layers identity: a linear activation (no weights), for layers that pass their input through. */
const identityLayer = (ctx: BuildCtx) => ctx.tf.layers.activation({ name: ctx.name, activation: 'linear' });

/** Training-time layers tfjs-layers has, built from their settings (identity at inference all the same). */
function passThroughLayer(c: PassThroughConfig, ctx: BuildCtx) {
  const layers = ctx.tf.layers;
  const a = c.args ?? {};
  const name = ctx.name;
  switch (c.className) {
    case 'GaussianNoise':
      return layers.gaussianNoise({ name, stddev: a.stddev ?? 0 });
    case 'GaussianDropout':
      return layers.gaussianDropout({ name, rate: a.rate ?? 0 });
    case 'AlphaDropout':
      return layers.alphaDropout({ name, rate: a.rate ?? 0 });
    case 'SpatialDropout1D':
      return layers.spatialDropout1d({ name, rate: a.rate ?? 0 });
    case 'Masking':
      return layers.masking({ name, maskValue: a.mask_value ?? 0 });
    default:
      return identityLayer(ctx);
  }
}

/**
 * Keras 3's augmentation layers, each verified to return its input unchanged at inference (training=False)
 * and to have no weights Keras counts (their seed-generator state is not counted): RandomCrop too, whose
 * symbolic output shape is the crop but whose inference output is the input, uncropped.
 */
const AUGMENTATIONS = [
  'RandomFlip',
  'RandomRotation',
  'RandomZoom',
  'RandomTranslation',
  'RandomCrop',
  'RandomContrast',
  'RandomBrightness',
  'RandomHue',
  'RandomSaturation',
  'RandomGrayscale',
  'RandomSharpness',
  'RandomShear',
  'RandomPosterization',
  'RandomInvert',
  'RandomErasing',
  'RandomGaussianBlur',
  'RandomColorDegeneration',
  'RandomColorJitter',
  'RandomPerspective',
  'RandomElasticTransform',
  'AugMix',
  'CutMix',
  'MixUp',
  'RandAugment',
  'Solarization',
  'Equalization',
] as const;

/** The numeric settings each pass-through class keeps, by Keras' field names. */
const PASS_THROUGH_ARGS: Record<string, readonly string[]> = {
  SpatialDropout1D: ['rate'],
  SpatialDropout3D: ['rate'],
  GaussianDropout: ['rate'],
  AlphaDropout: ['rate'],
  GaussianNoise: ['stddev'],
  ActivityRegularization: ['l1', 'l2'],
  Masking: ['mask_value'],
  RandomCrop: ['height', 'width'],
};

function readPassThrough(r: ConfigReader): PassThroughConfig {
  const fields = PASS_THROUGH_ARGS[r.cls] ?? [];
  const args: Record<string, number> = {};
  for (const f of fields) if (r.has(f)) args[f] = r.num(f);
  if (r.cls === 'Masking' && !r.has('mask_value')) args.mask_value = 0;
  return { kind: 'passThrough', className: r.cls, ...(fields.length ? { args } : {}) };
}

function readResizing(r: ConfigReader): ResizingConfig {
  r.channelsLast();
  const interpolation = String(r.raw('interpolation') ?? 'bilinear');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    r.fail('interpolation', `"${interpolation}" is not supported (nearest or bilinear, as TensorFlow.js runs them)`);
  }
  if (r.bool('pad_to_aspect_ratio', false)) {
    r.fail('pad_to_aspect_ratio', 'true is not supported (TensorFlow.js resizes by cropping to the aspect ratio only)');
  }
  return {
    kind: 'resizing',
    height: r.int('height'),
    width: r.int('width'),
    interpolation,
    cropToAspectRatio: r.bool('crop_to_aspect_ratio', false),
  };
}

/**
 * The shape of Keras' categorical encodings (CategoryEncoding, Discretization) for a per-example input:
 * int keeps it; one_hot replaces a last axis of 1 or appends the depth; multi_hot and count reduce the
 * last axis (Discretization: the first) into the depth.
 */
function encodedShape(name: string, kind: string, s: Shape, mode: string, depth: number): Shape {
  if (mode === 'int') return s;
  if (s.length === 0) return [depth];
  if (mode === 'one_hot') return s.at(-1) === 1 ? [...s.slice(0, -1), depth] : [...s, depth];
  if (s.length > 2) fail(name, kind, `${mode} encodes inputs of rank 1 or 2, got shape [${s.join(', ')}]`);
  return kind === 'discretization' ? [...s.slice(1), depth] : [...s.slice(0, -1), depth];
}

/** ZeroPadding1D and ZeroPadding3D: tfjs-layers has only the 2-D one; PadCropND pads at any rank. */
function padNd(title: string, kind: ZeroPadNdConfig['kind'], rank: number): Kinds<ZeroPadNdConfig>['zeroPad1d'] {
  return {
    title,
    outputShape: (c, inputs, name) => padCropShape(name, c.kind, inputs, c.pads, 1),
    ...unweighted,
    describe: (c) => amountsText(c.pads),
    keras: {
      [title]: (r) => {
        r.channelsLast();
        return { kind, pads: axisPairs(r, 'padding', rank, 1) };
      },
    },
    custom: [padCropND],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(padCropND))({ name: ctx.name, mode: 'pad', amounts: c.pads.map(([b, a]) => [b, a]) }),
        ctx.inputs[0]!,
      ),
    window: null,
  };
}

/** Cropping1D and Cropping3D, through PadCropND (tfjs-layers' cropping2D serves the 2-D one). */
function cropNd(title: string, kind: CropConfig['kind'], rank: number): Kinds<CropConfig>['crop1d'] {
  return {
    title,
    outputShape: (c, inputs, name) => padCropShape(name, c.kind, inputs, c.crops, -1),
    ...unweighted,
    describe: (c) => amountsText(c.crops),
    keras: {
      [title]: (r) => {
        // Keras' Cropping1D has no data_format.
        if (rank > 1) r.channelsLast();
        return { kind, crops: axisPairs(r, 'cropping', rank, 1) };
      },
    },
    custom: [padCropND],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(padCropND))({ name: ctx.name, mode: 'crop', amounts: c.crops.map(([b, a]) => [b, a]) }),
        ctx.inputs[0]!,
      ),
    window: null,
  };
}

export const coreKinds: Kinds<CoreFamily> = {
  input: {
    title: 'InputLayer',
    outputShape: (c, _inputs, name) => {
      checkPositive(name, 'input', 'input dimension', c.shape);
      return c.shape;
    },
    ...unweighted,
    describe: () => '',
    // Importers read InputLayer themselves: its shape is the model's input, with --input filling unknowns.
    keras: {},
    tfjs: (_c, ctx) => ctx.tf.input({ shape: [...ctx.info.outputShape], name: ctx.name }),
    window: null,
  },

  flatten: {
    torch: 'Flatten',
    title: 'Flatten',
    outputShape: (c, inputs, name) => [prod(one(name, c.kind, inputs))],
    ...unweighted,
    describe: () => '',
    keras: {
      Flatten: (r) => {
        r.channelsLast();
        return { kind: 'flatten' };
      },
    },
    tfjs: (_c, ctx) => {
      const inShape = ctx.info.inputShapes[0]!;
      // tfjs' Flatten wants rank >= 3 with the batch; a vector is already flat.
      const layer =
        inShape.length > 1
          ? ctx.tf.layers.flatten({ name: ctx.name })
          : ctx.tf.layers.reshape({ name: ctx.name, targetShape: [...inShape] });
      return ctx.use(layer, ctx.inputs[0]!);
    },
    window: null,
  },

  reshape: {
    title: 'Reshape',
    outputShape: (c, inputs, name) => {
      const size = prod(one(name, c.kind, inputs));
      const unknown = c.target.filter((d) => d === -1).length;
      if (unknown > 1 || c.target.some((d) => d !== -1 && (!Number.isSafeInteger(d) || d < 1))) {
        fail(name, c.kind, `invalid target shape [${c.target.join(', ')}]`);
      }
      const known = prod(c.target.filter((d) => d !== -1));
      if (unknown === 1 ? size % known !== 0 : size !== known) {
        fail(name, c.kind, `cannot reshape ${size} elements into [${c.target.join(', ')}]`);
      }
      return c.target.map((d) => (d === -1 ? size / known : d));
    },
    ...unweighted,
    describe: (c) => `[${c.target.join(', ')}]`,
    keras: {
      Reshape: (r) => {
        const t = r.raw('target_shape');
        if (
          !Array.isArray(t) ||
          t.some((d) => typeof d !== 'number' || !Number.isSafeInteger(d) || (d < 1 && d !== -1))
        ) {
          r.fail('target_shape', `must be a list of positive integers (one may be -1), got ${JSON.stringify(t)}`);
        }
        return { kind: 'reshape', target: t as number[] };
      },
    },
    // The census' resolved shape, not the -1: tfjs-layers leaves an inferred axis unknown (null) in its
    // symbolic shape, which a Flatten after it refuses.
    tfjs: (_c, ctx) =>
      ctx.use(ctx.tf.layers.reshape({ name: ctx.name, targetShape: [...ctx.info.outputShape] }), ctx.inputs[0]!),
    window: null,
  },

  dropout: {
    torch: 'Dropout',
    title: 'Dropout',
    ...passThrough,
    describe: (c) => `${c.rate}`,
    keras: {
      Dropout: (r) => ({ kind: 'dropout', rate: r.num('rate', 0.5) }),
      SpatialDropout2D: (r) => ({ kind: 'dropout', rate: r.num('rate', 0.5) }),
    },
    tfjs: (c, ctx) => ctx.use(ctx.tf.layers.dropout({ name: ctx.name, rate: c.rate }), ctx.inputs[0]!),
  },

  zeroPad2d: {
    torch: 'ZeroPad2d',
    title: 'ZeroPadding2D',
    outputShape: (c, inputs, name) => {
      const [h, w, ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      const p = c.pads;
      for (const v of [p.top, p.bottom, p.left, p.right]) {
        if (!Number.isSafeInteger(v) || v < 0) fail(name, c.kind, `padding must be a non-negative integer, got ${v}`);
      }
      return [h + p.top + p.bottom, w + p.left + p.right, ch];
    },
    ...unweighted,
    describe: (c) => padText(axisPadsOf(c.pads)).trim(),
    keras: {
      ZeroPadding2D: (r) => {
        r.channelsLast();
        return { kind: 'zeroPad2d', pads: zeroPads(r) };
      },
    },
    tfjs: (c, ctx) =>
      ctx.use(
        ctx.tf.layers.zeroPadding2d({
          name: ctx.name,
          padding: [
            [c.pads.top, c.pads.bottom],
            [c.pads.left, c.pads.right],
          ],
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  rescaling: {
    title: 'Rescaling',
    ...passThrough,
    describe: (c) => `x${c.scale}${c.offset ? ` + ${c.offset}` : ''}`,
    keras: { Rescaling: (r) => ({ kind: 'rescaling', scale: r.num('scale', 1), offset: r.num('offset', 0) }) },
    tfjs: (c, ctx) =>
      ctx.use(ctx.tf.layers.rescaling({ name: ctx.name, scale: c.scale, offset: c.offset }), ctx.inputs[0]!),
  },

  upSampling2d: {
    torch: 'Upsample',
    title: 'UpSampling2D',
    outputShape: (c, inputs, name) => {
      const [h, w, ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'size', c.size);
      return [mul('height', h, c.size[0]), mul('width', w, c.size[1]), ch];
    },
    // Interpolation weights are fixed, not learned, and not weight MACs.
    ...unweighted,
    describe: (c) => `x${sizeText(c.size)}${c.interpolation === 'nearest' ? '' : ` ${c.interpolation}`}`,
    keras: {
      UpSampling2D: (r) => {
        r.channelsLast();
        const interpolation = String(r.raw('interpolation') ?? 'nearest');
        if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
          r.fail(
            'interpolation',
            `"${interpolation}" is not supported (nearest or bilinear, as TensorFlow.js runs them)`,
          );
        }
        return {
          kind: 'upSampling2d',
          size: r.pair('size', 2),
          interpolation: interpolation as 'nearest' | 'bilinear',
        };
      },
    },
    tfjs: (c, ctx) =>
      ctx.use(
        ctx.tf.layers.upSampling2d({ name: ctx.name, size: [...c.size], interpolation: c.interpolation }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  zeroPad1d: padNd('ZeroPadding1D', 'zeroPad1d', 1),
  zeroPad3d: padNd('ZeroPadding3D', 'zeroPad3d', 3),

  crop1d: cropNd('Cropping1D', 'crop1d', 1),
  crop2d: {
    title: 'Cropping2D',
    outputShape: (c, inputs, name) => padCropShape(name, c.kind, inputs, c.crops, -1),
    ...unweighted,
    describe: (c) => amountsText(c.crops),
    keras: {
      Cropping2D: (r) => {
        r.channelsLast();
        return { kind: 'crop2d', crops: axisPairs(r, 'cropping', 2, 0) };
      },
    },
    tfjs: (c, ctx) =>
      ctx.use(
        ctx.tf.layers.cropping2D({
          name: ctx.name,
          cropping: [
            [c.crops[0]![0], c.crops[0]![1]],
            [c.crops[1]![0], c.crops[1]![1]],
          ],
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },
  crop3d: cropNd('Cropping3D', 'crop3d', 3),

  upSampling1d: {
    torch: 'Upsample',
    title: 'UpSampling1D',
    outputShape: (c, inputs, name) => upSampledShape(name, c, inputs),
    // Repetition only: no weights, no MACs.
    ...unweighted,
    describe: (c) => `x${sizeText(c.size)}`,
    keras: { UpSampling1D: (r) => ({ kind: 'upSampling1d', size: r.tuple('size', 1, 2) }) },
    custom: [upSamplingND],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(upSamplingND))({ name: ctx.name, size: [...c.size] }), ctx.inputs[0]!),
    window: null,
  },
  upSampling3d: {
    torch: 'Upsample',
    title: 'UpSampling3D',
    outputShape: (c, inputs, name) => upSampledShape(name, c, inputs),
    ...unweighted,
    describe: (c) => `x${sizeText(c.size)}`,
    keras: {
      UpSampling3D: (r) => {
        r.channelsLast();
        return { kind: 'upSampling3d', size: r.tuple('size', 3, 2) };
      },
    },
    custom: [upSamplingND],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(upSamplingND))({ name: ctx.name, size: [...c.size] }), ctx.inputs[0]!),
    window: null,
  },

  permute: {
    title: 'Permute',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      const sorted = [...c.dims].sort((a, b) => a - b);
      if (c.dims.length !== s.length || sorted.some((d, i) => d !== i + 1)) {
        fail(name, c.kind, `dims [${c.dims.join(', ')}] are not a permutation of the input's axes 1..${s.length}`);
      }
      return c.dims.map((d) => s[d - 1]!);
    },
    ...unweighted,
    describe: (c) => `(${c.dims.join(', ')})`,
    keras: {
      Permute: (r) => {
        const d = r.raw('dims');
        if (
          !Array.isArray(d) ||
          d.length === 0 ||
          d.some((x) => typeof x !== 'number' || !Number.isSafeInteger(x) || x < 1)
        ) {
          r.fail('dims', `must be a list of axis numbers from 1, got ${JSON.stringify(d)}`);
        }
        return { kind: 'permute', dims: d as number[] };
      },
    },
    tfjs: (c, ctx) => ctx.use(ctx.tf.layers.permute({ name: ctx.name, dims: [...c.dims] }), ctx.inputs[0]!),
    window: null,
  },

  repeatVector: {
    title: 'RepeatVector',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length !== 1) fail(name, c.kind, `expects a vector input, got shape [${s.join(', ')}]`);
      checkPositive(name, c.kind, 'n', [c.n]);
      return [c.n, s[0]!];
    },
    ...unweighted,
    describe: (c) => `x${c.n}`,
    keras: { RepeatVector: (r) => ({ kind: 'repeatVector', n: r.int('n') }) },
    tfjs: (c, ctx) => ctx.use(ctx.tf.layers.repeatVector({ name: ctx.name, n: c.n }), ctx.inputs[0]!),
    window: null,
  },

  resizing: {
    title: 'Resizing',
    outputShape: (c, inputs, name) => {
      const [, , ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'size', [c.height, c.width]);
      return [c.height, c.width, ch];
    },
    // Interpolation weights are fixed, not learned, and not weight MACs.
    ...unweighted,
    describe: (c) => `-> ${c.height}x${c.width} ${c.interpolation}${c.cropToAspectRatio ? ' crop' : ''}`,
    keras: { Resizing: readResizing },
    // tfjs-layers' own Resizing and CenterCrop fail inside a functional model (the first cannot take a
    // symbolic input, the second overwrites its input's shape), so both run as ResizeCrop2D.
    custom: [resizeCrop2D],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(resizeCrop2D))({
          name: ctx.name,
          mode: 'resize',
          height: c.height,
          width: c.width,
          interpolation: c.interpolation,
          cropToAspectRatio: c.cropToAspectRatio,
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  centerCrop: {
    title: 'CenterCrop',
    outputShape: (c, inputs, name) => {
      const [, , ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'size', [c.height, c.width]);
      return [c.height, c.width, ch];
    },
    ...unweighted,
    describe: (c) => `${c.height}x${c.width}`,
    keras: {
      CenterCrop: (r) => {
        r.channelsLast();
        return { kind: 'centerCrop', height: r.int('height'), width: r.int('width') };
      },
    },
    custom: [resizeCrop2D],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(resizeCrop2D))({
          name: ctx.name,
          mode: 'centerCrop',
          height: c.height,
          width: c.width,
          interpolation: 'bilinear',
          cropToAspectRatio: true,
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  passThrough: {
    torch: 'Identity',
    title: 'Identity',
    titleOf: (c) => c.className,
    ...passThrough,
    describe: (c) =>
      c.className === 'RandomCrop'
        ? `${c.args?.height}x${c.args?.width}, uncropped at inference`
        : Object.entries(c.args ?? {})
            .map(([k, v]) => `${k} ${v}`)
            .join(' '),
    keras: Object.fromEntries(
      [
        'Identity',
        'ActivityRegularization',
        'GaussianNoise',
        'GaussianDropout',
        'AlphaDropout',
        'SpatialDropout1D',
        'SpatialDropout3D',
        'Masking',
        ...AUGMENTATIONS,
      ].map((cls) => [cls, readPassThrough]),
    ),
    tfjs: (c, ctx) => ctx.use(passThroughLayer(c, ctx), ctx.inputs[0]!),
  },

  discretization: {
    title: 'Discretization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      return encodedShape(name, c.kind, s, c.outputMode, c.boundaries.length + 1);
    },
    ...unweighted,
    describe: (c) => `${c.boundaries.length + 1} bins${c.outputMode === 'int' ? '' : ` ${c.outputMode}`}`,
    keras: {
      Discretization: (r) => {
        const b = r.raw('bin_boundaries');
        if (!Array.isArray(b) || b.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
          r.fail(
            'bin_boundaries',
            `must be a list of numbers (an adapted layer's boundaries), got ${JSON.stringify(b)}`,
          );
        }
        if (r.bool('sparse', false)) r.fail('sparse', 'true is not supported (dense outputs only)');
        return {
          kind: 'discretization',
          boundaries: b as number[],
          outputMode: r.str('output_mode', ['int', 'one_hot', 'multi_hot', 'count'] as const, 'int'),
        };
      },
    },
    custom: [encodeLayer],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(encodeLayer))({
          name: ctx.name,
          boundaries: [...c.boundaries],
          outputMode: c.outputMode,
          depth: c.boundaries.length + 1,
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  categoryEncoding: {
    title: 'CategoryEncoding',
    outputShape: (c, inputs, name) => {
      checkPositive(name, c.kind, 'num_tokens', [c.numTokens]);
      return encodedShape(name, c.kind, one(name, c.kind, inputs), c.outputMode, c.numTokens);
    },
    ...unweighted,
    describe: (c) => `${c.numTokens} ${c.outputMode}`,
    keras: {
      CategoryEncoding: (r) => {
        if (r.bool('sparse', false)) r.fail('sparse', 'true is not supported (dense outputs only)');
        return {
          kind: 'categoryEncoding',
          numTokens: r.int('num_tokens'),
          outputMode: r.str('output_mode', ['one_hot', 'multi_hot', 'count'] as const, 'multi_hot'),
        };
      },
    },
    custom: [encodeLayer],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(encodeLayer))({ name: ctx.name, outputMode: c.outputMode, depth: c.numTokens }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  melSpectrogram: {
    title: 'MelSpectrogram',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length !== 1) fail(name, c.kind, `expects a mono signal [T], got shape [${s.join(', ')}]`);
      checkPositive(name, c.kind, 'size', [c.fftLength, c.sequenceStride, c.sequenceLength, c.numMelBins]);
      const pad = Math.floor(c.fftLength / 2);
      // Reflect padding needs more samples than it mirrors.
      if (pad >= s[0]!) fail(name, c.kind, `the signal (${s[0]}) must be longer than half the fft length (${pad})`);
      // What runs: 1 + (T + 2 floor(fft / 2) - fft) / stride frames (Keras' symbolic shape says (T + stride + 1) / stride).
      return [c.numMelBins, Math.floor((s[0]! + 2 * pad - c.fftLength) / c.sequenceStride) + 1];
    },
    // The DFT and the mel filter bank are fixed, not weights: no weight MACs, as for interpolation.
    ...unweighted,
    describe: (c) => `${c.numMelBins} mel, fft ${c.fftLength}/${c.sequenceStride}${c.powerToDb ? ' dB' : ''}`,
    keras: {
      MelSpectrogram: (r) => {
        const fftLength = r.int('fft_length', 2048);
        const samplingRate = r.num('sampling_rate', 16000);
        const window = r.raw('window') === null ? null : r.str('window', ['hann', 'hamming'] as const, 'hann');
        const config: MelSpectrogramConfig = {
          kind: 'melSpectrogram',
          fftLength,
          sequenceStride: r.int('sequence_stride', 512),
          sequenceLength: r.has('sequence_length') ? r.int('sequence_length') : fftLength,
          window,
          samplingRate,
          numMelBins: r.int('num_mel_bins', 128),
          minFreq: r.num('min_freq', 20),
          maxFreq: r.has('max_freq') ? r.num('max_freq') : Math.trunc(samplingRate / 2),
          powerToDb: r.bool('power_to_db', true),
          topDb: r.num('top_db', 80),
          magExp: r.num('mag_exp', 2),
          minPower: r.num('min_power', 1e-10),
          refPower: r.num('ref_power', 1),
        };
        if (config.sequenceLength > fftLength) r.fail('sequence_length', `must not exceed fft_length ${fftLength}`);
        return config;
      },
    },
    custom: [melSpectrogram],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(melSpectrogram))({ ...c, name: ctx.name }), ctx.inputs[0]!),
    window: null,
  },

  unknown: {
    title: 'Unknown',
    titleOf: (c) => c.className,
    counted: false,
    outputShape: (c) => c.outputShapes[0]!,
    outputShapes: (c) => c.outputShapes,
    ...unweighted,
    describe: () => 'not counted',
    keras: {},
    tfjs: (c, ctx) => {
      throw new NetcensusError(`layer "${ctx.info.node.name}" (${c.className}) is not counted, so it cannot be built`);
    },
    window: null,
  },
};

/** The shape of a zero padding (sign 1) or a cropping (sign -1) of rank 1, 2 or 3; refuses a crop that leaves nothing. */
function padCropShape(
  name: string,
  kind: keyof typeof RESHAPE_RANK,
  inputs: Shape[],
  amounts: AxisPads,
  sign: 1 | -1,
): Shape {
  const rank = RESHAPE_RANK[kind];
  const s = spatialInput(name, kind, inputs, rank);
  checkAmounts(name, kind, rank, amounts, sign > 0 ? 'padding' : 'cropping');
  return [
    ...s.slice(0, rank).map((n, i) => {
      const out = n + sign * (amounts[i]![0] + amounts[i]![1]);
      if (out < 1)
        fail(
          name,
          kind,
          `cropping ${amounts[i]![0]} + ${amounts[i]![1]} leaves nothing of the input ${axisName(rank, i)} ${n}`,
        );
      return out;
    }),
    s[rank]!,
  ];
}

function upSampledShape(name: string, c: UpSamplingNdConfig, inputs: Shape[]): Shape {
  const rank = RESHAPE_RANK[c.kind];
  const s = spatialInput(name, c.kind, inputs, rank);
  if (c.size.length !== rank) fail(name, c.kind, `size has ${c.size.length} axes, expected ${rank}`);
  checkPositive(name, c.kind, 'size', c.size);
  return [...s.slice(0, rank).map((n, i) => mul(axisName(rank, i), n, c.size[i]!)), s[rank]!];
}

type PadCropArgs = { mode: 'pad' | 'crop'; amounts: Array<[number, number]>; name?: string };

/** Zero padding or cropping of rank 1, 2 or 3, where tfjs-layers has only the 2-D layers. */
export function padCropND(tf: Tf): LayerClass<PadCropArgs> {
  return class PadCropND extends customBase(tf)<PadCropArgs> {
    static className = 'PadCropND';

    override censusShape(inputs: Shape[]): Shape {
      const rank = this.args.amounts.length as 1 | 2 | 3;
      let out: Shape;
      if (this.args.mode === 'crop') {
        const kind = (['crop1d', 'crop2d', 'crop3d'] as const)[rank - 1]!;
        out = coreKinds[kind].outputShape({ kind, crops: this.args.amounts }, inputs, this.name);
      } else if (rank === 2) {
        out = coreKinds.zeroPad2d.outputShape(
          {
            kind: 'zeroPad2d',
            pads: {
              top: this.args.amounts[0]![0],
              bottom: this.args.amounts[0]![1],
              left: this.args.amounts[1]![0],
              right: this.args.amounts[1]![1],
            },
          },
          inputs,
          this.name,
        );
      } else {
        const kind = rank === 1 ? 'zeroPad1d' : 'zeroPad3d';
        out = coreKinds[kind].outputShape({ kind, pads: this.args.amounts }, inputs, this.name);
      }
      return out;
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        if (this.args.mode === 'pad') return tf.pad(x, [[0, 0], ...this.args.amounts, [0, 0]]);
        const begin = [0, ...this.args.amounts.map(([b]) => b), 0];
        const size = [-1, ...this.args.amounts.map(([b, a], i) => x.shape[i + 1]! - b - a), -1];
        return tf.slice(x, begin, size);
      });
    }
  };
}

/** Nearest upsampling of any rank by repetition (Keras' UpSampling1D and UpSampling3D). */
export function upSamplingND(tf: Tf): LayerClass<{ size: number[]; name?: string }> {
  return class UpSamplingND extends customBase(tf)<{ size: number[]; name?: string }> {
    static className = 'UpSamplingND';

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      const kind = this.args.size.length === 1 ? 'upSampling1d' : 'upSampling3d';
      if (this.args.size.length === 2) {
        const out = coreKinds.upSampling2d.outputShape(
          { kind: 'upSampling2d', size: this.args.size as unknown as Pair, interpolation: 'nearest' },
          [perExample(s)],
          this.name,
        );
        return [s[0]!, ...out];
      }
      return [s[0]!, ...coreKinds[kind].outputShape({ kind, size: this.args.size }, [perExample(s)], this.name)];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        let y = singleInput(inputs);
        this.args.size.forEach((r, i) => {
          if (r === 1) return;
          const axis = i + 1;
          const shape = y.shape;
          // [..., n, 1, ...] tiled to [..., n, r, ...] and merged: each step repeated r times in place.
          const reps = [...shape, 1].map((_, d) => (d === axis + 1 ? r : 1));
          y = tf.reshape(tf.tile(tf.expandDims(y, axis + 1), reps), [
            ...shape.slice(0, axis),
            shape[axis]! * r,
            ...shape.slice(axis + 1),
          ]);
        });
        return y === inputs || (Array.isArray(inputs) && y === inputs[0]) ? tf.clone(y) : y;
      });
    }
  };
}

export interface ResizeCrop2DArgs extends LayerArgs {
  /** resize: Keras' Resizing; centerCrop: Keras' CenterCrop (a central window, or a resize when the input is smaller). */
  mode: 'resize' | 'centerCrop';
  height: number;
  width: number;
  interpolation: 'bilinear' | 'nearest';
  cropToAspectRatio: boolean;
}

/**
 * Keras' Resizing and CenterCrop: the largest central window with the target's aspect ratio (when asked,
 * and for CenterCrop on a smaller input), then half-pixel bilinear or nearest interpolation, as Keras'
 * backends resize; CenterCrop on a large enough input takes the central window as it is.
 */
export function resizeCrop2D(tf: Tf): LayerClass<ResizeCrop2DArgs> {
  return class ResizeCrop2D extends customBase(tf)<ResizeCrop2DArgs> {
    static className = 'ResizeCrop2D';

    override censusShape(inputs: Shape[]): Shape {
      const a = this.args;
      const out =
        a.mode === 'resize'
          ? coreKinds.resizing.outputShape(
              {
                kind: 'resizing',
                height: a.height,
                width: a.width,
                interpolation: a.interpolation,
                cropToAspectRatio: a.cropToAspectRatio,
              },
              inputs,
              this.name,
            )
          : coreKinds.centerCrop.outputShape(
              { kind: 'centerCrop', height: a.height, width: a.width },
              inputs,
              this.name,
            );
      return out;
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const a = this.args;
        let x = singleInput(inputs) as TF.Tensor4D;
        const [, h, w] = x.shape;
        if (a.mode === 'centerCrop' && h >= a.height && w >= a.width) {
          return tf.slice(
            x,
            [0, Math.floor((h - a.height) / 2), Math.floor((w - a.width) / 2), 0],
            [-1, a.height, a.width, -1],
          );
        }
        if (a.cropToAspectRatio) {
          const ch = Math.max(Math.min(h, Math.floor((w * a.height) / a.width)), 1);
          const cw = Math.max(Math.min(w, Math.floor((h * a.width) / a.height)), 1);
          x = tf.slice(x, [0, Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), 0], [-1, ch, cw, -1]);
        }
        const size: [number, number] = [a.height, a.width];
        return a.interpolation === 'nearest'
          ? tf.image.resizeNearestNeighbor(x, size, false, true)
          : tf.image.resizeBilinear(x, size, false, true);
      });
    }
  };
}

export interface EncodeArgs extends LayerArgs {
  /** Discretization's boundaries; absent: the input already holds integer tokens (CategoryEncoding). */
  boundaries?: number[];
  outputMode: 'int' | 'one_hot' | 'multi_hot' | 'count';
  depth: number;
}

/** Keras' Discretization and CategoryEncoding: buckets (numpy's digitize), then one-hot, multi-hot or counts. */
export function encodeLayer(tf: Tf): LayerClass<EncodeArgs> {
  return class EncodeCategorical extends customBase(tf)<EncodeArgs> {
    static className = 'EncodeCategorical';

    override censusShape(inputs: Shape[]): Shape {
      const a = this.args;
      const out = a.boundaries
        ? coreKinds.discretization.outputShape(
            { kind: 'discretization', boundaries: a.boundaries, outputMode: a.outputMode },
            inputs,
            this.name,
          )
        : coreKinds.categoryEncoding.outputShape(
            {
              kind: 'categoryEncoding',
              numTokens: a.depth,
              outputMode: a.outputMode as CategoryEncodingConfig['outputMode'],
            },
            inputs,
            this.name,
          );
      return out;
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const a = this.args;
        const x = singleInput(inputs);
        // How many boundaries lie at or below each value; tokens are read as integers.
        const tokens = a.boundaries
          ? a.boundaries.reduce<TF.Tensor>(
              (acc, b) => tf.add(acc, tf.cast(tf.greaterEqual(x, b), 'int32')),
              tf.zerosLike(x).toInt(),
            )
          : tf.cast(tf.floor(x), 'int32');
        if (a.outputMode === 'int') return tokens;
        const rows = x.shape.length === 1 ? tf.expandDims(tokens, 1) : tokens;
        const hot = tf.oneHot(rows, a.depth);
        if (a.outputMode === 'one_hot') {
          // A last axis of 1 (or a scalar's) is replaced by the depth.
          return rows.shape.at(-1) === 1 ? tf.squeeze(hot, [hot.shape.length - 2]) : hot;
        }
        // Discretization reduces the first axis after the batch, CategoryEncoding the last.
        const axis = a.boundaries ? 1 : hot.shape.length - 2;
        return a.outputMode === 'count' ? tf.sum(hot, axis) : tf.max(hot, axis);
      });
    }
  };
}

/** Keras' (HTK) mel filter bank, [fft / 2 + 1, mel bins], the lowest (DC) row zero, peaks of 1. */
export function melFilterBank(c: MelSpectrogramConfig): number[][] {
  const bins = Math.floor(c.fftLength / 2) + 1;
  const mel = (hz: number): number => 1127 * Math.log(1 + hz / 700);
  const linspace = (a: number, b: number, n: number): number[] =>
    Array.from({ length: n }, (_, i) => (n === 1 ? a : a + ((b - a) * i) / (n - 1)));
  const freqs = linspace(0, c.samplingRate / 2, bins).map(mel);
  const edges = linspace(mel(c.minFreq), mel(c.maxFreq), c.numMelBins + 2);
  return freqs.map((f, k) =>
    Array.from({ length: c.numMelBins }, (_, m) => {
      if (k === 0) return 0;
      const [lo, mid, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
      return Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid)));
    }),
  );
}

type MelArgs = Omit<MelSpectrogramConfig, 'kind'> & { name?: string };

/**
 * Keras' MelSpectrogram as it runs: reflect padding of fft / 2, frames of `sequence_length` samples under
 * a periodic Hann or Hamming window centred in `fft_length` (as torch.stft), a real DFT as two fixed
 * convolutions, |X|^mag_exp, the mel filter bank, then 10 log10 with Keras' floors (top_db below the
 * maximum of the whole batch, as Keras takes it).
 */
export function melSpectrogram(tf: Tf): LayerClass<MelArgs> {
  return class MelSpectrogramLayer extends customBase(tf)<MelArgs> {
    static className = 'NetcensusMelSpectrogram';

    private get c(): MelSpectrogramConfig {
      const { name: _n, ...rest } = this.args;
      return { kind: 'melSpectrogram', ...rest };
    }

    override censusShape(inputs: Shape[]): Shape {
      return coreKinds.melSpectrogram.outputShape(this.c, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const c = this.c;
        const x = singleInput(inputs) as TF.Tensor2D;
        const n = c.fftLength;
        const pad = Math.floor(n / 2);
        const padded = tf.mirrorPad(
          x,
          [
            [0, 0],
            [pad, pad],
          ],
          'reflect',
        );
        const L = c.sequenceLength;
        const offset = Math.floor((n - L) / 2);
        const win = Array.from({ length: n }, (_, i) => {
          const j = i - offset;
          if (j < 0 || j >= L) return 0;
          if (c.window === null) return 1;
          const cos = Math.cos((2 * Math.PI * j) / L);
          return c.window === 'hann' ? 0.5 - 0.5 * cos : 0.54 - 0.46 * cos;
        });
        const bins = pad + 1;
        const re: number[] = [];
        const im: number[] = [];
        for (let i = 0; i < n; i++)
          for (let k = 0; k < bins; k++) {
            const angle = (2 * Math.PI * ((i * k) % n)) / n;
            re.push(win[i]! * Math.cos(angle));
            im.push(-win[i]! * Math.sin(angle));
          }
        const signal = tf.expandDims(padded, 2) as TF.Tensor3D;
        const dft = (k: number[]) => tf.conv1d(signal, tf.tensor3d(k, [n, 1, bins]), c.sequenceStride, 'valid');
        const magnitude = tf.sqrt(tf.add(tf.square(dft(re)), tf.square(dft(im))));
        const spec = tf.pow(magnitude, c.magExp);
        const [batch, frames] = spec.shape as [number, number];
        let mel: TF.Tensor = tf.reshape(
          tf.matMul(tf.reshape(spec, [batch * frames, bins]), tf.tensor2d(melFilterBank(c))),
          [batch, frames, c.numMelBins],
        );
        if (c.powerToDb) {
          const db = (t: TF.Tensor | number) => tf.mul(10, tf.div(tf.log(tf.maximum(t, c.minPower)), Math.LN10));
          mel = tf.sub(db(mel), db(Math.abs(c.refPower)));
          mel = tf.maximum(mel, tf.sub(tf.max(mel), c.topDb));
        }
        return tf.transpose(mel, [0, 2, 1]);
      });
    }
  };
}
