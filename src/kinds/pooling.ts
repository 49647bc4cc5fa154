/**
 * Pooling: max and average pools (TensorFlow's floor mode, and PyTorch / Caffe explicit padding with ceil
 * mode, which runs as a registered custom tfjs layer), global pools, and torchvision's adaptive average
 * pool. No weights, no MACs.
 */
import type * as TF from '@tensorflow/tfjs';
import {
  checkPositive,
  fail,
  spatialInput,
  unweighted,
  type ConfigReader,
  type Kinds,
  type Pair,
  type LayerClass,
  type Tf,
} from './spec.js';
import { perExample, singleInput, singleShape } from './conv.js';
import {
  axisPadsOf,
  isZeroPads,
  padsOf,
  padText,
  resolveAxisPads,
  sizeText,
  slide,
  toAxisPadding,
  windowSpec,
  type Padding,
  type Pads,
} from './window.js';

export interface Pool2dConfig {
  kind: 'maxPool2d' | 'avgPool2d';
  pool: Pair;
  strides: Pair;
  padding: Padding;
  /** Caffe / PyTorch ceil_mode: the last partial window counts (it must start inside the input or its left padding). */
  ceilMode: boolean;
}
export interface GlobalPoolConfig {
  kind: 'globalAvgPool2d' | 'globalMaxPool2d';
  keepDims: boolean;
}
export interface AdaptiveAvgPoolConfig {
  kind: 'adaptiveAvgPool2d';
  output: Pair;
}
/** Every config this family defines. */
export type PoolingFamily = Pool2dConfig | GlobalPoolConfig | AdaptiveAvgPoolConfig;

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/** The zoo's shorthand, PyTorch's way: `maxPool(3, 2, { pad: 1, ceil: true })`. */
export function maxPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): Pool2dConfig {
  const [h, w] = pair(o.pad === 'same' || o.pad === undefined ? 0 : o.pad);
  const padding: Padding =
    o.pad === undefined || o.pad === 0 ? 'valid' : o.pad === 'same' ? 'same' : { top: h, bottom: h, left: w, right: w };
  return { kind: 'maxPool2d', pool: pair(size), strides: pair(stride), padding, ceilMode: o.ceil ?? false };
}

export function avgPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): Pool2dConfig {
  return { ...maxPool(size, stride, o), kind: 'avgPool2d' };
}

const window2d = (c: Pool2dConfig) => ({
  kernel: c.pool,
  strides: c.strides,
  dilation: [1, 1],
  padding: toAxisPadding(c.padding),
  ceilMode: c.ceilMode,
});

function poolShape(c: Pool2dConfig, inputs: readonly (readonly number[])[], name: string): number[] {
  const [h, w, ch] = spatialInput(name, c.kind, inputs as number[][], 2) as [number, number, number];
  if (typeof c.padding === 'object') {
    // PyTorch's rule (Caffe's is close): a window may not start or end entirely inside the padding.
    const p = c.padding;
    if (Math.max(p.top, p.bottom) * 2 > c.pool[0] || Math.max(p.left, p.right) * 2 > c.pool[1]) {
      fail(
        name,
        c.kind,
        `padding (${p.top}, ${p.bottom}, ${p.left}, ${p.right}) exceeds half the pool window ${c.pool[0]}x${c.pool[1]}`,
      );
    }
  }
  return [...slide(name, c.kind, [h, w], window2d(c)), ch];
}

function readPool(r: ConfigReader): Pool2dConfig {
  r.channelsLast();
  const pool = r.pair('pool_size', 2);
  return {
    kind: r.cls.startsWith('Max') ? 'maxPool2d' : 'avgPool2d',
    pool,
    strides: r.has('strides') ? r.pair('strides') : pool,
    padding: r.padding(),
    ceilMode: false,
  };
}

/** netcensus' own Pool2DExplicit, as tfjs' toJSON() writes it. */
function readExplicit(r: ConfigReader): Pool2dConfig {
  const p = r.raw('pads') as Record<string, unknown> | undefined;
  const pads = { top: Number(p?.top), bottom: Number(p?.bottom), left: Number(p?.left), right: Number(p?.right) };
  if (Object.values(pads).some((v) => !Number.isSafeInteger(v) || v < 0)) {
    r.fail('pads', `must be non-negative integers, got ${JSON.stringify(p)}`);
  }
  return {
    kind: r.raw('mode') === 'avg' ? 'avgPool2d' : 'maxPool2d',
    pool: r.pair('pool'),
    strides: r.pair('strides'),
    padding: pads,
    ceilMode: r.bool('ceil_mode', false),
  };
}

function readGlobal(r: ConfigReader): GlobalPoolConfig {
  r.channelsLast();
  return { kind: r.cls.includes('Max') ? 'globalMaxPool2d' : 'globalAvgPool2d', keepDims: r.bool('keepdims', false) };
}

const pool2d = (title: string): Kinds<Pool2dConfig>['maxPool2d'] => ({
  title,
  outputShape: (c, inputs, name) => poolShape(c, inputs, name),
  ...unweighted,
  describe: (c) =>
    `${sizeText(c.pool)}/${sizeText(c.strides)}${padText(toAxisPadding(c.padding))}${c.ceilMode ? ' ceil' : ''}`,
  keras: {},
  custom: [pool2DExplicit],
  tfjs: (c, ctx) => {
    const x = ctx.inputs[0]!;
    const explicit = typeof c.padding === 'object' && !isZeroPads(axisPadsOf(c.padding));
    if (!c.ceilMode && !explicit) {
      const args = {
        name: ctx.name,
        poolSize: [...c.pool] as [number, number],
        strides: [...c.strides] as [number, number],
        padding: c.padding === 'same' ? ('same' as const) : ('valid' as const),
      };
      return ctx.use(
        c.kind === 'maxPool2d' ? ctx.tf.layers.maxPooling2d(args) : ctx.tf.layers.averagePooling2d(args),
        x,
      );
    }
    const inShape = ctx.info.inputShapes[0]!;
    const pads = padsOf(resolveAxisPads(toAxisPadding(c.padding), inShape.slice(0, 2), c.pool, c.strides, [1, 1]));
    const Pool2DExplicit = ctx.custom(pool2DExplicit);
    return ctx.use(
      new Pool2DExplicit({
        name: ctx.name,
        mode: c.kind === 'maxPool2d' ? 'max' : 'avg',
        pool: c.pool,
        strides: c.strides,
        pads,
        ceilMode: c.ceilMode,
      }),
      x,
    );
  },
  window: (c, info) => windowSpec(info, window2d(c)),
});

const globalPool = (title: string): Kinds<GlobalPoolConfig>['globalAvgPool2d'] => ({
  title,
  outputShape: (c, inputs, name) => {
    const [, , ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
    return c.keepDims ? [1, 1, ch] : [ch];
  },
  ...unweighted,
  describe: () => '',
  keras: {},
  tfjs: (c, ctx) => {
    const layers = ctx.tf.layers;
    const name = c.keepDims ? `${ctx.name}__pool` : ctx.name;
    const pool =
      c.kind === 'globalAvgPool2d' ? layers.globalAveragePooling2d({ name }) : layers.globalMaxPooling2d({ name });
    const pooled = ctx.use(pool, ctx.inputs[0]!);
    const ch = ctx.info.inputShapes[0]![2]!;
    return c.keepDims ? ctx.use(layers.reshape({ name: ctx.name, targetShape: [1, 1, ch] }), pooled) : pooled;
  },
  window: null,
});

export const poolingKinds: Kinds<PoolingFamily> = {
  maxPool2d: {
    ...pool2d('MaxPooling2D'),
    keras: { MaxPooling2D: readPool, MaxPool2D: readPool, Pool2DExplicit: readExplicit },
  },
  avgPool2d: { ...pool2d('AveragePooling2D'), keras: { AveragePooling2D: readPool, AvgPool2D: readPool } },

  globalAvgPool2d: {
    ...globalPool('GlobalAveragePooling2D'),
    keras: { GlobalAveragePooling2D: readGlobal, GlobalAvgPool2D: readGlobal },
  },
  globalMaxPool2d: {
    ...globalPool('GlobalMaxPooling2D'),
    keras: { GlobalMaxPooling2D: readGlobal, GlobalMaxPool2D: readGlobal },
  },

  adaptiveAvgPool2d: {
    title: 'AdaptiveAvgPool2d',
    outputShape: (c, inputs, name) => {
      const [, , ch] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'output size', c.output);
      return [c.output[0], c.output[1], ch];
    },
    ...unweighted,
    describe: (c) => `-> ${c.output[0]}x${c.output[1]}`,
    keras: { AdaptiveAvgPool2D: (r) => ({ kind: 'adaptiveAvgPool2d', output: r.pair('output') }) },
    custom: [adaptiveAvgPool2D],
    tfjs: (c, ctx) =>
      ctx.use(new (ctx.custom(adaptiveAvgPool2D))({ name: ctx.name, output: c.output }), ctx.inputs[0]!),
    window: null,
  },
};

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
export function pool2DExplicit(tf: Tf): LayerClass<Pool2DArgs> {
  return class Pool2DExplicit extends tf.layers.Layer {
    static className = 'Pool2DExplicit';
    private readonly args: Pool2DArgs;

    constructor(args: Pool2DArgs) {
      super({ name: args.name });
      this.args = { ...args, pads: { ...args.pads } };
    }

    private outSize(s: TF.Shape): number[] {
      const a = this.args;
      const config: Pool2dConfig = {
        kind: 'maxPool2d',
        pool: a.pool,
        strides: a.strides,
        padding: a.pads,
        ceilMode: a.ceilMode,
      };
      return poolShape(config, [perExample(s)], this.name);
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      return [s[0]!, ...this.outSize(s)];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs) as TF.Tensor4D;
        const a = this.args;
        const [h, w] = [x.shape[1], x.shape[2]];
        const [oh, ow] = this.outSize(x.shape) as [number, number];
        // Ceil mode may need a window that runs past the bottom/right padding: pad that far too.
        const extraH = Math.max(0, (oh - 1) * a.strides[0] + a.pool[0] - (h + a.pads.top + a.pads.bottom));
        const extraW = Math.max(0, (ow - 1) * a.strides[1] + a.pool[1] - (w + a.pads.left + a.pads.right));
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
          { length: oh },
          (_, i) => Math.min(i * a.strides[0] + a.pool[0], limitH) - i * a.strides[0],
        );
        const cols = Array.from(
          { length: ow },
          (_, j) => Math.min(j * a.strides[1] + a.pool[1], limitW) - j * a.strides[1],
        );
        const scale = tf
          .outerProduct(tf.tensor1d(rows.map((r) => a.pool[0] / r)), tf.tensor1d(cols.map((c) => a.pool[1] / c)))
          .reshape([1, oh, ow, 1]);
        return tf.mul(avg, scale);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
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
  };
}

/** torchvision's AdaptiveAvgPool2d: bin i spans [floor(i*H/out), ceil((i+1)*H/out)). */
export function adaptiveAvgPool2D(tf: Tf): LayerClass<{ output: Pair; name?: string }> {
  return class AdaptiveAvgPool2D extends tf.layers.Layer {
    static className = 'AdaptiveAvgPool2D';
    private readonly outputSize: Pair;

    constructor(args: { output: Pair; name?: string }) {
      super({ name: args.name });
      this.outputSize = args.output;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      return [s[0]!, this.outputSize[0], this.outputSize[1], s[3]!];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs) as TF.Tensor4D;
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

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), output: [...this.outputSize] };
    }
  };
}
