/**
 * Pooling: max and average pools of rank 1, 2 and 3 (TensorFlow's floor mode, and PyTorch / Caffe / ONNX
 * explicit padding with ceil mode and count_include_pad, which run as registered custom tfjs layers), global
 * pools of every rank, torchvision's adaptive average pool, and Keras' adaptive average and max pools of
 * every rank. No weights, no MACs.
 */
import type * as TF from '@tensorflow/tfjs';
import { customBase, perExample, singleInput, singleShape } from '../tfjs/base.js';
import type { LayerArgs } from '../tfjs/args.js';
import { checkPositive, fail, spatialInput, unweighted } from './spec.js';
import type { BuildCtx, ConfigReader, Kinds, KindSpec, Pair, LayerClass, Shape, Tf } from './spec.js';
import { prod } from '../exact.js';
import {
  axisName,
  pads,
  axisPadsOf,
  isZeroPads,
  padsOf,
  padText,
  readPads,
  resolveAxisPads,
  sizeText,
  slide,
  windowSpec,
} from './window.js';
import type { AxisPads, Pads } from './window.js';

/** Max and average pools of 1-D sequences, 2-D images and 3-D volumes: one entry per spatial axis. */
export interface PoolConfig {
  kind: 'maxPool1d' | 'avgPool1d' | 'maxPool2d' | 'avgPool2d' | 'maxPool3d' | 'avgPool3d';
  pool: readonly number[];
  strides: readonly number[];
  padding: 'valid' | 'same' | AxisPads;
  /** Caffe / PyTorch ceil_mode: the last partial window counts (it must start inside the input or its left padding). */
  ceilMode: boolean;
  /**
   * Average pools with explicit padding: whether the padding's zeros count in the divisor (PyTorch's and
   * ONNX's count_include_pad). Absent: they do, as PyTorch's default and this kind always did.
   */
  countIncludePad?: boolean;
}
/** The library's earlier names, one type now. */
export type Pool2dConfig = PoolConfig;
export type PoolNdConfig = PoolConfig;
export interface GlobalPoolConfig {
  kind:
    | 'globalAvgPool2d'
    | 'globalMaxPool2d'
    | 'globalAvgPool1d'
    | 'globalMaxPool1d'
    | 'globalAvgPool3d'
    | 'globalMaxPool3d';
  keepDims: boolean;
}
/**
 * Adaptive pools: `output` per spatial axis, bins as PyTorch's ([floor(i x in / out), ceil((i + 1) x in /
 * out)), which Keras' backends follow. Keras' AdaptiveAveragePooling1D/2D/3D and AdaptiveMaxPooling1D/2D/3D,
 * and torchvision's AdaptiveAvgPool2d (the zoo's and ONNX's), its own kind.
 */
export interface AdaptivePoolConfig {
  kind: 'adaptiveAvgPool' | 'adaptiveMaxPool' | 'adaptiveAvgPool2d';
  output: readonly number[];
}
/** The library's earlier name. */
export type AdaptiveAvgPoolConfig = AdaptivePoolConfig;
/** Every config this family defines. */
export type PoolingFamily = PoolConfig | GlobalPoolConfig | AdaptivePoolConfig;

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/** The zoo's shorthand, PyTorch's way: `maxPool(3, 2, { pad: 1, ceil: true })`. */
export function maxPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): PoolConfig {
  const padding =
    o.pad === undefined || o.pad === 0 ? ('valid' as const) : o.pad === 'same' ? ('same' as const) : pads(o.pad);
  return { kind: 'maxPool2d', pool: pair(size), strides: pair(stride), padding, ceilMode: o.ceil ?? false };
}

export function avgPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): PoolConfig {
  return { ...maxPool(size, stride, o), kind: 'avgPool2d' };
}

function readPool(r: ConfigReader): PoolConfig {
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
function readExplicit(r: ConfigReader): PoolConfig {
  return {
    kind: r.raw('mode') === 'avg' ? 'avgPool2d' : 'maxPool2d',
    pool: r.pair('pool'),
    strides: r.pair('strides'),
    padding: axisPadsOf(readPads(r, 'pads')),
    ceilMode: r.bool('ceil_mode', false),
  };
}

function readGlobal(r: ConfigReader): GlobalPoolConfig {
  r.channelsLast();
  const rank = r.cls.includes('1D') ? 1 : r.cls.includes('3D') ? 3 : 2;
  const mode = r.cls.includes('Max') ? 'Max' : 'Avg';
  return { kind: `global${mode}Pool${rank}d`, keepDims: r.bool('keepdims', false) };
}

/** Spatial axes of each pool. */
const POOL_RANK = {
  maxPool1d: 1,
  avgPool1d: 1,
  maxPool2d: 2,
  avgPool2d: 2,
  maxPool3d: 3,
  avgPool3d: 3,
  globalAvgPool1d: 1,
  globalMaxPool1d: 1,
  globalAvgPool2d: 2,
  globalMaxPool2d: 2,
  globalAvgPool3d: 3,
  globalMaxPool3d: 3,
} as const;

const ones = (n: number): number[] => Array.from({ length: n }, () => 1);

const poolWindow = (c: PoolConfig) => ({
  kernel: c.pool,
  strides: c.strides,
  dilation: ones(c.pool.length),
  padding: c.padding,
  ceilMode: c.ceilMode,
});

function poolShape(c: PoolConfig, inputs: readonly (readonly number[])[], name: string): number[] {
  const rank = POOL_RANK[c.kind];
  const s = spatialInput(name, c.kind, inputs as number[][], rank);
  const fields: Array<[string, readonly unknown[]]> = [
    ['pool size', c.pool],
    ['strides', c.strides],
    ...(typeof c.padding === 'string' ? [] : [['padding', c.padding] as [string, readonly unknown[]]]),
  ];
  for (const [what, v] of fields) {
    if (v.length !== rank) fail(name, c.kind, `${what} has ${v.length} axes, expected ${rank}`);
  }
  if (typeof c.padding === 'object') {
    // PyTorch's rule (Caffe's is close): a window may not start or end entirely inside the padding.
    c.padding.forEach(([b, a], i) => {
      if (Math.max(b, a) * 2 > c.pool[i]!) {
        fail(
          name,
          c.kind,
          `padding (${b}, ${a}) on the ${axisName(rank, i)} exceeds half the pool window ${c.pool[i]}`,
        );
      }
    });
  }
  return [...slide(name, c.kind, s.slice(0, rank), poolWindow(c)), s[rank]!];
}

function readPoolNd(r: ConfigReader, rank: 1 | 3): PoolConfig {
  r.channelsLast();
  const pool = r.tuple('pool_size', rank, 2);
  const mode = r.cls.startsWith('Max') ? 'max' : 'avg';
  return {
    kind: `${mode}Pool${rank}d`,
    pool,
    strides: r.has('strides') ? r.tuple('strides', rank) : pool,
    padding: r.padding(),
    ceilMode: false,
  };
}

const poolText = (c: PoolConfig): string =>
  `${sizeText(c.pool)}/${sizeText(c.strides)}${padText(c.padding)}` +
  `${c.ceilMode ? ' ceil' : ''}${c.countIncludePad === false ? ' excl-pad' : ''}`;

/** The custom pool for a config with explicit pads, ceil mode or count_include_pad = false. */
function poolNdLayer(ctx: BuildCtx, mode: 'max' | 'avg', c: PoolConfig) {
  const inShape = ctx.info.inputShapes[0]!;
  const rank = c.pool.length;
  const pads = resolveAxisPads(c.padding, inShape.slice(0, rank), c.pool, c.strides, ones(rank));
  const PoolND = ctx.custom(poolND);
  return ctx.use(
    new PoolND({
      name: ctx.name,
      mode,
      pool: [...c.pool],
      strides: [...c.strides],
      pads: pads.map(([b, a]) => [b, a]),
      ceilMode: c.ceilMode,
      // TensorFlow's SAME average leaves its padding out of the divisor.
      countIncludePad: c.padding === 'same' ? false : (c.countIncludePad ?? true),
    }),
    ctx.inputs[0]!,
  );
}

/** The pooling layer a pool runs as: tfjs-layers' own where it can express the pool, netcensus' otherwise. */
function poolLayer(c: PoolConfig, ctx: BuildCtx): TF.SymbolicTensor {
  const x = ctx.inputs[0]!;
  const rank = POOL_RANK[c.kind];
  const mode = c.kind.startsWith('max') ? 'max' : 'avg';
  const explicit = typeof c.padding === 'object' && !isZeroPads(c.padding);
  if (!c.ceilMode && !explicit) {
    const layers = ctx.tf.layers;
    const args = {
      name: ctx.name,
      poolSize: [...c.pool],
      strides: [...c.strides],
      padding: c.padding === 'same' ? ('same' as const) : ('valid' as const),
    };
    if (rank === 1) {
      const one = { ...args, poolSize: c.pool[0]!, strides: c.strides[0]! };
      return ctx.use(mode === 'max' ? layers.maxPooling1d(one) : layers.averagePooling1d(one), x);
    }
    if (rank === 2) {
      const two = { ...args, poolSize: args.poolSize as [number, number], strides: args.strides as [number, number] };
      return ctx.use(mode === 'max' ? layers.maxPooling2d(two) : layers.averagePooling2d(two), x);
    }
    const three = {
      ...args,
      poolSize: args.poolSize as [number, number, number],
      strides: args.strides as [number, number, number],
    };
    return ctx.use(mode === 'max' ? layers.maxPooling3d(three) : layers.averagePooling3d(three), x);
  }
  // PoolND leaves explicit padding out of an average's divisor where asked (ONNX's count_include_pad = 0).
  if (rank !== 2 || (mode === 'avg' && explicit && c.countIncludePad === false)) return poolNdLayer(ctx, mode, c);
  const inShape = ctx.info.inputShapes[0]!;
  const pads = padsOf(resolveAxisPads(c.padding, inShape.slice(0, 2), c.pool, c.strides, [1, 1]));
  const Pool2DExplicit = ctx.custom(pool2DExplicit);
  return ctx.use(
    new Pool2DExplicit({
      name: ctx.name,
      mode,
      pool: c.pool as Pair,
      strides: c.strides as Pair,
      pads,
      ceilMode: c.ceilMode,
    }),
    x,
  );
}

/** Keras' pools of each rank (and ONNX's MaxPool and AveragePool): one spec, the rank from the kind. */
const poolSpec = (title: string): KindSpec<PoolConfig> => ({
  title,
  outputShape: (c, inputs, name) => poolShape(c, inputs, name),
  ...unweighted,
  describe: (c) => poolText(c),
  keras: {},
  custom: [pool2DExplicit, poolND],
  tfjs: poolLayer,
  window: (c, info) => windowSpec(info, poolWindow(c)),
});

const globalPool = (title: string): Kinds<GlobalPoolConfig>['globalAvgPool2d'] => ({
  title,
  outputShape: (c, inputs, name) => {
    const rank = POOL_RANK[c.kind];
    const s = spatialInput(name, c.kind, inputs, rank);
    const ch = s[rank]!;
    return c.keepDims ? [...ones(rank), ch] : [ch];
  },
  ...unweighted,
  describe: (c) => (c.keepDims && POOL_RANK[c.kind] !== 2 ? 'keepdims' : ''),
  keras: {},
  tfjs: (c, ctx) => {
    const layers = ctx.tf.layers;
    const rank = POOL_RANK[c.kind];
    const max = c.kind.startsWith('globalMax');
    const inShape = ctx.info.inputShapes[0]!;
    const ch = inShape[rank]!;
    const name = c.keepDims ? `${ctx.name}__pool` : ctx.name;
    let x = ctx.inputs[0]!;
    let pool;
    if (rank === 2) pool = max ? layers.globalMaxPooling2d({ name }) : layers.globalAveragePooling2d({ name });
    else {
      // tfjs-layers pools sequences only: a volume is a sequence of its D x H x W positions first.
      if (rank === 3)
        x = ctx.use(
          layers.reshape({ name: `${ctx.name}__positions`, targetShape: [prod(inShape.slice(0, 3)), ch] }),
          x,
        );
      pool = max ? layers.globalMaxPooling1d({ name }) : layers.globalAveragePooling1d({ name });
    }
    const pooled = ctx.use(pool, x);
    return c.keepDims ? ctx.use(layers.reshape({ name: ctx.name, targetShape: [...ones(rank), ch] }), pooled) : pooled;
  },
  window: null,
});

/** Keras' adaptive pools; `output` has one entry per spatial axis. */
function readAdaptive(r: ConfigReader): AdaptivePoolConfig {
  r.channelsLast();
  const rank = r.cls.endsWith('1D') ? 1 : r.cls.endsWith('3D') ? 3 : 2;
  return {
    kind: r.cls.includes('Max') ? 'adaptiveMaxPool' : 'adaptiveAvgPool',
    output: r.tuple('output_size', rank),
  };
}

/** An adaptive pool; Keras' classes name their rank (`titled`), torchvision's 2-D kind has its own name. */
const adaptive = (title: string, titled = true): KindSpec<AdaptivePoolConfig> => ({
  title,
  ...(titled ? { titleOf: (c: AdaptivePoolConfig) => `${title}${c.output.length}D` } : {}),
  outputShape: (c, inputs, name) => {
    const s = spatialInput(name, c.kind, inputs, c.output.length);
    checkPositive(name, c.kind, 'output size', c.output);
    return [...c.output, s[c.output.length]!];
  },
  ...unweighted,
  describe: (c) => `-> ${c.output.join('x')}`,
  keras: {},
  custom: [adaptivePoolND],
  tfjs: (c, ctx) =>
    ctx.use(
      new (ctx.custom(adaptivePoolND))({
        name: ctx.name,
        mode: c.kind === 'adaptiveMaxPool' ? 'max' : 'avg',
        output: [...c.output],
      }),
      ctx.inputs[0]!,
    ),
  window: null,
});

export const poolingKinds: Kinds<PoolingFamily> = {
  maxPool2d: {
    ...poolSpec('MaxPooling2D'),
    torch: 'MaxPool2d',
    keras: { MaxPooling2D: readPool, MaxPool2D: readPool, Pool2DExplicit: readExplicit },
  },
  avgPool2d: {
    ...poolSpec('AveragePooling2D'),
    torch: 'AvgPool2d',
    keras: { AveragePooling2D: readPool, AvgPool2D: readPool },
  },

  globalAvgPool2d: {
    ...globalPool('GlobalAveragePooling2D'),
    torch: 'AdaptiveAvgPool2d',
    keras: { GlobalAveragePooling2D: readGlobal, GlobalAvgPool2D: readGlobal },
  },
  globalMaxPool2d: {
    ...globalPool('GlobalMaxPooling2D'),
    torch: 'AdaptiveMaxPool2d',
    keras: { GlobalMaxPooling2D: readGlobal, GlobalMaxPool2D: readGlobal },
  },
  globalAvgPool1d: {
    ...globalPool('GlobalAveragePooling1D'),
    torch: 'AdaptiveAvgPool1d',
    keras: { GlobalAveragePooling1D: readGlobal, GlobalAvgPool1D: readGlobal },
  },
  globalMaxPool1d: {
    ...globalPool('GlobalMaxPooling1D'),
    torch: 'AdaptiveMaxPool1d',
    keras: { GlobalMaxPooling1D: readGlobal, GlobalMaxPool1D: readGlobal },
  },
  globalAvgPool3d: {
    ...globalPool('GlobalAveragePooling3D'),
    torch: 'AdaptiveAvgPool3d',
    keras: { GlobalAveragePooling3D: readGlobal, GlobalAvgPool3D: readGlobal },
  },
  globalMaxPool3d: {
    ...globalPool('GlobalMaxPooling3D'),
    torch: 'AdaptiveMaxPool3d',
    keras: { GlobalMaxPooling3D: readGlobal, GlobalMaxPool3D: readGlobal },
  },

  maxPool1d: {
    ...poolSpec('MaxPooling1D'),
    torch: 'MaxPool1d',
    keras: { MaxPooling1D: (r) => readPoolNd(r, 1), MaxPool1D: (r) => readPoolNd(r, 1) },
  },
  avgPool1d: {
    ...poolSpec('AveragePooling1D'),
    torch: 'AvgPool1d',
    keras: { AveragePooling1D: (r) => readPoolNd(r, 1), AvgPool1D: (r) => readPoolNd(r, 1) },
  },
  maxPool3d: {
    ...poolSpec('MaxPooling3D'),
    torch: 'MaxPool3d',
    keras: { MaxPooling3D: (r) => readPoolNd(r, 3), MaxPool3D: (r) => readPoolNd(r, 3) },
  },
  avgPool3d: {
    ...poolSpec('AveragePooling3D'),
    torch: 'AvgPool3d',
    keras: { AveragePooling3D: (r) => readPoolNd(r, 3), AvgPool3D: (r) => readPoolNd(r, 3) },
  },

  adaptiveAvgPool: {
    ...adaptive('AdaptiveAveragePooling'),
    torch: (c) => `AdaptiveAvgPool${c.output.length}d`,
    keras: {
      AdaptiveAveragePooling1D: readAdaptive,
      AdaptiveAveragePooling2D: readAdaptive,
      AdaptiveAveragePooling3D: readAdaptive,
    },
  },
  adaptiveMaxPool: {
    ...adaptive('AdaptiveMaxPooling'),
    torch: (c) => `AdaptiveMaxPool${c.output.length}d`,
    keras: {
      AdaptiveMaxPooling1D: readAdaptive,
      AdaptiveMaxPooling2D: readAdaptive,
      AdaptiveMaxPooling3D: readAdaptive,
    },
  },

  adaptiveAvgPool2d: {
    ...adaptive('AdaptiveAvgPool2d', false),
    torch: 'AdaptiveAvgPool2d',
    keras: { AdaptiveAvgPool2D: (r) => ({ kind: 'adaptiveAvgPool2d', output: r.pair('output') }) },
    custom: [adaptiveAvgPool2D],
    tfjs: (c, ctx) =>
      ctx.use(new (ctx.custom(adaptiveAvgPool2D))({ name: ctx.name, output: c.output as Pair }), ctx.inputs[0]!),
  },
};

export interface Pool2DArgs extends LayerArgs {
  mode: 'max' | 'avg';
  pool: Pair;
  strides: Pair;
  pads: Pads;
  ceilMode: boolean;
}

/**
 * PyTorch / Caffe pooling: explicit padding (-inf for max; zeros counted in the average, as
 * count_include_pad=True) and ceil mode, whose last partial window is averaged over its in-bounds part.
 */
export function pool2DExplicit(tf: Tf): LayerClass<Pool2DArgs> {
  return class Pool2DExplicit extends customBase(tf)<Pool2DArgs> {
    static className = 'Pool2DExplicit';

    private outSize(s: TF.Shape): number[] {
      const a = this.args;
      const config: PoolConfig = {
        kind: 'maxPool2d',
        pool: a.pool,
        strides: a.strides,
        padding: axisPadsOf(a.pads),
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
  return class AdaptiveAvgPool2D extends customBase(tf)<{ output: Pair; name?: string }> {
    static className = 'AdaptiveAvgPool2D';

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      return [s[0]!, this.args.output[0], this.args.output[1], s[3]!];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs) as TF.Tensor4D;
        const [, h, w] = x.shape;
        const [oh, ow] = this.args.output;
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
  };
}

export interface PoolNDArgs extends LayerArgs {
  mode: 'max' | 'avg';
  pool: number[];
  strides: number[];
  /** Per spatial axis, [before, after], resolved for the input. */
  pads: Array<[number, number]>;
  ceilMode: boolean;
  /** Average: the explicit padding's zeros count in the divisor (PyTorch's and ONNX's count_include_pad). */
  countIncludePad: boolean;
}

/** A pooling op of rank 1 (as a 1 x L image), 2 or 3, 'valid'. */
function poolOp(tf: Tf, mode: 'max' | 'avg', x: TF.Tensor, pool: number[], strides: number[]): TF.Tensor {
  if (pool.length === 3) {
    const f = mode === 'max' ? tf.maxPool3d : tf.avgPool3d;
    return f(x as TF.Tensor5D, pool as [number, number, number], strides as [number, number, number], 'valid');
  }
  const f = mode === 'max' ? tf.maxPool : tf.avgPool;
  if (pool.length === 2) return f(x as TF.Tensor4D, pool as [number, number], strides as [number, number], 'valid');
  return tf.squeeze(f(tf.expandDims(x, 1) as TF.Tensor4D, [1, pool[0]!], [1, strides[0]!], 'valid'), [1]);
}

/**
 * Pools of any rank with explicit padding, ceil mode and either divisor: max pads with -inf; an average is
 * the windowed sum of the zero-padded input over the windowed count of a mask, which is 1 on the input, on
 * the explicit padding too when count_include_pad, and 0 on the overhang ceil mode adds (PyTorch's divisor).
 */
export function poolND(tf: Tf): LayerClass<PoolNDArgs> {
  return class PoolND extends customBase(tf)<PoolNDArgs> {
    static className = 'PoolND';

    private outSize(s: TF.Shape): number[] {
      const a = this.args;
      const rank = a.pool.length;
      const inputs = [perExample(s)];
      const config: PoolConfig = {
        kind: (['maxPool1d', 'maxPool2d', 'maxPool3d'] as const)[rank - 1]!,
        pool: a.pool,
        strides: a.strides,
        padding: a.pads,
        ceilMode: a.ceilMode,
      };
      return poolShape(config, inputs, this.name);
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      return [s[0]!, ...this.outSize(s)];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        const a = this.args;
        const sizes = x.shape.slice(1, -1);
        const out = this.outSize(x.shape);
        // Ceil mode may need a window that runs past the padding after: pad that far too.
        const extra = sizes.map((n, i) =>
          Math.max(0, (out[i]! - 1) * a.strides[i]! + a.pool[i]! - (n + a.pads[i]![0] + a.pads[i]![1])),
        );
        const around = (inner: Array<[number, number]>): Array<[number, number]> => [[0, 0], ...inner, [0, 0]];
        const full = around(a.pads.map(([b, e], i) => [b, e + extra[i]!]));
        if (a.mode === 'max') return poolOp(tf, 'max', tf.pad(x, full, Number.NEGATIVE_INFINITY), a.pool, a.strides);
        const sums = poolOp(tf, 'avg', tf.pad(x, full), a.pool, a.strides);
        const ones = tf.ones([1, ...sizes, 1]);
        const mask = a.countIncludePad
          ? tf.pad(tf.pad(ones, around(a.pads), 1), around(extra.map((e) => [0, e])))
          : tf.pad(ones, full);
        return tf.div(sums, poolOp(tf, 'avg', mask, a.pool, a.strides));
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      const a = this.args;
      return {
        ...super.getConfig(),
        mode: a.mode,
        pool: [...a.pool],
        strides: [...a.strides],
        pads: a.pads.map((p) => [...p]),
        ceilMode: a.ceilMode,
        countIncludePad: a.countIncludePad,
      };
    }
  };
}

/** Keras' (and PyTorch's) adaptive pools of any rank: bin i spans [floor(i x in / out), ceil((i + 1) x in / out)). */
export function adaptivePoolND(tf: Tf): LayerClass<{ mode: 'max' | 'avg'; output: number[]; name?: string }> {
  return class AdaptivePoolND extends customBase(tf)<{ mode: 'max' | 'avg'; output: number[]; name?: string }> {
    static className = 'AdaptivePoolND';

    override censusShape(inputs: Shape[]): Shape {
      const config: AdaptivePoolConfig = {
        kind: this.args.mode === 'max' ? 'adaptiveMaxPool' : 'adaptiveAvgPool',
        output: this.args.output,
      };
      return poolingKinds[config.kind].outputShape(config, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        let y = singleInput(inputs);
        // Bins are boxes, so reducing one axis at a time equals reducing each bin (equal counts per slice).
        this.args.output.forEach((out, i) => {
          const axis = i + 1;
          const size = y.shape[axis]!;
          if (size === out) return;
          const reduce = (t: TF.Tensor) => (this.args.mode === 'max' ? tf.max(t, axis, true) : tf.mean(t, axis, true));
          const parts = Array.from({ length: out }, (_, j) => {
            const start = Math.floor((j * size) / out);
            const end = Math.ceil(((j + 1) * size) / out);
            const begin = y.shape.map((_, d) => (d === axis ? start : 0));
            const extent = y.shape.map((_, d) => (d === axis ? end - start : -1));
            return reduce(tf.slice(y, begin, extent));
          });
          y = tf.concat(parts, axis);
        });
        return y === inputs || (Array.isArray(inputs) && y === inputs[0]) ? tf.clone(y) : y;
      });
    }
  };
}
