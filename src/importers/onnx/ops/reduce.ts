/**
 * ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL2; a kept mean or max over a map's spatial
 * axes is a global pool. CumSum of a constant folds (EdgeNeXt's positional encoding counts a mask of ones).
 */
import { attrInt, attrInts } from '../attributes.js';
import { channelsLast, identity, same, strides } from '../values.js';
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

const cumSum: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t !== 'const') return c.unknown(n, 'CumSum of a computed tensor');
  const [raw] = c.constant(n, 1, 'the axis');
  const rank = v.dims.length;
  const axis = raw! < 0 ? raw! + rank : raw!;
  if (!(axis >= 0 && axis < rank)) return c.unknown(n, `CumSum along axis ${raw} of a rank-${rank} constant`);
  const [exclusive, reverse] = [attrInt(n, 'exclusive', 0) === 1, attrInt(n, 'reverse', 0) === 1];
  const x = c.valuesOf(v);
  const out = Array<number>(x.length);
  const step = strides(v.dims)[axis]!;
  const size = v.dims[axis]!;
  for (let start = 0; start < x.length; start++) {
    // Each line along the axis, from its first element (position 0 on the axis).
    if (Math.floor(start / step) % size !== 0) continue;
    let sum = 0;
    for (let k = 0; k < size; k++) {
      const i = start + (reverse ? size - 1 - k : k) * step;
      if (exclusive) [out[i], sum] = [sum, sum + x[i]!];
      else out[i] = sum += x[i]!;
    }
  }
  this.foldTo(n, v.dims, out, v.float);
};

export const { operators }: OpFile = {
  operators: {
    CumSum: { convert: cumSum },
    ...each(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2'], {
      convert: reduce,
      lift: axesOf(1, (m, rank) => (attrInt(m, 'noop_with_empty_axes', 0) ? undefined : identity(rank))),
    }),
  },
};
