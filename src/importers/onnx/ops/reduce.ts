/** ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL2; a kept mean or max over a map's spatial axes is a global pool. */
import { attrInt, attrInts } from '../attributes.js';
import { channelsLast, identity, same } from '../values.js';
import { each, type Handler, type OpFile } from './def.js';
import { axesOf } from './lift.js';

const reduce: Handler = function (n) {
  const c = this;
  const v = c.tensor(n, 0);
  const rank = v.onnx.length;
  const axesIn = (n.input[1] ? c.constant(n, 1, 'the axes') : attrInts(n, 'axes')) ?? identity(rank);
  const axes = axesIn.map((a) => (a < 0 ? a + rank : a));
  if (axes.includes(0)) return c.unknown(n, `a ${n.opType} over the batch axis`);
  const keepDims = attrInt(n, 'keepdims', 1) === 1;
  const op = n.opType.slice('Reduce'.length).toLowerCase() as 'mean' | 'sum' | 'max' | 'min' | 'prod' | 'l2';
  // A mean or max over every spatial axis of a channels-last map, kept: a global pool (dynamo writes GAP so).
  const spatial = identity(rank - 2).map((i) => i + 2);
  if (keepDims && rank === 4 && (op === 'mean' || op === 'max') && same([...axes].sort(), spatial)) {
    const x = c.layout(n, v, channelsLast(3), 'channels_last');
    const { ref, shapes } = c.emit(n, { kind: op === 'mean' ? 'globalAvgPool2d' : 'globalMaxPool2d', keepDims: true }, [
      x.ref,
    ]);
    return void c.out(n, 0, ref, shapes[0]!, x.perm);
  }
  const { ref, shapes } = c.emit(n, { kind: 'reduce', op, axes: axes.map((a) => v.perm.indexOf(a - 1)), keepDims }, [
    v.ref,
  ]);
  const kept = keepDims ? v.perm : identity(shapes[0]!.length);
  c.out(n, 0, ref, shapes[0]!, kept);
};

export const { operators }: OpFile = {
  operators: each(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2'], {
    convert: reduce,
    lift: axesOf(1, (m, rank) => (attrInt(m, 'noop_with_empty_axes', 0) ? undefined : identity(rank))),
  }),
};
