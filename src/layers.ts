/**
 * What every kind of layer computes, in one place per kind (as tfjs-layers gives each layer its own
 * computeOutputShape): output shape, weight tensors, and weight multiply-accumulates per example.
 * Everything here is exact integer arithmetic on shapes; no tensors are created.
 */
import { ShapeError } from './errors.js';
import { mul, prod } from './exact.js';
import type { GlobalPoolConfig, LayerConfig, LayerKind, Pads, Padding, Pair, Pool2dConfig, Shape } from './graph.js';

/**
 * One weight tensor of a layer. `role` drives the weights/biases split; `torchName` is the name PyTorch
 * gives the same tensor (`weight`, `bias`, or a BN buffer), which the torch-summary conventions key on.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  role: 'weight' | 'bias' | 'stat';
  trainable: boolean;
  torchName: 'weight' | 'bias' | 'buffer';
}

export interface LayerDef<C extends LayerConfig> {
  /** Framework-neutral display name, as Keras would print it. */
  title: string;
  outputShape(c: C, inputs: Shape[], name: string): Shape;
  weights(c: C, inputs: Shape[]): WeightSpec[];
  /** Weight multiply-accumulates for one example (conv and dense only; bias adds are not MACs). */
  macs(c: C, inputs: Shape[], out: Shape): number;
  /** Short parameter text for tables: `11x11/4 p2 g2`. */
  describe(c: C): string;
  /** True for layers PyTorch would implement as a ConvNd module (torch-summary scales their weights by output positions). */
  convLike?: boolean;
}

const fail = (name: string, kind: LayerKind, detail: string): never => {
  throw new ShapeError(name, kind, detail);
};

function one(name: string, kind: LayerKind, inputs: Shape[]): Shape {
  if (inputs.length !== 1) fail(name, kind, `expects 1 input, got ${inputs.length}`);
  return inputs[0]!;
}

function spatial(name: string, kind: LayerKind, inputs: Shape[]): [number, number, number] {
  const s = one(name, kind, inputs);
  if (s.length !== 3) fail(name, kind, `expects an H x W x C input, got shape [${s.join(', ')}]`);
  return [s[0]!, s[1]!, s[2]!];
}

const pairText = ([h, w]: Pair): string => (h === w ? `${h}` : `${h}x${w}`);
const padText = (p: Padding): string =>
  typeof p === 'string'
    ? p === 'same'
      ? ' same'
      : ''
    : p.top === p.bottom && p.left === p.right && p.top === p.left
      ? ` p${p.top}`
      : ` p(${p.top},${p.bottom},${p.left},${p.right})`;

/** A fused activation, as Keras' Conv2D(activation=...) has, shown after the layer's parameters. */
const act = (fn: string | undefined): string => (fn ? ` +${fn}` : '');

export const effectiveKernel = (k: number, d: number): number => (k - 1) * d + 1;

/** TensorFlow's SAME padding: output ceil(in / stride), the odd pixel of padding goes after. */
export function samePads(inH: number, inW: number, kernel: Pair, strides: Pair, dilation: Pair = [1, 1]): Pads {
  const total = (i: number, k: number, s: number, d: number): number =>
    Math.max((Math.ceil(i / s) - 1) * s + effectiveKernel(k, d) - i, 0);
  const th = total(inH, kernel[0], strides[0], dilation[0]);
  const tw = total(inW, kernel[1], strides[1], dilation[1]);
  return {
    top: Math.floor(th / 2),
    bottom: th - Math.floor(th / 2),
    left: Math.floor(tw / 2),
    right: tw - Math.floor(tw / 2),
  };
}

/** Explicit pads of a padding spec for a given input; 'same' is resolved the way TensorFlow does. */
export function resolvePads(
  p: Padding,
  inH: number,
  inW: number,
  kernel: Pair,
  strides: Pair,
  dilation: Pair = [1, 1],
): Pads {
  if (p === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (p === 'same') return samePads(inH, inW, kernel, strides, dilation);
  return p;
}

function checkPositive(name: string, kind: LayerKind, what: string, values: readonly number[]): void {
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 1) fail(name, kind, `${what} must be a positive integer, got ${v}`);
  }
}

/** Output size along one axis of a sliding window; refuses a window larger than its (padded) input. */
function windowOut(
  name: string,
  kind: LayerKind,
  axis: string,
  size: number,
  k: number,
  s: number,
  d: number,
  before: number,
  after: number,
  ceil: boolean,
): number {
  const ek = effectiveKernel(k, d);
  const padded = size + before + after;
  if (ek > padded) {
    const pad = before + after > 0 ? ` (padded to ${padded})` : '';
    fail(
      name,
      kind,
      `${kind.includes('Pool') ? 'pool window' : 'kernel'} ${ek} is larger than its input ${axis} ${size}${pad}`,
    );
  }
  if (!ceil) return Math.floor((padded - ek) / s) + 1;
  let out = Math.ceil((padded - ek) / s) + 1;
  // PyTorch and Caffe drop a last window that would start in the right padding.
  if ((out - 1) * s >= size + before) out -= 1;
  return out;
}

interface Window {
  kernel: Pair;
  strides: Pair;
  dilation: Pair;
  padding: Padding;
  ceilMode?: boolean;
}

function slide(name: string, kind: LayerKind, h: number, w: number, win: Window): [number, number] {
  checkPositive(name, kind, 'kernel size', win.kernel);
  checkPositive(name, kind, 'stride', win.strides);
  checkPositive(name, kind, 'dilation', win.dilation);
  if (win.padding === 'same') return [Math.ceil(h / win.strides[0]), Math.ceil(w / win.strides[1])];
  const p = resolvePads(win.padding, h, w, win.kernel, win.strides, win.dilation);
  for (const v of [p.top, p.bottom, p.left, p.right]) {
    if (!Number.isSafeInteger(v) || v < 0) fail(name, kind, `padding must be a non-negative integer, got ${v}`);
  }
  return [
    windowOut(
      name,
      kind,
      'height',
      h,
      win.kernel[0],
      win.strides[0],
      win.dilation[0],
      p.top,
      p.bottom,
      win.ceilMode ?? false,
    ),
    windowOut(
      name,
      kind,
      'width',
      w,
      win.kernel[1],
      win.strides[1],
      win.dilation[1],
      p.left,
      p.right,
      win.ceilMode ?? false,
    ),
  ];
}

const identity = <C extends LayerConfig>(title: string, describe: (c: C) => string = () => ''): LayerDef<C> => ({
  title,
  outputShape: (c, inputs, name) => one(name, c.kind, inputs),
  weights: () => [],
  macs: () => 0,
  describe,
});

const w = (name: string, shape: number[], torchName: WeightSpec['torchName'] = 'weight'): WeightSpec => ({
  name,
  shape,
  role: 'weight',
  trainable: true,
  torchName,
});
const b = (name: string, shape: number[]): WeightSpec => ({
  name,
  shape,
  role: 'bias',
  trainable: true,
  torchName: 'bias',
});

function pool2d(title: string): LayerDef<Pool2dConfig> {
  return {
    title,
    outputShape: (c, inputs, name) => {
      const [h, wd, ch] = spatial(name, c.kind, inputs);
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
      const [oh, ow] = slide(name, c.kind, h, wd, {
        kernel: c.pool,
        strides: c.strides,
        dilation: [1, 1],
        padding: c.padding,
        ceilMode: c.ceilMode,
      });
      return [oh, ow, ch];
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) => `${pairText(c.pool)}/${pairText(c.strides)}${padText(c.padding)}${c.ceilMode ? ' ceil' : ''}`,
  };
}

function globalPool(title: string): LayerDef<GlobalPoolConfig> {
  return {
    title,
    outputShape: (c, inputs, name) => {
      const [, , ch] = spatial(name, c.kind, inputs);
      return c.keepDims ? [1, 1, ch] : [ch];
    },
    weights: () => [],
    macs: () => 0,
    describe: () => '',
  };
}

/** The config type of one kind; unlike Extract, it also finds configs that several kinds share (pools). */
type ConfigOf<K extends LayerKind> = LayerConfig extends infer C
  ? C extends { kind: infer CK }
    ? K extends CK
      ? C
      : never
    : never
  : never;
type Defs = { [K in LayerKind]: LayerDef<ConfigOf<K>> };

export const LAYERS: Defs = {
  input: {
    title: 'InputLayer',
    outputShape: (c, _inputs, name) => {
      checkPositive(name, 'input', 'input dimension', c.shape);
      return c.shape;
    },
    weights: () => [],
    macs: () => 0,
    describe: () => '',
  },

  conv2d: {
    title: 'Conv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, wd, cin] = spatial(name, c.kind, inputs);
      checkPositive(name, c.kind, 'filters', [c.filters]);
      checkPositive(name, c.kind, 'groups', [c.groups]);
      if (cin % c.groups !== 0) fail(name, c.kind, `input channels ${cin} are not divisible by groups ${c.groups}`);
      if (c.filters % c.groups !== 0)
        fail(name, c.kind, `filters ${c.filters} are not divisible by groups ${c.groups}`);
      const [oh, ow] = slide(name, c.kind, h, wd, {
        kernel: c.kernel,
        strides: c.strides,
        dilation: c.dilation,
        padding: c.padding,
      });
      return [oh, ow, c.filters];
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [w('kernel', [c.kernel[0], c.kernel[1], cin / c.groups, c.filters])];
      if (c.bias) specs.push(b('bias', [c.filters]));
      return specs;
    },
    macs: (c, inputs, out) =>
      mul('MACs', out[0]!, out[1]!, c.filters, inputs[0]![2]! / c.groups, c.kernel[0], c.kernel[1]),
    describe: (c) =>
      `${pairText(c.kernel)}${c.strides[0] > 1 || c.strides[1] > 1 ? '/' + pairText(c.strides) : ''}${padText(c.padding)}${c.dilation[0] > 1 || c.dilation[1] > 1 ? ' d' + pairText(c.dilation) : ''}${c.groups > 1 ? ' g' + c.groups : ''}${c.bias ? '' : ' nobias'}${act(c.activation)}`,
  },

  depthwiseConv2d: {
    title: 'DepthwiseConv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, wd, cin] = spatial(name, c.kind, inputs);
      checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
      const [oh, ow] = slide(name, c.kind, h, wd, {
        kernel: c.kernel,
        strides: c.strides,
        dilation: c.dilation,
        padding: c.padding,
      });
      return [oh, ow, mul('channels', cin, c.depthMultiplier)];
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [w('depthwise_kernel', [c.kernel[0], c.kernel[1], cin, c.depthMultiplier])];
      if (c.bias) specs.push(b('bias', [cin * c.depthMultiplier]));
      return specs;
    },
    macs: (c, _inputs, out) => mul('MACs', out[0]!, out[1]!, out[2]!, c.kernel[0], c.kernel[1]),
    describe: (c) =>
      `${pairText(c.kernel)}${c.strides[0] > 1 ? '/' + pairText(c.strides) : ''}${padText(c.padding)} x${c.depthMultiplier}${act(c.activation)}`,
  },

  separableConv2d: {
    title: 'SeparableConv2D',
    convLike: true,
    outputShape: (c, inputs, name) => {
      const [h, wd] = spatial(name, c.kind, inputs);
      checkPositive(name, c.kind, 'filters', [c.filters]);
      checkPositive(name, c.kind, 'depth multiplier', [c.depthMultiplier]);
      const [oh, ow] = slide(name, c.kind, h, wd, {
        kernel: c.kernel,
        strides: c.strides,
        dilation: c.dilation,
        padding: c.padding,
      });
      return [oh, ow, c.filters];
    },
    weights: (c, inputs) => {
      const cin = inputs[0]![2]!;
      const specs = [
        w('depthwise_kernel', [c.kernel[0], c.kernel[1], cin, c.depthMultiplier]),
        w('pointwise_kernel', [1, 1, cin * c.depthMultiplier, c.filters]),
      ];
      if (c.bias) specs.push(b('bias', [c.filters]));
      return specs;
    },
    macs: (c, inputs, out) => {
      const mid = mul('channels', inputs[0]![2]!, c.depthMultiplier);
      return mul('MACs', out[0]!, out[1]!, mid, c.kernel[0] * c.kernel[1] + c.filters);
    },
    describe: (c) =>
      `${pairText(c.kernel)}${c.strides[0] > 1 ? '/' + pairText(c.strides) : ''}${padText(c.padding)}${act(c.activation)}`,
  },

  dense: {
    title: 'Dense',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'units', [c.units]);
      if (s.length < 1) fail(name, c.kind, 'needs an input of rank >= 1');
      // Keras' Dense acts on the last axis only: a 13x13x256 map stays 13x13 (seed 000's surprise).
      return [...s.slice(0, -1), c.units];
    },
    weights: (c, inputs) => {
      const fanIn = inputs[0]![inputs[0]!.length - 1]!;
      const specs = [w('kernel', [fanIn, c.units])];
      if (c.bias) specs.push(b('bias', [c.units]));
      return specs;
    },
    macs: (c, inputs) => mul('MACs', prod(inputs[0]!), c.units),
    describe: (c) => `${c.units}${c.bias ? '' : ' nobias'}${act(c.activation)}`,
  },

  maxPool2d: pool2d('MaxPooling2D'),
  avgPool2d: pool2d('AveragePooling2D'),

  globalAvgPool2d: globalPool('GlobalAveragePooling2D'),
  globalMaxPool2d: globalPool('GlobalMaxPooling2D'),

  adaptiveAvgPool2d: {
    title: 'AdaptiveAvgPool2d',
    outputShape: (c, inputs, name) => {
      const [, , ch] = spatial(name, c.kind, inputs);
      checkPositive(name, c.kind, 'output size', c.output);
      return [c.output[0], c.output[1], ch];
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) => `-> ${c.output[0]}x${c.output[1]}`,
  },

  flatten: {
    title: 'Flatten',
    outputShape: (c, inputs, name) => [prod(one(name, c.kind, inputs))],
    weights: () => [],
    macs: () => 0,
    describe: () => '',
  },

  reshape: {
    title: 'Reshape',
    outputShape: (c, inputs, name) => {
      const size = prod(one(name, c.kind, inputs));
      const unknown = c.target.filter((d) => d === -1).length;
      if (unknown > 1 || c.target.some((d) => d !== -1 && (!Number.isSafeInteger(d) || d < 1))) {
        fail(name, c.kind, `invalid target shape [${c.target.join(', ')}]`);
      }
      const known = prod(c.target.filter((d) => d !== -1));
      if (unknown === 1 ? size % known !== 0 : size !== known) {
        fail(name, c.kind, `cannot reshape ${size} elements into [${c.target.join(', ')}]`);
      }
      return c.target.map((d) => (d === -1 ? size / known : d));
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) => `[${c.target.join(', ')}]`,
  },

  batchNorm: {
    title: 'BatchNormalization',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      if (s.length < 1) fail(name, c.kind, 'needs an input of rank >= 1');
      return s;
    },
    weights: (c, inputs) => {
      const ch = inputs[0]![inputs[0]!.length - 1]!;
      const specs: WeightSpec[] = [];
      if (c.scale) specs.push(w('gamma', [ch]));
      if (c.center) specs.push(b('beta', [ch]));
      // Keras and tfjs count the moving statistics as non-trainable weights; PyTorch keeps them as buffers.
      specs.push({ name: 'moving_mean', shape: [ch], role: 'stat', trainable: false, torchName: 'buffer' });
      specs.push({ name: 'moving_variance', shape: [ch], role: 'stat', trainable: false, torchName: 'buffer' });
      return specs;
    },
    macs: () => 0,
    describe: (c) => (c.center && c.scale ? '' : `${c.scale ? '' : 'no scale'}${c.center ? '' : ' no center'}`.trim()),
  },

  activation: identity('Activation', (c) => (c.maxValue === undefined ? c.fn : `${c.fn} max ${c.maxValue}`)),
  lrn: identity('LRN', (c) => `size ${c.size}`),
  dropout: identity('Dropout', (c) => `${c.rate}`),
  rescaling: identity('Rescaling', (c) => `x${c.scale}${c.offset ? ` + ${c.offset}` : ''}`),

  normalization: {
    title: 'Normalization',
    outputShape: (c, inputs, name) => one(name, c.kind, inputs),
    weights: (_c, inputs) => {
      const ch = inputs[0]![inputs[0]!.length - 1]!;
      // Keras 3 keeps mean, variance and a scalar sample count, all non-trainable.
      return [
        { name: 'mean', shape: [ch], role: 'stat', trainable: false, torchName: 'buffer' },
        { name: 'variance', shape: [ch], role: 'stat', trainable: false, torchName: 'buffer' },
        { name: 'count', shape: [], role: 'stat', trainable: false, torchName: 'buffer' },
      ];
    },
    macs: () => 0,
    describe: () => '',
  },

  zeroPad2d: {
    title: 'ZeroPadding2D',
    outputShape: (c, inputs, name) => {
      const [h, wd, ch] = spatial(name, c.kind, inputs);
      const p = c.pads;
      for (const v of [p.top, p.bottom, p.left, p.right]) {
        if (!Number.isSafeInteger(v) || v < 0) fail(name, c.kind, `padding must be a non-negative integer, got ${v}`);
      }
      return [h + p.top + p.bottom, wd + p.left + p.right, ch];
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) => padText(c.pads).trim(),
  },

  add: {
    title: 'Add',
    outputShape: (_c, inputs, name) => sameShapes(name, 'add', inputs),
    weights: () => [],
    macs: () => 0,
    describe: () => '',
  },

  multiply: {
    title: 'Multiply',
    outputShape: (_c, inputs, name) => sameShapes(name, 'multiply', inputs),
    weights: () => [],
    macs: () => 0,
    describe: () => '',
  },

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
          fail(
            name,
            c.kind,
            `input shapes [${inputs.map((x) => x.join('x')).join('], [')}] differ outside axis ${c.axis}`,
          );
        }
        out[axis] = out[axis]! + s[axis]!;
      }
      return out;
    },
    weights: () => [],
    macs: () => 0,
    describe: (c) => (c.axis === -1 ? '' : `axis ${c.axis}`),
  },
};

function sameShapes(name: string, kind: LayerKind, inputs: Shape[]): Shape {
  if (inputs.length < 2) fail(name, kind, `expects at least 2 inputs, got ${inputs.length}`);
  const first = inputs[0]!;
  for (const s of inputs) {
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) {
      fail(name, kind, `input shapes differ: [${inputs.map((x) => x.join('x')).join('], [')}]`);
    }
  }
  return first;
}

export function layerDef(config: LayerConfig): LayerDef<LayerConfig> {
  return LAYERS[config.kind] as LayerDef<LayerConfig>;
}
