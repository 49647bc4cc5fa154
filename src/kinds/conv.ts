/**
 * Convolutions: conv2d (grouped and dilated), depthwiseConv2d and separableConv2d. A grouped conv runs as
 * a registered custom tfjs layer (tfjs-layers has no `groups`), with compact weights so that
 * countParams() equals the grouped count.
 */
import type * as TF from '@tensorflow/tfjs';
import { NetcensusError } from '../errors.js';
import { mul } from '../exact.js';
import {
  activationOp,
  fused,
  fusedAfter,
  fusedInside,
  fusedShape,
  tfjsActivation,
  type ActivationFn,
} from './activation.js';
import {
  bias,
  checkPositive,
  fail,
  fusedText,
  otherFactors,
  spatialInput,
  weight,
  type BuildCtx,
  type ConfigReader,
  type Kinds,
  type LayerInfo,
  type Pair,
  type Shape,
  type LayerClass,
  type Tf,
} from './spec.js';
import {
  axisPadsOf,
  equalPads,
  isZeroPads,
  padText,
  samePadsND,
  sizeText,
  slide,
  toAxisPadding,
  windowSpec,
  type Padding,
} from './window.js';

export interface Conv2dConfig {
  kind: 'conv2d';
  filters: number;
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  groups: number;
  bias: boolean;
  /** Fused activation, as Keras' Conv2D(activation=...) has. */
  activation?: ActivationFn;
}
export interface DepthwiseConv2dConfig {
  kind: 'depthwiseConv2d';
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  depthMultiplier: number;
  bias: boolean;
  activation?: ActivationFn;
}
export interface SeparableConv2dConfig {
  kind: 'separableConv2d';
  filters: number;
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  depthMultiplier: number;
  bias: boolean;
  activation?: ActivationFn;
}
/** Every config this family defines. */
export type ConvFamily = Conv2dConfig | DepthwiseConv2dConfig | SeparableConv2dConfig;

const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);

/** The zoo's shorthand, with PyTorch's defaults: `conv(96, 11, { stride: 4 })`. */
export function conv(
  filters: number,
  kernel: number | Pair,
  o: {
    stride?: number | Pair;
    pad?: number | Pair | 'same' | 'valid';
    dilation?: number | Pair;
    groups?: number;
    bias?: boolean;
    activation?: ActivationFn;
  } = {},
): Conv2dConfig {
  const padding: Padding =
    o.pad === undefined || o.pad === 0 ? 'valid' : o.pad === 'same' || o.pad === 'valid' ? o.pad : pads(o.pad);
  return {
    kind: 'conv2d',
    filters,
    kernel: pair(kernel),
    strides: pair(o.stride ?? 1),
    padding,
    dilation: pair(o.dilation ?? 1),
    groups: o.groups ?? 1,
    bias: o.bias ?? true,
    ...(o.activation ? { activation: o.activation } : {}),
  };
}

/** Symmetric explicit padding: `pads(1)`, `pads([1, 2])`. */
export const pads = (p: number | Pair) => {
  const [h, w] = pair(p);
  return { top: h, bottom: h, left: w, right: w };
};

const slide2d = (name: string, c: ConvFamily, h: number, w: number): number[] =>
  slide(name, c.kind, [h, w], {
    kernel: c.kernel,
    strides: c.strides,
    dilation: c.dilation,
    padding: toAxisPadding(c.padding),
  });

const strided = (s: Pair, both: boolean): string => ((both ? s[0] > 1 || s[1] > 1 : s[0] > 1) ? '/' + sizeText(s) : '');

const window = (c: ConvFamily, info: LayerInfo) =>
  windowSpec(info, { kernel: c.kernel, strides: c.strides, dilation: c.dilation, padding: toAxisPadding(c.padding) });

/**
 * tfjs-layers takes 'valid' or 'same' only: explicit padding equal to TensorFlow's SAME for this input
 * (VGG's pad 1 around a 3x3 kernel) runs as 'same', other explicit padding as a ZeroPadding2D in front.
 */
function padded(ctx: BuildCtx, c: ConvFamily): [TF.SymbolicTensor, 'valid' | 'same'] {
  const x = ctx.inputs[0]!;
  if (c.padding === 'valid' || c.padding === 'same') return [x, c.padding];
  const p = axisPadsOf(c.padding);
  if (isZeroPads(p)) return [x, 'valid'];
  const inShape = ctx.info.inputShapes[0]!;
  if (equalPads(p, samePadsND(inShape.slice(0, 2), c.kernel, c.strides, c.dilation))) return [x, 'same'];
  const pad = ctx.tf.layers.zeroPadding2d({
    padding: [
      [c.padding.top, c.padding.bottom],
      [c.padding.left, c.padding.right],
    ],
    name: `${ctx.name}__pad`,
  });
  return [ctx.use(pad, x), 'valid'];
}

const readPadding = (r: ConfigReader) => ({
  kernel: r.pair('kernel_size'),
  strides: r.pair('strides', 1),
  padding: r.padding(),
  dilation: r.pair('dilation_rate', 1),
});

function readConv2d(r: ConfigReader): Conv2dConfig {
  r.channelsLast();
  return {
    kind: 'conv2d',
    filters: r.int('filters'),
    ...readPadding(r),
    groups: r.int('groups', 1),
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

function readSeparable(r: ConfigReader): SeparableConv2dConfig {
  r.channelsLast();
  return {
    kind: 'separableConv2d',
    filters: r.int('filters'),
    ...readPadding(r),
    depthMultiplier: r.int('depth_multiplier', 1),
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

export const convKinds: Kinds<ConvFamily> = {
  conv2d: {
    title: 'Conv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, w, cin] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'filters', [c.filters]);
      checkPositive(name, c.kind, 'groups', [c.groups]);
      if (cin % c.groups !== 0) fail(name, c.kind, `input channels ${cin} are not divisible by groups ${c.groups}`);
      if (c.filters % c.groups !== 0)
        fail(name, c.kind, `filters ${c.filters} are not divisible by groups ${c.groups}`);
      return fusedShape(name, c.kind, c.activation, [...slide2d(name, c, h, w), c.filters]);
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [weight('kernel', [c.kernel[0], c.kernel[1], cin / c.groups, c.filters])];
      if (c.bias) specs.push(bias('bias', [c.filters]));
      return specs;
    },
    macs: (c, inputs, out) =>
      mul('MACs', out[0]!, out[1]!, c.filters, inputs[0]![2]! / c.groups, c.kernel[0], c.kernel[1]),
    describe: (c) =>
      [
        sizeText(c.kernel),
        strided(c.strides, true),
        padText(toAxisPadding(c.padding)),
        c.dilation[0] > 1 || c.dilation[1] > 1 ? ' d' + sizeText(c.dilation) : '',
        c.groups > 1 ? ' g' + c.groups : '',
        c.bias ? '' : ' nobias',
        fusedText(c.activation),
      ].join(''),
    // netcensus' own GroupedConv2D, as tfjs' toJSON() writes it (config keys in snake_case).
    keras: { Conv2D: readConv2d, Convolution2D: readConv2d, GroupedConv2D: readConv2d },
    custom: [groupedConv2D],
    tfjs: (c, ctx) => {
      const [x, padding] = padded(ctx, c);
      const dilated = c.dilation[0] > 1 || c.dilation[1] > 1;
      if (dilated && (c.strides[0] > 1 || c.strides[1] > 1)) {
        throw new NetcensusError(
          `layer "${ctx.name}" (conv2d): TensorFlow.js cannot execute a convolution with both stride > 1 and dilation > 1`,
        );
      }
      const args = {
        name: ctx.name,
        filters: c.filters,
        kernelSize: [...c.kernel] as [number, number],
        strides: [...c.strides] as [number, number],
        padding,
        dilationRate: [...c.dilation] as [number, number],
        useBias: c.bias,
        kernelInitializer: ctx.kernelInitializer,
      };
      if (c.groups > 1) {
        const GroupedConv2D = ctx.custom(groupedConv2D);
        const grouped = new GroupedConv2D({ ...args, groups: c.groups, activation: fusedInside(c.activation) });
        return fusedAfter(ctx, c.activation, ctx.use(grouped, x));
      }
      const y = ctx.use(ctx.tf.layers.conv2d({ ...args, activation: tfjsActivation(c.activation) }), x);
      return fusedAfter(ctx, c.activation, y);
    },
    factors: (c, info) => ({
      kind: 'conv',
      k: c.kernel[0] * c.kernel[1],
      cin: info.inputShapes[0]![2]!,
      cout: c.filters,
      groups: c.groups,
      bias: c.bias ? 1 : 0,
      positions: info.outputShape[0]! * info.outputShape[1]!,
      bnTrainable: 0,
      bnStats: 0,
    }),
    window,
  },

  depthwiseConv2d: {
    title: 'DepthwiseConv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, w, cin] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
      return fusedShape(name, c.kind, c.activation, [
        ...slide2d(name, c, h, w),
        mul('channels', cin, c.depthMultiplier),
      ]);
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [weight('depthwise_kernel', [c.kernel[0], c.kernel[1], cin, c.depthMultiplier])];
      if (c.bias) specs.push(bias('bias', [cin * c.depthMultiplier]));
      return specs;
    },
    macs: (c, inputs, out) =>
      mul('MACs', out[0]!, out[1]!, inputs[0]![2]!, c.depthMultiplier, c.kernel[0], c.kernel[1]),
    describe: (c) =>
      `${sizeText(c.kernel)}${strided(c.strides, false)}${padText(toAxisPadding(c.padding))} x${c.depthMultiplier}${fusedText(c.activation)}`,
    keras: {
      DepthwiseConv2D: (r) => {
        r.channelsLast();
        return {
          kind: 'depthwiseConv2d',
          ...readPadding(r),
          depthMultiplier: r.int('depth_multiplier', 1),
          bias: r.bool('use_bias', true),
          ...fused(r),
        };
      },
    },
    tfjs: (c, ctx) => {
      const [x, padding] = padded(ctx, c);
      const y = ctx.use(
        ctx.tf.layers.depthwiseConv2d({
          name: ctx.name,
          kernelSize: [...c.kernel],
          strides: [...c.strides],
          padding,
          dilationRate: [...c.dilation],
          depthMultiplier: c.depthMultiplier,
          useBias: c.bias,
          activation: tfjsActivation(c.activation),
          depthwiseInitializer: ctx.kernelInitializer,
        }),
        x,
      );
      return fusedAfter(ctx, c.activation, y);
    },
    factors: (c, info) => ({
      kind: 'conv',
      k: c.kernel[0] * c.kernel[1],
      cin: info.inputShapes[0]![2]!,
      cout: info.inputShapes[0]![2]! * c.depthMultiplier,
      groups: info.inputShapes[0]![2]!,
      bias: c.bias ? 1 : 0,
      positions: info.outputShape[0]! * info.outputShape[1]!,
      bnTrainable: 0,
      bnStats: 0,
    }),
    window,
  },

  separableConv2d: {
    title: 'SeparableConv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, w] = spatialInput(name, c.kind, inputs, 2) as [number, number, number];
      checkPositive(name, c.kind, 'filters', [c.filters]);
      checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
      return fusedShape(name, c.kind, c.activation, [...slide2d(name, c, h, w), c.filters]);
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [
        weight('depthwise_kernel', [c.kernel[0], c.kernel[1], cin, c.depthMultiplier]),
        weight('pointwise_kernel', [1, 1, cin * c.depthMultiplier, c.filters]),
      ];
      if (c.bias) specs.push(bias('bias', [c.filters]));
      return specs;
    },
    macs: (c, inputs, out) => {
      const mid = mul('channels', inputs[0]![2]!, c.depthMultiplier);
      return mul('MACs', out[0]!, out[1]!, mid, c.kernel[0] * c.kernel[1] + c.filters);
    },
    describe: (c) =>
      `${sizeText(c.kernel)}${strided(c.strides, false)}${padText(toAxisPadding(c.padding))}${fusedText(c.activation)}`,
    keras: { SeparableConv2D: readSeparable, SeparableConvolution2D: readSeparable },
    tfjs: (c, ctx) => {
      const [x, padding] = padded(ctx, c);
      const y = ctx.use(
        ctx.tf.layers.separableConv2d({
          name: ctx.name,
          filters: c.filters,
          kernelSize: [...c.kernel],
          strides: [...c.strides],
          padding,
          dilationRate: [...c.dilation],
          depthMultiplier: c.depthMultiplier,
          useBias: c.bias,
          activation: tfjsActivation(c.activation),
          depthwiseInitializer: ctx.kernelInitializer,
          pointwiseInitializer: ctx.kernelInitializer,
        }),
        x,
      );
      return fusedAfter(ctx, c.activation, y);
    },
    // No single factored formula: a depthwise and a pointwise kernel.
    factors: (_c, info, convention) => otherFactors(info, convention),
    window,
  },
};

export interface GroupedConv2DArgs {
  filters: number;
  kernelSize: Pair;
  strides: Pair;
  padding: 'valid' | 'same';
  dilationRate: Pair;
  groups: number;
  useBias: boolean;
  activation?: ActivationFn;
  kernelInitializer?: 'glorotUniform' | 'zeros' | 'ones';
  name?: string;
}

/** Census shapes have no batch dimension; tfjs shapes start with it. */
export const perExample = (s: TF.Shape): number[] => s.slice(1).map((d) => d ?? -1);
export const singleShape = (s: TF.Shape | TF.Shape[]): TF.Shape =>
  Array.isArray(s[0]) ? (s as TF.Shape[])[0]! : (s as TF.Shape);
export const singleInput = (inputs: TF.Tensor | TF.Tensor[]): TF.Tensor =>
  Array.isArray(inputs) ? inputs[0]! : inputs;
export const initializer = (tf: Tf, name: GroupedConv2DArgs['kernelInitializer']) =>
  name === 'zeros'
    ? tf.initializers.zeros()
    : name === 'ones'
      ? tf.initializers.ones()
      : tf.initializers.glorotUniform({});

/**
 * Grouped convolution with compact weights ([kh, kw, cin/groups, cout] plus bias, so countParams()
 * equals the grouped count), computed as split -> conv2d per group -> concat, as AlexNet's two GPUs did.
 */
export function groupedConv2D(tf: Tf): LayerClass<GroupedConv2DArgs> {
  return class GroupedConv2D extends tf.layers.Layer {
    static className = 'GroupedConv2D';
    private readonly args: GroupedConv2DArgs;
    private kernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    constructor(args: GroupedConv2DArgs) {
      super({ name: args.name });
      this.args = { ...args };
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const cin = singleShape(inputShape).at(-1)!;
      const a = this.args;
      const shape = [a.kernelSize[0], a.kernelSize[1], cin / a.groups, a.filters];
      this.kernel = this.addWeight('kernel', shape, 'float32', initializer(tf, a.kernelInitializer));
      if (a.useBias) this.bias = this.addWeight('bias', [a.filters], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      const s = singleShape(inputShape);
      const a = this.args;
      const config: Conv2dConfig = {
        kind: 'conv2d',
        filters: a.filters,
        kernel: a.kernelSize,
        strides: a.strides,
        padding: a.padding,
        dilation: a.dilationRate,
        groups: a.groups,
        bias: a.useBias,
      };
      return [s[0]!, ...convKinds.conv2d.outputShape(config, [perExample(s) as Shape], this.name)];
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs) as TF.Tensor4D;
        const a = this.args;
        const xs = tf.split(x, a.groups, 3);
        const ks = tf.split(this.kernel!.read() as TF.Tensor4D, a.groups, 3);
        const ys = xs.map((xi, i) =>
          tf.conv2d(xi as TF.Tensor4D, ks[i] as TF.Tensor4D, [...a.strides], a.padding, 'NHWC', [...a.dilationRate]),
        );
        let y: TF.Tensor = ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
        if (this.bias) y = tf.add(y, this.bias.read());
        return activationOp(tf, a.activation)(y);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      const { kernelInitializer: _k, name: _n, ...rest } = this.args;
      return { ...super.getConfig(), ...(rest as unknown as TF.serialization.ConfigDict) };
    }
  };
}
