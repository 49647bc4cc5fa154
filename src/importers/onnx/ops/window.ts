/** The padding of a sliding window (Conv, MaxPool, AveragePool), from auto_pad or explicit pads. */
import { samePadsND } from '../../../kinds/window.js';
import { attrInts, attrString } from '../attributes.js';
import type { NodeProto } from '../proto.js';
import { identity } from '../values.js';

/** Spatial explicit pads [b1..bn, e1..en] as per-axis [before, after]. */
export const axisPads = (pads: number[], s: number): Array<[number, number]> =>
  identity(s).map((i) => [pads[i] ?? 0, pads[i + s] ?? 0] as [number, number]);

/**
 * Per-axis pads: SAME_UPPER is TensorFlow's SAME (the odd pixel after), SAME_LOWER the mirror of it;
 * NOTSET (or a mode ONNX does not define) takes the pads attribute, zeros by default.
 */
export function windowPads(
  n: NodeProto,
  sizes: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): 'same' | Array<[number, number]> {
  const mode = attrString(n, 'auto_pad', 'NOTSET');
  if (mode === 'SAME_UPPER') return 'same';
  if (mode === 'VALID') return sizes.map(() => [0, 0]);
  if (mode === 'SAME_LOWER') return samePadsND(sizes, kernel, strides, dilations).map(([b, e]) => [e, b]);
  return axisPads(attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]), sizes.length);
}
