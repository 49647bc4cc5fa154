/**
 * Core kinds: the input, and layers that move or pass values without weights (Flatten, Reshape, Dropout,
 * ZeroPadding2D, Rescaling, UpSampling2D): Keras' reshaping layers.
 */
import { NetcensusError } from '../errors.js';
import { mul, prod } from '../exact.js';
import {
  checkPositive,
  fail,
  one,
  spatialInput,
  unweighted,
  type ConfigReader,
  type Kinds,
  type Pair,
  type Shape,
} from './spec.js';
import { axisPadsOf, padText, sizeText, type Pads } from './window.js';

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
/** Every config this family defines. */
export type CoreFamily =
  | InputConfig
  | FlattenConfig
  | ReshapeConfig
  | DropoutConfig
  | ZeroPad2dConfig
  | RescalingConfig
  | UpSampling2dConfig
  | UnknownConfig;

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
    tfjs: (c, ctx) => ctx.use(ctx.tf.layers.reshape({ name: ctx.name, targetShape: [...c.target] }), ctx.inputs[0]!),
    window: null,
  },

  dropout: {
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
      throw new NetcensusError(`layer "${ctx.name}" (${c.className}) is not counted, so it cannot be built`);
    },
    window: null,
  },
};
