/**
 * Shapes and reshapes: Shape and Size fold; Reshape, Flatten, Squeeze, Unsqueeze and Expand fold a
 * constant or reshape a tensor; a Transpose of a tensor only changes its layout.
 */
import { prod } from '../../../exact.js';
import type { Converter } from '../convert.js';
import { attrInt, attrInts } from '../attributes.js';
import type { NodeProto } from '../proto.js';
import {
  broadcastValues,
  channelsLast,
  checkFold,
  graphShape,
  identity,
  same,
  strides,
  type Const,
  type Tensor,
} from '../values.js';
import type { Handler, OpFile } from './def.js';
import { axesOf, none, setAttr, shapeInput } from './lift.js';

const shape: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  // A lifted tensor's shape is the file's, without the batch of 1 netcensus put in front.
  const dims = v.t === 'tensor' ? (v.lifted ? v.onnx.slice(1) : v.onnx) : v.dims;
  const rank = dims.length;
  const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + rank : x, 0), rank);
  const start = clamp(attrInt(n, 'start', 0));
  const end = clamp(attrInt(n, 'end', rank));
  const shape = dims.slice(start, end);
  this.foldTo(n, [shape.length], shape);
};

const size: Handler = function (n) {
  const v = this.value(n, 0);
  this.foldTo(n, [], [prod(v.t === 'tensor' ? v.onnx : v.dims)]);
};

const squeeze: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  const axesIn = n.input[1] ? c.constant(n, 1, 'the axes') : attrInts(n, 'axes');
  const rank = v.t === 'tensor' ? v.onnx.length : v.dims.length;
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  let out: number[];
  if (n.opType === 'Unsqueeze') {
    const r = rank + (axesIn?.length ?? 0);
    const axes = (axesIn ?? []).map((a) => (a < 0 ? a + r : a));
    out = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(axes.includes(i) ? 1 : dims[k++]!);
  } else {
    const axes = (axesIn ?? dims.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0)).map((a) =>
      a < 0 ? a + rank : a,
    );
    out = dims.filter((_, i) => !axes.includes(i));
  }
  if (v.t === 'const') return this.foldTo(n, out, c.valuesOf(v), v.float);
  reshapeTo.call(this, n, v, out);
};

/** Reshapes a tensor to an ONNX shape whose batch stays first. */
export function reshapeTo(this: Converter, n: NodeProto, v: Tensor, out: number[], extra: Partial<Tensor> = {}): void {
  const c = this;
  if (out[0] !== v.onnx[0]) return c.lifted(n);
  const target = out.slice(1);
  // Flattening a channels-last map: the graph's Flatten keeps its count; the element order is the
  // graph's, and a Dense after it takes the file's weights in that order.
  if (target.length === 1 && same(v.perm, channelsLast(v.perm.length)) && !c.orderSafe(v)) {
    const { ref, shapes } = c.emit(n, { kind: 'flatten' }, [v.ref]);
    return void c.out(n, 0, ref, shapes[0]!, [0], { flat: v.onnx.slice(1) });
  }
  const x = c.orderSafe(v) ? v : c.layout(n, v, identity(v.perm.length), 'onnx_order');
  if (same(graphShape(x), target))
    return c.set(n.output[0]!, { t: 'tensor', ref: x.ref, onnx: out, perm: identity(target.length), ...extra });
  const { ref, shapes } = c.emit(n, { kind: 'reshape', target }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, identity(target.length), extra);
}

/**
 * A file traced at a static batch B > 1 writes its reshapes for B ([2, 512, 12, 64]; dynamo's [B x N, C]):
 * the tensor is reshaped as the file reshapes it, and B divided back out of the axis that then holds the
 * examples in order. A reshape that would interleave examples is refused, never read at another size.
 */
const reshape: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  const shape = c.constant(n, 1, 'the target shape');
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const measured = (c.value(n, 1) as Const).measured;
  const from = v.t === 'tensor' && v.lifted ? 1 : 0;
  // Where the examples are (Converter.examplesAxis): leading (what comes before them is of size 1), or, in
  // a lifted tensor, behind axes the reshape keeps together (a sequence-first LSTM's [steps, 1, B, hidden]).
  let b = v.t === 'tensor' && !measured ? c.examplesAxis(v) : -1;
  if (b >= 0 && prod(dims.slice(from, b)) !== 1 && !(c.fileBatch > 1 && v.t === 'tensor' && v.lifted)) {
    if (c.fileBatch > 1)
      return c.unknown(
        n,
        `a Reshape of a tensor whose examples (the file's batch of ${c.fileBatch}) are not its leading axis`,
        true,
      );
    b = -1;
  }
  const batch = b >= 0 ? c.fileBatch : 1;
  const file = dims.map((d, i) => (i === b ? d * batch : d));
  const allowzero = attrInt(n, 'allowzero', 0);
  const out = shape.map((d, i) => (d === 0 && !allowzero ? file[i]! : d));
  const known = prod(out.filter((d) => d !== -1));
  const unknown = out.indexOf(-1);
  if (unknown >= 0) out[unknown] = prod(file) / known;
  if (!Number.isInteger(out[unknown] ?? 0) || prod(out) !== prod(file)) {
    return c.unknown(n, `a Reshape of [${file.join(', ')}] into [${shape.join(', ')}]`, true);
  }
  if (v.t === 'const') return this.foldTo(n, out, c.valuesOf(v), v.float);
  if (b >= 0) {
    // The examples stand in order on the first axis above 1 after the axes that held what came before them.
    const before = prod(file.slice(from, b));
    let [k, held] = [from, 1];
    while (k < out.length && held < before) held *= out[k++]!;
    // At a traced batch of 1 a leading axis of 1 is where the examples are; above 1 it cannot be.
    while (batch > 1 && k < out.length - 1 && out[k] === 1) k++;
    if (held !== before || out[k]! % batch !== 0)
      return c.unknown(
        n,
        `a Reshape of [${file.join(', ')}] into [${shape.join(', ')}] across the file's batch of ${batch}`,
        true,
      );
    if (batch > 1 && !v.lifted && k !== 0) return c.lifted(n);
    out[k] = out[k]! / batch;
    if (v.lifted) return reshapeTo.call(this, n, v, out, { batchAt: k - 1 });
  }
  // A shape measured from a batch-first tensor (reshape_as) has its batch of 1 in front: the examples go there.
  if (measured && v.t === 'tensor' && v.lifted && v.batchAt !== undefined && out[1] === 1)
    return reshapeTo.call(this, n, v, out, { batchAt: 0 });
  reshapeTo.call(this, n, v, out);
};

/** A lifted tensor (LeViT's bn(x.flatten(0, 1))) is flattened behind its batch of 1, its axes as the file's. */
const flatten: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  const axis = attrInt(n, 'axis', 1);
  const lifted = v.t === 'tensor' && v.lifted;
  const dims = v.t === 'tensor' ? (lifted ? v.onnx.slice(1) : v.onnx) : v.dims;
  const a = axis < 0 ? axis + dims.length : axis;
  const out = [prod(dims.slice(0, a)), prod(dims.slice(a))];
  if (v.t === 'const') return this.foldTo(n, out, c.valuesOf(v), v.float);
  if (!lifted) return reshapeTo.call(this, n, v, out);
  // Axis 0 puts every example on one row: that moves the batch again.
  if (a === 0) return c.unknown(n, 'a Flatten from axis 0 of a tensor whose batch axis an earlier node moved', true);
  // The examples stay major on the axis that takes the one they were on, where nothing above 1 is before them.
  const at = v.batchAt;
  const start = at !== undefined && at < a ? 0 : a;
  const batchAt = at !== undefined && prod(dims.slice(start, at)) === 1 ? (at < a ? 0 : 1) : undefined;
  reshapeTo.call(this, n, v, [1, ...out], batchAt === undefined ? {} : { batchAt });
};

const transpose: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  const rank = v.t === 'tensor' ? v.onnx.length : v.dims.length;
  const p = attrInts(n, 'perm') ?? identity(rank).reverse();
  if (v.t === 'const') {
    const values = c.valuesOf(v);
    const dims = p.map((i) => v.dims[i]!);
    const st = strides(v.dims);
    const ost = strides(dims);
    const out = Array(values.length);
    for (let k = 0; k < values.length; k++) {
      let src = 0;
      let rest = k;
      for (let i = 0; i < dims.length; i++) {
        const coord = Math.floor(rest / ost[i]!);
        rest -= coord * ost[i]!;
        src += coord * st[p[i]!]!;
      }
      out[k] = values[src];
    }
    return this.foldTo(n, dims, out, v.float);
  }
  if (p[0] !== 0) return c.lifted(n);
  // A layout change only: graph axis i holds ONNX axis v.perm[i] of the input, which is axis j of the output.
  const perm = v.perm.map((q) => p.indexOf(q + 1) - 1);
  c.set(n.output[0]!, { t: 'tensor', ref: v.ref, onnx: p.map((i) => v.onnx[i]!), perm });
};

// Expand to a shape that only adds the batch axis (ViT's class token, cls.expand(n, -1, -1) at batch 1)
// keeps its input; a constant expands to its values; a computed tensor is repeated by an expand node.
const expand: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0, true);
  const shape = c.constant(n, 1, 'the shape');
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const rank = Math.max(dims.length, shape.length);
  const from = [...Array(rank - dims.length).fill(1), ...dims];
  const to = [...Array(rank - shape.length).fill(1), ...shape];
  // A file traced at a static batch B expands to B examples (ViT's cls.expand(B, -1, -1)): one here.
  const measured = (c.value(n, 1) as Const).measured;
  if (c.fileBatch > 1 && !measured && to[0] === c.fileBatch && from[0] === 1 && (v.t === 'const' || !v.lifted))
    to[0] = 1;
  const out = from.map((d, i) => (d === 1 ? to[i]! : d));
  if (from.some((d, i) => d !== 1 && to[i] !== 1 && to[i] !== d))
    return c.unknown(n, `Expand of [${dims.join(', ')}] to [${shape.join(', ')}]`);
  if (same(out, dims)) return c.set(n.output[0]!, v);
  if (v.t === 'const' && !v.init) {
    checkFold(c.where(n), out);
    const ones = { t: 'const' as const, dims: out, values: Array<number>(prod(out)).fill(0), float: v.float };
    return c.set(
      n.output[0]!,
      broadcastValues(c.where(n), { ...v, values: c.valuesOf(v) }, ones, (x) => x),
    );
  }
  if (v.t === 'const' && prod(out) === prod(dims)) {
    // Only axes of 1 added (CLIP's class_embedding.expand(batch, 1, -1) at batch 1): the same values, folded,
    // a parameter still where they are one (Converter.deriveParameters).
    return c.foldTo(n, out, c.valuesOf(v), v.float);
  }
  if (v.t === 'tensor' && out[0] === 1 && out.length === v.onnx.length) {
    // A computed tensor repeated along axes of 1 (grouped-query attention's repeat_kv): in ONNX order.
    const x = c.layout(n, v.flat ? (c.value(n, 0) as Tensor) : v, identity(v.perm.length), 'onnx_order');
    const { ref, shapes } = c.emit(n, { kind: 'expand', shape: out.slice(1) }, [x.ref]);
    return void c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length));
  }
  c.unknown(
    n,
    `Expand of ${v.t === 'const' ? 'a stored tensor' : 'a computed tensor'} [${dims.join(', ')}] to [${out.join(', ')}]`,
  );
};

export const { operators }: OpFile = {
  operators: {
    Shape: { convert: shape, lift: none },
    Size: { convert: size, lift: none },
    Unsqueeze: { convert: squeeze, lift: axesOf(1) },
    // Squeeze without axes drops every axis of 1: the lifted batch must stay.
    Squeeze: {
      convert: squeeze,
      lift: axesOf(1, (m, rank, c) => {
        const v = c.values.get(m.input[0]!) as Tensor;
        return identity(rank).filter((i) => v.onnx[i + 1] === 1);
      }),
    },
    Reshape: { convert: reshape, lift: shapeInput(1) },
    Flatten: { convert: flatten, lift: none },
    Transpose: {
      convert: transpose,
      lift: function (m, rank) {
        const p = attrInts(m, 'perm') ?? identity(rank).reverse();
        setAttr(m, 'perm', { ints: [0, ...p.map((x) => x + 1)] });
      },
    },
    Expand: { convert: expand, lift: shapeInput(1) },
  },
};
