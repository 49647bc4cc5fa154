/**
 * Conv and ConvTranspose, 1-D to 3-D. ONNX's weights are [out, in / group, ...kernel] (ConvTranspose:
 * [in, out / group, ...kernel]); a 2-D Conv with one group per input channel is a depthwise convolution,
 * decided here once and carried to its weight layout.
 */
import { prod } from '../../../exact.js';
import type { LayerConfig } from '../../../graph.js';
import { attr, attrInt, attrInts, attrString, axisPads, windowPads } from '../attributes.js';
import { channelsLast, transpose, type Const, type StoredTensor, type Tensor, type WeightLayout } from '../values.js';
import type { Converter } from '../convert.js';
import type { NodeProto, TensorProto } from '../proto.js';
import type { Handler, OpFile } from './def.js';

/** The kind config of a Conv (kept apart so that the config types can change in one place). */
function convConfig(
  s: number,
  filters: number,
  kernel: number[],
  strides: number[],
  pads: 'same' | Array<[number, number]>,
  dilations: number[],
  groups: number,
  bias: boolean,
  depthwise: boolean,
): LayerConfig {
  const window = { kernel, strides, padding: pads, dilation: dilations, bias };
  return depthwise
    ? { kind: 'depthwiseConv2d', ...window, depthMultiplier: filters / groups }
    : { kind: (['conv1d', 'conv2d', 'conv3d'] as const)[s - 1]!, filters, groups, ...window };
}

/** The input, the stored weights and bias, and the spatial rank (1 to 3); undefined once refused. */
function storedWeights(
  c: Converter,
  n: NodeProto,
  what: string,
): { x0: Tensor; w: Const & { init: TensorProto }; b: Const | undefined; s: number } | undefined {
  const x0 = c.tensorOrConstant(n, 0);
  const w = c.value(n, 1);
  if (w.t !== 'const' || !w.init) return void c.unknown(n, `a ${n.opType} whose weights are computed, not stored`);
  const b = c.optional(n, 2);
  if (b && (b.t !== 'const' || !b.init)) return void c.unknown(n, `a ${n.opType} whose bias is computed, not stored`);
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return void c.unknown(n, `a ${s}-D ${what}`);
  return { x0, w: w as Const & { init: TensorProto }, b: b, s };
}

const conv: Handler = function (n) {
  const c = this;
  const stored = storedWeights(c, n, 'convolution');
  if (!stored) return;
  const { x0, w, b, s } = stored;
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const [out, perGroup, ...kernel] = w.dims as [number, number, ...number[]];
  const group = attrInt(n, 'group', 1);
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  const pads = windowPads(n, x.onnx.slice(2), kernel, strides, dilations);
  const cin = x.onnx[1]!;
  // The weights' own check (the kind checks divisibility, not that the file's weights fit the input).
  if (perGroup * group !== cin)
    return c.unknown(n, `a Conv with ${cin} input channels and weights for ${perGroup} x ${group} groups`);
  // One group per input channel is a depthwise convolution (MobileNet's): the same weights, run as one.
  const depthwise = s === 2 && group > 1 && group === cin && out % cin === 0;
  const config = convConfig(s, out, kernel, strides, pads, dilations, group, b !== undefined, depthwise);
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  const inits = [w.init.name, ...(b ? [b.init!.name] : [])];
  c.weights.set(
    ref,
    depthwise
      ? { op: 'DepthwiseConv', depthwise: { channels: cin, multiplier: out / cin }, inits }
      : { op: 'Conv', inits },
  );
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

/** The kind config of a ConvTranspose. */
const convTransposeConfig = (
  s: number,
  filters: number,
  kernel: number[],
  strides: number[],
  pads: 'same' | Array<[number, number]>,
  outputPadding: number[],
  dilations: number[],
  groups: number,
  bias: boolean,
): LayerConfig => ({
  kind: s === 1 ? 'conv1dTranspose' : s === 2 ? 'conv2dTranspose' : 'conv3dTranspose',
  filters,
  kernel,
  strides,
  padding: pads,
  outputPadding,
  dilation: dilations,
  groups,
  bias,
});

const convTranspose: Handler = function (n) {
  const c = this;
  const stored = storedWeights(c, n, 'ConvTranspose');
  if (!stored) return;
  const { x0, w, b, s } = stored;
  if (attr(n, 'output_shape')) return c.unknown(n, 'a ConvTranspose given an output_shape');
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const [cin, perGroup, ...kernel] = w.dims as [number, number, ...number[]];
  const group = attrInt(n, 'group', 1);
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  const outputPadding = attrInts(n, 'output_padding') ?? kernel.map(() => 0);
  const mode = attrString(n, 'auto_pad', 'NOTSET');
  if (mode === 'SAME_LOWER') return c.unknown(n, 'a ConvTranspose with auto_pad SAME_LOWER');
  // auto_pad VALID reads the pads attribute, as NOTSET does.
  const pads = mode === 'SAME_UPPER' ? 'same' : axisPads(attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]), s);
  if (cin !== x.onnx[1])
    return c.unknown(n, `a ConvTranspose with weights for ${cin} input channels, fed ${x.onnx[1]}`);
  const config = convTransposeConfig(
    s,
    perGroup * group,
    kernel,
    strides,
    pads,
    outputPadding,
    dilations,
    group,
    b !== undefined,
  );
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.weights.set(ref, { op: 'ConvTranspose', inits: [w.init.name, ...(b ? [b.init!.name] : [])] });
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

/** [a, b, ...kernel] -> [...kernel, b, a]: tfjs' kernel layout. */
function kernelLast(w: StoredTensor): { data: Float32Array; shape: number[] } {
  const perm = [...w.dims.slice(2).map((_, i) => i + 2), 1, 0];
  return { data: transpose(w.data, w.dims, perm), shape: perm.map((p) => w.dims[p]!) };
}

const convWeights: WeightLayout = (source, t) => {
  const w = t(source.inits[0]!);
  const out = [kernelLast(w)];
  if (source.inits[1]) out.push({ data: t(source.inits[1]).data, shape: [w.dims[0]!] });
  return out;
};

const convTransposeWeights: WeightLayout = (source, t) => {
  const out = [kernelLast(t(source.inits[0]!))];
  if (source.inits[1]) out.push({ data: t(source.inits[1]).data, shape: [prod(t(source.inits[1]).dims)] });
  return out;
};

/** [C x m, 1, kh, kw] -> [kh, kw, C, m]. */
const depthwiseWeights: WeightLayout = (source, t) => {
  const w = t(source.inits[0]!);
  const [o, , kh, kw] = w.dims as [number, number, number, number];
  const { channels, multiplier } = source.depthwise!;
  const out = [
    { data: transpose(w.data, [channels, multiplier, kh, kw], [2, 3, 0, 1]), shape: [kh, kw, channels, multiplier] },
  ];
  if (source.inits[1]) out.push({ data: t(source.inits[1]).data, shape: [o] });
  return out;
};

export const { operators, layouts }: OpFile = {
  operators: {
    Conv: { convert: conv, spatial: true },
    ConvTranspose: { convert: convTranspose, spatial: true },
  },
  layouts: { Conv: convWeights, ConvTranspose: convTransposeWeights, DepthwiseConv: depthwiseWeights },
};
