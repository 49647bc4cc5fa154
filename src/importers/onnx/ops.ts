/**
 * The ONNX operators netcensus reads, one handler each: what CNN and MLP exports contain (opsets 11 to
 * 21). Each maps its node to a layer kind's config, a folded constant, or a layout change; an operator
 * outside this table is refused with its name and node (or kept as "not counted" under --skip-unknown).
 */
import { prod } from '../../exact.js';
import type { LayerConfig } from '../../graph.js';
import type { ActivationConfig, ActivationFn } from '../../kinds/activation.js';
import type { RecurrentConfig } from '../../kinds/sequence.js';
import type { UnaryOp } from '../../kinds/tensor.js';
import {
  Converter,
  ELEMENTWISE,
  HANDLERS,
  LIFTED,
  SELF_LIFTING,
  broadcastShape,
  broadcastValues,
  checkFold,
  attr,
  attrFloat,
  attrInt,
  attrInts,
  attrString,
  autoPads,
  axisPads,
  channelsLast,
  graphShape,
  identity,
  same,
  type Const,
  type Handler,
  type Lift,
  type Tensor,
} from './convert.js';
import type { AttributeProto, NodeProto } from './proto.js';
import { FLOAT_TYPES } from './tensors.js';

const register = (ops: string[], h: Handler): void => {
  for (const op of ops) HANDLERS[op] = h;
};

// ---- constants and aliases ----

register(['Identity'], function (n) {
  this.set(n.output[0]!, this.value(n, 0, true));
});

register(['Constant'], function (n) {
  const c = this;
  const a = n.attribute[0] ?? c.unknown(n, 'a Constant without a value');
  if (!a) return;
  if (a.t) {
    const dims = a.t.dims.map(Number);
    const k: Const = { t: 'const', dims, init: a.t, float: FLOAT_TYPES.has(a.t.dataType) };
    // Constant nodes are not parameters: read their values now.
    return c.set(n.output[0]!, { ...k, init: undefined, values: c.valuesOf(k) });
  }
  if (a.name === 'value_float') return this.foldTo(n, [], [Number(a.f)], true);
  if (a.name === 'value_int') return this.foldTo(n, [], [Number(a.i)]);
  if (a.name === 'value_floats') return this.foldTo(n, [a.floats.length], a.floats.map(Number), true);
  if (a.name === 'value_ints') return this.foldTo(n, [a.ints.length], a.ints.map(Number));
  c.unknown(n, `a Constant given as ${a.name}`);
});

register(['Cast', 'CastLike'], function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t === 'tensor') return c.set(n.output[0]!, v);
  const to = attrInt(n, 'to', 1);
  const values = c.valuesOf(v).map((x) => (FLOAT_TYPES.has(to) ? x : Math.trunc(x)));
  this.foldTo(n, v.dims, values, FLOAT_TYPES.has(to));
});

register(['Shape'], function (n) {
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
});

register(['Size'], function (n) {
  const v = this.value(n, 0);
  this.foldTo(n, [], [prod(v.t === 'tensor' ? v.onnx : v.dims)]);
});

register(['ConstantOfShape'], function (n) {
  const c = this;
  const dims = c.constant(n, 0, 'the shape');
  const a = attr(n, 'value');
  const fill = a?.t ? c.valuesOf({ t: 'const', dims: [1], init: a.t, float: true })[0]! : 0;
  checkFold(c.where(n), dims);
  this.foldTo(n, dims, Array(prod(dims)).fill(fill), a?.t ? FLOAT_TYPES.has(a.t.dataType) : true);
});

register(['Range'], function (n) {
  const c = this;
  const [start, limit, delta] = [0, 1, 2].map((i) => c.constant(n, i, ['start', 'limit', 'delta'][i]!)[0]!);
  const count = Math.max(Math.ceil((limit! - start!) / delta!), 0);
  checkFold(c.where(n), [count]);
  this.foldTo(
    n,
    [count],
    Array.from({ length: count }, (_, i) => start! + i * delta!),
  );
});

/** Index arithmetic on a row-major constant. */
function strides(dims: number[]): number[] {
  const s = dims.map(() => 1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

register(['Gather'], function (n) {
  const c = this;
  const data = c.value(n, 0);
  const idx = c.value(n, 1);
  if (idx.t !== 'const') {
    // nn.Embedding: rows of a stored [vocabulary, features] table, picked by token ids.
    if (data.t !== 'const' || !data.init || !data.float || data.dims.length !== 2 || attrInt(n, 'axis', 0) !== 0)
      return c.unknown(n, 'Gather with computed indices from other than a stored 2-D table');
    const ids = c.layout(n, idx, identity(idx.perm.length), 'onnx_order');
    const [inputDim, outputDim] = data.dims as [number, number];
    const { ref, shapes } = c.emit(n, { kind: 'embedding', inputDim, outputDim }, [ids.ref]);
    c.weights.set(ref, { op: 'Embedding', inits: [data.init.name] });
    return void c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length));
  }
  if (data.t === 'tensor') {
    // One position of a computed tensor (ViT's x[:, 0]): a slice, and the axis dropped for a scalar index.
    const rank = data.onnx.length;
    const a = (attrInt(n, 'axis', 0) + rank) % rank;
    const [raw] = c.valuesOf(idx);
    if (a === 0) return c.lifted(n);
    if (prod(idx.dims) !== 1 || raw === undefined)
      return c.unknown(n, `Gather of [${idx.dims.join(', ')}] indices from a computed tensor along axis ${a}`);
    const size = data.onnx[a]!;
    const i = raw < 0 ? raw + size : raw;
    if (i < 0 || i >= size) return c.unknown(n, `Gather of index ${raw} from an axis of ${size}`);
    const { ref, shapes } = c.emit(
      n,
      { kind: 'slice', axes: [data.perm.indexOf(a - 1)], starts: [i], ends: [i + 1], steps: [1] },
      [data.ref],
    );
    const sliced = c.out(n, 0, ref, shapes[0]!, data.perm);
    if (idx.dims.length === 0)
      reshapeTo.call(
        this,
        n,
        sliced,
        sliced.onnx.filter((_, j) => j !== a),
      );
    return;
  }
  const values = c.valuesOf(data);
  const indices = c.valuesOf(idx);
  const axis = (attrInt(n, 'axis', 0) + data.dims.length) % data.dims.length;
  const dims = [...data.dims.slice(0, axis), ...idx.dims, ...data.dims.slice(axis + 1)];
  checkFold(c.where(n), dims);
  const st = strides(data.dims);
  const outer = prod(data.dims.slice(0, axis));
  const inner = prod(data.dims.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices) {
      const i = raw < 0 ? raw + data.dims[axis]! : raw;
      for (let k = 0; k < inner; k++) out.push(values[o * (st[axis - 1] ?? prod(data.dims)) + i * st[axis]! + k]!);
    }
  }
  this.foldTo(n, dims, out, data.float);
});

register(['Unsqueeze', 'Squeeze'], function (n) {
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
});

// ---- reshaping activations ----

/** Reshapes a tensor to an ONNX shape whose batch stays first. */
function reshapeTo(this: Converter, n: NodeProto, v: Tensor, out: number[]): void {
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
    return c.set(n.output[0]!, { t: 'tensor', ref: x.ref, onnx: out, perm: identity(target.length) });
  const { ref, shapes } = c.emit(n, { kind: 'reshape', target }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, identity(target.length));
}

register(['Reshape'], function (n) {
  const c = this;
  const v = c.value(n, 0);
  const shape = c.constant(n, 1, 'the target shape');
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const allowzero = attrInt(n, 'allowzero', 0);
  const out = shape.map((d, i) => (d === 0 && !allowzero ? dims[i]! : d));
  const known = prod(out.filter((d) => d !== -1));
  const unknown = out.indexOf(-1);
  if (unknown >= 0) out[unknown] = prod(dims) / known;
  if (!Number.isInteger(out[unknown] ?? 0) || prod(out) !== prod(dims)) {
    return c.unknown(n, `a Reshape of [${dims.join(', ')}] into [${shape.join(', ')}]`);
  }
  if (v.t === 'const') return this.foldTo(n, out, c.valuesOf(v), v.float);
  reshapeTo.call(this, n, v, out);
});

register(['Flatten'], function (n) {
  const c = this;
  const v = c.value(n, 0);
  const axis = attrInt(n, 'axis', 1);
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const a = axis < 0 ? axis + dims.length : axis;
  const out = [prod(dims.slice(0, a)), prod(dims.slice(a))];
  if (v.t === 'const') return this.foldTo(n, out, c.valuesOf(v), v.float);
  reshapeTo.call(this, n, v, out);
});

register(['Transpose'], function (n) {
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
});

register(['Concat'], function (n) {
  const c = this;
  // torch.cat of one tensor (DenseNet's first layer of each block) is that tensor.
  if (n.input.length === 1) return c.set(n.output[0]!, c.value(n, 0, true));
  const vs = n.input.map((_, i) => c.value(n, i));
  const axis0 = attrInt(n, 'axis', 0);
  if (vs.every((v) => v.t === 'const')) {
    const ks = vs as Const[];
    const rank = ks[0]!.dims.length;
    const a = axis0 < 0 ? axis0 + rank : axis0;
    const outer = prod(ks[0]!.dims.slice(0, a));
    checkFold(c.where(n), [outer, ks.reduce((sum, k) => sum + prod(k.dims.slice(a)), 0)]);
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      for (const k of ks) {
        const chunk = prod(k.dims.slice(a));
        // A loop, not a spread: a chunk of a million values would overflow the stack.
        for (const x of c.valuesOf(k).slice(o * chunk, (o + 1) * chunk)) out.push(x);
      }
    }
    const dims = [...ks[0]!.dims];
    dims[a] = ks.reduce((s, k) => s + k.dims[a]!, 0);
    return this.foldTo(
      n,
      dims,
      out,
      ks.some((k) => k.float),
    );
  }
  const stored = vs.findIndex((v) => v.t === 'const');
  if (vs.length === 2 && stored >= 0) {
    // A parameter joined to the activations (ViT's class token): a layer of its own, holding the tensor.
    const k = vs[stored] as Const;
    const x = vs[1 - stored] as Tensor;
    const rank = x.onnx.length;
    const a = axis0 < 0 ? axis0 + rank : axis0;
    if (x.t === 'tensor' && k.init && k.float && k.dims.length === rank && k.dims[0] === 1 && a > 0) {
      const t = c.layout(n, x, identity(x.perm.length), 'onnx_order');
      const shape = k.dims.slice(1);
      const { ref, shapes } = c.emit(n, { kind: 'paramConcat', axis: a - 1, shape, left: stored === 0 }, [t.ref]);
      c.weights.set(ref, { op: 'paramOp', inits: [k.init.name], perm: identity(shape.length) });
      return void c.out(n, 0, ref, shapes[0]!, t.perm);
    }
  }
  if (vs.some((v) => v.t !== 'tensor')) return c.unknown(n, 'Concat of a constant with computed tensors');
  let ts = vs as Tensor[];
  const rank = ts[0]!.onnx.length;
  const a = axis0 < 0 ? axis0 + rank : axis0;
  if (a === 0) return c.unknown(n, 'Concat along the batch axis');
  if (!ts.every((t) => same(t.perm, ts[0]!.perm)))
    ts = ts.map((t) => c.layout(n, t, identity(t.perm.length), 'onnx_order'));
  const perm = ts[0]!.perm;
  const { ref, shapes } = c.emit(
    n,
    { kind: 'concat', axis: perm.indexOf(a - 1) },
    ts.map((t) => t.ref),
  );
  c.out(n, 0, ref, shapes[0]!, perm);
});

register(['Split'], function (n) {
  const c = this;
  const v = c.tensor(n, 0);
  const rank = v.onnx.length;
  const a0 = attrInt(n, 'axis', 0);
  const a = a0 < 0 ? a0 + rank : a0;
  if (a === 0) return c.unknown(n, 'Split along the batch axis');
  const size = v.onnx[a]!;
  let sizes = n.input[1] ? c.constant(n, 1, 'the split sizes') : attrInts(n, 'split');
  if (!sizes) {
    const parts = attrInt(n, 'num_outputs', n.output.length);
    const each = Math.ceil(size / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, size - i * each));
  }
  const { ref, shapes } = c.emit(n, { kind: 'split', axis: v.perm.indexOf(a - 1), sizes }, [v.ref]);
  shapes.forEach((s, k) => c.out(n, k, k === 0 ? ref : `${ref}:${k}`, s, v.perm));
});

register(['Slice'], function (n) {
  const c = this;
  const v = c.value(n, 0);
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const rank = dims.length;
  const starts = n.input[1] ? c.constant(n, 1, 'starts') : (attrInts(n, 'starts') ?? []);
  const ends = n.input[2] ? c.constant(n, 2, 'ends') : (attrInts(n, 'ends') ?? []);
  const axes = (n.input[3] ? c.constant(n, 3, 'axes') : (attrInts(n, 'axes') ?? identity(starts.length))).map((a) =>
    a < 0 ? a + rank : a,
  );
  const steps = n.input[4] ? c.constant(n, 4, 'steps') : starts.map(() => 1);
  // ONNX clamps starts and ends to the axis (INT64 bounds mean "to the end").
  const bounds = axes.map((a, k) => {
    const d = dims[a]!;
    const step = steps[k]!;
    const norm = (x: number) => (x < 0 ? x + d : x);
    const s = step > 0 ? Math.min(Math.max(norm(starts[k]!), 0), d) : Math.min(Math.max(norm(starts[k]!), -1), d - 1);
    const e = step > 0 ? Math.min(Math.max(norm(ends[k]!), 0), d) : Math.min(Math.max(norm(ends[k]!), -1), d - 1);
    return { a, s, e, step };
  });
  if (v.t === 'const') {
    const values = c.valuesOf(v);
    let cur = { dims: [...v.dims], values };
    for (const { a, s, e, step } of bounds) {
      const idx: number[] = [];
      for (let i = s; step > 0 ? i < e : i > e; i += step) idx.push(i);
      const outer = prod(cur.dims.slice(0, a));
      const inner = prod(cur.dims.slice(a + 1));
      const out: number[] = [];
      for (let o = 0; o < outer; o++)
        for (const i of idx) for (let k = 0; k < inner; k++) out.push(cur.values[(o * cur.dims[a]! + i) * inner + k]!);
      cur = { dims: cur.dims.map((d, j) => (j === a ? idx.length : d)), values: out };
    }
    return this.foldTo(n, cur.dims, cur.values, v.float);
  }
  const kept = bounds.filter(({ a, s, e, step }) => !(s === 0 && e === dims[a] && step === 1));
  if (kept.some((b) => b.a === 0)) return c.unknown(n, 'a Slice of the batch axis');
  if (kept.length === 0) return c.set(n.output[0]!, v);
  const { ref, shapes } = c.emit(
    n,
    {
      kind: 'slice',
      axes: kept.map((b) => v.perm.indexOf(b.a - 1)),
      starts: kept.map((b) => b.s),
      ends: kept.map((b) => b.e),
      steps: kept.map((b) => b.step),
    },
    [v.ref],
  );
  c.out(n, 0, ref, shapes[0]!, v.perm);
});

register(['Pad'], function (n) {
  const c = this;
  const v = c.tensor(n, 0);
  const rank = v.onnx.length;
  const raw = n.input[1] ? c.constant(n, 1, 'the pads') : (attrInts(n, 'pads') ?? []);
  const axesIn = n.input[3] ? c.constant(n, 3, 'the axes').map((a) => (a < 0 ? a + rank : a)) : identity(rank);
  const pads: Array<[number, number]> = identity(rank).map(() => [0, 0]);
  axesIn.forEach((a, k) => (pads[a] = [raw[k]!, raw[k + axesIn.length]!]));
  if (pads[0]![0] !== 0 || pads[0]![1] !== 0) return c.unknown(n, 'a Pad of the batch axis');
  const mode = attrString(n, 'mode', 'constant') as 'constant' | 'reflect' | 'edge';
  const value = n.input[2] ? (c.constant(n, 2, 'the pad value')[0] ?? 0) : attrFloat(n, 'value', 0);
  const perExample = v.perm.map((p) => pads[p + 1]!);
  const onlySpatial =
    same(v.perm, channelsLast(v.perm.length)) &&
    v.perm.length === 3 &&
    perExample[2]![0] === 0 &&
    perExample[2]![1] === 0;
  const config: LayerConfig =
    mode === 'constant' && value === 0 && onlySpatial && perExample.every(([b, e]) => b >= 0 && e >= 0)
      ? {
          kind: 'zeroPad2d',
          pads: {
            top: perExample[0]![0],
            bottom: perExample[0]![1],
            left: perExample[1]![0],
            right: perExample[1]![1],
          },
        }
      : { kind: 'pad', pads: perExample, mode, value };
  const { ref, shapes } = c.emit(n, config, [v.ref]);
  c.out(n, 0, ref, shapes[0]!, v.perm);
});

// ---- weighted layers ----

register(['Conv'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const w = c.value(n, 1);
  if (w.t !== 'const' || !w.init) return c.unknown(n, 'a Conv whose weights are computed, not stored');
  const b = c.optional(n, 2);
  if (b && (b.t !== 'const' || !b.init)) return c.unknown(n, 'a Conv whose bias is computed, not stored');
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D convolution`);
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const [out, perGroup, ...kernel] = w.dims as [number, number, ...number[]];
  const group = attrInt(n, 'group', 1);
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  const sizes = x.onnx.slice(2);
  const auto = autoPads(attrString(n, 'auto_pad', 'NOTSET'), sizes, kernel, strides, dilations);
  const pads = auto ?? attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]);
  const cin = x.onnx[1]!;
  if (perGroup * group !== cin)
    return c.unknown(n, `a Conv with ${cin} input channels and weights for ${perGroup} x ${group} groups`);
  if (s !== 2) {
    // 1-D and 3-D: the rank-generic kind, explicit pads per axis.
    const config: LayerConfig = {
      kind: s === 1 ? 'conv1d' : 'conv3d',
      filters: out,
      kernel,
      strides,
      padding: pads === 'same' ? 'same' : axisPads(pads, s),
      dilation: dilations,
      groups: group,
      bias: b !== undefined,
    };
    const { ref, shapes } = c.emit(n, config, [x.ref]);
    c.weights.set(ref, { op: 'Conv', channels: cin, inits: [w.init.name, ...(b ? [(b as Const).init!.name] : [])] });
    return void c.out(n, 0, ref, shapes[0]!, x.perm);
  }
  const padding = pads === 'same' ? ('same' as const) : axisPads(pads, 2);
  const common = {
    kernel: [kernel[0]!, kernel[1]!] as [number, number],
    strides: [strides[0]!, strides[1]!] as [number, number],
    padding,
    dilation: [dilations[0]!, dilations[1]!] as [number, number],
    bias: b !== undefined,
  };
  // One group per input channel is a depthwise convolution (MobileNet's): the same weights, run as one.
  const config: LayerConfig =
    group > 1 && group === cin && out % cin === 0
      ? { kind: 'depthwiseConv2d', ...common, depthMultiplier: out / cin }
      : { kind: 'conv2d', filters: out, groups: group, ...common };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.weights.set(ref, {
    op: config.kind === 'depthwiseConv2d' ? 'DepthwiseConv' : 'Conv',
    channels: cin,
    inits: [w.init.name, ...(b ? [(b as Const).init!.name] : [])],
  });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['ConvTranspose'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const w = c.value(n, 1);
  if (w.t !== 'const' || !w.init) return c.unknown(n, 'a ConvTranspose whose weights are computed, not stored');
  const b = c.optional(n, 2);
  if (b && (b.t !== 'const' || !b.init)) return c.unknown(n, 'a ConvTranspose whose bias is computed, not stored');
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D ConvTranspose`);
  if (attr(n, 'output_shape')) return c.unknown(n, 'a ConvTranspose given an output_shape');
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  // ONNX's weights: [in channels, out channels / group, ...kernel].
  const [cin, perGroup, ...kernel] = w.dims as [number, number, ...number[]];
  const group = attrInt(n, 'group', 1);
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  const outputPadding = attrInts(n, 'output_padding') ?? kernel.map(() => 0);
  const mode = attrString(n, 'auto_pad', 'NOTSET');
  if (mode === 'SAME_LOWER') return c.unknown(n, 'a ConvTranspose with auto_pad SAME_LOWER');
  const pads = mode === 'SAME_UPPER' ? 'same' : (attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]));
  if (cin !== x.onnx[1])
    return c.unknown(n, `a ConvTranspose with weights for ${cin} input channels, fed ${x.onnx[1]}`);
  const config: LayerConfig = {
    kind: s === 1 ? 'conv1dTranspose' : s === 2 ? 'conv2dTranspose' : 'conv3dTranspose',
    filters: perGroup * group,
    kernel,
    strides,
    padding: pads === 'same' ? 'same' : axisPads(pads, s),
    outputPadding,
    dilation: dilations,
    groups: group,
    bias: b !== undefined,
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.weights.set(ref, { op: 'ConvTranspose', inits: [w.init.name, ...(b ? [(b as Const).init!.name] : [])] });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

/** A Dense reads the graph's last axis: it must be ONNX's last too (after a transpose it may not be). */
const denseInput = (c: Converter, n: NodeProto, v: Tensor): Tensor =>
  v.perm[v.perm.length - 1] === v.perm.length - 1 ? v : c.layout(n, v, identity(v.perm.length), 'onnx_order');

register(['Gemm'], function (n) {
  const c = this;
  const a = denseInput(c, n, c.tensor(n, 0, true));
  const w = c.value(n, 1);
  if (w.t !== 'const' || !w.init || w.dims.length !== 2) return c.unknown(n, 'a Gemm whose B is not a stored matrix');
  if (attrInt(n, 'transA', 0)) return c.unknown(n, 'a Gemm with transA');
  const bias = c.optional(n, 2);
  if (bias && (bias.t !== 'const' || !bias.init)) return c.unknown(n, 'a Gemm whose C is computed, not stored');
  const transB = attrInt(n, 'transB', 0) === 1;
  const units = transB ? w.dims[0]! : w.dims[1]!;
  // alpha and beta scale values, not counts; a C that broadcasts a scalar is a bias of one element per unit only if it has them.
  const hasBias = bias !== undefined && prod((bias as Const).dims) === units;
  if (bias && !hasBias) return c.unknown(n, `a Gemm whose C has shape [${(bias as Const).dims.join(', ')}]`);
  const { ref, shapes } = c.emit(n, { kind: 'dense', units, bias: hasBias }, [a.ref]);
  c.weights.set(ref, {
    op: 'Gemm',
    inits: [w.init.name, ...(hasBias ? [(bias as Const).init!.name] : [])],
    transB,
    ...(a.flat ? { flat: a.flat } : {}),
  });
  c.out(n, 0, ref, shapes[0]!, a.perm);
});

register(['MatMul'], function (n) {
  const c = this;
  let a = c.value(n, 0, true);
  const b = c.value(n, 1);
  if (a.t === 'tensor' && b.t === 'const' && b.init && b.dims.length === 2) {
    const x = denseInput(c, n, a);
    const biasName = biasOf(c, n);
    const { ref, shapes } = c.emit(n, { kind: 'dense', units: b.dims[1]!, bias: biasName !== undefined }, [x.ref]);
    c.weights.set(ref, {
      op: 'MatMul',
      inits: [b.init.name, ...(biasName ? [biasName] : [])],
      ...(x.flat ? { flat: x.flat } : {}),
    });
    return void c.out(n, 0, ref, shapes[0]!, x.perm, biasName ? { biasAfter: true } : {});
  }
  a = c.value(n, 0);
  if (a.t === 'tensor' && b.t === 'tensor') {
    const x = c.layout(n, a, identity(a.perm.length), 'onnx_order');
    const y = c.layout(n, b, identity(b.perm.length), 'onnx_order');
    const { ref, shapes } = c.emit(n, { kind: 'matmul' }, [x.ref, y.ref]);
    return void c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length));
  }
  c.unknown(n, 'a MatMul of these operands');
});

/** The bias of the Add this MatMul's output feeds, when findFusedAdds absorbed it. */
function biasOf(c: Converter, n: NodeProto): string | undefined {
  const g = c.model.graph!;
  const add = g.node.find((m) => m.opType === 'Add' && m.input.includes(n.output[0]!));
  return add ? c.fusedAdds.get(add.name || add.output[0]!) : undefined;
}

register(['BatchNormalization'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const x = c.layout(n, x0, channelsLast(x0.perm.length), 'channels_last');
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.value(n, i));
  // affine=False exports its ones and zeros as Constant nodes: those are not parameters.
  const stored = (v: typeof scale) => v!.t === 'const' && v!.init !== undefined;
  const { ref, shapes } = c.emit(
    n,
    {
      kind: 'batchNorm',
      epsilon: attrFloat(n, 'epsilon', 1e-5),
      momentum: attrFloat(n, 'momentum', 0.9),
      center: stored(bias),
      scale: stored(scale),
    },
    [x.ref],
  );
  c.weights.set(ref, {
    op: 'BatchNormalization',
    inits: [scale, bias, mean, variance].map((v, i) => (v!.t === 'const' && v!.init ? v!.init.name : n.input[i + 1]!)),
  });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['InstanceNormalization'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const x = c.layout(n, x0, channelsLast(x0.perm.length), 'channels_last');
  const scale = c.value(n, 1);
  const affine = scale.t === 'const' && scale.init !== undefined;
  const { ref, shapes } = c.emit(n, { kind: 'instanceNorm', epsilon: attrFloat(n, 'epsilon', 1e-5), affine }, [x.ref]);
  if (affine) c.weights.set(ref, { op: 'InstanceNormalization', inits: n.input.slice(1, 3) });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['LayerNormalization'], function (n) {
  const c = this;
  let x = c.tensor(n, 0);
  const rank = x.onnx.length;
  const axis0 = attrInt(n, 'axis', -1);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  if (axis < 1 || axis >= rank) return c.unknown(n, `a LayerNormalization from axis ${axis0} of a rank-${rank} tensor`);
  if (n.output.slice(1).some(Boolean))
    return c.unknown(n, 'a LayerNormalization whose mean or inverse deviation is used');
  const normalized = x.onnx.slice(axis);
  const [scale, bias] = [1, 2].map((i) => (n.input[i] ? c.value(n, i) : undefined));
  // As with BatchNormalization, affine=False exports ones and zeros as Constant nodes: not parameters.
  const stored = [scale, bias].map((v) => (v?.t === 'const' && v.init ? v : undefined));
  for (const v of stored) {
    if (v && v.dims.join('x') !== normalized.join('x'))
      return c.unknown(
        n,
        `a LayerNormalization weight of shape [${v.dims.join(', ')}] over [${normalized.join(', ')}]`,
      );
  }
  // The weights hold the normalized axes in ONNX order; the graph keeps them in that order or is put in it.
  const order = x.perm.filter((p) => p + 1 >= axis);
  if (stored.some(Boolean) && !order.every((p, i) => i === 0 || order[i - 1]! < p))
    x = c.layout(n, x, identity(x.perm.length), 'onnx_order');
  const config: LayerConfig = {
    kind: 'layerNorm',
    axis: x.perm.flatMap((p, i) => (p + 1 >= axis ? [i] : [])),
    epsilon: attrFloat(n, 'epsilon', 1e-5),
    center: !!stored[1],
    scale: !!stored[0],
    rmsScaling: false,
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  const inits = stored.flatMap((v) => (v ? [v.init!.name] : []));
  if (inits.length) c.weights.set(ref, { op: 'LayerNormalization', inits });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['LRN'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const x = c.layout(n, x0, channelsLast(x0.perm.length), 'channels_last');
  const config: LayerConfig = {
    kind: 'lrn',
    size: attrInt(n, 'size', 5),
    alpha: attrFloat(n, 'alpha', 1e-4),
    beta: attrFloat(n, 'beta', 0.75),
    k: attrFloat(n, 'bias', 1),
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

// ---- pooling ----

register(['MaxPool', 'AveragePool'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D ${n.opType}`);
  if (n.output.length > 1 && n.output[1]) return c.unknown(n, 'a MaxPool whose indices are used');
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const kernel = attrInts(n, 'kernel_shape')!;
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  if (dilations.some((d) => d !== 1)) return c.unknown(n, `a dilated ${n.opType}`);
  const auto = autoPads(attrString(n, 'auto_pad', 'NOTSET'), x.onnx.slice(2), kernel, strides, dilations);
  const pads = auto ?? attrInts(n, 'pads') ?? kernel.flatMap(() => [0, 0]);
  const ap = pads === 'same' ? undefined : axisPads(pads, s);
  const max = n.opType === 'MaxPool';
  // ONNX's count_include_pad defaults to 0: padding is left out of an average's divisor.
  const countIncludePad = attrInt(n, 'count_include_pad', 0) === 1;
  const ceilMode = attrInt(n, 'ceil_mode', 0) === 1;
  const config: LayerConfig = {
    kind: `${max ? 'max' : 'avg'}Pool${s as 1 | 2 | 3}d`,
    pool: kernel,
    strides,
    padding: pads === 'same' ? 'same' : ap!,
    ceilMode,
    ...(max ? {} : { countIncludePad }),
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['GlobalAveragePool', 'GlobalMaxPool'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D ${n.opType}`);
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const avg = n.opType === 'GlobalAveragePool';
  const kind = (
    avg
      ? ['globalAvgPool1d', 'globalAvgPool2d', 'globalAvgPool3d']
      : ['globalMaxPool1d', 'globalMaxPool2d', 'globalMaxPool3d']
  )[s - 1] as 'globalAvgPool2d';
  const { ref, shapes } = c.emit(n, { kind, keepDims: true }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2'], function (n) {
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
});

// ---- resizing ----

register(['Resize', 'Upsample'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  if (x0.onnx.length !== 4) return c.unknown(n, `a ${n.opType} of a rank-${x0.onnx.length} tensor`);
  const opset = c.opset;
  // Resize: (X, roi, scales, sizes) from opset 11; Upsample: (X, scales).
  const scalesAt = n.opType === 'Upsample' ? 1 : opset >= 11 ? 2 : 1;
  const sizesAt = n.opType === 'Upsample' ? -1 : 3;
  const sizes = sizesAt > 0 && n.input[sizesAt] ? c.constant(n, sizesAt, 'the sizes') : [];
  const scales = n.input[scalesAt]
    ? c.constant(n, scalesAt, 'the scales')
    : (attr(n, 'scales')?.floats.map(Number) ?? []);
  const out = sizes.length ? sizes : scales.length ? x0.onnx.map((d, i) => Math.floor(d * scales[i]!)) : undefined;
  if (!out) return c.unknown(n, `a ${n.opType} without scales or sizes`);
  if (out[0] !== x0.onnx[0] || out[1] !== x0.onnx[1]) return c.unknown(n, `a ${n.opType} of the batch or channel axis`);
  const mode = attrString(n, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    return c.unknown(n, `a ${n.opType} in mode ${mode}`);
  const coordinates = attrString(
    n,
    'coordinate_transformation_mode',
    n.opType === 'Upsample' ? 'asymmetric' : 'half_pixel',
  );
  const x = c.layout(n, x0, channelsLast(3), 'channels_last');
  const factor = [out[2]! / x.onnx[2]!, out[3]! / x.onnx[3]!];
  const nearestFloor =
    mode === 'nearest' &&
    coordinates === 'asymmetric' &&
    attrString(n, 'nearest_mode', 'round_prefer_floor') === 'floor';
  const config: LayerConfig =
    nearestFloor && factor.every((f) => Number.isInteger(f) && f >= 1)
      ? { kind: 'upSampling2d', size: [factor[0]!, factor[1]!], interpolation: 'nearest' }
      : {
          kind: 'resize',
          size: [out[2]!, out[3]!],
          mode: mode === 'nearest' ? 'nearest' : 'bilinear',
          coordinates:
            coordinates === 'align_corners'
              ? 'align_corners'
              : coordinates === 'asymmetric'
                ? 'asymmetric'
                : 'half_pixel',
        };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

// ---- elementwise activations ----

const ACTIVATIONS: Record<string, ActivationFn> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
  Selu: 'selu',
};
for (const [op, fn] of Object.entries(ACTIVATIONS)) {
  HANDLERS[op] = function (n) {
    const c = this;
    const x = c.tensor(n, 0, true);
    // SELU and ELU with other than their defaults are other functions; they are refused rather than approximated.
    if (op === 'Selu' && (attr(n, 'alpha') || attr(n, 'gamma'))) {
      const alpha = attrFloat(n, 'alpha', 1.6732632423543772);
      const gamma = attrFloat(n, 'gamma', 1.0507009873554805);
      if (Math.abs(alpha - 1.6732632) > 1e-5 || Math.abs(gamma - 1.0507009) > 1e-5)
        return c.unknown(n, 'a Selu with other constants');
    }
    const { ref, shapes } = c.emit(n, { kind: 'activation', fn }, [x.ref]);
    c.out(n, 0, ref, shapes[0]!, x.perm, Converter.flatOf(x));
  };
}

// Parametrised activations: their ONNX attributes are the kind's options, defaults ONNX's own.
const PARAMETRISED: Record<string, (n: NodeProto) => ActivationConfig> = {
  Elu: (n) => ({
    kind: 'activation',
    fn: 'elu',
    ...(attrFloat(n, 'alpha', 1) === 1 ? {} : { alpha: attrFloat(n, 'alpha', 1) }),
  }),
  Celu: (n) => ({ kind: 'activation', fn: 'celu', alpha: attrFloat(n, 'alpha', 1) }),
  LeakyRelu: (n) => ({ kind: 'activation', fn: 'leaky_relu', negativeSlope: attrFloat(n, 'alpha', 0.01) }),
  ThresholdedRelu: (n) => ({ kind: 'activation', fn: 'relu', threshold: attrFloat(n, 'alpha', 1) }),
  HardSigmoid: (n) => ({
    kind: 'activation',
    fn: 'hard_sigmoid',
    alpha: attrFloat(n, 'alpha', 0.2),
    beta: attrFloat(n, 'beta', 0.5),
  }),
  // ONNX's HardSwish is x * HardSigmoid(x) with alpha 1/6 and beta 0.5: Keras' hard_silu exactly.
  HardSwish: () => ({ kind: 'activation', fn: 'hard_silu' }),
  Softsign: () => ({ kind: 'activation', fn: 'softsign' }),
  Mish: () => ({ kind: 'activation', fn: 'mish' }),
};
for (const [op, config] of Object.entries(PARAMETRISED)) {
  HANDLERS[op] = function (n) {
    const c = this;
    const x = c.tensor(n, 0, true);
    const { ref, shapes } = c.emit(n, config(n), [x.ref]);
    c.out(n, 0, ref, shapes[0]!, x.perm, Converter.flatOf(x));
  };
}

register(['PRelu'], function (n) {
  const c = this;
  let x = c.tensor(n, 0);
  const slope = c.value(n, 1);
  if (slope.t !== 'const' || !slope.init) return c.unknown(n, 'a PRelu whose slope is not a stored tensor');
  let shape = broadcastShape(slope, x);
  if (!shape) {
    x = c.layout(n, x, identity(x.perm.length), 'onnx_order');
    shape = broadcastShape(slope, x);
  }
  const g = graphShape(x);
  if (!shape || shape.some((d, i) => d !== 1 && d !== g[i]))
    return c.unknown(n, `a PRelu slope of shape [${slope.dims.join(', ')}] against [${x.onnx.join(', ')}]`);
  // The slope's size-1 axes are shared; an axis of size 1 in the input is the same either way.
  const sharedAxes = shape.flatMap((d, i) => (d === 1 && g[i] !== 1 ? [i] : []));
  const { ref, shapes } = c.emit(n, { kind: 'prelu', sharedAxes }, [x.ref]);
  c.weights.set(ref, { op: 'paramOp', inits: [slope.init.name], perm: x.perm });
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

register(['Gelu'], function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  if (attrString(n, 'approximate', 'none') !== 'none') return c.unknown(n, 'a Gelu with the tanh approximation');
  const { ref, shapes } = c.emit(n, { kind: 'activation', fn: 'gelu' }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, Converter.flatOf(x));
});

register(['Clip'], function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  const min = n.input[1] ? c.constant(n, 1, 'min')[0]! : attrFloat(n, 'min', -Infinity);
  const max = n.input[2] ? c.constant(n, 2, 'max')[0]! : attrFloat(n, 'max', Infinity);
  const config: LayerConfig =
    min === 0 && max === 6
      ? { kind: 'activation', fn: 'relu6' }
      : min === 0 && max === Infinity
        ? { kind: 'activation', fn: 'relu' }
        : { kind: 'clip', min, max };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, Converter.flatOf(x));
});

register(['Softmax', 'LogSoftmax'], function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const rank = x0.onnx.length;
  const axis0 = attrInt(n, 'axis', c.opset >= 13 ? -1 : 1);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  // Before opset 13 Softmax flattens from its axis on; over the last axis both are the same.
  if (c.opset < 13 && axis !== rank - 1)
    return c.unknown(n, `a ${n.opType} (opset ${c.opset}) over axes ${axis} to ${rank - 1}`);
  const x = x0.perm[x0.perm.length - 1] === axis - 1 ? x0 : c.layout(n, x0, identity(x0.perm.length), 'onnx_order');
  if (x.perm[x.perm.length - 1] !== axis - 1) return c.unknown(n, `a ${n.opType} over axis ${axis}`);
  const { ref, shapes } = c.emit(n, { kind: 'activation', fn: n.opType === 'Softmax' ? 'softmax' : 'log_softmax' }, [
    x.ref,
  ]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
});

const UNARY: Record<string, UnaryOp> = {
  Erf: 'erf',
  Sqrt: 'sqrt',
  Exp: 'exp',
  Log: 'log',
  Neg: 'neg',
  Abs: 'abs',
  Reciprocal: 'reciprocal',
  Floor: 'floor',
  Ceil: 'ceil',
  Sin: 'sin',
  Cos: 'cos',
};
for (const [op, u] of Object.entries(UNARY)) {
  HANDLERS[op] = function (n) {
    const c = this;
    const v = c.value(n, 0);
    if (v.t === 'const') {
      const f: Record<UnaryOp, (x: number) => number> = {
        erf: (x) => x,
        sqrt: Math.sqrt,
        exp: Math.exp,
        log: Math.log,
        neg: (x) => -x,
        abs: Math.abs,
        reciprocal: (x) => 1 / x,
        floor: Math.floor,
        ceil: Math.ceil,
        sin: Math.sin,
        cos: Math.cos,
        identity: (x) => x,
      };
      if (u === 'erf') return c.unknown(n, 'Erf of a constant');
      return this.foldTo(n, v.dims, c.valuesOf(v).map(f[u]), true);
    }
    const { ref, shapes } = c.emit(n, { kind: 'unary', op: u }, [v.ref]);
    c.out(n, 0, ref, shapes[0]!, v.perm);
  };
}

register(['Dropout'], function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  if (c.used(n, 1)) return c.unknown(n, 'a Dropout whose mask is used');
  const ratio = n.input[1] ? (c.constant(n, 1, 'the ratio')[0] ?? 0.5) : attrFloat(n, 'ratio', 0.5);
  const { ref, shapes } = c.emit(n, { kind: 'dropout', rate: ratio }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, Converter.flatOf(x));
});

// ---- recurrent layers: nn.LSTM and nn.GRU as torch.onnx.export writes them ----

const RNN_ACTIVATIONS = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] } as const;

/**
 * An LSTM or GRU, forward or bidirectional, over a batch-first sequence: Keras' LSTM with PyTorch's second bias, or
 * Keras' GRU with reset_after (ONNX's linear_before_reset = 1, PyTorch's GRU). A sequence-first input
 * (layout 0) is the lifted transpose of a batch-first tensor; Y keeps ONNX's [steps, directions, batch,
 * hidden] (lifted), Y_h is the last step.
 */
register(['LSTM', 'GRU'], function (n) {
  const c = this;
  const op = n.opType as 'LSTM' | 'GRU';
  const hidden = attrInt(n, 'hidden_size', 0);
  const direction = attrString(n, 'direction', 'forward');
  if (direction === 'reverse') return c.unknown(n, `a ${op} in direction reverse`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  if (attr(n, 'clip') || attrInt(n, 'input_forget', 0)) return c.unknown(n, `a ${op} with clip or input_forget`);
  const acts = attr(n, 'activations')?.strings.map((b) => Buffer.from(b).toString('utf8'));
  if (acts && acts.join() !== RNN_ACTIVATIONS[op].join())
    return c.unknown(n, `a ${op} with activations ${acts.join(', ')}`);
  if (op === 'GRU' && attrInt(n, 'linear_before_reset', 0) !== 1)
    return c.unknown(n, 'a GRU with linear_before_reset 0 (one bias per gate: Keras reset_after=False)');
  const stored = [1, 2, 3].map((i) => (n.input[i] ? c.value(n, i) : undefined));
  if (stored.some((v, i) => (i < 2 || v) && (v?.t !== 'const' || !v.init)))
    return c.unknown(n, `a ${op} whose weights are computed, not stored`);
  if (n.input[4] || n.input[7]) return c.unknown(n, `a ${op} with sequence lengths or peepholes`);
  for (const i of [5, 6]) {
    const v = n.input[i] ? c.value(n, i) : undefined;
    if (v && (v.t !== 'const' || c.valuesOf(v).some((x) => x !== 0)))
      return c.unknown(n, `a ${op} with initial states other than zeros`);
  }
  if (op === 'LSTM' && c.used(n, 2)) return c.unknown(n, 'an LSTM whose final cell state is used');
  const layout = attrInt(n, 'layout', 0);
  const x0 = c.tensor(n, 0);
  const real = x0.lifted ? x0.onnx.slice(1) : x0.onnx;
  // Batch-first [1, steps, features]: layout 1 as it is; layout 0 [steps, 1, features] from its lifted form.
  if (real.length !== 3 || real[layout === 0 ? 1 : 0] !== 1 || (layout === 0) !== Boolean(x0.lifted))
    return c.unknown(n, `a ${op} over [${real.join(', ')}] (layout ${layout})`);
  const [steps, features] = layout === 0 ? [real[0]!, real[2]!] : [real[1]!, real[2]!];
  const ordered = c.layout(n, x0, identity(x0.perm.length), 'onnx_order');
  const x =
    layout === 0
      ? c.emit(n, { kind: 'reshape', target: [steps, features] }, [ordered.ref], '__batch_first').ref
      : ordered.ref;
  const flags = { returnSequences: true, returnState: false, goBackwards: false };
  const bias = stored[2] !== undefined;
  const cell: RecurrentConfig =
    op === 'LSTM'
      ? { kind: 'lstm', units: hidden, bias, ...(bias ? { recurrentBias: true } : {}), ...flags }
      : { kind: 'gru', units: hidden, bias, resetAfter: true, ...flags };
  // Bidirectional: Keras' wrapper, the backward copy going backwards, the two sequences joined per step
  // (ONNX's Y holds the directions on an axis of their own, in the same element order at batch 1).
  const config: LayerConfig =
    dirs === 2
      ? { kind: 'bidirectional', forward: cell, backward: { ...cell, goBackwards: true }, mergeMode: 'concat' }
      : cell;
  const { ref } = c.emit(n, config, [x]);
  c.weights.set(ref, { op, inits: stored.filter((v): v is Const => v !== undefined).map((v) => v.init!.name) });
  if (c.used(n, 0)) {
    // ONNX's Y: [steps, directions, 1, hidden] (lifted) for layout 0, [1, steps, directions, hidden] for layout 1.
    const target = layout === 0 ? [steps, dirs, 1, hidden] : [steps, dirs, hidden];
    const y = c.emit(n, { kind: 'reshape', target }, [ref], '__onnx_layout').ref;
    c.set(n.output[0]!, {
      t: 'tensor',
      ref: y,
      onnx: [1, ...target],
      perm: identity(target.length),
      ...(layout === 0 ? { lifted: true } : {}),
    });
  }
  if (c.used(n, 1)) {
    // ONNX's Y_h: each direction's final state: forward's at the last step, backward's at the first.
    const part = (step: number, from: number) =>
      c.emit(
        n,
        { kind: 'slice', axes: [0, 1], starts: [step, from], ends: [step + 1, from + hidden], steps: [1, 1] },
        [ref],
        '__final_state',
      ).ref;
    const parts = dirs === 2 ? [part(steps - 1, 0), part(0, hidden)] : [part(steps - 1, 0)];
    const h = parts.length === 1 ? parts[0]! : c.emit(n, { kind: 'concat', axis: 0 }, parts, '__final_state').ref;
    if (layout === 1 || dirs === 1) {
      c.set(n.output[1]!, { t: 'tensor', ref: h, onnx: [1, dirs, hidden], perm: [0, 1] });
    } else {
      // [directions, 1, hidden]: directions first, lifted.
      const y = c.emit(n, { kind: 'reshape', target: [dirs, 1, hidden] }, [h], '__onnx_layout').ref;
      c.set(n.output[1]!, { t: 'tensor', ref: y, onnx: [1, dirs, 1, hidden], perm: identity(3), lifted: true });
    }
  }
});
SELF_LIFTING.add('LSTM').add('GRU');

// ---- constant logic, for shape-computing subgraphs ----

const COMPARE: Record<string, (a: number, b: number) => number> = {
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(Boolean(a) && Boolean(b)),
  Or: (a, b) => Number(Boolean(a) || Boolean(b)),
};
for (const [op, f] of Object.entries(COMPARE)) {
  HANDLERS[op] = function (n) {
    const c = this;
    const [a, b] = [c.value(n, 0), c.value(n, 1)];
    if (a.t !== 'const' || b.t !== 'const') return c.unknown(n, `${op} of computed tensors`);
    c.set(
      n.output[0]!,
      broadcastValues(c.where(n), { ...a, values: c.valuesOf(a) }, { ...b, values: c.valuesOf(b) }, f),
    );
  };
}

// Mod of shapes: what torchvision's ViT and Swin compute for their patch and window padding.
register(['Mod'], function (n) {
  const c = this;
  const [a, b] = [c.value(n, 0), c.value(n, 1)];
  if (a.t !== 'const' || b.t !== 'const') return c.unknown(n, 'Mod of computed tensors');
  // fmod=1 takes the dividend's sign (C's fmod), fmod=0 the divisor's (Python's %).
  const f = attrInt(n, 'fmod', 0)
    ? (x: number, y: number) => x % y
    : (x: number, y: number) => x - y * Math.floor(x / y);
  c.set(n.output[0]!, broadcastValues(c.where(n), { ...a, values: c.valuesOf(a) }, { ...b, values: c.valuesOf(b) }, f));
});

// Expand to a shape that only adds the batch axis (ViT's class token, cls.expand(n, -1, -1) at batch 1)
// keeps its input; a constant expands to its values. Anything else would repeat a computed tensor.
register(['Expand'], function (n) {
  const c = this;
  const v = c.value(n, 0, true);
  const shape = c.constant(n, 1, 'the shape');
  const dims = v.t === 'tensor' ? v.onnx : v.dims;
  const rank = Math.max(dims.length, shape.length);
  const from = [...Array(rank - dims.length).fill(1), ...dims];
  const to = [...Array(rank - shape.length).fill(1), ...shape];
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
  c.unknown(
    n,
    `Expand of ${v.t === 'const' ? 'a stored tensor' : 'a computed tensor'} [${dims.join(', ')}] to [${out.join(', ')}]`,
  );
});

// ScatterND of constants: Swin's shifted-window attention mask, written region by region into zeros.
register(['ScatterND'], function (n) {
  const c = this;
  const [data, indices, updates] = [0, 1, 2].map((i) => c.value(n, i));
  if (data!.t !== 'const' || indices!.t !== 'const' || updates!.t !== 'const')
    return c.unknown(n, 'ScatterND of computed tensors');
  if (attrString(n, 'reduction', 'none') !== 'none') return c.unknown(n, 'ScatterND with a reduction');
  const out = [...c.valuesOf(data!)];
  const idx = c.valuesOf(indices!);
  const upd = c.valuesOf(updates!);
  const depth = indices!.dims.at(-1)!;
  const st = strides(data!.dims);
  const slice = prod(data!.dims.slice(depth));
  for (let k = 0; k * depth < idx.length; k++) {
    let off = 0;
    for (let j = 0; j < depth; j++) {
      const i = idx[k * depth + j]!;
      off += (i < 0 ? i + data!.dims[j]! : i) * st[j]!;
    }
    for (let e = 0; e < slice; e++) out[off + e] = upd[k * slice + e]!;
  }
  this.foldTo(n, data!.dims, out, data!.float);
});

register(['Not'], function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t !== 'const') return c.unknown(n, 'Not of a computed tensor');
  this.foldTo(
    n,
    v.dims,
    c.valuesOf(v).map((x) => Number(!x)),
  );
});

register(['Where'], function (n) {
  const c = this;
  const [cond, a, b] = [0, 1, 2].map((i) => c.value(n, i));
  if (cond!.t !== 'const' || a!.t !== 'const' || b!.t !== 'const') return c.unknown(n, 'Where of computed tensors');
  const ab = broadcastValues(
    c.where(n),
    { ...a!, values: c.valuesOf(a!) },
    { ...b!, values: c.valuesOf(b!) },
    (x) => x,
  );
  const picked = broadcastValues(
    c.where(n),
    { ...cond!, values: c.valuesOf(cond!) },
    { ...ab, values: ab.values! },
    (k, x) => x * 0 + k,
  );
  const bs = broadcastValues(c.where(n), { ...b!, values: c.valuesOf(b!) }, { ...ab, values: ab.values! }, (x) => x);
  const as = broadcastValues(c.where(n), { ...a!, values: c.valuesOf(a!) }, { ...ab, values: ab.values! }, (x) => x);
  this.foldTo(
    n,
    ab.dims,
    picked.values!.map((k, i) => (k ? as.values![i]! : bs.values![i]!)),
    ab.float,
  );
});

register(['If'], function (n) {
  const c = this;
  const cond = c.value(n, 0);
  if (cond.t !== 'const') return c.unknown(n, 'an If on a computed condition');
  const branch = attr(n, c.valuesOf(cond)[0] ? 'then_branch' : 'else_branch')?.g;
  if (!branch) return c.unknown(n, 'an If without that branch');
  // The taken branch runs in the outer scope; its outputs are the If's.
  c.run(branch);
  branch.output.forEach((o, k) => {
    const v = c.values.get(o.name);
    if (!v) return c.unknown(n, `an If branch output "${o.name}" computed by nothing`);
    c.set(n.output[k]!, v);
  });
});

// ---- lifted tensors (Converter.lifted): the node's ONNX axes, one further on ----

const after = (a: number): number => (a >= 0 ? a + 1 : a);

function setAttr(m: NodeProto, name: string, value: { i?: number; ints?: number[] }): void {
  const a = { name, i: value.i ?? 0, ints: value.ints ?? [] } as unknown as AttributeProto;
  m.attribute = [...m.attribute.filter((x) => x.name !== name), a];
}

/** An axis attribute (with the operator's default where absent) moved past the lifted batch axis. */
const axisAttr = (fallback: (c: Converter) => number | undefined): Lift =>
  function (m) {
    const a = attr(m, 'axis') ? attrInt(m, 'axis', 0) : fallback(this);
    if (a !== undefined) setAttr(m, 'axis', { i: after(a) });
  };

/** Axes given as an input (newer opsets) or an attribute; `all` gives the axes meant when none are. */
const axesOf = (input: number, all?: (m: NodeProto, rank: number, c: Converter) => number[] | undefined): Lift =>
  function (m, rank) {
    const given = m.input[input] ? this.constant(m, input, 'the axes') : attrInts(m, 'axes');
    const axes = given ?? all?.(m, rank, this);
    if (!axes) return;
    if (m.input[input] || !attr(m, 'axes')) this.constInput(m, input, axes.map(after));
    else setAttr(m, 'axes', { ints: axes.map(after) });
  };

/** A full ONNX shape given as an input: the lifted batch of 1 goes in front. */
const shapeInput = (i: number): Lift =>
  function (m) {
    this.constInput(m, i, [1, ...this.constant(m, i, 'the shape')]);
  };

const none: Lift = () => {};
for (const op of [
  ...Object.keys(ELEMENTWISE),
  ...Object.keys(ACTIVATIONS),
  ...Object.keys(PARAMETRISED),
  ...Object.keys(UNARY),
  ...['MatMul', 'Gemm', 'Where', 'Mod', 'Clip', 'Gelu', 'Dropout', 'Identity', 'Cast', 'CastLike', 'Shape', 'Size'],
])
  LIFTED[op] = none;
Object.assign(LIFTED, {
  Transpose: function (m, rank) {
    const p = attrInts(m, 'perm') ?? identity(rank).reverse();
    setAttr(m, 'perm', { ints: [0, ...p.map((x) => x + 1)] });
  },
  Reshape: shapeInput(1),
  Expand: shapeInput(1),
  Concat: axisAttr(() => undefined),
  Gather: axisAttr(() => 0),
  Split: axisAttr(() => 0),
  Softmax: axisAttr((c) => (c.opset >= 13 ? -1 : 1)),
  LogSoftmax: axisAttr((c) => (c.opset >= 13 ? -1 : 1)),
  LayerNormalization: axisAttr(() => -1),
  Slice: function (m, rank) {
    if (m.input[1]) return axesOf(3, (n, _r, c) => identity(c.constant(n, 1, 'starts').length)).call(this, m, rank);
    setAttr(m, 'axes', { ints: (attrInts(m, 'axes') ?? identity(attrInts(m, 'starts')?.length ?? 0)).map(after) });
  },
  Unsqueeze: axesOf(1),
  // Squeeze without axes drops every axis of 1: the lifted batch must stay.
  Squeeze: axesOf(1, (m, rank, c) => {
    const v = c.values.get(m.input[0]!) as Tensor;
    return identity(rank).filter((i) => v.onnx[i + 1] === 1);
  }),
  ...Object.fromEntries(
    ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL2'].map((op) => [
      op,
      axesOf(1, (m, rank) => (attrInt(m, 'noop_with_empty_axes', 0) ? undefined : identity(rank))),
    ]),
  ),
  Pad: function (m, rank) {
    if (m.input[3]) return axesOf(3).call(this, m, rank);
    const pads = m.input[1] ? this.constant(m, 1, 'the pads') : (attrInts(m, 'pads') ?? []);
    const shifted = [0, ...pads.slice(0, rank), 0, ...pads.slice(rank)];
    if (m.input[1]) this.constInput(m, 1, shifted);
    else setAttr(m, 'pads', { ints: shifted });
  },
} satisfies Record<string, Lift>);
