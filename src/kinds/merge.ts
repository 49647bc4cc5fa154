/**
 * Merges: elementwise Add, Subtract, Multiply, Average, Maximum and Minimum (with Keras' broadcasting:
 * EfficientNet's squeeze-excite multiplies [H, W, C] by [1, 1, C]), Concatenate, Dot, and
 * InceptionResNetV2's CustomScaleLayer (x + scale * r). No weights, no weight MACs: the merges multiply
 * activations by activations, never by weights.
 */
import type * as TF from '@tensorflow/tfjs';
import { mul } from '../exact.js';
import { fail, unweighted, type Kinds, type LayerClass, type Shape, type Tf } from './spec.js';
import { broadcast } from './tensor.js';
import { customBase, tensorsOf } from '../tfjs/base.js';
import type { LayerArgs } from '../tfjs/args.js';

export interface MergeConfig {
  kind: 'add' | 'multiply' | 'subtract' | 'average' | 'maximum' | 'minimum';
}
/** `axis` counts per-example dimensions (0 = height); negative counts from the end, -1 = channels. */
export interface ConcatConfig {
  kind: 'concat';
  axis: number;
}
/**
 * Keras' Dot: the batched dot product of two inputs along one axis of each (per-example dimensions, 0 = the
 * first after the batch; negative from the end), after L2-normalising both along it with `normalize`.
 */
export interface DotConfig {
  kind: 'dot';
  axes: readonly [number, number];
  normalize: boolean;
}
/** InceptionResNetV2's CustomScaleLayer: inputs[0] + inputs[1] * scale. */
export interface CustomScaleConfig {
  kind: 'customScale';
  scale: number;
}
/** Every config this family defines. */
export type MergeFamily = MergeConfig | ConcatConfig | DotConfig | CustomScaleConfig;

export const add: MergeConfig = { kind: 'add' };

const shapesText = (inputs: readonly Shape[]): string => `[${inputs.map((x) => x.join('x')).join('], [')}]`;

function elementwiseShape(name: string, kind: string, inputs: Shape[], exactly?: number): Shape {
  if (exactly !== undefined && inputs.length !== exactly)
    fail(name, kind, `expects ${exactly} inputs, got ${inputs.length}`);
  if (inputs.length < 2) fail(name, kind, `expects at least 2 inputs, got ${inputs.length}`);
  return broadcast(name, kind, inputs);
}

/** Per-example axis `a` resolved for a rank; refuses one outside it. */
function axisOf(name: string, kind: string, a: number, rank: number): number {
  const r = a < 0 ? rank + a : a;
  if (r < 0 || r >= rank) fail(name, kind, `axis ${a} is out of range for a rank-${rank} input (per example)`);
  return r;
}

const tfjsMerge = {
  add: 'add',
  multiply: 'multiply',
  average: 'average',
  maximum: 'maximum',
  minimum: 'minimum',
} as const;

const elementwise = (title: string, kind: MergeConfig['kind']): Kinds<MergeConfig>['add'] => ({
  title,
  outputShape: (c, inputs, name) => elementwiseShape(name, c.kind, inputs, c.kind === 'subtract' ? 2 : undefined),
  ...unweighted,
  describe: () => '',
  keras: { [title]: () => ({ kind }) },
  // tfjs-layers' merge layers broadcast as Keras' do; it has no Subtract.
  custom: kind === 'subtract' ? [subtractLayer] : [],
  tfjs: (c, ctx) =>
    c.kind === 'subtract'
      ? ctx.use(new (ctx.custom(subtractLayer))({ name: ctx.name }), ctx.inputs)
      : ctx.use(ctx.tf.layers[tfjsMerge[c.kind]]({ name: ctx.name }), ctx.inputs),
  window: null,
});

/** Keras' Dot output: the first input without its axis, then the second without its axis; [1] if nothing is left. */
function dotShape(c: DotConfig, inputs: Shape[], name: string): Shape {
  if (inputs.length !== 2) fail(name, c.kind, `expects 2 inputs, got ${inputs.length}`);
  const [x, y] = inputs as [Shape, Shape];
  const a0 = axisOf(name, c.kind, c.axes[0], x.length);
  const a1 = axisOf(name, c.kind, c.axes[1], y.length);
  if (x[a0] !== y[a1]) {
    fail(
      name,
      c.kind,
      `axis ${c.axes[0]} of [${x.join('x')}] (${x[a0]}) differs from axis ${c.axes[1]} of [${y.join('x')}] (${y[a1]})`,
    );
  }
  const out = [...x.filter((_, i) => i !== a0), ...y.filter((_, i) => i !== a1)];
  return out.length ? out : [1];
}

export const mergeKinds: Kinds<MergeFamily> = {
  add: elementwise('Add', 'add'),
  multiply: elementwise('Multiply', 'multiply'),
  subtract: elementwise('Subtract', 'subtract'),
  average: elementwise('Average', 'average'),
  maximum: elementwise('Maximum', 'maximum'),
  minimum: elementwise('Minimum', 'minimum'),

  concat: {
    title: 'Concatenate',
    outputShape: (c, inputs, name) => {
      if (inputs.length < 2) fail(name, c.kind, `expects at least 2 inputs, got ${inputs.length}`);
      const rank = inputs[0]!.length;
      const axis = c.axis < 0 ? rank + c.axis : c.axis;
      if (axis < 0 || axis >= rank) fail(name, c.kind, `axis ${c.axis} is out of range for rank ${rank}`);
      const out = [...inputs[0]!];
      for (const s of inputs.slice(1)) {
        if (s.length !== rank || s.some((d, i) => i !== axis && d !== out[i])) {
          fail(name, c.kind, `input shapes ${shapesText(inputs)} differ outside axis ${c.axis}`);
        }
        out[axis] = out[axis]! + s[axis]!;
      }
      return out;
    },
    ...unweighted,
    describe: (c) => (c.axis === -1 ? '' : `axis ${c.axis}`),
    keras: {
      Concatenate: (r) => {
        // Keras counts the batch as axis 0; the graph's axes are per example.
        const axis = r.int('axis', -1, -8);
        if (axis === 0) r.fail('axis', '0 (the batch axis) is not supported');
        return { kind: 'concat', axis: axis > 0 ? axis - 1 : axis };
      },
    },
    // tfjs counts the batch as axis 0.
    tfjs: (c, ctx) =>
      ctx.use(ctx.tf.layers.concatenate({ name: ctx.name, axis: c.axis < 0 ? c.axis : c.axis + 1 }), ctx.inputs),
    window: null,
  },

  dot: {
    title: 'Dot',
    outputShape: dotShape,
    // Activations times activations: no weights, and no weight MACs.
    ...unweighted,
    describe: (c) => `axes ${c.axes.join(',')}${c.normalize ? ' normalized' : ''}`,
    keras: {
      Dot: (r) => {
        const v = r.raw('axes');
        const list = typeof v === 'number' ? [v, v] : v;
        if (
          !Array.isArray(list) ||
          list.length !== 2 ||
          list.some((a) => typeof a !== 'number' || !Number.isSafeInteger(a))
        ) {
          r.fail('axes', `must be an integer or a pair of them, got ${JSON.stringify(v)}`);
        }
        // Keras counts the batch as axis 0; negative axes count from the end, which is the same per example.
        const axes = (list as number[]).map((a) => {
          if (a === 0) r.fail('axes', '0 (the batch axis) is not supported');
          return a > 0 ? a - 1 : a;
        });
        return { kind: 'dot', axes: [axes[0]!, axes[1]!], normalize: r.bool('normalize', false) };
      },
    },
    custom: [kerasDotLayer],
    tfjs: (c, ctx) => {
      const [x, y] = ctx.info.inputShapes as [Shape, Shape];
      // tfjs-layers' Dot takes inputs of rank 3 or less (with the batch); larger ones run as KerasDot.
      if (x.length <= 2 && y.length <= 2) {
        const axes = [
          axisOf(ctx.name, c.kind, c.axes[0], x.length) + 1,
          axisOf(ctx.name, c.kind, c.axes[1], y.length) + 1,
        ];
        return ctx.use(
          ctx.tf.layers.dot({ name: ctx.name, axes: axes as [number, number], normalize: c.normalize }),
          ctx.inputs,
        );
      }
      return ctx.use(
        new (ctx.custom(kerasDotLayer))({ name: ctx.name, axes: [...c.axes], normalize: c.normalize }),
        ctx.inputs,
      );
    },
    window: null,
  },

  customScale: {
    title: 'CustomScaleLayer',
    outputShape: (c, inputs, name) => elementwiseShape(name, c.kind, inputs, 2),
    // A fixed scale, not a weight: Keras counts 0 parameters.
    ...unweighted,
    describe: (c) => `x${c.scale}`,
    keras: { CustomScaleLayer: (r) => ({ kind: 'customScale', scale: r.num('scale') }) },
    custom: [customScaleLayer],
    tfjs: (c, ctx) => ctx.use(new (ctx.custom(customScaleLayer))({ name: ctx.name, scale: c.scale }), ctx.inputs),
    window: null,
  },
};

/** Keras' Subtract: inputs[0] - inputs[1], broadcast. */
export function subtractLayer(tf: Tf): LayerClass<{ name?: string }> {
  return class Subtract extends customBase(tf)<LayerArgs> {
    static className = 'Subtract';

    override censusShape(inputs: Shape[]): Shape {
      return mergeKinds.subtract.outputShape({ kind: 'subtract' }, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const [x, y] = tensorsOf(inputs) as [TF.Tensor, TF.Tensor];
      const rank = Math.max(x.rank, y.rank);
      return tf.tidy(() => tf.sub(expandTo(tf, x, rank), expandTo(tf, y, rank)));
    }
  };
}

/** Keras expands a lower-rank merge input at axis 1 (after the batch) until the ranks agree. */
function expandTo(tf: Tf, x: TF.Tensor, rank: number): TF.Tensor {
  let y = x;
  while (y.rank < rank) y = tf.expandDims(y, 1);
  return y;
}

/** InceptionResNetV2's CustomScaleLayer: inputs[0] + inputs[1] * scale. */
export function customScaleLayer(tf: Tf): LayerClass<{ name?: string; scale: number }> {
  return class CustomScaleLayer extends customBase(tf)<{ name?: string; scale: number }> {
    static className = 'CustomScaleLayer';

    override censusShape(inputs: Shape[]): Shape {
      const config: CustomScaleConfig = { kind: 'customScale', scale: this.args.scale };
      return mergeKinds.customScale.outputShape(config, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      const [x, r] = tensorsOf(inputs) as [TF.Tensor, TF.Tensor];
      const rank = Math.max(x.rank, r.rank);
      return tf.tidy(() => tf.add(expandTo(tf, x, rank), tf.mul(expandTo(tf, r, rank), this.args.scale)));
    }
  };
}

interface KerasDotArgs {
  name?: string;
  axes: number[];
  normalize: boolean;
}

/**
 * Keras' batch_dot for inputs of any rank: the first input's axis moved last and its other axes folded,
 * the second's moved first and its others folded, one batched matmul, then unfolded.
 */
export function kerasDotLayer(tf: Tf): LayerClass<KerasDotArgs> {
  return class KerasDot extends customBase(tf)<KerasDotArgs> {
    static className = 'KerasDot';

    private config(): DotConfig {
      return { kind: 'dot', axes: [this.args.axes[0]!, this.args.axes[1]!], normalize: this.args.normalize };
    }

    override censusShape(inputs: Shape[]): Shape {
      return dotShape(this.config(), inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        let [x, y] = tensorsOf(inputs) as [TF.Tensor, TF.Tensor];
        const b = x.shape[0];
        const a0 = axisOf(this.name, 'dot', this.args.axes[0]!, x.rank - 1) + 1;
        const a1 = axisOf(this.name, 'dot', this.args.axes[1]!, y.rank - 1) + 1;
        if (this.args.normalize) {
          x = tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), a0, true), 1e-12)));
          y = tf.div(y, tf.sqrt(tf.maximum(tf.sum(tf.square(y), a1, true), 1e-12)));
        }
        const xRest = x.shape.filter((_, i) => i !== 0 && i !== a0);
        const yRest = y.shape.filter((_, i) => i !== 0 && i !== a1);
        const xt = tf.transpose(x, [0, ...xRest.map((_, i) => (i + 1 < a0 ? i + 1 : i + 2)), a0]);
        const yt = tf.transpose(y, [0, a1, ...yRest.map((_, i) => (i + 1 < a1 ? i + 1 : i + 2))]);
        const d = x.shape[a0]!;
        const m = tf.matMul(
          tf.reshape(xt, [b, mul('size', 1, ...xRest), d]) as TF.Tensor3D,
          tf.reshape(yt, [b, d, mul('size', 1, ...yRest)]) as TF.Tensor3D,
        );
        const out = [...xRest, ...yRest];
        return tf.reshape(m, [b, ...(out.length ? out : [1])]);
      });
    }
  };
}
