/** Reading a node's attributes, each with the default the operator's definition gives. */
import type { AttributeProto, NodeProto } from './proto.js';

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
