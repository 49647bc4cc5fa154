/**
 * Tensor operators: what exported graphs (ONNX) hold besides layers — transposes, splits, slices, pads,
 * clips, elementwise arithmetic with broadcasting or a constant, reductions, a product of two
 * activations, a stored tensor joined to the input, instance normalization, resizing. Axes are per
 * example (0 = the first axis after the batch), in the graph's own layout. Only instance normalization
 * and the ops with a stored tensor have weights; only a product of two activations has MACs (attention's
 * QK^T and AV, as the attention kinds count them).
 * Every kind builds as one registered custom tfjs layer, `TensorOp`, whose shape rule is the census'.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tensor, TfLayer } from '../tfjs/types.js';
import { customBase, perExample, singleShape } from '../tfjs/base.js';
import type { LayerArgs } from '../tfjs/args.js';
import { mul, prod } from '../exact.js';
import { bias, checkPositive, fail, one, otherFactors, unweighted, weight } from './spec.js';
import type { Kinds, LayerClass, Shape, Tf, WeightSpec } from './spec.js';

/**
 * A stored tensor in arithmetic or joined to the input: in PyTorch a bare nn.Parameter or one of a module's
 * own (LayerScale's gamma, a class token), named neither weight nor bias, so torchinfo gives it no MACs.
 */
const storedParam = (
  make: typeof weight | typeof bias,
  shape: number[],
  torchName: 'weight' | 'bias' | 'other' = 'other',
): WeightSpec => ({
  ...make('value', shape),
  torchName,
});

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min';
export type UnaryOp =
  | 'erf'
  | 'sqrt'
  | 'exp'
  | 'log'
  | 'neg'
  | 'abs'
  | 'reciprocal'
  | 'floor'
  | 'ceil'
  | 'sin'
  | 'cos'
  | 'identity'
  | 'isNaN';
export type ReduceOp = 'mean' | 'sum' | 'max' | 'min' | 'prod' | 'l2';

export interface TransposeConfig {
  kind: 'transpose';
  /** New axis i takes old axis perm[i] (per example). */
  perm: readonly number[];
}
export interface SplitConfig {
  kind: 'split';
  axis: number;
  sizes: readonly number[];
}
export interface SliceConfig {
  kind: 'slice';
  /** Per sliced axis: start (inclusive), end (exclusive), step; already clamped to the input. */
  axes: readonly number[];
  starts: readonly number[];
  ends: readonly number[];
  steps: readonly number[];
}
export interface PadConfig {
  kind: 'pad';
  /** [before, after] for every per-example axis. */
  pads: ReadonlyArray<readonly [number, number]>;
  mode: 'constant' | 'reflect' | 'edge';
  value: number;
}
export interface ClipConfig {
  kind: 'clip';
  min: number;
  max: number;
}
/** Two tensors, broadcast as NumPy and ONNX do (trailing axes aligned). */
export interface BinaryConfig {
  kind: 'binary';
  op: BinaryOp;
}
/** One tensor and a constant that is no parameter (a Python scalar, a Constant node): `x / 2`, `1 - x`. */
export interface ConstOpConfig {
  kind: 'constOp';
  op: BinaryOp;
  /** The constant's shape per example (broadcast against the tensor) and its values (row-major). */
  shape: readonly number[];
  values: readonly number[];
  /** True when the constant is the left operand (`1 - x`). */
  left: boolean;
}
/** One tensor and a stored tensor that is a parameter (PyTorch's nn.Parameter used in arithmetic). */
export interface ParamOpConfig {
  kind: 'paramOp';
  op: BinaryOp;
  /** The stored tensor's shape, per example, broadcast against the input. */
  shape: readonly number[];
  left: boolean;
  /**
   * The stored tensor is read from a smaller table at constant indices (`table[index]`: Swin's relative
   * position bias, LeViT's attention biases): the layer holds the table of `table` values, and element k of
   * the operand (row-major in `shape`) is table[index[k]].
   */
  gather?: { table: number; index: readonly number[] };
  /**
   * The parameter's name in its module where it is `weight` or `bias` (an RMSNorm's scale, an Embedding
   * called on positions), which torchinfo 1.8 multiplies by its output's first axis: `torchRows` for an
   * Embedding read without a batch axis (Whisper's positions, T5's buckets; 0 for a read used again), else
   * the one example.
   */
  torchName?: 'weight' | 'bias';
  torchRows?: number;
}
/**
 * A stored tensor joined to the input along an axis: ViT's class token, `torch.cat([cls.expand(n, -1, -1), x], 1)`.
 * The tensor is a parameter, the same for every example.
 */
export interface ParamConcatConfig {
  kind: 'paramConcat';
  axis: number;
  /** The stored tensor's shape, per example; every axis but `axis` equals the input's. */
  shape: readonly number[];
  /** True when the stored tensor comes first. */
  left: boolean;
}
/**
 * An elementwise choice, where(cond, a, b) (the dynamo exporter's SDPA zeroes NaN rows so; GPT-2 masks
 * with it): each operand a graph input in order, or a constant, a scalar or a tensor (a causal mask).
 */
export interface SelectConfig {
  kind: 'select';
  cond?: { shape: number[]; values: number[] };
  a?: { shape: number[]; values: number[] };
  b?: { shape: number[]; values: number[] };
}
/** Broadcast to a shape (ONNX Expand of a computed tensor, per example): a repeat, no arithmetic. */
export interface ExpandConfig {
  kind: 'expand';
  shape: number[];
}
export interface UnaryConfig {
  kind: 'unary';
  op: UnaryOp;
}
/**
 * A constant tensor, the same for every example (a module applied to a fixed input: EdgeNeXt's positional
 * encoding projects a grid by a Conv). Its one input only carries the batch.
 */
export interface ConstantConfig {
  kind: 'constant';
  shape: number[];
  values: number[];
}
/** Random draws of its input's shape (torch.randn_like in a forward): no parameters, no multiply-adds. */
export interface RandomConfig {
  kind: 'random';
  distribution: 'normal' | 'uniform';
  /** normal: mean and standard deviation; uniform: low and high. */
  a: number;
  b: number;
}
export interface ReduceConfig {
  kind: 'reduce';
  op: ReduceOp;
  axes: readonly number[];
  keepDims: boolean;
}
/** A product of two activations (attention's QK^T and AV): no weights, but MACs, as the attention kinds count them. */
export interface MatMulConfig {
  kind: 'matmul';
}
/** Instance normalization over the spatial axes, per channel (channels last); affine adds scale and bias. */
export interface InstanceNormConfig {
  kind: 'instanceNorm';
  epsilon: number;
  affine: boolean;
}
/** Resizing the spatial axes to a size, as ONNX's Resize does (PyTorch's Upsample). */
export interface ResizeConfig {
  kind: 'resize';
  size: readonly number[];
  mode: 'nearest' | 'bilinear';
  /** ONNX coordinate_transformation_mode: half_pixel (PyTorch align_corners=False), align_corners, asymmetric. */
  coordinates: 'half_pixel' | 'align_corners' | 'asymmetric';
}
/** Every config this family defines. */
export type TensorFamily =
  | TransposeConfig
  | SplitConfig
  | SliceConfig
  | PadConfig
  | ClipConfig
  | BinaryConfig
  | ConstOpConfig
  | ParamOpConfig
  | ParamConcatConfig
  | UnaryConfig
  | RandomConfig
  | ConstantConfig
  | SelectConfig
  | ExpandConfig
  | ReduceConfig
  | MatMulConfig
  | InstanceNormConfig
  | ResizeConfig;

const axisOf = (name: string, kind: string, axis: number, rank: number): number => {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(name, kind, `axis ${axis} is out of range for rank ${rank}`);
  return a;
};

/** NumPy broadcasting of per-example shapes (trailing axes aligned). */
export function broadcast(name: string, kind: string, shapes: readonly Shape[]): number[] {
  // A reduce, not a spread: a node may have as many inputs as the file gives it.
  const rank = shapes.reduce((m, s) => Math.max(m, s.length), -Infinity);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x !== 1 && d !== 1 && x !== d) {
        fail(name, kind, `shapes [${shapes.map((t) => t.join('x')).join('], [')}] do not broadcast`);
      }
      if (x !== 1) d = x;
    }
    out.push(d);
  }
  return out;
}

const symbol: Record<BinaryOp, string> = { add: '+', sub: '-', mul: '*', div: '/', pow: '^', max: 'max', min: 'min' };
const build = (c: TensorFamily, ctx: Parameters<Kinds<TensorFamily>['pad']['tfjs']>[1]) =>
  ctx.use(new (ctx.custom(tensorOp))({ name: ctx.name, op: c }), ctx.inputs.length === 1 ? ctx.inputs[0]! : ctx.inputs);

const simple = { ...unweighted, keras: {}, custom: [tensorOp], tfjs: build, window: null };

export const tensorKinds: Kinds<TensorFamily> = {
  transpose: {
    title: 'Transpose',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (c.perm.length !== s.length || [...c.perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
        fail(name, c.kind, `perm [${c.perm.join(', ')}] is not a permutation of ${s.length} axes`);
      }
      return c.perm.map((p) => s[p]!);
    },
    describe: (c) => `[${c.perm.join(', ')}]`,
  },

  split: {
    title: 'Split',
    ...simple,
    outputShape: (c, inputs, name) => tensorKinds.split.outputShapes!(c, inputs, name)[0]!,
    outputShapes: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      const a = axisOf(name, c.kind, c.axis, s.length);
      checkPositive(name, c.kind, 'split size', c.sizes);
      if (c.sizes.reduce((x, y) => x + y, 0) !== s[a]) {
        fail(name, c.kind, `sizes [${c.sizes.join(', ')}] do not add up to axis ${c.axis}'s ${s[a]}`);
      }
      return c.sizes.map((n) => s.map((d, i) => (i === a ? n : d)));
    },
    describe: (c) => `axis ${c.axis} [${c.sizes.join(', ')}]`,
  },

  slice: {
    title: 'Slice',
    ...simple,
    outputShape: (c, inputs, name) => {
      const out = [...one(name, c.kind, inputs)];
      c.axes.forEach((axis, k) => {
        const a = axisOf(name, c.kind, axis, out.length);
        const [start, end, step] = [c.starts[k]!, c.ends[k]!, c.steps[k]!];
        if (step === 0) fail(name, c.kind, 'a step of 0');
        const n = step > 0 ? Math.ceil((end - start) / step) : Math.ceil((start - end) / -step);
        out[a] = Math.max(0, n);
        if (out[a] === 0) fail(name, c.kind, `axis ${axis} is sliced to nothing`);
      });
      return out;
    },
    describe: (c) =>
      c.axes.map((a, k) => `${a}:${c.starts[k]}:${c.ends[k]}${c.steps[k] === 1 ? '' : `:${c.steps[k]}`}`).join(' '),
  },

  pad: {
    title: 'Pad',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (c.pads.length !== s.length)
        fail(name, c.kind, `${c.pads.length} axes of padding for a rank-${s.length} input`);
      return s.map((d, i) => {
        const [b, a] = c.pads[i]!;
        if (!Number.isSafeInteger(b) || !Number.isSafeInteger(a)) fail(name, c.kind, 'padding must be integers');
        if (c.mode === 'reflect' && (b >= d || a >= d))
          fail(name, c.kind, `reflect padding ${b}, ${a} needs more than ${d} elements`);
        const n = d + b + a;
        if (n < 1) fail(name, c.kind, `axis ${i} is padded to ${n}`);
        return n;
      });
    },
    describe: (c) =>
      `${c.mode}${c.mode === 'constant' && c.value !== 0 ? ` ${c.value}` : ''} (${c.pads.map(([b, a]) => `${b},${a}`).join(' ')})`,
  },

  clip: {
    title: 'Clip',
    ...simple,
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    describe: (c) => `[${c.min}, ${c.max}]`,
  },

  binary: {
    title: 'Elementwise',
    titleOf: (c) => ({ add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', max: 'Max', min: 'Min' })[c.op],
    ...simple,
    outputShape: (c, inputs, name) => {
      if (inputs.length < 2) fail(name, c.kind, `expects 2 inputs, got ${inputs.length}`);
      return broadcast(name, c.kind, inputs);
    },
    describe: () => '',
  },

  constOp: {
    title: 'Elementwise',
    titleOf: (c) => ({ add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', max: 'Max', min: 'Min' })[c.op],
    ...simple,
    outputShape: (c, inputs, name) => broadcast(name, c.kind, [one(name, c.kind, inputs), c.shape]),
    describe: (c) => {
      const k = c.values.length === 1 ? `${c.values[0]}` : `const [${c.shape.join('x')}]`;
      return c.left ? `${k} ${symbol[c.op]} x` : `x ${symbol[c.op]} ${k}`;
    },
  },

  paramOp: {
    title: 'Elementwise',
    titleOf: (c) => ({ add: 'Add', sub: 'Sub', mul: 'Mul', div: 'Div', pow: 'Pow', max: 'Max', min: 'Min' })[c.op],
    ...simple,
    outputShape: (c, inputs, name) => broadcast(name, c.kind, [one(name, c.kind, inputs), c.shape]),
    // A stored tensor used in arithmetic is a parameter to PyTorch (nn.Parameter) and to the file.
    weights: (c) => [
      storedParam(
        c.op === 'add' || c.op === 'sub' ? bias : weight,
        c.gather ? [c.gather.table] : [...c.shape],
        c.torchName,
      ),
    ],
    torchinfoSteps: (_inputs, c) => c.torchRows ?? 1,
    // A second gather of one table (EfficientViT's heads each read their row) reads the owner's table.
    readsOwner: (c) => c.gather !== undefined,
    tfjs: (c, ctx) => {
      const layer = new (ctx.custom(tensorOp))({ name: ctx.name, op: c });
      if (c.gather && ctx.owner) layer.table = ctx.owner[0];
      return ctx.use(layer, ctx.inputs[0]!);
    },
    describe: (c) => {
      const p = c.gather ? `table[${c.gather.table}][index ${c.shape.join('x')}]` : `p[${c.shape.join('x')}]`;
      return c.left ? `${p} ${symbol[c.op]} x` : `x ${symbol[c.op]} ${p}`;
    },
    factors: null,
  },

  paramConcat: {
    title: 'Concatenate',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      const a = axisOf(name, c.kind, c.axis, s.length);
      if (c.shape.length !== s.length || s.some((d, i) => i !== a && d !== c.shape[i])) {
        fail(name, c.kind, `a stored [${c.shape.join('x')}] does not join [${s.join('x')}] along axis ${c.axis}`);
      }
      return s.map((d, i) => (i === a ? d + c.shape[a]! : d));
    },
    weights: (c) => [storedParam(weight, [...c.shape])],
    describe: (c) => (c.left ? `p[${c.shape.join('x')}] ++ x` : `x ++ p[${c.shape.join('x')}]`) + ` (axis ${c.axis})`,
    factors: null,
  },

  unary: {
    title: 'Elementwise',
    titleOf: (c) => c.op[0]!.toUpperCase() + c.op.slice(1),
    ...simple,
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    describe: () => '',
  },

  constant: {
    title: 'Constant',
    ...simple,
    outputShape: (c, inputs, name) => {
      one(name, c.kind, inputs);
      if (prod(c.shape) !== c.values.length)
        fail(name, c.kind, `holds ${c.values.length} values for [${c.shape.join('x')}]`);
      return [...c.shape];
    },
    describe: (c) => `[${c.shape.join('x')}]`,
  },

  random: {
    title: 'Random',
    titleOf: (c) => (c.distribution === 'normal' ? 'RandomNormal' : 'RandomUniform'),
    ...simple,
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    describe: (c) => (c.distribution === 'normal' ? `mean ${c.a}, std ${c.b}` : `[${c.a}, ${c.b})`),
  },

  expand: {
    title: 'Expand',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length > c.shape.length) fail(name, c.kind, `cannot expand [${s.join('x')}] to [${c.shape.join('x')}]`);
      return broadcast(name, c.kind, [s, c.shape]);
    },
    describe: (c) => `[${c.shape.join(', ')}]`,
  },

  select: {
    title: 'Where',
    ...simple,
    outputShape: (c, inputs, name) => {
      const given = [c.cond, c.a, c.b].filter((k) => k !== undefined).length;
      if (inputs.length + given !== 3) fail(name, c.kind, `expects 3 operands, got ${inputs.length + given}`);
      return broadcast(name, c.kind, [...inputs, ...[c.cond, c.a, c.b].flatMap((k) => (k ? [k.shape] : []))]);
    },
    describe: (c) =>
      (['cond', 'a', 'b'] as const)
        .map((k) => {
          const v = c[k];
          return v === undefined ? 'x' : v.values.length === 1 ? `${v.values[0]}` : `const [${v.shape.join('x')}]`;
        })
        .join(', '),
  },

  reduce: {
    title: 'Reduce',
    titleOf: (c) => `Reduce${c.op[0]!.toUpperCase()}${c.op.slice(1)}`,
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      const axes = c.axes.map((a) => axisOf(name, c.kind, a, s.length));
      const out = s.map((d, i) => (axes.includes(i) ? 1 : d));
      return c.keepDims ? out : out.filter((_, i) => !axes.includes(i));
    },
    describe: (c) => `axes [${c.axes.join(', ')}]${c.keepDims ? ' keepdims' : ''}`,
  },

  matmul: {
    title: 'MatMul',
    ...simple,
    outputShape: (c, inputs, name) => {
      if (inputs.length !== 2) fail(name, c.kind, `expects 2 inputs, got ${inputs.length}`);
      const [a, b] = inputs as [Shape, Shape];
      if (a.length < 2 || b.length < 2) fail(name, c.kind, 'needs inputs of rank 2 or more per example');
      if (a.at(-1) !== b.at(-2)) fail(name, c.kind, `inner dimensions ${a.at(-1)} and ${b.at(-2)} differ`);
      const batch = broadcast(name, c.kind, [a.slice(0, -2), b.slice(0, -2)]);
      return [...batch, a.at(-2)!, b.at(-1)!];
    },
    // Attention's QK^T and AV, counted as the attention kinds count them: output elements x the inner dimension.
    macs: (_c, inputs, out) => mul('MACs', prod(out), inputs[0]!.at(-1)!),
    describe: () => '',
  },

  instanceNorm: {
    torch: (_c, inputs) => `InstanceNorm${Math.max(1, (inputs[0]?.length ?? 2) - 1)}d`,
    title: 'InstanceNormalization',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length < 2) fail(name, c.kind, 'needs spatial axes and channels');
      return s;
    },
    weights: (c, inputs) => {
      const ch = inputs[0]!.at(-1)!;
      return c.affine ? [weight('scale', [ch]), bias('bias', [ch])] : [];
    },
    describe: (c) => (c.affine ? '' : 'no affine'),
    factors: (_c, info, convention) => otherFactors(info, convention),
  },

  resize: {
    title: 'Resize',
    ...simple,
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (c.size.length !== s.length - 1)
        fail(name, c.kind, `a size for ${c.size.length} axes, the input has ${s.length - 1}`);
      checkPositive(name, c.kind, 'size', c.size);
      return [...c.size, s.at(-1)!];
    },
    describe: (c) => `-> ${c.size.join('x')} ${c.mode}${c.mode === 'bilinear' ? ` ${c.coordinates}` : ''}`,
  },
};

// ---- TensorFlow.js: one custom layer computes every op of the family ----

/** A constant of the given shape for broadcasting against a batched tensor. */
const batched = (tf: Tf, shape: readonly number[], values: readonly number[]) =>
  tf.tensor(values.length === 1 && prod(shape) !== 1 ? Array(prod(shape)).fill(values[0]) : [...values], [1, ...shape]);

function binary(tf: Tf, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  switch (op) {
    case 'add':
      return tf.add(a, b);
    case 'sub':
      return tf.sub(a, b);
    case 'mul':
      return tf.mul(a, b);
    case 'div':
      return tf.div(a, b);
    case 'pow':
      return tf.pow(a, b);
    case 'max':
      return tf.maximum(a, b);
    case 'min':
      return tf.minimum(a, b);
  }
}

const UNARY: Record<UnaryOp, (tf: Tf, x: Tensor) => Tensor> = {
  erf: (tf, x) => tf.erf(x),
  sqrt: (tf, x) => tf.sqrt(x),
  exp: (tf, x) => tf.exp(x),
  log: (tf, x) => tf.log(x),
  neg: (tf, x) => tf.neg(x),
  abs: (tf, x) => tf.abs(x),
  reciprocal: (tf, x) => tf.reciprocal(x),
  floor: (tf, x) => tf.floor(x),
  ceil: (tf, x) => tf.ceil(x),
  sin: (tf, x) => tf.sin(x),
  cos: (tf, x) => tf.cos(x),
  identity: (_tf, x) => x.clone(),
  isNaN: (tf, x) => tf.isNaN(x),
};

/** Right-aligns a per-example shape to a batched tensor's rank (NumPy broadcasting adds leading 1s). */
const aligned = (shape: readonly number[], rank: number): number[] => [
  ...Array(rank - 1 - shape.length).fill(1),
  ...shape,
];

/** The kind's own output shapes, batched, for the layer's computeOutputShape. */
function shapesOf(op: TensorFamily, input: TF.Shape | TF.Shape[], name: string): TF.Shape | TF.Shape[] {
  const ins = (Array.isArray(input[0]) ? (input as TF.Shape[]) : [input as TF.Shape]).map(
    (s) => perExample(s) as Shape,
  );
  const spec = tensorKinds[op.kind] as unknown as { outputShapes?: Function; outputShape: Function };
  const outs: Shape[] = spec.outputShapes ? spec.outputShapes(op, ins, name) : [spec.outputShape(op, ins, name)];
  const withBatch = outs.map((s) => [null, ...s]);
  return withBatch.length === 1 ? withBatch[0]! : withBatch;
}

export interface TensorOpArgs extends LayerArgs {
  op: TensorFamily;
}

/** Every tensor operator of the family, executed with tfjs-core ops; weights for paramOp, paramConcat and instanceNorm. */
export function tensorOp(tf: Tf): LayerClass<TensorOpArgs, TfLayer & { table?: TfLayer }> {
  return class TensorOp extends customBase(tf)<TensorOpArgs> {
    static className = 'TensorOp';
    private w: TF.LayerVariable[] = [];
    /** A gathered paramOp that shares its owner's table: the owner's layer (set by the build, not an argument). */
    table?: TfLayer;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const op = this.args.op;
      if (this.table) {
        // The table is the owner's: this layer holds nothing.
      } else if (op.kind === 'paramConcat') {
        this.w = [this.weight('value', [...op.shape], 'zeros')];
      } else if (op.kind === 'paramOp') {
        // The identity of the operation: ones for a product or a power, zeros for a sum.
        const start = op.op === 'mul' || op.op === 'div' || op.op === 'pow' ? 'ones' : 'zeros';
        this.w = [this.weight('value', op.gather ? [op.gather.table] : [...op.shape], start)];
      } else if (op.kind === 'instanceNorm' && op.affine) {
        const ch = singleShape(inputShape).at(-1)!;
        this.w = [this.weight('scale', [ch], 'ones'), this.weight('bias', [ch], 'zeros')];
      }
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape | TF.Shape[] {
      return shapesOf(this.args.op, inputShape, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor | Tensor[] {
      return tf.tidy(() => this.run(Array.isArray(inputs) ? inputs : [inputs]));
    }

    private run(xs: Tensor[]): Tensor | Tensor[] {
      const op = this.args.op;
      const x = xs[0]!;
      switch (op.kind) {
        case 'transpose':
          return tf.transpose(x, [0, ...op.perm.map((p) => p + 1)]);
        case 'split':
          return tf.split(x, [...op.sizes], op.axis < 0 ? op.axis : op.axis + 1);
        case 'slice': {
          const begin = Array(x.rank).fill(0);
          const end = [...x.shape];
          const strides = Array(x.rank).fill(1);
          let endMask = 0;
          op.axes.forEach((a, k) => {
            const axis = (a < 0 ? a + x.rank - 1 : a) + 1;
            begin[axis] = op.starts[k]!;
            end[axis] = op.ends[k]!;
            strides[axis] = op.steps[k]!;
            // A backward slice through index 0 (x.flip(-1)) ends before it, at -1, which tfjs would read as
            // the last index: the mask runs it to the start.
            if (op.steps[k]! < 0 && op.ends[k]! < 0) endMask |= 1 << axis;
          });
          return tf.stridedSlice(x, begin, end, strides, 0, endMask);
        }
        case 'pad': {
          const pads: Array<[number, number]> = [[0, 0], ...op.pads.map(([b, a]) => [b, a] as [number, number])];
          if (op.mode === 'constant') {
            // Negative pads crop, as ONNX allows.
            const crop = pads.map(([b, a]): [number, number] => [Math.max(0, -b), Math.max(0, -a)]);
            const cropped = crop.some(([b, a]) => b || a)
              ? tf.slice(
                  x,
                  crop.map(([b]) => b),
                  x.shape.map((d, i) => d - crop[i]![0] - crop[i]![1]),
                )
              : x;
            return tf.pad(
              cropped,
              pads.map(([b, a]) => [Math.max(0, b), Math.max(0, a)]),
              op.value,
            );
          }
          if (op.mode === 'reflect') return tf.mirrorPad(x, pads, 'reflect');
          // edge: repeat the border element, axis by axis.
          let y = x;
          pads.forEach(([b, a], axis) => {
            const parts: Tensor[] = [];
            if (b > 0)
              parts.push(
                tf.concat(
                  Array(b).fill(
                    tf.slice(
                      y,
                      Array(y.rank).fill(0),
                      y.shape.map((d, i) => (i === axis ? 1 : d)),
                    ),
                  ),
                  axis,
                ),
              );
            parts.push(y);
            if (a > 0) {
              const last = y.shape.map((d, i) => (i === axis ? d - 1 : 0));
              parts.push(
                tf.concat(
                  Array(a).fill(
                    tf.slice(
                      y,
                      last,
                      y.shape.map((d, i) => (i === axis ? 1 : d)),
                    ),
                  ),
                  axis,
                ),
              );
            }
            y = parts.length === 1 ? y : tf.concat(parts, axis);
          });
          return y;
        }
        case 'clip':
          return tf.clipByValue(x, op.min, op.max);
        case 'expand':
          return tf.broadcastTo(x, [x.shape[0]!, ...op.shape]);
        case 'select': {
          const rank = Math.max(
            ...xs.map((t) => t.rank),
            ...[op.cond, op.a, op.b].map((k) => (k ? k.shape.length + 1 : 0)),
          );
          let next = 0;
          const [cond, a, b] = [op.cond, op.a, op.b].map((k) => {
            const t = k ? batched(tf, k.shape, k.values) : xs[next++]!;
            return t.rank === rank ? t : t.reshape([t.shape[0]!, ...aligned(t.shape.slice(1), rank)]);
          });
          const shape = [
            x.shape[0]!,
            ...broadcast(
              this.name,
              'select',
              [cond!, a!, b!].map((t) => t.shape.slice(1)),
            ),
          ];
          const [cb, ab, bb] = [cond!, a!, b!].map((t) => tf.broadcastTo(t, shape));
          return tf.where(tf.cast(cb!, 'bool'), ab!, bb!);
        }
        case 'binary': {
          // NumPy broadcasting aligns trailing axes: a lower-rank input gains leading 1s after its batch.
          const rank = xs.reduce((m, t) => Math.max(m, t.rank), -Infinity);
          const [a, b] = xs.map((t) =>
            t.rank === rank ? t : t.reshape([t.shape[0], ...aligned(t.shape.slice(1), rank)]),
          );
          return binary(tf, op.op, a!, b!);
        }
        case 'constOp': {
          const k = batched(tf, aligned(op.shape, x.rank), op.values);
          return op.left ? binary(tf, op.op, k, x) : binary(tf, op.op, x, k);
        }
        case 'paramOp': {
          const w = (this.table ? this.table.weights[0]! : this.w[0]!).read();
          const stored = op.gather ? tf.gather(w, tf.tensor1d([...op.gather.index], 'int32')) : w;
          const p = stored.reshape([1, ...aligned(op.shape, x.rank)]);
          return op.left ? binary(tf, op.op, p, x) : binary(tf, op.op, x, p);
        }
        case 'paramConcat': {
          const p = tf.tile(this.w[0]!.read().expandDims(0), [x.shape[0], ...op.shape.map(() => 1)]);
          const axis = (op.axis < 0 ? op.axis + x.rank - 1 : op.axis) + 1;
          return tf.concat(op.left ? [p, x] : [x, p], axis);
        }
        case 'unary':
          return UNARY[op.op](tf, x);
        case 'constant':
          return tf.tile(batched(tf, op.shape, op.values), [x.shape[0]!, ...op.shape.map(() => 1)]);
        case 'random':
          return op.distribution === 'normal'
            ? tf.randomNormal(x.shape, op.a, op.b)
            : tf.randomUniform(x.shape, op.a, op.b);
        case 'reduce': {
          const axes = op.axes.map((a) => (a < 0 ? a + x.rank - 1 : a) + 1);
          if (op.op === 'l2') return tf.sqrt(tf.sum(tf.square(x), axes, op.keepDims));
          return tf[op.op](x, axes, op.keepDims);
        }
        case 'matmul': {
          const [a, b] = [xs[0]!, xs[1]!];
          if (a.rank === 3 && b.rank === 3) return tf.matMul(a, b);
          // Leading axes broadcast, then folded into one batch (tfjs' cpu and wasm einsum take no ellipsis).
          const lead = broadcast(this.name, 'matmul', [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
          const [i, j, k] = [a.shape.at(-2)!, a.shape.at(-1)!, b.shape.at(-1)!];
          const a3 = tf.reshape(tf.broadcastTo(a, [...lead, i, j]), [-1, i, j]);
          const b3 = tf.reshape(tf.broadcastTo(b, [...lead, j, k]), [-1, j, k]);
          return tf.reshape(tf.matMul(a3, b3), [...lead, i, k]);
        }
        case 'instanceNorm': {
          const spatial = Array.from({ length: x.rank - 2 }, (_, i) => i + 1);
          const { mean, variance } = tf.moments(x, spatial, true);
          let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, op.epsilon)));
          if (op.affine) y = tf.add(tf.mul(y, this.w[0]!.read()), this.w[1]!.read());
          return y;
        }
        case 'resize': {
          const size = [op.size[0]!, op.size[1]!] as [number, number];
          if (x.rank !== 4) throw new Error(`Resize: ${x.rank - 2}-D resizing is not built in TensorFlow.js`);
          return op.mode === 'nearest'
            ? tf.image.resizeNearestNeighbor(
                x as TF.Tensor4D,
                size,
                op.coordinates === 'align_corners',
                op.coordinates === 'half_pixel',
              )
            : tf.image.resizeBilinear(
                x as TF.Tensor4D,
                size,
                op.coordinates === 'align_corners',
                op.coordinates === 'half_pixel',
              );
        }
      }
    }
  };
}
