/**
 * Normalization: BatchNormalization on any axis (statistics are Keras weights but PyTorch buffers), Layer,
 * Group, Unit and RMS normalization, local response normalization (AlexNet's LRN), Keras' Normalization
 * preprocessing layer (any kept axes; constants instead of weights when the config gives the mean and
 * variance), and ConvNeXt's LayerScale. What tfjs-layers lacks runs as registered custom tfjs layers.
 *
 * Weight MACs count conv and dense weights only: a normalization's gamma and beta scale and shift
 * elementwise, so every kind here has 0 weight MACs, as BatchNormalization always had.
 */
import type * as TF from '@tensorflow/tfjs';
import { customBase, singleInput, singleShape } from '../tfjs/base.js';
import type { LayerArgs } from '../tfjs/args.js';
import { kerasAxes, resolveAxes } from './activation.js';
import { broadcast } from './tensor.js';
import { bias, fail, one, otherFactors, stat, unweighted, weight } from './spec.js';
import type { ConfigReader, Kinds, LayerClass, Shape, Tf, WeightSpec } from './spec.js';

/**
 * `momentum` in Keras' sense (moving = momentum * moving + (1 - momentum) * batch); PyTorch's 0.1 is Keras' 0.9.
 * `axis` is the normalized (feature) axis, per example (0 = the first after the batch), negative from the
 * end; absent, the last.
 */
export interface BatchNormConfig {
  kind: 'batchNorm';
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  axis?: number;
}
export interface LrnConfig {
  kind: 'lrn';
  size: number;
  alpha: number;
  beta: number;
  k: number;
}
/** A (nested) list of numbers, as a Keras config writes a tensor's values. */
export type Values = number | Values[];
/**
 * Keras Normalization: mean and variance over the `axis` kept (per example, negative from the end; absent,
 * the last; empty, none: scalar statistics), stored as non-trainable weights with a sample count, or, when
 * the config gives `mean` and `variance`, held as constants (no weights). `invert` undoes it.
 */
export interface NormalizationConfig {
  kind: 'normalization';
  axis?: number[];
  mean?: Values;
  variance?: Values;
  invert?: boolean;
}
/** Keras' LayerNormalization over `axis` (per example; sorted by Keras), with gamma and beta of those axes' shape. */
export interface LayerNormConfig {
  kind: 'layerNorm';
  axis: number[];
  epsilon: number;
  center: boolean;
  scale: boolean;
  /** Keras 3's deprecated rms_scaling: x * rsqrt(variance + epsilon) * gamma, no beta. */
  rmsScaling: boolean;
}
/** Keras' GroupNormalization: `groups` groups of the `axis` channels (-1: one per channel), gamma and beta per channel. */
export interface GroupNormConfig {
  kind: 'groupNorm';
  groups: number;
  axis: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}
/** Keras' UnitNormalization: x divided by its L2 norm over `axis`. No weights. */
export interface UnitNormConfig {
  kind: 'unitNorm';
  axis: number[];
}
/** Keras' RMSNormalization: x * rsqrt(mean(x^2) + epsilon) * scale, the scale of the `axis` dimensions' shape. */
export interface RmsNormConfig {
  kind: 'rmsNorm';
  axis: number[];
  epsilon: number;
}
/** ConvNeXt's LayerScale (keras.applications.convnext): x * gamma, gamma of shape [dim]. */
export interface LayerScaleConfig {
  kind: 'layerScale';
  dim: number;
}
/** Every config this family defines. */
export type NormalizationFamily =
  | BatchNormConfig
  | LrnConfig
  | NormalizationConfig
  | LayerNormConfig
  | GroupNormConfig
  | UnitNormConfig
  | RmsNormConfig
  | LayerScaleConfig;

/** PyTorch's defaults: eps 1e-5, momentum 0.1 (Keras' 0.9). */
export const batchNorm = (epsilon = 1e-5, momentum = 0.9): BatchNormConfig => ({
  kind: 'batchNorm',
  epsilon,
  momentum,
  center: true,
  scale: true,
});

/** The input's size along the one normalized axis of a kind. */
function axisSize(name: string, kind: string, input: Shape, axis: number | undefined): number {
  return input[resolveAxes(name, kind, [axis ?? -1], input.length)[0]!]!;
}

/** The shape of weights over some axes, as Keras builds them: the input's sizes at those axes, sorted. */
const shapeAt = (name: string, kind: string, input: Shape, axes: readonly number[]): number[] =>
  [...new Set(resolveAxes(name, kind, axes, input.length))].sort((a, b) => a - b).map((a) => input[a]!);

/** Refuses axes named twice (Keras sorts them and builds one weight axis each). */
function distinctAxes(name: string, kind: string, axes: readonly number[], rank: number): number[] {
  const resolved = resolveAxes(name, kind, axes, rank);
  if (new Set(resolved).size !== resolved.length) fail(name, kind, `axis [${axes.join(', ')}] names an axis twice`);
  return resolved;
}

const flagsText = (c: { center: boolean; scale: boolean }): string =>
  c.center && c.scale ? '' : `${c.scale ? '' : 'no scale'}${c.center ? '' : ' no center'}`.trim();
const axesText = (axes: readonly number[] | undefined): string =>
  axes === undefined || (axes.length === 1 && axes[0] === -1) ? '' : `axis ${axes.join(',')}`;
const join = (...parts: string[]): string => parts.filter((p) => p !== '').join(' ');

/** Keras' `epsilon`, `center`, `scale`. */
const affine = (r: ConfigReader, epsilon: number) => ({
  epsilon: r.num('epsilon', epsilon),
  center: r.bool('center', true),
  scale: r.bool('scale', true),
});

/** The Keras `axis` of the batched tensor for per-example axes: shifted by one, sorted. */
const batchedAxes = (name: string, kind: string, axes: readonly number[], rank: number): number[] =>
  resolveAxes(name, kind, axes, rank)
    .map((a) => a + 1)
    .sort((a, b) => a - b);

/** A (nested) list of numbers, or undefined where the config has none; refuses anything else. */
function readValues(r: ConfigReader, field: string): Values | undefined {
  const v = r.raw(field);
  if (v === undefined || v === null) return undefined;
  const ok = (x: unknown): boolean => (Array.isArray(x) ? x.every(ok) : typeof x === 'number' && Number.isFinite(x));
  if (!ok(v)) r.fail(field, `must be a number or a list of numbers, got ${JSON.stringify(v).slice(0, 80)}`);
  return v as Values;
}

export const normalizationKinds: Kinds<NormalizationFamily> = {
  batchNorm: {
    // BatchNorm1d takes (N, C) and (N, C, L); the rank past the batch says which.
    torch: (_c, inputs) => `BatchNorm${Math.max(1, (inputs[0]?.length ?? 2) - 1)}d`,
    title: 'BatchNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length < 1) fail(name, c.kind, 'needs an input of rank >= 1');
      axisSize(name, c.kind, s, c.axis);
      return s;
    },
    weights: (c, inputs) => {
      const ch = axisSize('', c.kind, inputs[0]!, c.axis);
      const specs: WeightSpec[] = [];
      if (c.scale) specs.push(weight('gamma', [ch]));
      if (c.center) specs.push(bias('beta', [ch]));
      // Keras and tfjs count the moving statistics as non-trainable weights; PyTorch keeps them as buffers.
      specs.push(stat('moving_mean', [ch]), stat('moving_variance', [ch]));
      return specs;
    },
    macs: () => 0,
    describe: (c) => flagsText(c),
    keras: {
      BatchNormalization: (r) => {
        if (r.bool('renorm', false)) r.fail('renorm', 'true is not supported (batch renormalization)');
        const axis = kerasAxes(r, 'axis');
        if (axis.length !== 1) r.fail('axis', `must be one axis, got ${JSON.stringify(r.raw('axis'))}`);
        return {
          kind: 'batchNorm',
          epsilon: r.num('epsilon', 1e-3),
          momentum: r.num('momentum', 0.99),
          center: r.bool('center', true),
          scale: r.bool('scale', true),
          ...(axis[0] === -1 ? {} : { axis: axis[0]! }),
        };
      },
    },
    tfjs: (c, ctx) => {
      const rank = ctx.info.inputShapes[0]!.length;
      // tfjs-layers' BatchNormalization takes tensors of rank 4 or less (with the batch).
      if (rank > 3) {
        const [axis] = batchedAxes(ctx.name, c.kind, [c.axis ?? -1], rank);
        return ctx.use(
          new (ctx.custom(kerasNormLayer))({
            name: ctx.name,
            mode: 'batch',
            axes: [axis!],
            epsilon: c.epsilon,
            center: c.center,
            scale: c.scale,
          }),
          ctx.inputs[0]!,
        );
      }
      return ctx.use(
        ctx.tf.layers.batchNormalization({
          name: ctx.name,
          axis: c.axis === undefined || c.axis < 0 ? (c.axis ?? -1) : c.axis + 1,
          epsilon: c.epsilon,
          momentum: c.momentum,
          center: c.center,
          scale: c.scale,
        }),
        ctx.inputs[0]!,
      );
    },
    factors: (c, info, convention) => {
      const ch = axisSize(info.node.name, c.kind, info.inputShapes[0]!, c.axis);
      return {
        kind: 'bn',
        k: 1,
        cin: ch,
        cout: ch,
        groups: 1,
        bias: 0,
        positions: 1,
        bnTrainable: (c.center ? 1 : 0) + (c.scale ? 1 : 0),
        bnStats: convention === 'keras' ? 2 : 0,
      };
    },
    window: null,
  },

  lrn: {
    torch: 'LocalResponseNorm',
    title: 'LRN',
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    ...unweighted,
    describe: (c) => `size ${c.size}`,
    custom: [lrnLayer],
    keras: {
      LRN: (r) => ({ kind: 'lrn', size: r.int('size'), alpha: r.num('alpha'), beta: r.num('beta'), k: r.num('k') }),
    },
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(lrnLayer))({ name: ctx.name, size: c.size, alpha: c.alpha, beta: c.beta, k: c.k }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  normalization: {
    title: 'Normalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      distinctAxes(name, c.kind, c.axis ?? [-1], s.length);
      return s;
    },
    // Keras 3 keeps mean, variance (the kept axes' shape) and a scalar sample count, all non-trainable;
    // a mean and variance given in the config are constants, not weights.
    weights: (c, inputs) => {
      if (c.mean !== undefined) return [];
      const shape = shapeAt('', c.kind, inputs[0]!, c.axis ?? [-1]);
      return [stat('mean', shape), stat('variance', shape), stat('count', [])];
    },
    macs: () => 0,
    describe: (c) => join(axesText(c.axis), c.mean === undefined ? '' : 'given', c.invert ? 'inverted' : ''),
    keras: {
      Normalization: (r) => {
        // Keras' axis: the kept axes (an int or a list); None keeps none.
        const axis = r.raw('axis') === null ? [] : kerasAxes(r, 'axis');
        const mean = readValues(r, 'mean');
        const variance = readValues(r, 'variance');
        if ((mean === undefined) !== (variance === undefined))
          r.fail(mean === undefined ? 'mean' : 'variance', 'must be given with the other (mean and variance)');
        const invert = r.bool('invert', false);
        return {
          kind: 'normalization',
          ...(axis.length === 1 && axis[0] === -1 ? {} : { axis }),
          ...(mean === undefined ? {} : { mean, variance }),
          ...(invert ? { invert } : {}),
        };
      },
      KerasNormalization: () => ({ kind: 'normalization' }),
    },
    custom: [kerasNormalization],
    tfjs: (c, ctx) => {
      const rank = ctx.info.inputShapes[0]!.length;
      const args: KerasNormalizationArgs = { name: ctx.name };
      if (c.axis !== undefined) args.axes = batchedAxes(ctx.name, c.kind, c.axis, rank);
      if (c.mean !== undefined) Object.assign(args, { mean: c.mean, variance: c.variance });
      if (c.invert) args.invert = true;
      return ctx.use(new (ctx.custom(kerasNormalization))(args), ctx.inputs[0]!);
    },
    // Statistics only: no factored formula.
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  layerNorm: {
    torch: 'LayerNorm',
    title: 'LayerNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      distinctAxes(name, c.kind, c.axis, s.length);
      return s;
    },
    // Keras' gamma and beta have the normalized axes' sizes (sorted), not the broadcast shape.
    weights: (c, inputs) => {
      const shape = shapeAt('', c.kind, inputs[0]!, c.axis);
      const specs: WeightSpec[] = [];
      if (c.scale || c.rmsScaling) specs.push(weight('gamma', shape));
      if (c.center && !c.rmsScaling) specs.push(bias('beta', shape));
      return specs;
    },
    macs: () => 0,
    describe: (c) => join(axesText(c.axis), flagsText(c), c.rmsScaling ? 'rms' : ''),
    keras: {
      LayerNormalization: (r) => ({
        kind: 'layerNorm',
        axis: kerasAxes(r, 'axis'),
        ...affine(r, 1e-3),
        rmsScaling: r.bool('rms_scaling', false),
      }),
    },
    custom: [kerasNormLayer],
    tfjs: (c, ctx) => {
      const axes = batchedAxes(ctx.name, c.kind, c.axis, ctx.info.inputShapes[0]!.length);
      if (c.rmsScaling) {
        return ctx.use(
          new (ctx.custom(kerasNormLayer))({ name: ctx.name, mode: 'rmsScaling', axes, epsilon: c.epsilon }),
          ctx.inputs[0]!,
        );
      }
      return ctx.use(
        ctx.tf.layers.layerNormalization({
          name: ctx.name,
          axis: axes,
          epsilon: c.epsilon,
          center: c.center,
          scale: c.scale,
        }),
        ctx.inputs[0]!,
      );
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  groupNorm: {
    torch: 'GroupNorm',
    title: 'GroupNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      const ch = axisSize(name, c.kind, s, c.axis);
      const groups = c.groups === -1 ? ch : c.groups;
      if (!Number.isSafeInteger(groups) || groups < 1)
        fail(name, c.kind, `groups must be a positive integer or -1, got ${c.groups}`);
      if (ch % groups !== 0) fail(name, c.kind, `${ch} channels are not divisible into ${groups} groups`);
      return s;
    },
    weights: (c, inputs) => {
      const ch = axisSize('', c.kind, inputs[0]!, c.axis);
      const specs: WeightSpec[] = [];
      if (c.scale) specs.push(weight('gamma', [ch]));
      if (c.center) specs.push(bias('beta', [ch]));
      return specs;
    },
    macs: () => 0,
    describe: (c) =>
      join(c.groups === -1 ? 'per channel' : `${c.groups} groups`, c.axis === -1 ? '' : `axis ${c.axis}`, flagsText(c)),
    keras: {
      GroupNormalization: (r) => {
        const groups = r.int('groups', 32, -1);
        if (groups === 0) r.fail('groups', 'must be a positive integer or -1, got 0');
        const axis = kerasAxes(r, 'axis');
        if (axis.length !== 1) r.fail('axis', `must be one axis, got ${JSON.stringify(r.raw('axis'))}`);
        return { kind: 'groupNorm', groups, axis: axis[0]!, ...affine(r, 1e-3) };
      },
    },
    custom: [kerasNormLayer],
    tfjs: (c, ctx) => {
      const rank = ctx.info.inputShapes[0]!.length;
      const [axis] = batchedAxes(ctx.name, c.kind, [c.axis], rank);
      const ch = ctx.info.inputShapes[0]![axis! - 1]!;
      return ctx.use(
        new (ctx.custom(kerasNormLayer))({
          name: ctx.name,
          mode: 'group',
          axes: [axis!],
          groups: c.groups === -1 ? ch : c.groups,
          epsilon: c.epsilon,
          center: c.center,
          scale: c.scale,
        }),
        ctx.inputs[0]!,
      );
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  unitNorm: {
    title: 'UnitNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      distinctAxes(name, c.kind, c.axis, s.length);
      return s;
    },
    ...unweighted,
    describe: (c) => axesText(c.axis),
    keras: { UnitNormalization: (r) => ({ kind: 'unitNorm', axis: kerasAxes(r, 'axis') }) },
    custom: [kerasNormLayer],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(kerasNormLayer))({
          name: ctx.name,
          mode: 'unit',
          axes: batchedAxes(ctx.name, c.kind, c.axis, ctx.info.inputShapes[0]!.length),
          epsilon: 1e-12,
        }),
        ctx.inputs[0]!,
      ),
    window: null,
  },

  rmsNorm: {
    torch: 'RMSNorm',
    title: 'RMSNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      distinctAxes(name, c.kind, c.axis, s.length);
      return s;
    },
    weights: (c, inputs) => [weight('scale', shapeAt('', c.kind, inputs[0]!, c.axis))],
    macs: () => 0,
    describe: (c) => axesText(c.axis),
    keras: {
      RMSNormalization: (r) => ({ kind: 'rmsNorm', axis: kerasAxes(r, 'axis'), epsilon: r.num('epsilon', 1e-6) }),
    },
    custom: [kerasNormLayer],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(kerasNormLayer))({
          name: ctx.name,
          mode: 'rms',
          axes: batchedAxes(ctx.name, c.kind, c.axis, ctx.info.inputShapes[0]!.length),
          epsilon: c.epsilon,
        }),
        ctx.inputs[0]!,
      ),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  layerScale: {
    title: 'LayerScale',
    // x * gamma, gamma of shape [dim], broadcast against the input.
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (!Number.isSafeInteger(c.dim) || c.dim < 1)
        fail(name, c.kind, `projection_dim must be a positive integer, got ${c.dim}`);
      return broadcast(name, c.kind, [s, [c.dim]]);
    },
    // Keras names ConvNeXt's one variable `variable` (add_weight without a name).
    weights: (c) => [weight('variable', [c.dim])],
    macs: () => 0,
    describe: (c) => `${c.dim}`,
    keras: { LayerScale: (r) => ({ kind: 'layerScale', dim: r.int('projection_dim') }) },
    custom: [layerScaleLayer],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(layerScaleLayer))({ name: ctx.name, dim: c.dim }), ctx.inputs[0]!),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },
};

export interface LrnArgs extends LayerArgs {
  size: number;
  alpha: number;
  beta: number;
  k: number;
}

/** Local response normalization across channels; alpha is divided by the window size, as Caffe and PyTorch do. */
export function lrnLayer(tf: Tf): LayerClass<LrnArgs> {
  return class LRN extends customBase(tf)<LrnArgs> {
    static className = 'LRN';

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const a = this.args;
      return tf.localResponseNormalization(
        singleInput(inputs) as TF.Tensor4D,
        (a.size - 1) / 2,
        a.k,
        a.alpha / a.size,
        a.beta,
      );
    }
  };
}

export interface KerasNormalizationArgs {
  name?: string;
  /** The kept axes of the batched tensor, sorted; the last if absent. */
  axes?: number[];
  /** Constants given in the config instead of weights. */
  mean?: Values;
  variance?: Values;
  invert?: boolean;
}

/** The shape a tensor over some axes broadcasts as: the input's sizes there, 1 elsewhere (the batch too). */
const broadcastOver = (shape: readonly (number | null)[], axes: readonly number[]): number[] =>
  shape.map((d, i) => (axes.includes(i) ? d! : 1));

/**
 * Keras' Normalization layer at inference: (x - mean) / sqrt(variance) over the kept axes, with a sample
 * count kept as a weight; or with the mean and variance given as constants (no weights); `invert` undoes it.
 */
export function kerasNormalization(tf: Tf): LayerClass<KerasNormalizationArgs> {
  return class KerasNormalization extends customBase(tf)<KerasNormalizationArgs> {
    static className = 'KerasNormalization';
    private mean?: TF.LayerVariable;
    private variance?: TF.LayerVariable;
    private keep: number[] = [];

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const s = singleShape(inputShape);
      this.keep = this.args.axes ?? [s.length - 1];
      if (this.args.mean === undefined) {
        const shape = this.keep.map((a) => s[a]!);
        this.mean = this.weight('mean', shape, 'zeros', false);
        this.variance = this.weight('variance', shape, 'ones', false);
        this.weight('count', [], 'zeros', false);
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }

    /** A statistic reshaped to broadcast against the input: a weight over the kept axes, or a given constant aligned to their end. */
    private stat(x: TF.Tensor, w: TF.LayerVariable | undefined, given: Values | undefined): TF.Tensor {
      const target = broadcastOver(x.shape, this.keep);
      if (w) return tf.reshape(w.read(), target);
      const t = tf.tensor(given as number[]);
      if (t.rank === 0) return t;
      const shape = x.shape.map(() => 1);
      t.shape.forEach((d, i) => (shape[this.keep[this.keep.length - t.rank + i]!] = d));
      return tf.reshape(t, shape);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        const mean = this.stat(x, this.mean, this.args.mean);
        const std = tf.sqrt(tf.maximum(this.stat(x, this.variance, this.args.variance), 1e-7));
        return this.args.invert ? tf.add(tf.mul(x, std), mean) : tf.div(tf.sub(x, mean), std);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      const { name: _n, ...rest } = this.args;
      return { ...super.getConfig(), ...(rest as TF.serialization.ConfigDict) };
    }
  };
}

interface KerasNormArgs {
  name?: string;
  /**
   * batch: BatchNormalization at inference over `axes[0]` (for tensors of rank 5 and more); group:
   * GroupNormalization over `axes[0]`; rms: RMSNormalization; rmsScaling: LayerNormalization's
   * rms_scaling; unit: UnitNormalization.
   */
  mode: 'batch' | 'group' | 'rms' | 'rmsScaling' | 'unit';
  /** Axes of the batched tensor. */
  axes: number[];
  epsilon: number;
  groups?: number;
  center?: boolean;
  scale?: boolean;
}

/** The normalizations tfjs-layers lacks, as Keras computes them at inference, with Keras' weights. */
export function kerasNormLayer(tf: Tf): LayerClass<KerasNormArgs> {
  return class KerasNorm extends customBase(tf)<KerasNormArgs> {
    static className = 'KerasNorm';
    private gamma?: TF.LayerVariable;
    private beta?: TF.LayerVariable;
    private movingMean?: TF.LayerVariable;
    private movingVariance?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const s = singleShape(inputShape);
      const a = this.args;
      const sizes = [...a.axes].sort((x, y) => x - y).map((i) => s[i]!);
      if (a.mode === 'group' || a.mode === 'batch') {
        if (a.scale) this.gamma = this.weight('gamma', sizes, 'ones');
        if (a.center) this.beta = this.weight('beta', sizes, 'zeros');
        if (a.mode === 'batch') {
          this.movingMean = this.weight('moving_mean', sizes, 'zeros', false);
          this.movingVariance = this.weight('moving_variance', sizes, 'ones', false);
        }
      } else if (a.mode === 'rms') {
        this.gamma = this.weight('scale', sizes, 'ones');
      } else if (a.mode === 'rmsScaling') {
        this.gamma = this.weight('gamma', sizes, 'ones');
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        const a = this.args;
        const over = broadcastOver(x.shape, a.axes);
        const scaled = (y: TF.Tensor): TF.Tensor => {
          let out = this.gamma ? tf.mul(y, tf.reshape(this.gamma.read(), over)) : y;
          if (this.beta) out = tf.add(out, tf.reshape(this.beta.read(), over));
          return out;
        };
        switch (a.mode) {
          case 'batch': {
            const mean = tf.reshape(this.movingMean!.read(), over);
            const variance = tf.reshape(this.movingVariance!.read(), over);
            return scaled(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, a.epsilon))));
          }
          case 'unit':
            return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), a.axes, true)), a.epsilon));
          case 'rms':
            return scaled(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), a.axes, true), a.epsilon))));
          case 'rmsScaling':
            return scaled(tf.mul(x, tf.rsqrt(tf.add(tf.moments(x, a.axes, true).variance, a.epsilon))));
          case 'group': {
            // Split the channel axis into (groups, channels per group); normalize each group over the rest.
            const axis = a.axes[0]!;
            const groups = a.groups!;
            const grouped = [...x.shape];
            grouped.splice(axis, 1, groups, x.shape[axis]! / groups);
            const g = tf.reshape(x, grouped);
            const reduce = grouped.map((_, i) => i).filter((i) => i !== 0 && i !== axis);
            const { mean, variance } = tf.moments(g, reduce, true);
            const normed = tf.div(tf.sub(g, mean), tf.sqrt(tf.add(variance, a.epsilon)));
            return scaled(tf.reshape(normed, x.shape));
          }
        }
      });
    }
  };
}

/** `projection_dim` as Keras' own config writes it, for TensorFlow.js' deserializer reading a Keras config. */
type LayerScaleArgs = { name?: string; dim?: number; projection_dim?: number };

/** ConvNeXt's LayerScale: x * gamma, one trainable weight of shape [dim]. */
export function layerScaleLayer(tf: Tf): LayerClass<LayerScaleArgs> {
  return class LayerScale extends customBase(tf)<LayerScaleArgs> {
    static className = 'LayerScale';
    private gamma?: TF.LayerVariable;

    constructor(args: LayerScaleArgs) {
      super({ name: args.name, dim: args.dim ?? args.projection_dim! });
    }

    override build(): void {
      this.gamma = this.addWeight('variable', [this.args.dim!], 'float32', tf.initializers.constant({ value: 1e-6 }));
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      const config: LayerScaleConfig = { kind: 'layerScale', dim: this.args.dim! };
      return normalizationKinds.layerScale.outputShape(config, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => tf.mul(singleInput(inputs), this.gamma!.read()));
    }
  };
}
