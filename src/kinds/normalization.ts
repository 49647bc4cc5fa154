/**
 * Normalization: BatchNormalization (statistics are Keras weights but PyTorch buffers), local response
 * normalization (AlexNet's LRN) and Keras' Normalization preprocessing layer. LRN and Normalization run
 * as registered custom tfjs layers.
 */
import type * as TF from '@tensorflow/tfjs';
import {
  bias,
  fail,
  one,
  otherFactors,
  stat,
  unweighted,
  weight,
  type Kinds,
  type LayerClass,
  type Tf,
  type WeightSpec,
} from './spec.js';
import { singleInput, singleShape } from './conv.js';

/** `momentum` in Keras' sense (moving = momentum * moving + (1 - momentum) * batch); PyTorch's 0.1 is Keras' 0.9. */
export interface BatchNormConfig {
  kind: 'batchNorm';
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
}
export interface LrnConfig {
  kind: 'lrn';
  size: number;
  alpha: number;
  beta: number;
  k: number;
}
/** Keras Normalization: per-channel mean and variance, stored as non-trainable weights. */
export interface NormalizationConfig {
  kind: 'normalization';
}
/** Every config this family defines. */
export type NormalizationFamily = BatchNormConfig | LrnConfig | NormalizationConfig;

/** PyTorch's defaults: eps 1e-5, momentum 0.1 (Keras' 0.9). */
export const batchNorm = (epsilon = 1e-5, momentum = 0.9): BatchNormConfig => ({
  kind: 'batchNorm',
  epsilon,
  momentum,
  center: true,
  scale: true,
});

const lastAxis = (inputs: readonly (readonly number[])[]): number => inputs[0]![inputs[0]!.length - 1]!;

export const normalizationKinds: Kinds<NormalizationFamily> = {
  batchNorm: {
    title: 'BatchNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length < 1) fail(name, c.kind, 'needs an input of rank >= 1');
      return s;
    },
    weights: (c, inputs) => {
      const ch = lastAxis(inputs);
      const specs: WeightSpec[] = [];
      if (c.scale) specs.push(weight('gamma', [ch]));
      if (c.center) specs.push(bias('beta', [ch]));
      // Keras and tfjs count the moving statistics as non-trainable weights; PyTorch keeps them as buffers.
      specs.push(stat('moving_mean', [ch]), stat('moving_variance', [ch]));
      return specs;
    },
    macs: () => 0,
    describe: (c) => (c.center && c.scale ? '' : `${c.scale ? '' : 'no scale'}${c.center ? '' : ' no center'}`.trim()),
    keras: {
      BatchNormalization: (r) => {
        r.lastAxis();
        return {
          kind: 'batchNorm',
          epsilon: r.num('epsilon', 1e-3),
          momentum: r.num('momentum', 0.99),
          center: r.bool('center', true),
          scale: r.bool('scale', true),
        };
      },
    },
    tfjs: (c, ctx) =>
      ctx.use(
        ctx.tf.layers.batchNormalization({
          name: ctx.name,
          axis: -1,
          epsilon: c.epsilon,
          momentum: c.momentum,
          center: c.center,
          scale: c.scale,
        }),
        ctx.inputs[0]!,
      ),
    factors: (c, info, convention) => ({
      kind: 'bn',
      k: 1,
      cin: info.outputShape.at(-1)!,
      cout: info.outputShape.at(-1)!,
      groups: 1,
      bias: 0,
      positions: 1,
      bnTrainable: (c.center ? 1 : 0) + (c.scale ? 1 : 0),
      bnStats: convention === 'keras' ? 2 : 0,
    }),
    window: null,
  },

  lrn: {
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
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    // Keras 3 keeps mean, variance and a scalar sample count, all non-trainable.
    weights: (_c, inputs) => [
      stat('mean', [lastAxis(inputs)]),
      stat('variance', [lastAxis(inputs)]),
      stat('count', []),
    ],
    macs: () => 0,
    describe: () => '',
    keras: {
      Normalization: (r) => {
        r.lastAxis();
        return { kind: 'normalization' };
      },
      KerasNormalization: () => ({ kind: 'normalization' }),
    },
    custom: [kerasNormalization],
    tfjs: (_c, ctx) => ctx.use(new (ctx.custom(kerasNormalization))({ name: ctx.name }), ctx.inputs[0]!),
    // Statistics only: no factored formula.
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },
};

export interface LrnArgs {
  size: number;
  alpha: number;
  beta: number;
  k: number;
  name?: string;
}

/** Local response normalization across channels; alpha is divided by the window size, as Caffe and PyTorch do. */
export function lrnLayer(tf: Tf): LayerClass<LrnArgs> {
  return class LRN extends tf.layers.Layer {
    static className = 'LRN';
    private readonly args: LrnArgs;

    constructor(args: LrnArgs) {
      super({ name: args.name });
      this.args = { ...args };
    }

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

    override getConfig(): TF.serialization.ConfigDict {
      const { name: _n, ...rest } = this.args;
      return { ...super.getConfig(), ...rest };
    }
  };
}

/** Keras' Normalization layer at inference: (x - mean) / sqrt(variance), with a sample count kept as a weight. */
export function kerasNormalization(tf: Tf): LayerClass<{ name?: string }> {
  return class KerasNormalization extends tf.layers.Layer {
    static className = 'KerasNormalization';
    private mean?: TF.LayerVariable;
    private variance?: TF.LayerVariable;

    constructor(args: { name?: string } = {}) {
      super({ name: args.name });
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const c = singleShape(inputShape).at(-1)!;
      this.mean = this.addWeight('mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
      this.variance = this.addWeight('variance', [c], 'float32', tf.initializers.ones(), undefined, false);
      this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() =>
        tf.div(tf.sub(singleInput(inputs), this.mean!.read()), tf.sqrt(tf.maximum(this.variance!.read(), 1e-7))),
      );
    }
  };
}
