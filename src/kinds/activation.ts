/**
 * Activations: the standalone `activation` kind (Keras Activation, ReLU, Softmax) and the activation
 * functions other kinds fuse (Keras' Conv2D(activation=...)). No weights, no MACs.
 */
import type * as TF from '@tensorflow/tfjs';
import { one, unweighted, type ConfigReader, type Kinds, type Tf } from './spec.js';

export type ActivationFn =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'softmax'
  | 'sigmoid'
  | 'tanh'
  | 'elu'
  | 'selu'
  | 'swish'
  | 'gelu'
  | 'hard_sigmoid'
  | 'softplus';

/** tfjs-layers' names for each function; tfjs lacks none of these as a built-in activation. */
const TFJS_NAMES: Record<ActivationFn, string> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  softmax: 'softmax',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  swish: 'swish',
  gelu: 'gelu',
  hard_sigmoid: 'hardSigmoid',
  softplus: 'softplus',
};
export const ACTIVATIONS = Object.keys(TFJS_NAMES) as readonly ActivationFn[];

/** The tfjs-layers activation identifier for a function (the layers' `activation` argument). */
export const tfjsActivation = (fn: ActivationFn | undefined): 'linear' => TFJS_NAMES[fn ?? 'linear'] as 'linear';

/** The function as tfjs-core ops, for custom layers that fuse an activation. */
export function activationOp(tf: Tf, fn: ActivationFn | undefined): (x: TF.Tensor) => TF.Tensor {
  const ops: Record<ActivationFn, (x: TF.Tensor) => TF.Tensor> = {
    linear: (x) => x,
    relu: (x) => tf.relu(x),
    relu6: (x) => tf.relu6(x),
    softmax: (x) => tf.softmax(x),
    sigmoid: (x) => tf.sigmoid(x),
    tanh: (x) => tf.tanh(x),
    elu: (x) => tf.elu(x),
    selu: (x) => tf.selu(x),
    swish: (x) => tf.mul(x, tf.sigmoid(x)),
    gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))),
    hard_sigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1),
    softplus: (x) => tf.softplus(x),
  };
  return ops[fn ?? 'linear'];
}

/** Keras' aliases for the functions this project names otherwise. */
const ALIASES: Record<string, ActivationFn> = { silu: 'swish', hardsigmoid: 'hard_sigmoid' };

/**
 * A Keras activation, given by name or as a serialized object, as this project names it; `unknown` holds
 * the name of one it does not know. Linear and absent are both no activation.
 */
export function readActivation(v: unknown): { fn?: ActivationFn; unknown?: string } {
  // Keras 3 may serialize an activation as an object; its name is what matters here.
  if (v && typeof v === 'object') {
    const o = v as { class_name?: unknown; config?: unknown };
    v =
      o.config && typeof o.config === 'object' ? ((o.config as { name?: unknown }).name ?? o.class_name) : o.class_name;
  }
  if (v === undefined || v === null) return {};
  const lower = String(v).toLowerCase();
  const name = ALIASES[lower] ?? lower;
  if (!(ACTIVATIONS as readonly string[]).includes(name)) return { unknown: String(v) };
  return name === 'linear' ? {} : { fn: name as ActivationFn };
}

/** `activation: fn` for a config, or nothing for linear, as readers spread it into weighted layers. */
export const fused = (r: ConfigReader): { activation?: ActivationFn } => {
  const a = r.activation();
  return a ? { activation: a } : {};
};

export interface ActivationConfig {
  kind: 'activation';
  fn: ActivationFn;
  maxValue?: number;
}

export const relu: ActivationConfig = { kind: 'activation', fn: 'relu' };
export const softmax: ActivationConfig = { kind: 'activation', fn: 'softmax' };

/** Every config this family defines. */
export type ActivationFamily = ActivationConfig;

export const activationKinds: Kinds<ActivationFamily> = {
  activation: {
    title: 'Activation',
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    ...unweighted,
    describe: (c) => (c.maxValue === undefined ? c.fn : `${c.fn} max ${c.maxValue}`),
    keras: {
      Activation: (r) => ({ kind: 'activation', fn: r.activation() ?? 'linear' }),
      ReLU: (r) => {
        if (r.has('negative_slope') && r.num('negative_slope') !== 0)
          r.fail('negative_slope', 'other than 0 is not supported');
        if (r.has('threshold') && r.num('threshold') !== 0) r.fail('threshold', 'other than 0 is not supported');
        const max = r.has('max_value') ? r.num('max_value') : undefined;
        if (max === 6) return { kind: 'activation', fn: 'relu6' };
        return max === undefined
          ? { kind: 'activation', fn: 'relu' }
          : { kind: 'activation', fn: 'relu', maxValue: max };
      },
      Softmax: (r) => {
        r.lastAxis();
        return { kind: 'activation', fn: 'softmax' };
      },
    },
    tfjs: (c, ctx) =>
      c.maxValue !== undefined
        ? ctx.use(ctx.tf.layers.reLU({ name: ctx.name, maxValue: c.maxValue }), ctx.inputs[0]!)
        : ctx.use(ctx.tf.layers.activation({ name: ctx.name, activation: tfjsActivation(c.fn) }), ctx.inputs[0]!),
    window: null,
  },
};
