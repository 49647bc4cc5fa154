/** Lifted tensors (Converter.lifted): the node's ONNX axes, one further on, behind the lifted batch of 1. */
import type { Converter } from '../convert.js';
import { attr, attrInt, attrInts } from '../attributes.js';
import type { AttributeProto, NodeProto } from '../proto.js';
import type { Lift } from './def.js';

export const after = (a: number): number => (a >= 0 ? a + 1 : a);

export function setAttr(m: NodeProto, name: string, value: { i?: number; ints?: number[] }): void {
  const a = { name, i: value.i ?? 0, ints: value.ints ?? [] } as unknown as AttributeProto;
  m.attribute = [...m.attribute.filter((x) => x.name !== name), a];
}

/** An axis attribute (with the operator's default where absent) moved past the lifted batch axis. */
export const axisAttr = (fallback: (c: Converter) => number | undefined): Lift =>
  function (m) {
    const a = attr(m, 'axis') ? attrInt(m, 'axis', 0) : fallback(this);
    if (a !== undefined) setAttr(m, 'axis', { i: after(a) });
  };

/** Axes given as an input (newer opsets) or an attribute; `all` gives the axes meant when none are. */
export const axesOf = (input: number, all?: (m: NodeProto, rank: number, c: Converter) => number[] | undefined): Lift =>
  function (m, rank) {
    const given = m.input[input] ? this.constant(m, input, 'the axes') : attrInts(m, 'axes');
    const axes = given ?? all?.(m, rank, this);
    if (!axes) return;
    if (m.input[input] || !attr(m, 'axes')) this.constInput(m, input, axes.map(after));
    else setAttr(m, 'axes', { ints: axes.map(after) });
  };

/** A full ONNX shape given as an input: the lifted batch of 1 goes in front. */
export const shapeInput = (i: number): Lift =>
  function (m) {
    this.constInput(m, i, [1, ...this.constant(m, i, 'the shape')]);
  };

/** The node names no axis: it reads a lifted tensor as it is. */
export const none: Lift = () => {};
