/** Concat (folded, a stored parameter joined to activations, or tensors) and Split, along a mapped axis. */
import { prod } from '../../../exact.js';
import { attrInt, attrInts } from '../attributes.js';
import { checkFold, identity, same, type Const, type Tensor } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { axisAttr } from './lift.js';

const concat: Handler = function (n) {
  const c = this;
  // torch.cat of one tensor (DenseNet's first layer of each block) is that tensor.
  if (n.input.length === 1) return c.set(n.output[0]!, c.value(n, 0, true));
  const vs = n.input.map((_, i) => c.value(n, i));
  const axis0 = attrInt(n, 'axis', 0);
  if (vs.every((v) => v.t === 'const')) {
    const ks = vs;
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
  // Examples joined into one batch (two views of a contrastive model): counted as one example of the whole.
  if (a === 0) return c.lifted(n);
  if (!ts.every((t) => same(t.perm, ts[0]!.perm)))
    ts = ts.map((t) => c.layout(n, t, identity(t.perm.length), 'onnx_order'));
  const perm = ts[0]!.perm;
  const { ref, shapes } = c.emit(
    n,
    { kind: 'concat', axis: perm.indexOf(a - 1) },
    ts.map((t) => t.ref),
  );
  c.out(n, 0, ref, shapes[0]!, perm);
};

const split: Handler = function (n) {
  const c = this;
  const v = c.tensor(n, 0);
  const rank = v.onnx.length;
  const a0 = attrInt(n, 'axis', 0);
  const a = a0 < 0 ? a0 + rank : a0;
  if (a === 0) return c.unknown(n, 'Split along the batch axis', true);
  const size = v.onnx[a]!;
  let sizes = n.input[1] ? c.constant(n, 1, 'the split sizes') : attrInts(n, 'split');
  if (!sizes) {
    const parts = attrInt(n, 'num_outputs', n.output.length);
    const each = Math.ceil(size / parts);
    sizes = Array.from({ length: parts }, (_, i) => Math.min(each, size - i * each));
  }
  const { ref, shapes } = c.emit(n, { kind: 'split', axis: v.perm.indexOf(a - 1), sizes }, [v.ref]);
  shapes.forEach((s, k) => c.out(n, k, k === 0 ? ref : `${ref}:${k}`, s, v.perm));
};

export const { operators }: OpFile = {
  operators: {
    Concat: { convert: concat, lift: axisAttr(() => undefined) },
    Split: { convert: split, lift: axisAttr(() => 0) },
  },
};
