/**
 * TensorFlow.js layers that tfjs-layers lacks: grouped convolution, LRN, PyTorch-style pooling with
 * explicit padding and ceil mode, adaptive average pooling, and Keras' Normalization. Each is registered
 * for serialization and takes its output shape from the census definition of the same kind (layers.ts),
 * so the shape rule lives in one place; execution then shows whether the rule is right.
 */
import * as tf from '@tensorflow/tfjs';
import type { ActivationFn, Pads, Pair, Padding, Pool2dConfig } from '../graph.js';
import { LAYERS } from '../layers.js';

type Initializer = 'glorotUniform' | 'zeros' | 'ones';

const TFJS_ACTIVATION: Record<ActivationFn, string> = {
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
export const tfjsActivation = (fn: ActivationFn | undefined): string => TFJS_ACTIVATION[fn ?? 'linear'];

const ACTIVATION_OPS: Record<ActivationFn, (x: tf.Tensor) => tf.Tensor> = {
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
const applyActivation = (x: tf.Tensor, fn: ActivationFn | undefined): tf.Tensor => ACTIVATION_OPS[fn ?? 'linear'](x);

const single = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0]! : inputs);
const singleShape = (s: tf.Shape | tf.Shape[]): tf.Shape =>
  Array.isArray(s[0]) ? (s as tf.Shape[])[0]! : (s as tf.Shape);
/** Census shapes have no batch dimension; tfjs shapes start with it. */
const perExample = (s: tf.Shape): number[] => s.slice(1).map((d) => d ?? -1);

function initializer(name: Initializer): ReturnType<typeof tf.initializers.zeros> {
  return name === 'zeros'
    ? tf.initializers.zeros()
    : name === 'ones'
      ? tf.initializers.ones()
      : tf.initializers.glorotUniform({});
}

export interface GroupedConv2DArgs {
  filters: number;
  kernelSize: Pair;
  strides: Pair;
  padding: 'valid' | 'same';
  dilationRate: Pair;
  groups: number;
  useBias: boolean;
  activation?: ActivationFn;
  kernelInitializer?: Initializer;
  name?: string;
}

/**
 * Grouped convolution with compact weights ([kh, kw, cin/groups, cout] plus bias, so countParams()
 * equals the grouped count), computed as split -> conv2d per group -> concat, as AlexNet's two GPUs did.
 */
export class GroupedConv2D extends tf.layers.Layer {
  static className = 'GroupedConv2D';
  private readonly args: GroupedConv2DArgs;
  private kernel?: tf.LayerVariable;
  private bias?: tf.LayerVariable;

  constructor(args: GroupedConv2DArgs) {
    super({ name: args.name });
    this.args = { ...args };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const cin = singleShape(inputShape).at(-1)!;
    const a = this.args;
    this.kernel = this.addWeight(
      'kernel',
      [a.kernelSize[0], a.kernelSize[1], cin / a.groups, a.filters],
      'float32',
      initializer(a.kernelInitializer ?? 'glorotUniform'),
    );
    if (a.useBias) this.bias = this.addWeight('bias', [a.filters], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    const a = this.args;
    const out = LAYERS.conv2d.outputShape(
      {
        kind: 'conv2d',
        filters: a.filters,
        kernel: a.kernelSize,
        strides: a.strides,
        padding: a.padding,
        dilation: a.dilationRate,
        groups: a.groups,
        bias: a.useBias,
      },
      [perExample(s)],
      this.name,
    );
    return [s[0]!, ...out];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const a = this.args;
      const xs = tf.split(x, a.groups, 3);
      const ks = tf.split(this.kernel!.read() as tf.Tensor4D, a.groups, 3);
      const ys = xs.map((xi, i) =>
        tf.conv2d(xi as tf.Tensor4D, ks[i] as tf.Tensor4D, [...a.strides], a.padding, 'NHWC', [...a.dilationRate]),
      );
      let y: tf.Tensor = ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
      if (this.bias) y = tf.add(y, this.bias.read());
      return applyActivation(y, a.activation);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { kernelInitializer: _k, name: _n, ...rest } = this.args;
    return { ...super.getConfig(), ...(rest as unknown as tf.serialization.ConfigDict) };
  }
}

export interface LrnArgs {
  size: number;
  alpha: number;
  beta: number;
  k: number;
  name?: string;
}

/** Local response normalization across channels; alpha is divided by the window size, as Caffe and PyTorch do. */
export class LRN extends tf.layers.Layer {
  static className = 'LRN';
  private readonly args: LrnArgs;

  constructor(args: LrnArgs) {
    super({ name: args.name });
    this.args = { ...args };
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const a = this.args;
    return tf.localResponseNormalization(
      single(inputs) as tf.Tensor4D,
      (a.size - 1) / 2,
      a.k,
      a.alpha / a.size,
      a.beta,
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { name: _n, ...rest } = this.args;
    return { ...super.getConfig(), ...rest };
  }
}

export interface Pool2DArgs {
  mode: 'max' | 'avg';
  pool: Pair;
  strides: Pair;
  pads: Pads;
  ceilMode: boolean;
  name?: string;
}

/**
 * PyTorch / Caffe pooling: explicit padding (-inf for max; zeros counted in the average, as
 * count_include_pad=True) and ceil mode, whose last partial window is averaged over its in-bounds part.
 */
export class Pool2DExplicit extends tf.layers.Layer {
  static className = 'Pool2DExplicit';
  private readonly args: Pool2DArgs;

  constructor(args: Pool2DArgs) {
    super({ name: args.name });
    this.args = { ...args, pads: { ...args.pads } };
  }

  private outSize(s: tf.Shape): number[] {
    const a = this.args;
    const padding: Padding = a.pads;
    const config: Pool2dConfig = { kind: 'maxPool2d', pool: a.pool, strides: a.strides, padding, ceilMode: a.ceilMode };
    return LAYERS.maxPool2d.outputShape(config, [perExample(s)], this.name) as number[];
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [s[0]!, ...this.outSize(s)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const a = this.args;
      const [h, w] = [x.shape[1], x.shape[2]];
      const [oh, ow] = this.outSize(x.shape);
      // Ceil mode may need a window that runs past the bottom/right padding: pad that far too.
      const needH = (oh! - 1) * a.strides[0] + a.pool[0];
      const needW = (ow! - 1) * a.strides[1] + a.pool[1];
      const extraH = Math.max(0, needH - (h + a.pads.top + a.pads.bottom));
      const extraW = Math.max(0, needW - (w + a.pads.left + a.pads.right));
      const fill = a.mode === 'max' ? Number.NEGATIVE_INFINITY : 0;
      const padded = tf.pad(
        x,
        [
          [0, 0],
          [a.pads.top, a.pads.bottom + extraH],
          [a.pads.left, a.pads.right + extraW],
          [0, 0],
        ],
        fill,
      );
      const [pool, strides] = [[...a.pool] as [number, number], [...a.strides] as [number, number]];
      if (a.mode === 'max') return tf.maxPool(padded, pool, strides, 'valid');
      const avg = tf.avgPool(padded, pool, strides, 'valid');
      if (extraH === 0 && extraW === 0) return avg;
      // Divisor per window: its part inside input + explicit padding (the ceil overhang is not counted).
      const limitH = h + a.pads.top + a.pads.bottom;
      const limitW = w + a.pads.left + a.pads.right;
      const rows = Array.from(
        { length: oh! },
        (_, i) => Math.min(i * a.strides[0] + a.pool[0], limitH) - i * a.strides[0],
      );
      const cols = Array.from(
        { length: ow! },
        (_, j) => Math.min(j * a.strides[1] + a.pool[1], limitW) - j * a.strides[1],
      );
      const scale = tf
        .outerProduct(tf.tensor1d(rows.map((r) => a.pool[0] / r)), tf.tensor1d(cols.map((c) => a.pool[1] / c)))
        .reshape([1, oh!, ow!, 1]);
      return tf.mul(avg, scale);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const a = this.args;
    return {
      ...super.getConfig(),
      mode: a.mode,
      pool: [...a.pool],
      strides: [...a.strides],
      ceilMode: a.ceilMode,
      pads: { ...a.pads },
    };
  }
}

/** torchvision's AdaptiveAvgPool2d: bin i spans [floor(i*H/out), ceil((i+1)*H/out)). */
export class AdaptiveAvgPool2D extends tf.layers.Layer {
  static className = 'AdaptiveAvgPool2D';
  private readonly outputSize: Pair;

  constructor(args: { output: Pair; name?: string }) {
    super({ name: args.name });
    this.outputSize = args.output;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [s[0]!, this.outputSize[0], this.outputSize[1], s[3]!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      const [, h, w] = x.shape;
      const [oh, ow] = this.outputSize;
      if (h === oh && w === ow) return x.clone();
      if (h % oh === 0 && w % ow === 0) return tf.avgPool(x, [h / oh, w / ow], [h / oh, w / ow], 'valid');
      // Bins are rectangles, so averaging rows then columns equals averaging each bin.
      const bins = (size: number, out: number): Array<[number, number]> =>
        Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
      const byRows = tf.concat(
        bins(h, oh).map(([s, e]) => tf.mean(tf.slice(x, [0, s, 0, 0], [-1, e - s, -1, -1]), 1, true)),
        1,
      );
      return tf.concat(
        bins(w, ow).map(([s, e]) => tf.mean(tf.slice(byRows, [0, 0, s, 0], [-1, -1, e - s, -1]), 2, true)),
        2,
      );
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), output: [...this.outputSize] };
  }
}

/** Keras' Normalization layer at inference: (x - mean) / sqrt(variance), with a sample count kept as a weight. */
export class KerasNormalization extends tf.layers.Layer {
  static className = 'KerasNormalization';
  private mean?: tf.LayerVariable;
  private variance?: tf.LayerVariable;

  constructor(args: { name?: string } = {}) {
    super({ name: args.name });
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = singleShape(inputShape).at(-1)!;
    this.mean = this.addWeight('mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.variance = this.addWeight('variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return singleShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      tf.div(tf.sub(single(inputs), this.mean!.read()), tf.sqrt(tf.maximum(this.variance!.read(), 1e-7))),
    );
  }
}

for (const cls of [GroupedConv2D, LRN, Pool2DExplicit, AdaptiveAvgPool2D, KerasNormalization]) {
  tf.serialization.registerClass(
    cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
}
