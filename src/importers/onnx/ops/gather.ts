/**
 * Gather: folded on constants, a slice of one position of a tensor, nn.Embedding's table lookup, or a
 * table read at constant rows; GatherElements folded on constants.
 */
import { prod } from '../../../exact.js';
import { attrInt } from '../attributes.js';
import { checkFold, identity, isParameter, strides, type Tensor, type WeightLayout } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { axisAttr } from './lift.js';
import { reshapeTo } from './shape.js';

const gather: Handler = function (n) {
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
    if (!c.tables.has(data.init.name)) c.tables.set(data.init.name, ref);
    return void c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length));
  }
  if (data.t === 'const' && data.init && data.float && data.dims.length === 2 && idx.dims[0] === 1) {
    // A stored table read at constant rows with a batch axis (position_ids): an Embedding with fixed ids.
    const axis = (attrInt(n, 'axis', 0) + 2) % 2;
    if (axis === 0 && isParameter(data.init.name, data.dims)) {
      const [inputDim, outputDim] = data.dims as [number, number];
      const batch = c.values.get(c.inputs[0]!.name) as Tensor;
      const indices = c.valuesOf(idx).map((i) => (i < 0 ? i + inputDim : i));
      const config = { kind: 'fixedEmbedding' as const, inputDim, outputDim, indices, indexShape: idx.dims.slice(1) };
      const { ref, shapes } = c.emit(n, config, [batch.ref]);
      c.weights.set(ref, { op: 'Embedding', inits: [data.init.name] });
      return void c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length));
    }
  }
  if (data.t === 'tensor') {
    // One position of a computed tensor (ViT's x[:, 0]): a slice, and the axis dropped for a scalar index.
    const rank = data.onnx.length;
    const a = (attrInt(n, 'axis', 0) + rank) % rank;
    const [raw] = c.valuesOf(idx);
    if (a === 0) return c.lifted(n);
    // Every position in order (dynamo's as_strided, a flat tensor read back at its own offsets): a reshape.
    const size0 = data.onnx[a]!;
    if (prod(idx.dims) === size0 && size0 > 1 && c.valuesOf(idx).every((v, k) => v === k || v === k - size0))
      return reshapeTo.call(this, n, data, [...data.onnx.slice(0, a), ...idx.dims, ...data.onnx.slice(a + 1)]);
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
  const size = data.dims[axis]!;
  const bad = indices.find((raw) => !Number.isInteger(raw) || raw < -size || raw >= size);
  if (bad !== undefined) return c.unknown(n, `Gather of index ${bad} from an axis of ${size}`);
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const raw of indices) {
      const i = raw < 0 ? raw + size : raw;
      for (let k = 0; k < inner; k++) out.push(values[o * (st[axis - 1] ?? prod(data.dims)) + i * st[axis]! + k]!);
    }
  }
  this.foldTo(n, dims, out, data.float);
};

/** GatherElements on constants (BERT's token_type_ids buffer read at the positions): folded. */
const gatherElements: Handler = function (n) {
  const c = this;
  const data = c.value(n, 0);
  const idx = c.value(n, 1);
  if (data.t !== 'const' || idx.t !== 'const') return c.unknown(n, 'GatherElements of a computed tensor');
  const rank = data.dims.length;
  const axis = (attrInt(n, 'axis', 0) + rank) % rank;
  if (idx.dims.length !== rank)
    return c.unknown(n, `GatherElements of rank-${idx.dims.length} indices into rank ${rank}`);
  checkFold(c.where(n), idx.dims);
  const values = c.valuesOf(data);
  const indices = c.valuesOf(idx);
  const [ds, is] = [strides(data.dims), strides(idx.dims)];
  const out = indices.map((raw, k) => {
    const i = raw < 0 ? raw + data.dims[axis]! : raw;
    if (!(i >= 0 && i < data.dims[axis]!)) return NaN;
    let src = 0;
    let rest = k;
    for (let a = 0; a < rank; a++) {
      const coord = Math.floor(rest / is[a]!);
      rest -= coord * is[a]!;
      src += (a === axis ? i : coord) * ds[a]!;
    }
    return values[src]!;
  });
  if (out.some(Number.isNaN)) return c.unknown(n, 'GatherElements with an index outside its axis');
  this.foldTo(n, idx.dims, out, data.float);
};

const embedding: WeightLayout = (source, stored) => [
  { data: stored(source.inits[0]!).data, shape: stored(source.inits[0]!).dims },
];

export const { operators, layouts }: OpFile = {
  operators: { Gather: { convert: gather, lift: axisAttr(() => 0) }, GatherElements: { convert: gatherElements } },
  layouts: { Embedding: embedding },
};
