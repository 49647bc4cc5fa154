/**
 * Activations: the standalone `activation` kind (Keras Activation, ReLU, LeakyReLU, ELU, Softmax,
 * ThresholdedReLU), PReLU (the one activation with weights), and the activation functions other kinds fuse
 * (Keras' Conv2D(activation=...)).
 *
 * Every name Keras 3 writes is known. Where tfjs-layers has no built-in activation of that name, the
 * function runs as tfjs-core ops: in the `KerasActivation` custom layer for standalone layers, and, for
 * fused activations, as an activation class registered under Keras' own name (the `custom` factory
 * registers them with the layer class), so a weighted layer given `activation: 'hard_silu'` executes
 * hard_silu. `glu` is the exception: it halves the last axis, which a weighted layer's own shape rule does
 * not know, so weighted kinds wrap their shape rule in `withFusedShape` (the halved shape is counted, as
 * Keras executes it; its symbolic shape keeps the full axis) and their build in `withFused` (glu runs as a
 * layer of its own after theirs).
 */
import type * as TF from '@tensorflow/tfjs';
import type { SymbolicTensor, Tensor } from '../tfjs/types.js';
import { customBase, singleInput } from '../tfjs/base.js';
import { fail, one, otherFactors, weight } from './spec.js';
import type { BuildCtx, ConfigReader, Kinds, LayerClass, Shape, Tf } from './spec.js';

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
  | 'softplus'
  | 'softsign'
  | 'mish'
  | 'log_softmax'
  | 'celu'
  | 'exponential'
  | 'glu'
  | 'hard_shrink'
  | 'hard_silu'
  | 'hard_tanh'
  | 'leaky_relu'
  | 'log_sigmoid'
  | 'soft_shrink'
  | 'sparse_plus'
  | 'sparse_sigmoid'
  | 'sparsemax'
  | 'squareplus'
  | 'tanh_shrink';

/**
 * tfjs-layers' own name for each function it has built in; the others run as netcensus' classes, registered
 * under Keras' name. tfjs' hardSigmoid is Keras 2's (0.2 x + 0.5, clipped); Keras 3's has slope 1/6: the
 * shape and the count are the same.
 */
const TFJS_BUILTIN: Partial<Record<ActivationFn, string>> = {
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
  softsign: 'softsign',
  mish: 'mish',
  log_softmax: 'logSoftmax',
};

export const ACTIVATIONS: readonly ActivationFn[] = [
  'linear',
  'relu',
  'relu6',
  'softmax',
  'sigmoid',
  'tanh',
  'elu',
  'selu',
  'swish',
  'gelu',
  'hard_sigmoid',
  'softplus',
  'softsign',
  'mish',
  'log_softmax',
  'celu',
  'exponential',
  'glu',
  'hard_shrink',
  'hard_silu',
  'hard_tanh',
  'leaky_relu',
  'log_sigmoid',
  'soft_shrink',
  'sparse_plus',
  'sparse_sigmoid',
  'sparsemax',
  'squareplus',
  'tanh_shrink',
];

/** The torch.nn module of each function PyTorch has one for (torch.nn.modules.activation). */
const TORCH_MODULES: Partial<Record<ActivationFn, string>> = {
  linear: 'Identity',
  relu: 'ReLU',
  relu6: 'ReLU6',
  softmax: 'Softmax',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'ELU',
  selu: 'SELU',
  swish: 'SiLU',
  gelu: 'GELU',
  hard_sigmoid: 'Hardsigmoid',
  softplus: 'Softplus',
  softsign: 'Softsign',
  mish: 'Mish',
  log_softmax: 'LogSoftmax',
  celu: 'CELU',
  glu: 'GLU',
  hard_shrink: 'Hardshrink',
  hard_silu: 'Hardswish',
  hard_tanh: 'Hardtanh',
  leaky_relu: 'LeakyReLU',
  log_sigmoid: 'LogSigmoid',
  soft_shrink: 'Softshrink',
  tanh_shrink: 'Tanhshrink',
};

/** Functions tfjs-layers lacks, registered under these names for the weighted layers that fuse them. */
const REGISTERED = ACTIVATIONS.filter((fn) => TFJS_BUILTIN[fn] === undefined);

/**
 * The tfjs-layers activation identifier for a function (the layers' `activation` argument): its own name,
 * or the class netcensus registers under Keras' name before building (see `kerasActivationLayer`); linear
 * for glu, which the layer cannot fuse (see `fusedAfter`).
 */
export const tfjsActivation = (fn: ActivationFn | undefined): 'linear' => {
  const inside = fusedInside(fn) ?? 'linear';
  return (TFJS_BUILTIN[inside] ?? inside) as 'linear';
};

/** Options of the parametrised functions; axes count the batch as axis 0, as tfjs tensors do. */
export interface ActivationOptions {
  /** ELU and CELU alpha (1 by default); hard_sigmoid's slope (0.2 by default, ONNX's HardSigmoid alpha). */
  alpha?: number;
  /** hard_sigmoid's offset (0.5 by default, ONNX's HardSigmoid beta). */
  beta?: number;
  /** ReLU's and leaky_relu's slope below the threshold (leaky_relu: 0.2 by default). */
  negativeSlope?: number;
  /** ReLU's threshold (values at or below it are not passed). */
  threshold?: number;
  maxValue?: number;
  /** softmax, log_softmax, glu: the axes of the tensor; the last by default. */
  axes?: number[];
}

/** Keras 3's ReLU with every option (keras.activations.relu): thresholded, clipped, leaky below the threshold. */
function kerasRelu(tf: Tf, x: Tensor, o: ActivationOptions): Tensor {
  const slope = o.negativeSlope ?? 0;
  const threshold = o.threshold ?? 0;
  if (slope !== 0 && o.maxValue === undefined && threshold === 0) return tf.leakyRelu(x, slope);
  let y = threshold !== 0 ? tf.where(tf.greater(x, threshold), x, tf.zerosLike(x)) : tf.relu(x);
  if (o.maxValue !== undefined) y = tf.clipByValue(y, 0, o.maxValue);
  if (slope !== 0) y = tf.sub(y, tf.mul(slope, tf.relu(tf.add(tf.neg(x), threshold))));
  return y;
}

/** Sparsemax over the last axis (Martins & Astudillo 2016), as Keras computes it. */
function sparsemax(tf: Tf, x: Tensor): Tensor {
  const n = x.shape.at(-1)!;
  const sorted = tf.topk(x, n).values;
  const cumsum = tf.cumsum(sorted, x.rank - 1);
  const r = tf.range(1, n + 1);
  const support = tf.greater(sorted, tf.div(tf.sub(cumsum, 1), r));
  const k = tf.sum(tf.cast(support, 'float32'), -1, true);
  const tau = tf.div(tf.sub(tf.sum(tf.where(support, cumsum, tf.zerosLike(cumsum)), -1, true), 1), k);
  return tf.relu(tf.sub(x, tau));
}

/** The function as tfjs-core ops, as Keras 3 defines it (keras/src/backend/numpy/nn.py), for custom layers. */
export function activationOp(tf: Tf, fn: ActivationFn | undefined, o: ActivationOptions = {}): (x: Tensor) => Tensor {
  const last = (x: Tensor): number[] => o.axes ?? [x.rank - 1];
  const lse = (x: Tensor): Tensor => tf.logSumExp(x, last(x), true);
  const ops: Record<ActivationFn, (x: Tensor) => Tensor> = {
    linear: (x) => x,
    relu: (x) => (o.negativeSlope || o.threshold || o.maxValue !== undefined ? kerasRelu(tf, x, o) : tf.relu(x)),
    relu6: (x) => tf.relu6(x),
    softmax: (x) => tf.exp(tf.sub(x, lse(x))),
    sigmoid: (x) => tf.sigmoid(x),
    tanh: (x) => tf.tanh(x),
    elu: (x) => {
      const a = o.alpha ?? 1;
      return a === 1 ? tf.elu(x) : tf.where(tf.greaterEqual(x, 0), x, tf.mul(a, tf.expm1(x)));
    },
    selu: (x) => tf.selu(x),
    swish: (x) => tf.mul(x, tf.sigmoid(x)),
    gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))),
    hard_sigmoid: (x) => tf.clipByValue(tf.add(tf.mul(x, o.alpha ?? 0.2), o.beta ?? 0.5), 0, 1),
    softplus: (x) => tf.softplus(x),
    softsign: (x) => tf.div(x, tf.add(1, tf.abs(x))),
    mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
    log_softmax: (x) => tf.sub(x, lse(x)),
    celu: (x) => {
      const a = o.alpha ?? 1;
      return tf.add(tf.relu(x), tf.mul(a, tf.expm1(tf.div(tf.minimum(x, 0), a))));
    },
    exponential: (x) => tf.exp(x),
    glu: (x) => {
      const [a, b] = tf.split(x, 2, last(x)[0]);
      return tf.mul(a!, tf.sigmoid(b!));
    },
    hard_shrink: (x) => tf.where(tf.greater(tf.abs(x), 0.5), x, tf.zerosLike(x)),
    hard_silu: (x) => tf.mul(x, tf.div(tf.relu6(tf.add(x, 3)), 6)),
    hard_tanh: (x) => tf.clipByValue(x, -1, 1),
    leaky_relu: (x) => tf.leakyRelu(x, o.negativeSlope ?? 0.2),
    log_sigmoid: (x) => tf.logSigmoid(x),
    soft_shrink: (x) =>
      tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), tf.where(tf.less(x, -0.5), tf.add(x, 0.5), tf.zerosLike(x))),
    sparse_plus: (x) =>
      tf.where(tf.lessEqual(x, -1), tf.zerosLike(x), tf.where(tf.less(x, 1), tf.mul(0.25, tf.square(tf.add(x, 1))), x)),
    sparse_sigmoid: (x) => tf.clipByValue(tf.mul(0.5, tf.add(x, 1)), 0, 1),
    sparsemax: (x) => sparsemax(tf, x),
    squareplus: (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2),
    tanh_shrink: (x) => tf.sub(x, tf.tanh(x)),
  };
  const op = ops[fn ?? 'linear'];
  return (x) => tf.tidy(() => op(x));
}

/** Keras' aliases for the functions this project names otherwise (tfjs' camelCase names included). */
const ALIASES: Record<string, ActivationFn> = {
  silu: 'swish',
  hardsigmoid: 'hard_sigmoid',
  hard_swish: 'hard_silu',
  logsoftmax: 'log_softmax',
};

/**
 * A Keras activation, given by name or as a serialized object, as this project names it; `unknown` holds
 * the name of one it does not know. Linear and absent are both no activation.
 */
export function readActivation(v: unknown): { fn?: ActivationFn; unknown?: string } {
  // Keras 3 may serialize an activation as an object; its name is what matters here.
  if (v && typeof v === 'object') {
    const o = v as { class_name?: unknown; config?: unknown };
    // {"class_name": "function", "config": "mish"} for a function; {"config": {"name": ...}} for an object.
    v =
      typeof o.config === 'string'
        ? o.config
        : o.config && typeof o.config === 'object'
          ? ((o.config as { name?: unknown }).name ?? o.class_name)
          : o.class_name;
  }
  if (v === undefined || v === null) return {};
  const lower = String(v).toLowerCase();
  const name = (Object.hasOwn(ALIASES, lower) ? ALIASES[lower] : undefined) ?? lower;
  if (!(ACTIVATIONS as readonly string[]).includes(name)) return { unknown: String(v) };
  return name === 'linear' ? {} : { fn: name as ActivationFn };
}

/** `activation: fn` for a config, or nothing for linear, as readers spread it into weighted layers. */
export const fused = (r: ConfigReader): { activation?: ActivationFn } => {
  const a = r.activation();
  return a ? { activation: a } : {};
};

/** The output shape of a weighted layer with a fused activation: glu halves the last axis (as executed). */
export function fusedShape(name: string, kind: string, fn: ActivationFn | undefined, shape: Shape): Shape {
  if (fn !== 'glu') return shape;
  const c = shape.at(-1)!;
  if (c % 2 !== 0) fail(name, kind, `glu halves the last axis, which has ${c} elements (odd)`);
  return [...shape.slice(0, -1), c / 2];
}

/**
 * The fused activation a weighted layer computes itself: glu, which changes the shape the layer's own rule
 * gives, runs after it instead (`fusedAfter`).
 */
export const fusedInside = (fn: ActivationFn | undefined): ActivationFn | undefined => (fn === 'glu' ? undefined : fn);

/**
 * A weighted layer's output with the part of its fused activation it could not compute itself (glu) applied
 * after it, as a `KerasActivation` layer of the same node; the output unchanged otherwise.
 */
export function fusedAfter(ctx: BuildCtx, fn: ActivationFn | undefined, y: SymbolicTensor): SymbolicTensor {
  if (fusedInside(fn) === fn) return y;
  return ctx.use(new (ctx.custom(kerasActivationLayer))({ name: `${ctx.name}__${fn}`, fn: fn! }), y);
}

/**
 * A weighted kind's output shape rule with its fused activation: the rule gives the layer's own output, and
 * glu halves its last axis (see `fusedShape`).
 */
export function withFusedShape<C extends { kind: string; activation?: ActivationFn }>(
  rule: (c: C, inputs: Shape[], name: string) => Shape,
): (c: C, inputs: Shape[], name: string) => Shape {
  return (c, inputs, name) => fusedShape(name, c.kind, c.activation, rule(c, inputs, name));
}

/**
 * A weighted kind's tfjs build with its fused activation: `build` sees the config with what it can fuse
 * itself (every function but glu, through `tfjsActivation` or `activationOp`), and glu runs after it.
 */
export function withFused<C extends { activation?: ActivationFn }>(
  build: (c: C, ctx: BuildCtx) => SymbolicTensor,
): (c: C, ctx: BuildCtx) => SymbolicTensor {
  return (c, ctx) => {
    const inside = fusedInside(c.activation);
    const y = build(inside === c.activation ? c : { ...c, activation: inside }, ctx);
    return fusedAfter(ctx, c.activation, y);
  };
}

/**
 * A standalone activation. Options beyond the function: `maxValue`, `negativeSlope` and `threshold` are
 * Keras' ReLU's (and ThresholdedReLU's theta is a threshold); `alpha` is ELU's and CELU's, and with `beta`
 * hard_sigmoid's slope and offset (ONNX's HardSigmoid); `axis` (softmax,
 * log_softmax, glu) counts per-example dimensions (0 = the first after the batch), negative from the end,
 * the last by default.
 */
export interface ActivationConfig {
  kind: 'activation';
  fn: ActivationFn;
  maxValue?: number;
  negativeSlope?: number;
  threshold?: number;
  alpha?: number;
  beta?: number;
  axis?: number[];
}
/**
 * Keras' PReLU: max(x, 0) + alpha * min(x, 0) with a learned alpha of the input's shape, 1 along
 * `sharedAxes` (per-example dimensions, 0 = the first after the batch).
 */
export interface PReluConfig {
  kind: 'prelu';
  sharedAxes: number[];
}

export const relu: ActivationConfig = { kind: 'activation', fn: 'relu' };
export const softmax: ActivationConfig = { kind: 'activation', fn: 'softmax' };

/** Every config this family defines. */
export type ActivationFamily = ActivationConfig | PReluConfig;

/** Per-example axes resolved against a rank (negative ones from the end); refuses any outside it. */
export function resolveAxes(name: string, kind: string, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => {
    const r = a < 0 ? rank + a : a;
    if (!Number.isSafeInteger(r) || r < 0 || r >= rank)
      fail(name, kind, `axis ${a} is out of range for a rank-${rank} input (per example)`);
    return r;
  });
}

/**
 * Keras axes (an integer or a list of them, counting the batch as 0) as per-example axes: positive ones
 * less one, negative ones unchanged (they count from the end either way); the batch axis is refused.
 * Shared by the activation, merge, normalization and ops families.
 */
export function kerasAxes(r: ConfigReader, field: string, fallback: number | number[] = -1): number[] {
  const v = r.raw(field) ?? fallback;
  const values = Array.isArray(v) ? v : [v];
  return values.map((a) => {
    if (typeof a !== 'number' || !Number.isSafeInteger(a))
      r.fail(field, `must be an integer or a list of integers, got ${JSON.stringify(v)}`);
    if (a === 0) r.fail(field, '0 (the batch axis) is not supported');
    return a > 0 ? a - 1 : a;
  });
}

const num = (r: ConfigReader, field: string, fallback: number, min = -Infinity): number => {
  const v = r.has(field) ? r.num(field) : fallback;
  if (v < min) r.fail(field, `must be >= ${min}, got ${v}`);
  return v;
};

function readRelu(r: ConfigReader): ActivationConfig {
  const slope = num(r, 'negative_slope', 0, 0);
  const threshold = num(r, 'threshold', 0);
  const max = r.has('max_value') ? num(r, 'max_value', 0, 0) : undefined;
  if (slope === 0 && threshold === 0) {
    if (max === 6) return { kind: 'activation', fn: 'relu6' };
    return max === undefined ? relu : { kind: 'activation', fn: 'relu', maxValue: max };
  }
  return {
    kind: 'activation',
    fn: 'relu',
    ...(max === undefined ? {} : { maxValue: max }),
    ...(slope === 0 ? {} : { negativeSlope: slope }),
    ...(threshold === 0 ? {} : { threshold }),
  };
}

function readSoftmax(r: ConfigReader): ActivationConfig {
  const axes = kerasAxes(r, 'axis');
  if (axes.length === 0) r.fail('axis', 'must name at least one axis');
  return axes.length === 1 && axes[0] === -1 ? softmax : { kind: 'activation', fn: 'softmax', axis: axes };
}

const numText = (v: number): string => String(v);

/** Keras 3's activation ops without options, by class name (keras.src.ops.nn, and numpy's Tanh). */
const NN_OPS: Record<string, ActivationFn> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
  Softsign: 'softsign',
  Silu: 'swish',
  Selu: 'selu',
  Gelu: 'gelu',
  Celu: 'celu',
  HardSigmoid: 'hard_sigmoid',
  HardSilu: 'hard_silu',
  HardTanh: 'hard_tanh',
  LogSigmoid: 'log_sigmoid',
  SparsePlus: 'sparse_plus',
  SparseSigmoid: 'sparse_sigmoid',
  Squareplus: 'squareplus',
  TanhShrink: 'tanh_shrink',
};

/** The executed function's options for a config, with its axes on the batched tensor. */
function optionsOf(c: ActivationConfig, rank: number): ActivationOptions {
  return {
    ...(c.alpha === undefined ? {} : { alpha: c.alpha }),
    ...(c.beta === undefined ? {} : { beta: c.beta }),
    ...(c.negativeSlope === undefined ? {} : { negativeSlope: c.negativeSlope }),
    ...(c.threshold === undefined ? {} : { threshold: c.threshold }),
    ...(c.maxValue === undefined ? {} : { maxValue: c.maxValue }),
    ...(c.axis === undefined ? {} : { axes: resolveAxes('', c.kind, c.axis, rank - 1).map((a) => a + 1) }),
  };
}

export const activationKinds: Kinds<ActivationFamily> = {
  activation: {
    title: 'Activation',
    torch: (c) => TORCH_MODULES[c.fn],
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      // Only the functions over an axis look at it (elementwise ones take any shape, a scalar's too).
      if (c.axis === undefined && c.fn !== 'glu' && c.fn !== 'sparsemax') return s;
      const axes = resolveAxes(name, c.kind, c.axis ?? [-1], s.length);
      if (c.fn === 'glu') {
        // Keras' symbolic shape keeps the axis; running it halves it, and the census counts what runs.
        const a = axes[0]!;
        if (s[a]! % 2 !== 0) fail(name, c.kind, `glu halves axis ${a}, which has ${s[a]} elements (odd)`);
        return s.map((d, i) => (i === a ? d / 2 : d));
      }
      if (c.fn === 'sparsemax' && axes[0] !== s.length - 1) fail(name, c.kind, 'sparsemax runs on the last axis only');
      return s;
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) =>
      [
        c.fn,
        c.alpha === undefined ? '' : ` ${numText(c.alpha)}`,
        c.beta === undefined ? '' : ` + ${numText(c.beta)}`,
        c.negativeSlope === undefined ? '' : ` slope ${numText(c.negativeSlope)}`,
        c.threshold === undefined ? '' : ` threshold ${numText(c.threshold)}`,
        c.maxValue === undefined ? '' : ` max ${numText(c.maxValue)}`,
        c.axis === undefined ? '' : ` axis ${c.axis.join(',')}`,
      ].join(''),
    keras: {
      Activation: (r) => ({ kind: 'activation', fn: r.activation() ?? 'linear' }),
      ReLU: readRelu,
      // Keras 2's ThresholdedReLU: x above theta, else 0, which is Keras 3's ReLU with a threshold.
      ThresholdedReLU: (r) => {
        const theta = num(r, 'theta', 1);
        return theta === 0 ? relu : { kind: 'activation', fn: 'relu', threshold: theta };
      },
      LeakyReLU: (r) => {
        // Keras 3 writes negative_slope, Keras 2 and tfjs alpha; the layer's default is 0.3.
        const slope = r.has('negative_slope') ? num(r, 'negative_slope', 0.3, 0) : num(r, 'alpha', 0.3, 0);
        return { kind: 'activation', fn: 'leaky_relu', negativeSlope: slope };
      },
      ELU: (r) => {
        const alpha = num(r, 'alpha', 1);
        return alpha === 1 ? { kind: 'activation', fn: 'elu' } : { kind: 'activation', fn: 'elu', alpha };
      },
      Softmax: readSoftmax,
      // Keras 3 activation ops written into a config (keras.src.ops.nn): `keras.ops.relu(x)` in a model.
      ...Object.fromEntries(
        Object.entries(NN_OPS).map(([cls, fn]) => [`ops.${cls}`, (): ActivationConfig => ({ kind: 'activation', fn })]),
      ),
      'ops.LeakyRelu': (r) => ({
        kind: 'activation',
        fn: 'leaky_relu',
        negativeSlope: num(r, 'negative_slope', 0.2, 0),
      }),
      'ops.Elu': (r) => {
        const alpha = num(r, 'alpha', 1);
        return alpha === 1 ? { kind: 'activation', fn: 'elu' } : { kind: 'activation', fn: 'elu', alpha };
      },
      'ops.Softmax': readSoftmax,
      'ops.LogSoftmax': (r) => ({ ...readSoftmax(r), fn: 'log_softmax' }),
    },
    custom: [kerasActivationLayer],
    tfjs: (c, ctx) => {
      const x = ctx.inputs[0]!;
      const name = ctx.name;
      const layers = ctx.tf.layers;
      const only = (...keys: Array<keyof ActivationConfig>): boolean =>
        (['maxValue', 'negativeSlope', 'threshold', 'alpha', 'beta', 'axis'] as const).every(
          (k) => keys.includes(k) || c[k] === undefined,
        );
      const lastAxis = c.axis === undefined;
      // tfjs-layers' own layers where they compute the same function; the KerasActivation layer otherwise.
      if (c.fn === 'relu' && c.maxValue !== undefined && only('maxValue'))
        return ctx.use(layers.reLU({ name, maxValue: c.maxValue }), x);
      if (c.fn === 'relu' && c.threshold !== undefined && c.threshold >= 0 && only('threshold'))
        return ctx.use(layers.thresholdedReLU({ name, theta: c.threshold }), x);
      if (c.fn === 'leaky_relu' && only('negativeSlope'))
        return ctx.use(layers.leakyReLU({ name, alpha: c.negativeSlope ?? 0.2 }), x);
      if (TFJS_BUILTIN[c.fn] !== undefined && only() && lastAxis)
        return ctx.use(layers.activation({ name, activation: tfjsActivation(c.fn) }), x);
      return ctx.use(new (ctx.custom(kerasActivationLayer))({ name, ...c }), x);
    },
    factors: null,
    window: null,
  },

  prelu: {
    torch: 'PReLU',
    title: 'PReLU',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      resolveAxes(name, c.kind, c.sharedAxes, s.length);
      return s;
    },
    // Keras' alpha has the input's shape with 1 along the shared axes; PyTorch calls it `weight`.
    weights: (c, inputs) => {
      const s = inputs[0]!;
      const shared = new Set(resolveAxes('', c.kind, c.sharedAxes, s.length));
      return [
        weight(
          'alpha',
          s.map((d, i) => (shared.has(i) ? 1 : d)),
        ),
      ];
    },
    // Weight MACs count conv and dense weights only: alpha scales elementwise, like BatchNormalization's gamma.
    macs: () => 0,
    describe: (c) => (c.sharedAxes.length ? `shared ${c.sharedAxes.join(',')}` : ''),
    keras: {
      PReLU: (r) => {
        return { kind: 'prelu', sharedAxes: kerasAxes(r, 'shared_axes', []) };
      },
    },
    tfjs: (c, ctx) => {
      const rank = ctx.info.inputShapes[0]!.length;
      const shared = resolveAxes(ctx.name, c.kind, c.sharedAxes, rank).map((a) => a + 1);
      return ctx.use(
        ctx.tf.layers.prelu({ name: ctx.name, ...(shared.length ? { sharedAxes: shared } : {}) }),
        ctx.inputs[0]!,
      );
    },
    // One elementwise weight tensor: no factored formula.
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },
};

type KerasActivationArgs = Omit<ActivationConfig, 'kind'> & { name?: string };

/**
 * Any activation with its options, as tfjs-core ops, for what tfjs-layers' own layers do not compute
 * (hard_silu, ReLU with a slope and a threshold, softmax over several axes, glu). Its factory also
 * registers an activation class for every function tfjs-layers lacks, under Keras' name, so that weighted
 * layers given that name (`tfjsActivation`) execute it.
 */
export function kerasActivationLayer(tf: Tf): LayerClass<KerasActivationArgs> {
  for (const fn of REGISTERED) {
    const apply = activationOp(tf, fn);
    const cls = class extends tf.serialization.Serializable {
      static className = fn;
      apply(x: Tensor): Tensor {
        return apply(x);
      }
      getConfig(): TF.serialization.ConfigDict {
        return {};
      }
    };
    tf.serialization.registerClass(cls);
  }
  return class KerasActivation extends customBase(tf)<KerasActivationArgs> {
    static className = 'KerasActivation';

    private config(): ActivationConfig {
      const { name: _n, ...rest } = this.args;
      return { kind: 'activation', ...rest };
    }

    override censusShape(inputs: Shape[]): Shape {
      return activationKinds.activation.outputShape(this.config(), inputs, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      const x = singleInput(inputs);
      const c = this.config();
      return activationOp(tf, c.fn, optionsOf(c, x.rank))(x);
    }
  };
}
