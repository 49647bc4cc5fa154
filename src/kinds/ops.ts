/**
 * Keras 3 operations written into a model's config as pseudo-layers (`"module": "keras.src.ops.numpy"`):
 * MobileNetV3's `x + 3.0` and `x * (1 / 6)`, ConvNeXt's residual `x + shortcut`, the `NotEqual` and `Any`
 * a mask puts there. The importer looks them up as `ops.ClassName` and passes only their tensor arguments
 * (a scalar operand is dropped, so a binary op with one input has a constant operand the census does not
 * know). No weights, no MACs. They run as one small custom tfjs layer of tfjs-core ops; every output is
 * float32 (a comparison's true is 1), as the census counts elements, not their type.
 */
import type * as TF from '@tensorflow/tfjs';
import { kerasAxes, resolveAxes } from './activation.js';
import { broadcast } from './tensor.js';
import { fail, unweighted, type ConfigReader, type Kinds, type LayerClass, type Shape, type Tf } from './spec.js';
import { customBase, tensorsOf } from '../tfjs/base.js';

/** Binary elementwise ops, by Keras' class name: [netcensus' name, the symbol tables show]. */
const BINARY = {
  Add: ['add', '+'],
  Subtract: ['subtract', '-'],
  Multiply: ['multiply', '*'],
  Divide: ['divide', '/'],
  TrueDivide: ['divide', '/'],
  FloorDivide: ['floor_divide', '//'],
  Mod: ['mod', '%'],
  Power: ['power', '**'],
  Maximum: ['maximum', 'max'],
  Minimum: ['minimum', 'min'],
  Equal: ['equal', '=='],
  NotEqual: ['not_equal', '!='],
  Greater: ['greater', '>'],
  GreaterEqual: ['greater_equal', '>='],
  Less: ['less', '<'],
  LessEqual: ['less_equal', '<='],
  LogicalAnd: ['logical_and', 'and'],
  LogicalOr: ['logical_or', 'or'],
} as const;
/** Unary elementwise ops, by Keras' class name. */
const UNARY = {
  Absolute: 'abs',
  Abs: 'abs',
  Negative: 'negative',
  Square: 'square',
  Sqrt: 'sqrt',
  Exp: 'exp',
  Log: 'log',
  Sign: 'sign',
  Floor: 'floor',
  Ceil: 'ceil',
  Round: 'round',
  Reciprocal: 'reciprocal',
  LogicalNot: 'logical_not',
} as const;
/** Reductions over axes, by Keras' class name. */
const REDUCE = { Any: 'any', All: 'all', Sum: 'sum', Mean: 'mean', Max: 'max', Min: 'min', Prod: 'prod' } as const;

export type BinaryOp = (typeof BINARY)[keyof typeof BINARY][0];
export type UnaryOp = (typeof UNARY)[keyof typeof UNARY];
export type ReduceOp = (typeof REDUCE)[keyof typeof REDUCE];

/**
 * An elementwise op: a unary one on its input; a binary one on two inputs (broadcast as NumPy does) or on
 * one input and a constant (the operand Keras wrote as a number, which the importer drops).
 */
export interface OpConfig {
  kind: 'kerasOp';
  op: BinaryOp | UnaryOp;
  /** Keras' class name, for tables (`ops.Add`). */
  cls: string;
}
/** A reduction over `axis` (per example, 0 = the first after the batch, negative from the end). */
export interface ReduceConfig {
  kind: 'kerasReduce';
  op: ReduceOp;
  cls: string;
  axis: number[];
  keepdims: boolean;
}
/** Every config this family defines. */
export type OpsFamily = OpConfig | ReduceConfig;

const isUnary = (op: OpConfig['op']): op is UnaryOp => (Object.values(UNARY) as string[]).includes(op);
const symbolOf = (op: OpConfig['op']): string => Object.values(BINARY).find(([name]) => name === op)?.[1] ?? op;

function opShape(c: OpConfig, inputs: Shape[], name: string): Shape {
  const unary = isUnary(c.op);
  if (inputs.length < 1 || inputs.length > (unary ? 1 : 2))
    fail(name, c.kind, `${c.cls} takes ${unary ? '1 tensor' : '1 or 2 tensors'}, got ${inputs.length}`);
  if (inputs.length === 1) return inputs[0]!;
  // NumPy broadcasts whole tensors, batch included: inputs of different ranks would align the batch with
  // another axis.
  if (inputs[0]!.length !== inputs[1]!.length)
    fail(
      name,
      c.kind,
      `inputs of ranks ${inputs[0]!.length} and ${inputs[1]!.length} (per example) would broadcast against the batch axis`,
    );
  return broadcast(name, c.kind, inputs);
}

function reduceShape(c: ReduceConfig, inputs: Shape[], name: string): Shape {
  if (inputs.length !== 1) fail(name, c.kind, `expects 1 input, got ${inputs.length}`);
  const s = inputs[0]!;
  const axes = new Set(resolveAxes(name, c.kind, c.axis, s.length));
  return c.keepdims ? s.map((d, i) => (axes.has(i) ? 1 : d)) : s.filter((_, i) => !axes.has(i));
}

function readReduce(op: ReduceOp, cls: string) {
  return (r: ConfigReader): ReduceConfig => {
    if (r.raw('axis') === null || r.raw('axis') === undefined)
      r.fail('axis', 'None (every axis, the batch included) is not supported');
    return { kind: 'kerasReduce', op, cls, axis: kerasAxes(r, 'axis'), keepdims: r.bool('keepdims', false) };
  };
}

export const opsKinds: Kinds<OpsFamily> = {
  kerasOp: {
    title: 'ops',
    titleOf: (c) => `ops.${c.cls}`,
    outputShape: opShape,
    ...unweighted,
    describe: (c) => symbolOf(c.op),
    keras: Object.fromEntries([
      ...Object.entries(BINARY).map(([cls, [op]]) => [`ops.${cls}`, (): OpConfig => ({ kind: 'kerasOp', op, cls })]),
      ...Object.entries(UNARY).map(([cls, op]) => [`ops.${cls}`, (): OpConfig => ({ kind: 'kerasOp', op, cls })]),
    ]),
    custom: [kerasOpLayer],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(kerasOpLayer))({ name: ctx.name, op: c.op, cls: c.cls }), ctx.inputs),
    window: null,
  },

  kerasReduce: {
    title: 'ops',
    titleOf: (c) => `ops.${c.cls}`,
    outputShape: reduceShape,
    ...unweighted,
    describe: (c) => `${c.op} axis ${c.axis.join(',')}${c.keepdims ? ' keepdims' : ''}`,
    keras: Object.fromEntries(Object.entries(REDUCE).map(([cls, op]) => [`ops.${cls}`, readReduce(op, cls)])),
    custom: [kerasOpLayer],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(kerasOpLayer))({ name: ctx.name, op: c.op, cls: c.cls, axis: c.axis, keepdims: c.keepdims }),
        ctx.inputs,
      ),
    window: null,
  },
};

interface KerasOpArgs {
  name?: string;
  op: OpConfig['op'] | ReduceOp;
  cls: string;
  axis?: number[];
  keepdims?: boolean;
}

/** The constant a binary op runs with where the config's scalar operand was dropped: the shape does not depend on it. */
const CONSTANT: Record<BinaryOp, number> = {
  add: 0,
  subtract: 0,
  multiply: 1,
  divide: 1,
  floor_divide: 1,
  mod: 1,
  power: 1,
  maximum: 0,
  minimum: 0,
  equal: 0,
  not_equal: 0,
  greater: 0,
  greater_equal: 0,
  less: 0,
  less_equal: 0,
  logical_and: 1,
  logical_or: 0,
};

/** One Keras op as tfjs-core ops; shapes by the kinds' own rules. */
export function kerasOpLayer(tf: Tf): LayerClass<KerasOpArgs> {
  const bool = (x: TF.Tensor): TF.Tensor => tf.cast(x, 'bool');
  const binary: Record<BinaryOp, (a: TF.Tensor, b: TF.Tensor) => TF.Tensor> = {
    add: (a, b) => tf.add(a, b),
    subtract: (a, b) => tf.sub(a, b),
    multiply: (a, b) => tf.mul(a, b),
    divide: (a, b) => tf.div(a, b),
    floor_divide: (a, b) => tf.floorDiv(a, b),
    mod: (a, b) => tf.mod(a, b),
    power: (a, b) => tf.pow(a, b),
    maximum: (a, b) => tf.maximum(a, b),
    minimum: (a, b) => tf.minimum(a, b),
    equal: (a, b) => tf.equal(a, b),
    not_equal: (a, b) => tf.notEqual(a, b),
    greater: (a, b) => tf.greater(a, b),
    greater_equal: (a, b) => tf.greaterEqual(a, b),
    less: (a, b) => tf.less(a, b),
    less_equal: (a, b) => tf.lessEqual(a, b),
    logical_and: (a, b) => tf.logicalAnd(bool(a), bool(b)),
    logical_or: (a, b) => tf.logicalOr(bool(a), bool(b)),
  };
  const unary: Record<UnaryOp, (x: TF.Tensor) => TF.Tensor> = {
    abs: (x) => tf.abs(x),
    negative: (x) => tf.neg(x),
    square: (x) => tf.square(x),
    sqrt: (x) => tf.sqrt(x),
    exp: (x) => tf.exp(x),
    log: (x) => tf.log(x),
    sign: (x) => tf.sign(x),
    floor: (x) => tf.floor(x),
    ceil: (x) => tf.ceil(x),
    round: (x) => tf.round(x),
    reciprocal: (x) => tf.reciprocal(x),
    logical_not: (x) => tf.logicalNot(bool(x)),
  };
  const reduce: Record<ReduceOp, (x: TF.Tensor, axes: number[], keep: boolean) => TF.Tensor> = {
    any: (x, a, k) => tf.any(bool(x), a, k),
    all: (x, a, k) => tf.all(bool(x), a, k),
    sum: (x, a, k) => tf.sum(x, a, k),
    mean: (x, a, k) => tf.mean(x, a, k),
    max: (x, a, k) => tf.max(x, a, k),
    min: (x, a, k) => tf.min(x, a, k),
    prod: (x, a, k) => tf.prod(x, a, k),
  };

  return class KerasOp extends customBase(tf)<KerasOpArgs> {
    static className = 'KerasOp';

    private shape(inputs: Shape[]): Shape {
      const a = this.args;
      return a.axis !== undefined
        ? reduceShape(
            { kind: 'kerasReduce', op: a.op as ReduceOp, cls: a.cls, axis: a.axis, keepdims: !!a.keepdims },
            inputs,
            this.name,
          )
        : opShape({ kind: 'kerasOp', op: a.op as OpConfig['op'], cls: a.cls }, inputs, this.name);
    }

    override censusShape(inputs: Shape[]): Shape {
      return this.shape(inputs);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const xs = tensorsOf(inputs);
        const a = this.args;
        let y: TF.Tensor;
        if (a.axis !== undefined) {
          const axes = resolveAxes(this.name, 'kerasReduce', a.axis, xs[0]!.rank - 1).map((i) => i + 1);
          y = reduce[a.op as ReduceOp](xs[0]!, axes, !!a.keepdims);
        } else if (isUnary(a.op as OpConfig['op'])) y = unary[a.op as UnaryOp](xs[0]!);
        else {
          const op = a.op as BinaryOp;
          y = binary[op](xs[0]!, xs[1] ?? tf.scalar(CONSTANT[op]));
        }
        return tf.cast(y, 'float32');
      });
    }
  };
}
