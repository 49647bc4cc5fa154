/**
 * Reading a node's attributes, each with the default the operator's definition gives; and the sliding
 * window's padding (Conv, ConvTranspose, MaxPool, AveragePool), which two of them decide together.
 */
import { samePadsND } from '../../kinds/window.js';
import type { AttributeProto, NodeProto } from './proto.js';
import { identity } from './values.js';

export const attr = (n: NodeProto, name: string): AttributeProto | undefined =>
  n.attribute.find((a) => a.name === name);
export const attrInt = (n: NodeProto, name: string, fallback: number): number => {
  const a = attr(n, name);
  return a === undefined ? fallback : Number(a.i);
};
/** The shortest decimal that is the same float32 (an attribute's 0.7 is stored as 0.699999988...). */
function float32Decimal(x: number): number {
  for (let p = 1; p < 10; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === Math.fround(x)) return d;
  }
  return x;
}
export const attrFloat = (n: NodeProto, name: string, fallback: number): number => {
  const a = attr(n, name);
  return a === undefined ? fallback : float32Decimal(Number(a.f));
};
export const attrInts = (n: NodeProto, name: string): number[] | undefined => {
  const a = attr(n, name);
  return a === undefined ? undefined : a.ints.map(Number);
};
export const attrString = (n: NodeProto, name: string, fallback: string): string => {
  const a = attr(n, name);
  return a?.s ? Buffer.from(a.s).toString('utf8') : fallback;
};

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
