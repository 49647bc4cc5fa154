/**
 * Sliding-window arithmetic shared by convolutions and pools, for any number of spatial axes (1-D
 * sequences, 2-D images, 3-D volumes): output sizes, TensorFlow's SAME padding, explicit padding, ceil
 * mode, and the uneven-stride diagnostic. Exact integer arithmetic; no tensors.
 */
import { checkPositive, fail } from './spec.js';
import type { ConfigReader, Diagnostic, DiagnoseCtx, LayerInfo, Pair, WindowSpec } from './spec.js';

/** Explicit 2-D padding, in pixels, as the zoo and PyTorch-style layers give it. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
export type Padding = 'valid' | 'same' | Pads;

/** Padding of any rank: per spatial axis [before, after]. */
export type AxisPads = ReadonlyArray<readonly [number, number]>;

export const effectiveKernel = (k: number, d: number): number => (k - 1) * d + 1;

export const axisPadsOf = (p: Pads): AxisPads => [
  [p.top, p.bottom],
  [p.left, p.right],
];
export const padsOf = ([[top, bottom], [left, right]]:
  readonly [readonly [number, number], readonly [number, number]] | AxisPads): Pads => ({
  top: top,
  bottom: bottom,
  left: left,
  right: right,
});
/** Symmetric explicit padding of a 2-D window: `pads(1)`, `pads([1, 2])`. */
export const pads = (p: number | Pair): AxisPads => {
  const [h, w] = typeof p === 'number' ? [p, p] : p;
  return [
    [h, h],
    [w, w],
  ];
};

export const equalPads = (a: AxisPads, b: AxisPads): boolean =>
  a.length === b.length && a.every(([x, y], i) => x === b[i]![0] && y === b[i]![1]);
export const isZeroPads = (p: AxisPads): boolean => p.every(([x, y]) => x === 0 && y === 0);

/** Explicit pads as netcensus' own tfjs layers serialize them ({top, bottom, left, right}). */
export function readPads(r: ConfigReader, field: string): Pads {
  const p = r.raw(field) as Record<string, unknown> | undefined;
  const pads = { top: Number(p?.top), bottom: Number(p?.bottom), left: Number(p?.left), right: Number(p?.right) };
  if (Object.values(pads).some((v) => !Number.isSafeInteger(v) || v < 0)) {
    r.fail(field, `must be non-negative integers, got ${JSON.stringify(p)}`);
  }
  return pads;
}

/** TensorFlow's SAME padding: output ceil(in / stride), the odd pixel of padding goes after. */
export function samePadsND(
  sizes: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
): Array<[number, number]> {
  return sizes.map((size, i) => {
    const total = Math.max(
      (Math.ceil(size / strides[i]!) - 1) * strides[i]! + effectiveKernel(kernel[i]!, dilation[i]!) - size,
      0,
    );
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  });
}

/** Per-axis pads of a padding spec for a given input; 'same' is resolved the way TensorFlow does. */
export function resolveAxisPads(
  padding: 'valid' | 'same' | AxisPads,
  sizes: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
): AxisPads {
  if (padding === 'valid') return sizes.map(() => [0, 0] as const);
  if (padding === 'same') return samePadsND(sizes, kernel, strides, dilation);
  return padding;
}

/** A 2-D padding spec as per-axis pads (the zoo's Pads, or 'valid'/'same' unchanged). */
export const toAxisPadding = (p: Padding): 'valid' | 'same' | AxisPads => (typeof p === 'string' ? p : axisPadsOf(p));

const AXES: Record<number, readonly string[]> = {
  1: ['length'],
  2: ['height', 'width'],
  3: ['depth', 'height', 'width'],
};
export const axisName = (rank: number, i: number): string => AXES[rank]?.[i] ?? `axis ${i + 1}`;

/** Output size along one axis of a sliding window; refuses a window larger than its (padded) input. */
function windowOut(
  name: string,
  kind: string,
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

export interface Window {
  kernel: readonly number[];
  strides: readonly number[];
  dilation: readonly number[];
  padding: 'valid' | 'same' | AxisPads;
  ceilMode?: boolean;
}

/** Output sizes of a window sliding over `sizes` (the spatial axes only). */
export function slide(name: string, kind: string, sizes: readonly number[], win: Window): number[] {
  checkPositive(name, kind, 'kernel size', win.kernel);
  checkPositive(name, kind, 'stride', win.strides);
  checkPositive(name, kind, 'dilation', win.dilation);
  if (win.padding === 'same') return sizes.map((size, i) => Math.ceil(size / win.strides[i]!));
  const p = resolveAxisPads(win.padding, sizes, win.kernel, win.strides, win.dilation);
  for (const v of p.flat()) {
    if (!Number.isSafeInteger(v) || v < 0) fail(name, kind, `padding must be a non-negative integer, got ${v}`);
  }
  return sizes.map((size, i) =>
    windowOut(
      name,
      kind,
      axisName(sizes.length, i),
      size,
      win.kernel[i]!,
      win.strides[i]!,
      win.dilation[i]!,
      p[i]![0],
      p[i]![1],
      win.ceilMode ?? false,
    ),
  );
}

/** `3` for a square window, `3x5` otherwise. */
export const sizeText = (v: readonly number[]): string => (v.every((x) => x === v[0]) ? `${v[0]}` : v.join('x'));

/** ` same`, nothing for valid, ` p1` for equal explicit pads, ` p(before, after, ...)` otherwise. */
export function padText(p: 'valid' | 'same' | AxisPads): string {
  if (typeof p === 'string') return p === 'same' ? ' same' : '';
  const flat = p.flat();
  return flat.every((v) => v === flat[0]) ? ` p${flat[0]}` : ` p(${flat.join(',')})`;
}

/** A window spec for the diagnostic, with its padding resolved for the layer's input. */
export function windowSpec(info: LayerInfo, win: Window): WindowSpec {
  const sizes = info.inputShapes[0]!.slice(0, win.kernel.length);
  return {
    kernel: win.kernel,
    strides: win.strides,
    dilation: win.dilation,
    pads: resolveAxisPads(win.padding, sizes, win.kernel, win.strides, win.dilation),
    coversAll: win.padding === 'same' || (win.ceilMode ?? false),
  };
}

/** Zero padding applied by the layer in front (Keras' ResNet50 conv1_pad), per axis after the input. */
function paddingAfterInFront(info: LayerInfo, ctx: DiagnoseCtx, rank: number): number[] {
  const src = ctx.producer(info.node.inputs[0]!)?.node.config;
  if (src?.kind === 'zeroPad2d' && rank === 2) return [src.pads.bottom, src.pads.right];
  return Array.from({ length: rank }, () => 0);
}

const UNITS: Record<string, string> = { height: 'row', width: 'column', length: 'step', depth: 'slice' };

/**
 * A strided window that does not tile its input: the last rows or columns are silently dropped. Only
 * overlapping windows (kernel > stride) that leave real input, not padding, uncovered count: a 1x1/2
 * subsampling conv or a padded stem skips pixels by design.
 */
export function unevenStride(info: LayerInfo, w: WindowSpec, ctx: DiagnoseCtx): Diagnostic[] {
  if (w.coversAll) return [];
  const rank = w.kernel.length;
  const sizes = info.inputShapes[0]!.slice(0, rank);
  const inFront = paddingAfterInFront(info, ctx, rank);
  const axes = sizes.map((size, i) => ({
    axis: axisName(rank, i),
    size,
    pad: w.pads[i]![0] + w.pads[i]![1],
    ek: effectiveKernel(w.kernel[i]!, w.dilation[i]!),
    s: w.strides[i]!,
    after: w.pads[i]![1] + inFront[i]!,
  }));
  const uneven = axes.filter((a) => a.s > 1 && a.ek > a.s && (a.size + a.pad - a.ek) % a.s > a.after);
  if (uneven.length === 0) return [];
  const { axis, size, pad, ek, s, after } = uneven[0]!;
  const left = ((size + pad - ek) % s) - after;
  const fits = [size - left, size + (s - left)];
  const which =
    uneven.length === 1 ? '' : uneven.length === 2 && rank === 2 ? ' (both axes)' : ` (${uneven.length} axes)`;
  return [
    {
      code: 'uneven-stride',
      layer: info.node.name,
      message:
        `input ${axis} ${size} does not divide evenly: ` +
        `(${size}${pad ? ` + ${pad}` : ''} - ${ek}) / ${s} = ${((size + pad - ek) / s).toFixed(2)}, ` +
        `so the last ${left} ${UNITS[axis] ?? 'position'}(s) are never covered${which}; ` +
        `${fits[0]} or ${fits[1]} would tile exactly`,
    },
  ];
}
