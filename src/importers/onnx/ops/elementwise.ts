/** Elementwise arithmetic (Add, Sub, Mul, Div, Pow, Max, Min): folded, between tensors, or with a stored tensor. */
import { prod } from '../../../exact.js';
import type { LayerConfig } from '../../../graph.js';
import {
  broadcastShape,
  broadcastValues,
  identity,
  same,
  transpose,
  type Const,
  type Tensor,
  type WeightLayout,
  isParameter,
  DYNAMO_FOLDED,
  DYNAMO_ROWS,
} from '../values.js';
import type { Converter } from '../convert.js';
import type { Handler, OpFile } from './def.js';
import { none } from './lift.js';

type Op = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min';
const ELEMENTWISE: Record<string, Op> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'max',
  Min: 'min',
};

/** Elementwise arithmetic of folded constants; `float` when either is a float tensor (no integer division then). */
function fold(op: string, a: number, b: number, float: boolean): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return float ? a / b : b === 0 ? NaN : Math.trunc(a / b);
    case 'pow':
      return a ** b;
    case 'max':
      return Math.max(a, b);
    default:
      return Math.min(a, b);
  }
}

const elementwise = (onnxOp: string, op: Op): Handler =>
  function (n) {
    const c = this;
    // Max/Min take any number of inputs; two is what exports write.
    if (n.input.length !== 2) return c.unknown(n, `${onnxOp} of ${n.input.length} inputs`);
    const [a, b] = [c.value(n, 0), c.value(n, 1)];
    if (a.t === 'const' && b.t === 'const') {
      const va = { ...a, values: c.valuesOf(a) };
      const vb = { ...b, values: c.valuesOf(b) };
      return c.set(
        n.output[0]!,
        broadcastValues(c.where(n), va, vb, (x, y) => fold(op, x, y, a.float || b.float)),
      );
    }
    if (a.t === 'tensor' && b.t === 'tensor') {
      // Same rank and layout: the graph broadcasts as ONNX does; otherwise both go to ONNX order.
      let [x, y] = [a, b];
      if (!(x.onnx.length === y.onnx.length && same(x.perm, y.perm))) {
        x = c.layout(n, x, identity(x.perm.length), 'onnx_order');
        y = c.layout(n, y, identity(y.perm.length), 'onnx_order');
      }
      const { ref, shapes } = c.emit(n, { kind: 'binary', op }, [x.ref, y.ref]);
      const perm = x.perm.length >= y.perm.length ? x.perm : y.perm;
      return void c.out(n, 0, ref, shapes[0]!, perm.length === shapes[0]!.length ? perm : identity(shapes[0]!.length));
    }
    // A MatMul's bias, absorbed into its Dense.
    const fused = c.fusedAdds.get(n.name || n.output[0]!);
    if (fused !== undefined) {
      const { biasAfter: _, ...x } = (a.t === 'tensor' ? a : b) as Tensor;
      return void c.set(n.output[0]!, x);
    }
    const [x, k, left] = a.t === 'tensor' ? [a, b as Const, false] : [b as Tensor, a, true];
    let t = x;
    let shape = broadcastShape(k, t);
    if (!shape) {
      t = c.layout(n, t, identity(t.perm.length), 'onnx_order');
      shape = broadcastShape(k, t);
      if (!shape)
        return c.unknown(n, `${onnxOp} with a constant of shape [${k.dims.join(', ')}] against [${x.onnx.join(', ')}]`);
    }
    const isParam = k.init !== undefined && k.float && isParameter(k.init.name, k.dims);
    // Computed at export (TorchScript's onnx::Op_N, dynamo's aten-named folds), not a weight the graph derives.
    const name = k.init && k.float && !k.derived && prod(k.dims) > 1 ? k.init.name : '';
    if (name.startsWith('onnx::') || DYNAMO_FOLDED.test(name) || DYNAMO_ROWS.test(name))
      c.exportComputed[isParam ? 'counted' : 'uncounted'].set(name, prod(k.dims));
    // A constant's values in the tensor's layout, as a parameter's are loaded (`stored`).
    const values = () => {
      const v = c.valuesOf(k);
      if (v.length === 1 || same(t.perm, identity(t.perm.length))) return v;
      const perExample = [...Array(t.onnx.length - k.dims.length).fill(1), ...k.dims].slice(1);
      // Positions, not values, go through the float32 transpose: exact below 2^24 (checkFold's bound).
      const order = transpose(
        Float32Array.from(v, (_, i) => i),
        perExample,
        t.perm,
      );
      return Array.from(order, (i) => v[i]!);
    };
    const gather = isParam ? gathered(c, k, values) : undefined;
    // torchinfo counts a leaf module's parameter by its own name (an RMSNorm's `weight`).
    // dynamo's rows of a position table (embedding_N) are an Embedding's weight, the rows it read.
    const stored = gather?.name ?? k.init?.name ?? '';
    const own = DYNAMO_ROWS.test(stored) ? 'weight' : stored.split('.').at(-1);
    const torchName = own === 'weight' || own === 'bias' ? { torchName: own as 'weight' | 'bias' } : {};
    // One read used again (T5 hands its position bias on to every block) is one Embedding call.
    const again = gather !== undefined && c.gatheredReads.has(k.init!.name);
    if (gather) c.gatheredReads.add(k.init!.name);
    // An Embedding's read without a batch axis: torchinfo's output_size[0] is its first axis.
    const unbatched = DYNAMO_ROWS.test(stored) && k.dims.length < x.onnx.length ? k.dims[0] : undefined;
    const read = gather ? k.gatheredRows : unbatched;
    const rows = read !== undefined ? { torchRows: again ? 0 : read } : {};
    const config: LayerConfig = isParam
      ? {
          kind: 'paramOp',
          op,
          shape,
          left,
          ...torchName,
          ...rows,
          ...(gather ? { gather: { table: gather.table, index: gather.index } } : {}),
        }
      : { kind: 'constOp', op, shape: prod(k.dims) === 1 ? [] : shape, values: values(), left };
    // A gathered table belongs to the module that holds it (Whisper's embed_positions, added in the encoder).
    const owner = gather && gather.name.includes('.') ? gather.name.slice(0, gather.name.lastIndexOf('.')) : undefined;
    const { ref, shapes } = c.emit(n, config, [t.ref], '', owner);
    if (gather) c.weights.set(ref, { op: 'gatheredTable', inits: [gather.name] });
    else if (isParam) c.weights.set(ref, { op: 'paramOp', inits: [k.init!.name], perm: t.perm });
    c.out(n, 0, ref, shapes[0]!, shapes[0]!.length === t.perm.length ? t.perm : identity(shapes[0]!.length));
  };

/**
 * A constant that rearranges a stored table (Const.gatheredFrom), expanded (Swin's (heads, N, N) from
 * its (2W-1)^2 rows) or a part (one head's row): the table PyTorch holds, and where each of the operand's
 * values (in the layout the layer sees) comes from in it. The values were only moved,
 * so each is found in the table; where values repeat, any of their positions gives the same operand.
 */
function gathered(
  c: Converter,
  k: Const,
  operand: () => number[],
): { name: string; table: number; index: number[] } | undefined {
  const source = k.gatheredFrom ? c.values.get(k.gatheredFrom) : undefined;
  if (source?.t !== 'const' || !source.init) return undefined;
  const at = new Map<number, number>();
  c.valuesOf(source).forEach((v, i) => at.has(v) || at.set(v, i));
  const index = operand().map((v) => at.get(v) ?? -1);
  if (index.includes(-1)) return undefined;
  return { name: source.init.name, table: prod(source.dims), index };
}

/** A table read at constant indices: its values as stored, flat. */
const table: WeightLayout = (source, t) => {
  const v = t(source.inits[0]!);
  return [{ data: v.data, shape: [v.data.length] }];
};

/** A stored tensor in arithmetic (also PRelu's slope, a parameter joined by Concat), in the layout of the tensor it meets. */
const stored: WeightLayout = (source, t) => {
  const v = t(source.inits[0]!);
  const perm = source.perm;
  const full = [...Array(Math.max(0, (perm?.length ?? 0) + 1 - v.dims.length)).fill(1), ...v.dims];
  const perExample = full.slice(1);
  const data = perm ? transpose(v.data, perExample, perm) : v.data;
  return [{ data, shape: perm ? perm.map((p) => perExample[p]!) : v.dims }];
};

export const { operators, layouts }: OpFile = {
  operators: Object.fromEntries(
    Object.entries(ELEMENTWISE).map(([onnxOp, op]) => [onnxOp, { convert: elementwise(onnxOp, op), lift: none }]),
  ),
  layouts: { paramOp: stored, gatheredTable: table },
};
