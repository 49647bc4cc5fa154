/**
 * Convolutions: conv2d (grouped and dilated), depthwiseConv2d and separableConv2d; the rank-generic conv1d
 * and conv3d (grouped, dilated, causal, explicit per-axis pads), depthwiseConv1d and separableConv1d; and
 * transposed convolutions of rank 1, 2 and 3 (Keras' valid/same with output_padding, or explicit pads as
 * ONNX's ConvTranspose gives them, dilation and groups). A grouped conv runs as a registered custom tfjs
 * layer (tfjs-layers has no `groups`), with compact weights so that countParams() equals the grouped count;
 * so do the convolutions tfjs-layers cannot express (ConvND, ConvTransposeND).
 */
import type * as TF from '@tensorflow/tfjs';
import { customBase, singleInput, singleShape } from '../tfjs/base.js';
import type { WeightedArgs } from '../tfjs/args.js';
import { NetcensusError } from '../errors.js';
import { mul, prod } from '../exact.js';
import { activationOp, fused, tfjsActivation, withFused, withFusedShape, type ActivationFn } from './activation.js';
import { bias, checkPositive, fail, fusedText, otherFactors, spatialInput, weight } from './spec.js';
import type { BuildCtx, ConfigReader, Kinds, KindSpec, Pair, Shape, LayerClass, Tf } from './spec.js';
import {
  axisName,
  axisPadsOf,
  effectiveKernel,
  equalPads,
  isZeroPads,
  pads,
  padsOf,
  padText,
  readPads,
  resolveAxisPads,
  samePadsND,
  sizeText,
  slide,
  toAxisPadding,
  windowSpec,
} from './window.js';
import type { AxisPads, Padding } from './window.js';

/**
 * A convolution's padding at any rank: Keras' valid and same, causal (1-D only: the effective kernel minus
 * one before, nothing after, as Keras' Conv1D pads), or explicit per-axis [before, after] (ONNX's pads).
 */
export type ConvPadding = 'valid' | 'same' | 'causal' | AxisPads;

/** What every convolution's window has: one entry per spatial axis. */
interface ConvWindow {
  kernel: readonly number[];
  strides: readonly number[];
  padding: ConvPadding;
  dilation: readonly number[];
  bias: boolean;
  /** Fused activation, as Keras' Conv2D(activation=...) has. */
  activation?: ActivationFn;
}
/** Keras' Conv1D, Conv2D and Conv3D (and ONNX's Conv of any of those ranks), grouped and dilated. */
export interface ConvConfig extends ConvWindow {
  kind: 'conv1d' | 'conv2d' | 'conv3d';
  filters: number;
  groups: number;
}
/** Keras' DepthwiseConv1D and DepthwiseConv2D: `depthMultiplier` outputs per input channel. */
export interface DepthwiseConvConfig extends ConvWindow {
  kind: 'depthwiseConv1d' | 'depthwiseConv2d';
  depthMultiplier: number;
}
/** Keras' SeparableConv1D and SeparableConv2D: a depthwise conv, then a pointwise one to `filters`. */
export interface SeparableConvConfig extends ConvWindow {
  kind: 'separableConv1d' | 'separableConv2d';
  filters: number;
  depthMultiplier: number;
}
/** The library's earlier names, one type each now. */
export type Conv2dConfig = ConvConfig;
export type ConvNdConfig = ConvConfig;
export type DepthwiseConv2dConfig = DepthwiseConvConfig;
export type DepthwiseConv1dConfig = DepthwiseConvConfig;
export type SeparableConv2dConfig = SeparableConvConfig;
export type SeparableConv1dConfig = SeparableConvConfig;
/**
 * A transposed convolution of rank 1, 2 or 3. Its full output is (in - 1) x stride + the effective kernel
 * per axis; `padding` says how much of it is kept:
 * - 'valid' and 'same' follow Keras: valid keeps the full output, extended after by `outputPadding` (Keras'
 *   None: by max(kernel, stride) - kernel); same gives in x stride (None) or (in - 1) x stride +
 *   kernel % 2 + outputPadding, cropped as Keras (JAX) crops it;
 * - explicit per-axis [before, after] pads (ONNX's and PyTorch's ConvTranspose) crop the full output, and
 *   `outputPadding` adds back after: (in - 1) x stride + kernel - before - after + outputPadding.
 */
export interface ConvTransposeConfig {
  kind: 'conv1dTranspose' | 'conv2dTranspose' | 'conv3dTranspose';
  filters: number;
  kernel: readonly number[];
  strides: readonly number[];
  padding: 'valid' | 'same' | AxisPads;
  /** Per axis; absent for Keras' None. */
  outputPadding?: readonly number[];
  dilation: readonly number[];
  groups: number;
  bias: boolean;
  activation?: ActivationFn;
}
/**
 * Keras' STFTSpectrogram: a 1-D convolution of every input channel with a real and an imaginary DFT
 * kernel (Keras' weights, trainable), then the mode's function of the two. Per example [T, C] in;
 * [frames, C x bins] out (bins doubled in mode stft), or [frames, bins, C] with expand_dims.
 */
export interface StftConfig {
  kind: 'stftSpectrogram';
  mode: 'log' | 'magnitude' | 'psd' | 'real' | 'imag' | 'angle' | 'stft';
  frameLength: number;
  frameStep: number;
  fftLength: number;
  padding: 'valid' | 'same';
  expandDims: boolean;
}
/** Every config this family defines. */
export type ConvFamily = StftConfig | ConvConfig | DepthwiseConvConfig | SeparableConvConfig | ConvTransposeConfig;

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
): ConvConfig {
  const padding: ConvPadding =
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

/** The first stride only, as Keras' summary line of a 2-D depthwise or separable conv shows it. */
const firstStrided = (s: readonly number[]): string => (s[0]! > 1 ? '/' + sizeText(s) : '');

/** tfjs-layers' 2-D padding, with other explicit padding as a ZeroPadding2D in front (the depthwise and separable layers). */
function padded(ctx: BuildCtx, c: DepthwiseConvConfig | SeparableConvConfig): [TF.SymbolicTensor, 'valid' | 'same'] {
  const x = ctx.inputs[0]!;
  const simple = tfjsPadding(c, ctx.info.inputShapes[0]!);
  if (simple) return [x, simple];
  const pad = ctx.tf.layers.zeroPadding2d({
    padding: (c.padding as AxisPads).map(([b, a]) => [b, a]) as [[number, number], [number, number]],
    name: `${ctx.name}__pad`,
  });
  return [ctx.use(pad, x), 'valid'];
}

const readPadding = (r: ConfigReader) => ({
  kernel: r.pair('kernel_size'),
  strides: r.pair('strides', 1),
  // netcensus' GroupedConv2D writes explicit pads as an object; Keras classes only ever write a mode.
  padding:
    r.cls === 'GroupedConv2D' && typeof r.raw('padding') === 'object'
      ? axisPadsOf(readPads(r, 'padding'))
      : r.padding(),
  dilation: r.pair('dilation_rate', 1),
});

function readConv2d(r: ConfigReader): ConvConfig {
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

function readSeparable(r: ConfigReader): SeparableConvConfig {
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

/** Spatial axes of each kind. */
const RANK = {
  conv1d: 1,
  conv2d: 2,
  conv3d: 3,
  depthwiseConv1d: 1,
  depthwiseConv2d: 2,
  separableConv1d: 1,
  separableConv2d: 2,
  conv1dTranspose: 1,
  conv2dTranspose: 2,
  conv3dTranspose: 3,
} as const;

type WindowedConfig = ConvConfig | DepthwiseConvConfig | SeparableConvConfig;
type NdConfig = WindowedConfig | ConvTransposeConfig;

/** Refuses per-axis fields whose length is not the kind's rank. */
function checkAxes(name: string, c: NdConfig, fields: Record<string, readonly unknown[] | string | undefined>): void {
  const rank = RANK[c.kind];
  for (const [what, v] of Object.entries(fields)) {
    if (Array.isArray(v) && v.length !== rank) {
      fail(name, c.kind, `${what} has ${v.length} axes, expected ${rank}`);
    }
  }
}

/** Causal padding as explicit pads: the effective kernel minus one before, nothing after. */
function windowPadding(c: {
  kind: string;
  kernel: readonly number[];
  dilation: readonly number[];
  padding: ConvPadding;
}) {
  return c.padding === 'causal'
    ? c.kernel.map((k, i) => [effectiveKernel(k, c.dilation[i]!) - 1, 0] as const)
    : c.padding;
}

const ndWindow = (c: WindowedConfig) => ({
  kernel: c.kernel,
  strides: c.strides,
  dilation: c.dilation,
  padding: windowPadding(c),
});

/** Spatial output sizes of a rank-generic conv; refuses causal padding beyond one axis. */
function slideNd(name: string, c: WindowedConfig, sizes: Shape): number[] {
  checkAxes(name, c, {
    kernel: c.kernel,
    strides: c.strides,
    dilation: c.dilation,
    padding: typeof c.padding === 'string' ? undefined : c.padding,
  });
  if (c.padding === 'causal' && c.kernel.length !== 1) fail(name, c.kind, 'causal padding is for 1-D convolutions');
  return slide(name, c.kind, sizes, ndWindow(c));
}

/** The channels a grouped conv of any rank takes and gives; refuses groups that do not divide them. */
function checkGroups(name: string, kind: string, cin: number, filters: number, groups: number): void {
  checkPositive(name, kind, 'filters', [filters]);
  checkPositive(name, kind, 'groups', [groups]);
  if (cin % groups !== 0) fail(name, kind, `input channels ${cin} are not divisible by groups ${groups}`);
  if (filters % groups !== 0) fail(name, kind, `filters ${filters} are not divisible by groups ${groups}`);
}

const spatial = (s: Shape): Shape => s.slice(0, -1);
const channels = (s: Shape): number => s[s.length - 1]!;

/** `3/2 same d2 g2 nobias +relu`, for any rank. */
function ndText(c: {
  kernel: readonly number[];
  strides: readonly number[];
  dilation: readonly number[];
  padding: ConvPadding;
  groups?: number;
  bias: boolean;
  activation?: ActivationFn;
}): string {
  return [
    sizeText(c.kernel),
    c.strides.some((s) => s > 1) ? '/' + sizeText(c.strides) : '',
    c.padding === 'causal' ? ' causal' : padText(c.padding),
    c.dilation.some((d) => d > 1) ? ' d' + sizeText(c.dilation) : '',
    (c.groups ?? 1) > 1 ? ' g' + c.groups : '',
    c.bias ? '' : ' nobias',
    fusedText(c.activation),
  ].join('');
}

/** Keras' LoRA replaces the kernel by trainable low-rank factors: a count this project does not model. */
function noLora(r: ConfigReader): void {
  if (r.has('lora_rank')) r.fail('lora_rank', 'is not supported (LoRA adds low-rank kernels netcensus does not count)');
}

function readConvNd(r: ConfigReader, kind: ConvNdConfig['kind']): ConvNdConfig {
  r.channelsLast();
  noLora(r);
  const rank = RANK[kind];
  return {
    kind,
    filters: r.int('filters'),
    kernel: r.tuple('kernel_size', rank),
    strides: r.tuple('strides', rank, 1),
    padding: rank === 1 ? r.padding('padding', ['valid', 'same', 'causal'] as const) : r.padding(),
    dilation: r.tuple('dilation_rate', rank, 1),
    groups: r.int('groups', 1),
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

function readDepthwise1d(r: ConfigReader): DepthwiseConv1dConfig {
  r.channelsLast();
  return {
    kind: 'depthwiseConv1d',
    kernel: r.tuple('kernel_size', 1),
    strides: r.tuple('strides', 1, 1),
    padding: r.padding(),
    dilation: r.tuple('dilation_rate', 1, 1),
    depthMultiplier: r.int('depth_multiplier', 1),
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

function readSeparable1d(r: ConfigReader): SeparableConv1dConfig {
  r.channelsLast();
  return {
    kind: 'separableConv1d',
    filters: r.int('filters'),
    kernel: r.tuple('kernel_size', 1),
    strides: r.tuple('strides', 1, 1),
    padding: r.padding(),
    dilation: r.tuple('dilation_rate', 1, 1),
    depthMultiplier: r.int('depth_multiplier', 1),
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

function readTranspose(r: ConfigReader, kind: ConvTransposeConfig['kind']): ConvTransposeConfig {
  r.channelsLast();
  noLora(r);
  const rank = RANK[kind];
  // Keras' transposed convolutions have no groups; a config that names some is not Keras' layer.
  if (r.has('groups') && r.raw('groups') !== 1)
    r.fail('groups', `${JSON.stringify(r.raw('groups'))} is not supported (Keras' ${r.cls} has no groups)`);
  const strides = r.tuple('strides', rank, 1);
  const outputPadding = r.has('output_padding') ? r.tuple('output_padding', rank, undefined, 0) : undefined;
  outputPadding?.forEach((p, i) => {
    if (p >= strides[i]!)
      r.fail(
        'output_padding',
        `must be smaller than the stride on every axis, got ${JSON.stringify(r.raw('output_padding'))} with strides ${JSON.stringify(strides)}`,
      );
  });
  return {
    kind,
    filters: r.int('filters'),
    kernel: r.tuple('kernel_size', rank),
    strides,
    padding: r.padding(),
    ...(outputPadding ? { outputPadding } : {}),
    dilation: r.tuple('dilation_rate', rank, 1),
    groups: 1,
    bias: r.bool('use_bias', true),
    ...fused(r),
  };
}

/**
 * What a transposed convolution keeps of its full output, (in - 1) x stride + effective kernel, per axis:
 * [cropped before, cropped after]; `after` is negative where the output extends past the full output (the
 * extension holds the bias only). Keras' same follows its JAX padding rule, which its other backends match.
 */
export function transposeCrops(c: ConvTransposeConfig, sizes: readonly number[]): Array<[number, number]> {
  return sizes.map((_, i) => {
    const ek = effectiveKernel(c.kernel[i]!, c.dilation[i]!);
    const s = c.strides[i]!;
    const op = c.outputPadding?.[i];
    if (typeof c.padding !== 'string') return [c.padding[i]![0], c.padding[i]![1] - (op ?? 0)];
    if (c.padding === 'valid') return [0, -(op ?? Math.max(ek, s) - ek)];
    const padLen = op === undefined ? s + ek - 2 : ek + (ek % 2) - 2 + op;
    const left = Math.min(Math.floor(padLen / 2) + (padLen % 2), ek - 1);
    return [ek - 1 - left, ek - 1 - (padLen - left)];
  });
}

function transposeShape(name: string, c: ConvTransposeConfig, inputs: Shape[]): Shape {
  const rank = RANK[c.kind];
  const s = spatialInput(name, c.kind, inputs, rank);
  checkAxes(name, c, {
    kernel: c.kernel,
    strides: c.strides,
    dilation: c.dilation,
    'output padding': c.outputPadding,
    padding: typeof c.padding === 'string' ? undefined : c.padding,
  });
  checkPositive(name, c.kind, 'kernel size', c.kernel);
  checkPositive(name, c.kind, 'stride', c.strides);
  checkPositive(name, c.kind, 'dilation', c.dilation);
  checkGroups(name, c.kind, channels(s), c.filters, c.groups);
  const extra = [...(typeof c.padding === 'string' ? [] : c.padding.flat()), ...(c.outputPadding ?? [])];
  for (const v of extra) {
    if (!Number.isSafeInteger(v) || v < 0) fail(name, c.kind, `padding must be a non-negative integer, got ${v}`);
  }
  c.outputPadding?.forEach((op, i) => {
    if (op >= Math.max(c.strides[i]!, c.dilation[i]!))
      fail(
        name,
        c.kind,
        `output padding ${op} must be smaller than the stride or the dilation on the ${axisName(rank, i)}`,
      );
  });
  const sizes = spatial(s);
  const crops = transposeCrops(c, sizes);
  return [
    ...sizes.map((n, i) => {
      const full = mul('size', n - 1, c.strides[i]!) + effectiveKernel(c.kernel[i]!, c.dilation[i]!);
      const out = full - crops[i]![0] - crops[i]![1];
      if (out < 1)
        fail(name, c.kind, `padding leaves no output along the ${axisName(rank, i)} (input ${n}, full output ${full})`);
      return out;
    }),
    c.filters,
  ];
}

/** Padding for the custom layer: explicit pads for this input, causal and same resolved. */
const resolvedPads = (c: WindowedConfig, inShape: Shape): Array<[number, number]> =>
  resolveAxisPads(windowPadding(c), spatial(inShape), c.kernel, c.strides, c.dilation).map(([b, a]) => [b, a]);

/**
 * The padding tfjs-layers' own conv takes for this input, or undefined where it has none that matches
 * (causal: tfjs' conv1d does not implement it; explicit pads other than none or TensorFlow's SAME).
 */
function tfjsPadding(c: WindowedConfig, inShape: Shape): 'valid' | 'same' | undefined {
  if (c.padding === 'valid' || c.padding === 'same') return c.padding;
  if (c.padding === 'causal') return undefined;
  if (isZeroPads(c.padding)) return 'valid';
  return equalPads(c.padding, samePadsND(spatial(inShape), c.kernel, c.strides, c.dilation)) ? 'same' : undefined;
}

/** The tfjs layer a conv runs as: tfjs-layers' own where it can express the conv, netcensus' otherwise. */
function convLayer(c: ConvConfig, ctx: BuildCtx): TF.SymbolicTensor {
  const x = ctx.inputs[0]!;
  const inShape = ctx.info.inputShapes[0]!;
  const rank = RANK[c.kind];
  const padding = tfjsPadding(c, inShape);
  const args = {
    name: ctx.name,
    filters: c.filters,
    kernelSize: [...c.kernel],
    strides: [...c.strides],
    dilationRate: [...c.dilation],
    useBias: c.bias,
    kernelInitializer: ctx.kernelInitializer,
  };
  // TensorFlow.js' convolutions refuse a stride with a dilation (ONNX and PyTorch allow both): ConvND runs
  // it with the kernel dilated by zeros.
  if (!(c.strides.some((s) => s > 1) && c.dilation.some((d) => d > 1))) {
    // In 2-D, groups and other explicit padding go into tf.conv2d itself (it takes explicit pads), not
    // into a padding op in front of it.
    if (rank === 2 && (c.groups > 1 || !padding)) {
      const GroupedConv2D = ctx.custom(groupedConv2D);
      const explicit = padding ?? padsOf(c.padding as AxisPads);
      return ctx.use(
        new GroupedConv2D({
          ...args,
          kernelSize: args.kernelSize as unknown as Pair,
          strides: args.strides as unknown as Pair,
          dilationRate: args.dilationRate as unknown as Pair,
          padding: explicit,
          groups: c.groups,
          activation: c.activation,
        }),
        x,
      );
    }
    if (c.groups === 1 && padding) {
      const layers = ctx.tf.layers;
      const own = { ...args, padding, activation: tfjsActivation(c.activation) };
      return ctx.use(
        rank === 1
          ? layers.conv1d({ ...own, dilationRate: c.dilation[0]! })
          : rank === 2
            ? layers.conv2d({ ...own, dilationRate: own.dilationRate as [number, number] })
            : layers.conv3d({ ...own, dilationRate: own.dilationRate as [number, number, number] }),
        x,
      );
    }
  }
  return ctx.use(
    new (ctx.custom(convND))({
      ...args,
      mode: 'conv',
      pads: resolvedPads(c, inShape),
      groups: c.groups,
      depthMultiplier: 1,
      activation: c.activation,
    }),
    x,
  );
}

/** Keras' convolutions of each rank (and ONNX's Conv): one spec, the rank from the kind. */
const convSpec = (title: string): KindSpec<ConvConfig> => ({
  title,
  convLike: true,
  outputShape: withFusedShape((c, inputs, name) => {
    const s = spatialInput(name, c.kind, inputs, RANK[c.kind]);
    checkGroups(name, c.kind, channels(s), c.filters, c.groups);
    return [...slideNd(name, c, spatial(s)), c.filters];
  }),
  weights: (c, inputs) => {
    const cin = channels(inputs[0]!);
    const specs = [weight('kernel', [...c.kernel, cin / c.groups, c.filters])];
    if (c.bias) specs.push(bias('bias', [c.filters]));
    return specs;
  },
  // Output positions x filters x (input channels / groups) x kernel elements.
  macs: (c, inputs, out) => mul('MACs', prod(spatial(out)), c.filters, channels(inputs[0]!) / c.groups, prod(c.kernel)),
  describe: (c) => ndText(c),
  keras: {},
  custom: [groupedConv2D, convND],
  tfjs: withFused(convLayer),
  factors: (c, info) => ({
    kind: 'conv',
    k: prod(c.kernel),
    cin: channels(info.inputShapes[0]!),
    cout: c.filters,
    groups: c.groups,
    bias: c.bias ? 1 : 0,
    positions: prod(spatial(info.outputShape)),
    bnTrainable: 0,
    bnStats: 0,
  }),
  window: (c, info) => windowSpec(info, ndWindow(c)),
});

/** A depthwise or separable conv as the custom layer takes it. */
const depthwiseArgs = (c: DepthwiseConvConfig | SeparableConvConfig, ctx: BuildCtx): ConvNDArgs => ({
  name: ctx.name,
  mode: c.kind === 'separableConv1d' || c.kind === 'separableConv2d' ? 'separable' : 'depthwise',
  filters: 'filters' in c ? c.filters : mul('channels', channels(ctx.info.inputShapes[0]!), c.depthMultiplier),
  kernelSize: [...c.kernel],
  strides: [...c.strides],
  pads: resolvedPads(c, ctx.info.inputShapes[0]!),
  dilationRate: [...c.dilation],
  groups: 1,
  depthMultiplier: c.depthMultiplier,
  useBias: c.bias,
  activation: c.activation,
  kernelInitializer: ctx.kernelInitializer,
});

/** Keras' DepthwiseConv1D and DepthwiseConv2D. */
const depthwiseSpec = (title: string): KindSpec<DepthwiseConvConfig> => ({
  title,
  convLike: true,
  outputShape: withFusedShape((c, inputs, name) => {
    const s = spatialInput(name, c.kind, inputs, RANK[c.kind]);
    checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
    return [...slideNd(name, c, spatial(s)), mul('channels', channels(s), c.depthMultiplier)];
  }),
  weights: (c, inputs) => {
    const cin = channels(inputs[0]!);
    // Keras 3 names DepthwiseConv1D's kernel `kernel` (Keras 2 and DepthwiseConv2D: `depthwise_kernel`).
    const name = c.kind === 'depthwiseConv1d' ? 'kernel' : 'depthwise_kernel';
    const specs = [weight(name, [...c.kernel, cin, c.depthMultiplier])];
    if (c.bias) specs.push(bias('bias', [cin * c.depthMultiplier]));
    return specs;
  },
  // Output positions x output channels (input channels x multiplier) x kernel elements.
  macs: (c, inputs, out) => mul('MACs', prod(spatial(out)), channels(inputs[0]!), c.depthMultiplier, prod(c.kernel)),
  describe: (c) =>
    c.kind === 'depthwiseConv2d'
      ? `${sizeText(c.kernel)}${firstStrided(c.strides)}${padText(c.padding as 'valid' | 'same' | AxisPads)} x${c.depthMultiplier}${fusedText(c.activation)}`
      : `${ndText({ ...c, activation: undefined, bias: true })} x${c.depthMultiplier}${c.bias ? '' : ' nobias'}${fusedText(c.activation)}`,
  keras: {},
  custom: [convND],
  tfjs: withFused((c, ctx) => {
    // tfjs-layers has no 1-D depthwise conv, and its DepthwiseConv2D ignores dilation_rate when it runs
    // ("TODO: Add support for dilation"): those run as netcensus' own ConvND, with the same kernel layout.
    if (c.kind === 'depthwiseConv1d' || c.dilation.some((d) => d !== 1))
      return ctx.use(new (ctx.custom(convND))(depthwiseArgs(c, ctx)), ctx.inputs[0]!);
    const [x, padding] = padded(ctx, c);
    return ctx.use(
      ctx.tf.layers.depthwiseConv2d({
        name: ctx.name,
        kernelSize: [...c.kernel] as [number, number],
        strides: [...c.strides] as [number, number],
        padding,
        dilationRate: [...c.dilation] as [number, number],
        depthMultiplier: c.depthMultiplier,
        useBias: c.bias,
        activation: tfjsActivation(c.activation),
        depthwiseInitializer: ctx.kernelInitializer,
      }),
      x,
    );
  }),
  factors: (c, info) => ({
    kind: 'conv',
    k: prod(c.kernel),
    cin: channels(info.inputShapes[0]!),
    cout: channels(info.inputShapes[0]!) * c.depthMultiplier,
    groups: channels(info.inputShapes[0]!),
    bias: c.bias ? 1 : 0,
    positions: prod(spatial(info.outputShape)),
    bnTrainable: 0,
    bnStats: 0,
  }),
  window: (c, info) => windowSpec(info, ndWindow(c)),
});

/** Keras' SeparableConv1D and SeparableConv2D. */
const separableSpec = (title: string): KindSpec<SeparableConvConfig> => ({
  title,
  convLike: true,
  outputShape: withFusedShape((c, inputs, name) => {
    const s = spatialInput(name, c.kind, inputs, RANK[c.kind]);
    checkPositive(name, c.kind, 'filters', [c.filters]);
    checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
    return [...slideNd(name, c, spatial(s)), c.filters];
  }),
  weights: (c, inputs) => {
    const cin = channels(inputs[0]!);
    const specs = [
      weight('depthwise_kernel', [...c.kernel, cin, c.depthMultiplier]),
      weight('pointwise_kernel', [...c.kernel.map(() => 1), cin * c.depthMultiplier, c.filters]),
    ];
    if (c.bias) specs.push(bias('bias', [c.filters]));
    return specs;
  },
  // Output positions x (input channels x multiplier) x (kernel elements + filters): the depthwise and the
  // pointwise step.
  macs: (c, inputs, out) => {
    const mid = mul('channels', channels(inputs[0]!), c.depthMultiplier);
    return mul('MACs', prod(spatial(out)), mid, prod(c.kernel) + c.filters);
  },
  describe: (c) =>
    c.kind === 'separableConv2d'
      ? `${sizeText(c.kernel)}${firstStrided(c.strides)}${padText(c.padding as 'valid' | 'same' | AxisPads)}${fusedText(c.activation)}`
      : ndText(c),
  keras: {},
  custom: [convND],
  tfjs: withFused((c, ctx) => {
    // tfjs-layers has no 1-D separable conv: it runs as netcensus' own ConvND.
    if (c.kind === 'separableConv1d') return ctx.use(new (ctx.custom(convND))(depthwiseArgs(c, ctx)), ctx.inputs[0]!);
    const [x, padding] = padded(ctx, c);
    return ctx.use(
      ctx.tf.layers.separableConv2d({
        name: ctx.name,
        filters: c.filters,
        kernelSize: [...c.kernel],
        strides: [...c.strides],
        padding,
        dilationRate: [...c.dilation] as [number, number],
        depthMultiplier: c.depthMultiplier,
        useBias: c.bias,
        activation: tfjsActivation(c.activation),
        depthwiseInitializer: ctx.kernelInitializer,
        pointwiseInitializer: ctx.kernelInitializer,
      }),
      x,
    );
  }),
  // No single factored formula: a depthwise and a pointwise kernel.
  factors: (_c, info, convention) => otherFactors(info, convention),
  window: (c, info) => windowSpec(info, ndWindow(c)),
});

const transpose = (title: string): Kinds<ConvTransposeConfig>['conv2dTranspose'] => ({
  title,
  convLike: true,
  outputShape: withFusedShape((c, inputs, name) => transposeShape(name, c, inputs)),
  weights: (c, inputs) => {
    // Keras' layout: kernel [...kernel, filters, input channels]; with groups, filters / groups per input channel.
    const specs = [weight('kernel', [...c.kernel, c.filters / c.groups, channels(inputs[0]!)])];
    if (c.bias) specs.push(bias('bias', [c.filters]));
    return specs;
  },
  // PyTorch's convention (its forward hooks, fvcore): every input element x filters / groups x kernel
  // elements; each input element scatters its kernel into the output, so padding and cropping change nothing.
  macs: (c, inputs) => mul('MACs', prod(inputs[0]!), c.filters / c.groups, prod(c.kernel)),
  describe: (c) => ndText(c) + (c.outputPadding?.some((p) => p > 0) ? ' op' + sizeText(c.outputPadding) : ''),
  keras: {},
  custom: [convTransposeND],
  tfjs: withFused((c, ctx) => {
    const rank = RANK[c.kind];
    const plain =
      rank > 1 &&
      c.groups === 1 &&
      typeof c.padding === 'string' &&
      c.outputPadding === undefined &&
      c.dilation.every((d) => d === 1);
    if (plain) {
      const args = {
        name: ctx.name,
        filters: c.filters,
        kernelSize: [...c.kernel],
        strides: [...c.strides],
        padding: c.padding as 'valid' | 'same',
        useBias: c.bias,
        kernelInitializer: ctx.kernelInitializer,
        activation: tfjsActivation(c.activation),
      };
      const layers = ctx.tf.layers;
      return ctx.use(rank === 2 ? layers.conv2dTranspose(args) : layers.conv3dTranspose(args), ctx.inputs[0]!);
    }
    const ConvTransposeND = ctx.custom(convTransposeND);
    return ctx.use(
      new ConvTransposeND({
        name: ctx.name,
        filters: c.filters,
        kernelSize: [...c.kernel],
        strides: [...c.strides],
        crops: transposeCrops(c, spatial(ctx.info.inputShapes[0]!)),
        dilationRate: [...c.dilation],
        groups: c.groups,
        useBias: c.bias,
        activation: c.activation,
        kernelInitializer: ctx.kernelInitializer,
      }),
      ctx.inputs[0]!,
    );
  }),
  factors: (c, info) => ({
    kind: 'conv',
    k: prod(c.kernel),
    cin: channels(info.inputShapes[0]!),
    cout: c.filters,
    groups: c.groups,
    bias: c.bias ? 1 : 0,
    // Input positions: the MACs scale with the input, not the output.
    positions: prod(spatial(info.inputShapes[0]!)),
    bnTrainable: 0,
    bnStats: 0,
  }),
  window: null,
});

/** Frequency bins of a real FFT. */
const stftBins = (c: StftConfig): number => Math.floor(c.fftLength / 2) + 1;

const stftWindow = (c: StftConfig) => ({
  kernel: [c.frameLength],
  strides: [c.frameStep],
  dilation: [1],
  padding: c.padding,
});

function stftParts(c: StftConfig, inputs: Shape[], out: Shape): Array<[string, number]> {
  const ch = channels(inputs[0]!);
  const per = mul('MACs', out[0]!, ch, stftBins(c), c.frameLength);
  return [
    ...(c.mode === 'imag' ? [] : [['real', per] as [string, number]]),
    ...(c.mode === 'real' ? [] : [['imag', per] as [string, number]]),
  ];
}

export const convKinds: Kinds<ConvFamily> = {
  conv1d: {
    ...convSpec('Conv1D'),
    torch: 'Conv1d',
    keras: { Conv1D: (r) => readConvNd(r, 'conv1d'), Convolution1D: (r) => readConvNd(r, 'conv1d') },
  },
  conv2d: {
    ...convSpec('Conv2D'),
    torch: 'Conv2d',
    // netcensus' own GroupedConv2D, as tfjs' toJSON() writes it (config keys in snake_case).
    keras: { Conv2D: readConv2d, Convolution2D: readConv2d, GroupedConv2D: readConv2d },
  },
  conv3d: {
    ...convSpec('Conv3D'),
    torch: 'Conv3d',
    keras: { Conv3D: (r) => readConvNd(r, 'conv3d'), Convolution3D: (r) => readConvNd(r, 'conv3d') },
  },
  depthwiseConv1d: {
    ...depthwiseSpec('DepthwiseConv1D'),
    torch: 'Conv1d',
    keras: { DepthwiseConv1D: readDepthwise1d },
  },
  depthwiseConv2d: {
    ...depthwiseSpec('DepthwiseConv2D'),
    torch: 'Conv2d',
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
  },
  separableConv1d: {
    ...separableSpec('SeparableConv1D'),
    keras: { SeparableConv1D: readSeparable1d, SeparableConvolution1D: readSeparable1d },
  },
  separableConv2d: {
    ...separableSpec('SeparableConv2D'),
    keras: { SeparableConv2D: readSeparable, SeparableConvolution2D: readSeparable },
  },
  conv1dTranspose: {
    ...transpose('Conv1DTranspose'),
    torch: 'ConvTranspose1d',
    keras: {
      Conv1DTranspose: (r) => readTranspose(r, 'conv1dTranspose'),
      Convolution1DTranspose: (r) => readTranspose(r, 'conv1dTranspose'),
    },
  },
  conv2dTranspose: {
    ...transpose('Conv2DTranspose'),
    torch: 'ConvTranspose2d',
    keras: {
      Conv2DTranspose: (r) => readTranspose(r, 'conv2dTranspose'),
      Convolution2DTranspose: (r) => readTranspose(r, 'conv2dTranspose'),
    },
  },
  conv3dTranspose: {
    ...transpose('Conv3DTranspose'),
    torch: 'ConvTranspose3d',
    keras: {
      Conv3DTranspose: (r) => readTranspose(r, 'conv3dTranspose'),
      Convolution3DTranspose: (r) => readTranspose(r, 'conv3dTranspose'),
    },
  },
  stftSpectrogram: {
    title: 'STFTSpectrogram',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [t, ch] = spatialInput(name, c.kind, inputs, 1) as [number, number];
      checkPositive(name, c.kind, 'frame length', [c.frameLength, c.frameStep, c.fftLength]);
      if (c.fftLength < c.frameLength)
        fail(name, c.kind, `fft length ${c.fftLength} is smaller than the frame length ${c.frameLength}`);
      const [frames] = slide(name, c.kind, [t], stftWindow(c));
      const bins = stftBins(c) * (c.mode === 'stft' ? 2 : 1);
      return c.expandDims ? [frames!, bins, ch] : [frames!, mul('channels', ch, bins)];
    },
    weights: (c) => {
      const shape = [c.frameLength, 1, stftBins(c)];
      return [
        ...(c.mode === 'imag' ? [] : [weight('real_kernel', shape)]),
        ...(c.mode === 'real' ? [] : [weight('imag_kernel', shape)]),
      ];
    },
    // Each kernel is a 1-D conv over every channel: frames x channels x bins x frame length, per kernel.
    macs: (c, inputs, out) => stftParts(c, inputs, out).reduce((a, [, m]) => a + m, 0),
    macParts: (c, inputs, out) => stftParts(c, inputs, out),
    describe: (c) =>
      `${c.mode} ${c.frameLength}/${c.frameStep} fft${c.fftLength}${c.padding === 'same' ? ' same' : ''}${c.expandDims ? ' expand' : ''}`,
    keras: {
      STFTSpectrogram: (r) => {
        r.channelsLast();
        const frameLength = r.int('frame_length', 256);
        return {
          kind: 'stftSpectrogram',
          mode: r.str('mode', ['log', 'magnitude', 'psd', 'real', 'imag', 'angle', 'stft'] as const, 'log'),
          frameLength,
          frameStep: r.has('frame_step') ? r.int('frame_step') : Math.floor(frameLength / 2),
          fftLength: r.has('fft_length') ? r.int('fft_length') : 2 ** Math.ceil(Math.log2(frameLength)),
          padding: r.padding(),
          expandDims: r.bool('expand_dims', false),
        };
      },
    },
    custom: [stftSpectrogram],
    tfjs: (c, ctx) =>
      ctx.use(
        new (ctx.custom(stftSpectrogram))({ ...c, name: ctx.name, kernelInitializer: ctx.kernelInitializer }),
        ctx.inputs[0]!,
      ),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: (c, info) => windowSpec(info, stftWindow(c)),
  },
};

export interface GroupedConv2DArgs extends WeightedArgs {
  filters: number;
  kernelSize: Pair;
  strides: Pair;
  padding: Padding;
  dilationRate: Pair;
  groups: number;
  useBias: boolean;
  activation?: ActivationFn;
}

/** The activations tf.fused.conv2d applies itself; any other runs after it. */
const FUSED_ACTIVATIONS = new Set<ActivationFn>(['relu', 'relu6', 'elu', 'sigmoid']);

/**
 * Conv2D where tfjs-layers' own cannot run it: grouped, with compact weights ([kh, kw, cin/groups, cout]
 * plus bias, so countParams() equals the grouped count), computed as split -> conv2d per group -> concat,
 * as AlexNet's two GPUs did; or with explicit padding, which tf.conv2d takes as [[0, 0], [top, bottom],
 * [left, right], [0, 0]] (PyTorch's symmetric padding, in the convolution rather than a padding op in front).
 */
export function groupedConv2D(tf: Tf): LayerClass<GroupedConv2DArgs> {
  return class GroupedConv2D extends customBase(tf)<GroupedConv2DArgs> {
    static className = 'GroupedConv2D';
    private kernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const cin = singleShape(inputShape).at(-1)!;
      const a = this.args;
      const shape = [a.kernelSize[0], a.kernelSize[1], cin / a.groups, a.filters];
      this.kernel = this.weight('kernel', shape);
      if (a.useBias) this.bias = this.weight('bias', [a.filters], 'zeros');
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      const a = this.args;
      const config: Conv2dConfig = {
        kind: 'conv2d',
        filters: a.filters,
        kernel: a.kernelSize,
        strides: a.strides,
        padding: toAxisPadding(a.padding),
        dilation: a.dilationRate,
        groups: a.groups,
        bias: a.useBias,
      };
      return convKinds.conv2d.outputShape(config, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs) as TF.Tensor4D;
        const a = this.args;
        const pad: 'valid' | 'same' | TF.backend_util.ExplicitPadding =
          typeof a.padding === 'string'
            ? a.padding
            : [
                [0, 0],
                [a.padding.top, a.padding.bottom],
                [a.padding.left, a.padding.right],
                [0, 0],
              ];
        if (a.groups === 1) {
          const inside = a.activation && FUSED_ACTIVATIONS.has(a.activation) ? a.activation : undefined;
          const y = tf.fused.conv2d({
            x,
            filter: this.kernel!.read() as TF.Tensor4D,
            strides: [...a.strides],
            pad,
            dilations: [...a.dilationRate],
            bias: this.bias?.read(),
            activation: (inside ?? 'linear') as TF.fused.Activation,
          });
          return inside || !a.activation ? y : activationOp(tf, a.activation)(y);
        }
        const xs = tf.split(x, a.groups, 3);
        const ks = tf.split(this.kernel!.read(), a.groups, 3);
        const ys = xs.map((xi, i) =>
          tf.conv2d(xi as TF.Tensor4D, ks[i] as TF.Tensor4D, [...a.strides], pad, 'NHWC', [...a.dilationRate]),
        );
        let y: TF.Tensor = ys.length === 1 ? ys[0]! : tf.concat(ys, 3);
        if (this.bias) y = tf.add(y, this.bias.read());
        return activationOp(tf, a.activation)(y);
      });
    }
  };
}

/** The arguments of netcensus' ConvND layer: every padding already resolved to explicit pads for its input. */
export interface ConvNDArgs extends WeightedArgs {
  /** conv: kernel [...k, cin / groups, filters]; depthwise: [...k, cin, multiplier]; separable: depthwise then pointwise. */
  mode: 'conv' | 'depthwise' | 'separable';
  /** Output channels (for depthwise: input channels x multiplier). */
  filters: number;
  kernelSize: number[];
  strides: number[];
  pads: Array<[number, number]>;
  dilationRate: number[];
  groups: number;
  depthMultiplier: number;
  useBias: boolean;
  activation?: ActivationFn;
}

/** A kernel [...k, ...] with d - 1 zeros between its taps along each dilated spatial axis: a dilated kernel made dense. */
function dilateKernel(tf: Tf, k: TF.Tensor, dilation: readonly number[]): TF.Tensor {
  let out = k;
  dilation.forEach((d, axis) => {
    if (d === 1) return;
    const shape = out.shape;
    const n = shape[axis]!;
    // [..., n, 1, ...] padded to [..., n, d, ...] and merged: tap i lands at i x d.
    const paddings: Array<[number, number]> = [...shape, 1].map(() => [0, 0]);
    paddings[axis + 1] = [0, d - 1];
    const spread = tf.reshape(tf.pad(tf.expandDims(out, axis + 1), paddings), [
      ...shape.slice(0, axis),
      n * d,
      ...shape.slice(axis + 1),
    ]);
    out = tf.slice(
      spread,
      shape.map(() => 0),
      [...shape.slice(0, axis), (n - 1) * d + 1, ...shape.slice(axis + 1)],
    );
  });
  return out;
}

/** A 'valid' convolution of rank 1, 2 or 3 (channels last). */
function convOp(tf: Tf, x: TF.Tensor, k: TF.Tensor, strides: number[], dilation: number[]): TF.Tensor {
  const rank = strides.length;
  if (rank === 1) return tf.conv1d(x as TF.Tensor3D, k as TF.Tensor3D, strides[0]!, 'valid', 'NWC', dilation[0]);
  if (rank === 2)
    return tf.conv2d(
      x as TF.Tensor4D,
      k as TF.Tensor4D,
      strides as [number, number],
      'valid',
      'NHWC',
      dilation as [number, number],
    );
  return tf.conv3d(
    x as TF.Tensor5D,
    k as TF.Tensor5D,
    strides as [number, number, number],
    'valid',
    'NDHWC',
    dilation as [number, number, number],
  );
}

/** A 'valid' depthwise convolution of rank 1 or 2, kernel [...k, cin, multiplier]. */
function depthwiseOp(tf: Tf, x: TF.Tensor, k: TF.Tensor, strides: number[], dilation: number[]): TF.Tensor {
  if (strides.length === 2)
    return tf.depthwiseConv2d(
      x as TF.Tensor4D,
      k as TF.Tensor4D,
      strides as [number, number],
      'valid',
      'NHWC',
      dilation as [number, number],
    );
  if (strides.length !== 1)
    throw new NetcensusError(`a depthwise convolution of rank ${strides.length} cannot be built`);
  const y = tf.depthwiseConv2d(
    tf.expandDims(x, 1) as TF.Tensor4D,
    tf.expandDims(k, 0) as TF.Tensor4D,
    [1, strides[0]!],
    'valid',
    'NHWC',
    [1, dilation[0]!],
  );
  return tf.squeeze(y, [1]);
}

/** A ConvND's arguments as the census' config fields. */
const fields = (a: ConvNDArgs) => ({
  filters: a.filters,
  groups: a.groups,
  depthMultiplier: a.depthMultiplier,
  bias: a.useBias,
});

/**
 * Convolutions tfjs-layers cannot express, any rank: groups, causal or asymmetric explicit padding
 * (applied as zeros in front of a 'valid' conv), stride together with dilation (the kernel is dilated
 * with zeros, which TensorFlow.js then strides), and Keras' DepthwiseConv1D and SeparableConv1D. Weights
 * in Keras' layout, so countParams() equals Keras' count.
 */
export function convND(tf: Tf): LayerClass<ConvNDArgs> {
  return class ConvND extends customBase(tf)<ConvNDArgs> {
    static className = 'ConvND';
    private kernel?: TF.LayerVariable;
    private pointwise?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const cin = singleShape(inputShape).at(-1)!;
      const a = this.args;
      const k = a.kernelSize;
      if (a.mode === 'conv') {
        this.kernel = this.weight('kernel', [...k, cin / a.groups, a.filters]);
      } else {
        this.kernel = this.weight(a.mode === 'depthwise' ? 'kernel' : 'depthwise_kernel', [
          ...k,
          cin,
          a.depthMultiplier,
        ]);
        if (a.mode === 'separable')
          this.pointwise = this.weight('pointwise_kernel', [...k.map(() => 1), cin * a.depthMultiplier, a.filters]);
      }
      if (a.useBias) this.bias = this.weight('bias', [a.filters], 'zeros');
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      const a = this.args;
      const rank = a.kernelSize.length;
      const window = { kernel: a.kernelSize, strides: a.strides, dilation: a.dilationRate, padding: a.pads };
      // The census' own rule for the kind this layer runs (the specs of one family share theirs).
      const out =
        a.mode === 'conv'
          ? convKinds.conv2d.outputShape(
              { kind: (['conv1d', 'conv2d', 'conv3d'] as const)[rank - 1]!, ...window, ...fields(a) },
              inputs,
              this.name,
            )
          : a.mode === 'depthwise'
            ? convKinds.depthwiseConv2d.outputShape(
                { kind: rank === 2 ? 'depthwiseConv2d' : 'depthwiseConv1d', ...window, ...fields(a) },
                inputs,
                this.name,
              )
            : convKinds.separableConv2d.outputShape(
                { kind: rank === 2 ? 'separableConv2d' : 'separableConv1d', ...window, ...fields(a) },
                inputs,
                this.name,
              );
      return out;
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const a = this.args;
        let x = singleInput(inputs);
        if (a.pads.some(([b, e]) => b > 0 || e > 0)) x = tf.pad(x, [[0, 0], ...a.pads, [0, 0]]);
        const strided = a.strides.some((s) => s > 1);
        const dilated = a.dilationRate.some((d) => d > 1);
        // TensorFlow.js refuses a stride and a dilation together: the kernel is dilated with zeros instead.
        const dilation = strided && dilated ? a.dilationRate.map(() => 1) : a.dilationRate;
        let k = this.kernel!.read();
        if (strided && dilated) k = dilateKernel(tf, k, a.dilationRate);
        let y: TF.Tensor;
        if (a.mode !== 'conv') {
          y = depthwiseOp(tf, x, k, a.strides, dilation);
          if (this.pointwise) y = tf.conv1d(y as TF.Tensor3D, this.pointwise.read() as TF.Tensor3D, 1, 'valid');
        } else {
          const cin = x.shape.at(-1)!;
          const rank = a.kernelSize.length;
          if (a.groups === 1) y = convOp(tf, x, k, a.strides, dilation);
          else if (a.groups === cin && rank <= 2) {
            // One group per input channel is a depthwise conv: [...k, 1, filters] is [...k, cin, filters / cin].
            y = depthwiseOp(
              tf,
              x,
              tf.reshape(k, [...a.kernelSize.map((_, i) => k.shape[i]!), cin, a.filters / cin]),
              a.strides,
              dilation,
            );
          } else {
            const xs = tf.split(x, a.groups, rank + 1);
            const ks = tf.split(k, a.groups, rank + 1);
            const ys = xs.map((xi, i) => convOp(tf, xi, ks[i]!, a.strides, dilation));
            y = tf.concat(ys, rank + 1);
          }
        }
        if (this.bias) y = tf.add(y, this.bias.read());
        return activationOp(tf, a.activation)(y);
      });
    }
  };
}

export interface ConvTransposeNDArgs extends WeightedArgs {
  filters: number;
  kernelSize: number[];
  strides: number[];
  /** What to keep of the full output per axis: [cropped before, cropped after], after < 0 extending it with zeros. */
  crops: Array<[number, number]>;
  dilationRate: number[];
  groups: number;
  useBias: boolean;
  activation?: ActivationFn;
}

/**
 * A transposed convolution of rank 1, 2 or 3 with what tfjs-layers lacks: groups, dilation (the kernel
 * dilated with zeros), output padding and explicit or Keras-same crops. The full output comes from
 * TensorFlow.js' conv2dTranspose / conv3dTranspose ('valid'; a 1-D input runs as a 1 x L image), then is
 * cropped or extended with zeros per axis. Kernel in Keras' layout [...k, filters / groups, cin].
 */
export function convTransposeND(tf: Tf): LayerClass<ConvTransposeNDArgs> {
  return class ConvTransposeND extends customBase(tf)<ConvTransposeNDArgs> {
    static className = 'ConvTransposeND';
    private kernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const cin = singleShape(inputShape).at(-1)!;
      const a = this.args;
      const shape = [...a.kernelSize, a.filters / a.groups, cin];
      this.kernel = this.weight('kernel', shape);
      if (a.useBias) this.bias = this.weight('bias', [a.filters], 'zeros');
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      const a = this.args;
      const rank = a.kernelSize.length;
      const kind = rank === 1 ? 'conv1dTranspose' : rank === 2 ? 'conv2dTranspose' : 'conv3dTranspose';
      // Crops are pads taken off the full output; an extension is output padding past it.
      const config: ConvTransposeConfig = {
        kind,
        filters: a.filters,
        kernel: a.kernelSize,
        strides: a.strides,
        padding: a.crops.map(([b, e]) => [b, Math.max(e, 0)]),
        outputPadding: a.crops.map(([, e]) => Math.max(-e, 0)),
        dilation: a.dilationRate,
        groups: a.groups,
        bias: a.useBias,
      };
      return convKinds[kind].outputShape(config, inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const a = this.args;
        const rank = a.kernelSize.length;
        let x = singleInput(inputs);
        let k = this.kernel!.read();
        if (a.dilationRate.some((d) => d > 1)) k = dilateKernel(tf, k, a.dilationRate);
        let strides = a.strides;
        if (rank === 1) {
          x = tf.expandDims(x, 1);
          k = tf.expandDims(k, 0);
          strides = [1, a.strides[0]!];
        }
        const ek = k.shape.slice(0, -2);
        const batch = x.shape[0];
        const sizes = x.shape.slice(1, -1);
        const full = sizes.map((n, i) => (n - 1) * strides[i]! + ek[i]!);
        const groupOut = a.filters / a.groups;
        const xs = a.groups === 1 ? [x] : tf.split(x, a.groups, -1);
        const ks = a.groups === 1 ? [k] : tf.split(k, a.groups, -1);
        const ys = xs.map((xi, i) => {
          const outShape = [batch, ...full, groupOut];
          return sizes.length === 2
            ? tf.conv2dTranspose(
                xi as TF.Tensor4D,
                ks[i] as TF.Tensor4D,
                outShape as [number, number, number, number],
                strides as [number, number],
                'valid',
              )
            : tf.conv3dTranspose(
                xi as TF.Tensor5D,
                ks[i] as TF.Tensor5D,
                outShape as [number, number, number, number, number],
                strides as [number, number, number],
                'valid',
              );
        });
        let y: TF.Tensor = ys.length === 1 ? ys[0]! : tf.concat(ys, -1);
        if (rank === 1) y = tf.squeeze(y, [1]);
        const yFull = y.shape.slice(1, -1);
        const begin = [0, ...a.crops.map(([b]) => b), 0];
        const size = [-1, ...a.crops.map(([b, e], i) => yFull[i]! - b - Math.max(e, 0)), -1];
        y = tf.slice(y, begin, size);
        if (a.crops.some(([, e]) => e < 0))
          y = tf.pad(y, [[0, 0], ...a.crops.map(([, e]) => [0, Math.max(-e, 0)] as [number, number]), [0, 0]]);
        if (this.bias) y = tf.add(y, this.bias.read());
        return activationOp(tf, a.activation)(y);
      });
    }
  };
}

export interface StftArgs extends Omit<StftConfig, 'kind'>, WeightedArgs {}

/**
 * Keras' STFTSpectrogram: each channel convolved ('valid' or TensorFlow's 'same', stride frame_step)
 * with the real and imaginary kernels, then the mode: the parts, their angle, both stacked (stft), power
 * with the inner bins doubled (psd), magnitude sqrt(max(power, 1e-7)), or its log (Keras' epsilon floor).
 */
export function stftSpectrogram(tf: Tf): LayerClass<StftArgs> {
  return class STFTSpectrogramLayer extends customBase(tf)<StftArgs> {
    static className = 'NetcensusSTFTSpectrogram';
    private real?: TF.LayerVariable;
    private imag?: TF.LayerVariable;

    private config(): StftConfig {
      const { kernelInitializer: _k, name: _n, ...rest } = this.args;
      return { kind: 'stftSpectrogram', ...rest };
    }

    override build(): void {
      const a = this.args;
      const shape = [a.frameLength, 1, stftBins(this.config())];
      if (a.mode !== 'imag') this.real = this.weight('real_kernel', shape);
      if (a.mode !== 'real') this.imag = this.weight('imag_kernel', shape);
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      return convKinds.stftSpectrogram.outputShape(this.config(), inputs, this.name);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.tidy(() => {
        const a = this.args;
        const x = singleInput(inputs) as TF.Tensor3D;
        const [batch, t, ch] = x.shape;
        // Every channel as its own signal: [batch x channels, T, 1].
        const signals = tf.reshape(tf.transpose(x, [0, 2, 1]), [batch * ch, t, 1]) as TF.Tensor3D;
        const conv = (k?: TF.LayerVariable) =>
          k ? tf.conv1d(signals, k.read() as TF.Tensor3D, a.frameStep, a.padding) : undefined;
        const re = conv(this.real);
        const im = conv(this.imag);
        const eps = 1e-7;
        let y: TF.Tensor;
        if (a.mode === 'real') y = re!;
        else if (a.mode === 'imag') y = im!;
        else if (a.mode === 'angle') y = tf.atan2(im!, re!);
        else if (a.mode === 'stft') y = tf.concat([re!, im!], 2);
        else {
          const power = tf.add(tf.square(re!), tf.square(im!));
          const bins = power.shape[2]!;
          if (a.mode === 'psd') {
            // The bins between the first and the last count twice (a one-sided spectrum).
            const inner = tf.pad(tf.slice(power, [0, 0, 1], [-1, -1, Math.max(bins - 2, 0)]), [
              [0, 0],
              [0, 0],
              [1, 1],
            ]);
            y = bins > 2 ? tf.add(power, inner) : power;
          } else {
            const magnitude = tf.sqrt(tf.maximum(power, eps));
            y = a.mode === 'magnitude' ? magnitude : tf.log(tf.maximum(magnitude, eps));
          }
        }
        const [, frames, f] = y.shape as [number, number, number];
        const perChannel = tf.reshape(y, [batch, ch, frames, f]);
        return a.expandDims
          ? tf.transpose(perChannel, [0, 2, 3, 1])
          : tf.reshape(tf.transpose(perChannel, [0, 2, 1, 3]), [batch, frames, ch * f]);
      });
    }
  };
}
