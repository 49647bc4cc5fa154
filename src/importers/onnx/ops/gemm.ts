/** Gemm and MatMul: a Dense by a stored matrix (the bias of a following Add absorbed), or a matmul of tensors. */
import { prod } from '../../../exact.js';
import { modulePath, type Converter } from '../convert.js';
import { attrInt } from '../attributes.js';
import type { GraphProto, NodeProto } from '../proto.js';
import { floatsOf, inline } from '../tensors.js';
import { identity, transpose, type Const, type Tensor, type WeightLayout } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { none } from './lift.js';

/** A Dense reads the graph's last axis: it must be ONNX's last too (after a transpose it may not be). */
const denseInput = (c: Converter, n: NodeProto, v: Tensor): Tensor =>
  v.perm[v.perm.length - 1] === v.perm.length - 1 ? v : c.layout(n, v, identity(v.perm.length), 'onnx_order');

const gemm: Handler = function (n) {
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
  const hasBias = bias !== undefined && prod(bias.dims) === units;
  if (bias && !hasBias) return c.unknown(n, `a Gemm whose C has shape [${bias.dims.join(', ')}]`);
  const { ref, shapes } = c.emit(n, { kind: 'dense', units, bias: hasBias }, [a.ref]);
  c.weights.set(ref, {
    op: 'Gemm',
    inits: [w.init.name, ...(hasBias ? [bias.init!.name] : [])],
    transB,
    ...(a.flat ? { flat: a.flat } : {}),
  });
  c.out(n, 0, ref, shapes[0]!, a.perm);
};

const matmul: Handler = function (n) {
  const c = this;
  let a = c.value(n, 0, true);
  const b = c.value(n, 1);
  if (a.t === 'tensor' && b.t === 'const' && b.init && b.dims.length === 2) {
    const x = denseInput(c, n, a);
    const biasName = biasOf(c, n);
    const owner = biasName ? undefined : tiedTable(c, n, b);
    if (owner) {
      const [outputDim, inputDim] = b.dims as [number, number];
      const { ref, shapes } = c.emit(n, { kind: 'tiedProjection', inputDim, outputDim }, [x.ref]);
      c.nodes.at(-1)!.sharedWith = owner;
      return void c.out(n, 0, ref, shapes[0]!, x.perm);
    }
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
};

/** The most values of a table netcensus compares with a head's matrix to tell that they are tied. */
const MAX_TIED_CHECK = 2 ** 26;

/**
 * The embedding node whose table this stored [features, vocabulary] matrix holds transposed: a head tied to
 * its token embedding, which the dynamo exporter reads as the head's parameter (`lm_head.weight`) in the
 * Gather and as a transposed copy in the MatMul. The name says the parameter is the head's; the values,
 * compared where the table is at most MAX_TIED_CHECK values and its data is there, say the copy is that
 * parameter's.
 */
function tiedTable(c: Converter, n: NodeProto, w: Const): string | undefined {
  const module = modulePath(n);
  const name = module ? `${module}.weight` : '';
  const owner = name ? c.tables.get(name) : undefined;
  const table = owner ? c.values.get(name) : undefined;
  if (!owner || table?.t !== 'const' || !table.init || !w.init) return undefined;
  const [rows, cols] = table.dims as [number, number];
  if (w.dims[0] !== cols || w.dims[1] !== rows) return undefined;
  if (rows * cols > MAX_TIED_CHECK) return owner;
  let t: Float32Array;
  let m: Float32Array;
  try {
    [t, m] = [floatsOf(table.init, c.path), floatsOf(w.init, c.path)];
  } catch (e) {
    // External data left out (a graph shared without its weights; its place was checked at import): the
    // name is the evidence.
    if (!inline(table.init) || !inline(w.init)) return owner;
    throw e;
  }
  for (let r = 0; r < rows; r++)
    for (let k = 0; k < cols; k++) if (t[r * cols + k] !== m[k * rows + r]) return undefined;
  return owner;
}

/** The bias of the Add this MatMul's output feeds, when findFusedAdds absorbed it. */
function biasOf(c: Converter, n: NodeProto): string | undefined {
  const g = c.model.graph!;
  const add = g.node.find((m) => m.opType === 'Add' && m.input.includes(n.output[0]!));
  return add ? c.fusedAdds.get(add.name || add.output[0]!) : undefined;
}

/** MatMul by a stored [in, out] matrix then Add of a stored [out] vector: one Dense, as PyTorch's Linear. */
function findFusedAdds(c: Converter, g: GraphProto): void {
  const byOutput = new Map(g.node.map((n) => [n.output[0]!, n]));
  const isInit = (name: string) => g.initializer.some((t) => t.name === name);
  // The matrix: stored, or (do_constant_folding=False) a stored [out, in] weight transposed in the graph.
  const matrix = (name: string): number[] | undefined => {
    const t = g.initializer.find((x) => x.name === name);
    if (t) return t.dims.map(Number);
    const tr = byOutput.get(name);
    const w = tr?.opType === 'Transpose' ? g.initializer.find((x) => x.name === tr.input[0]) : undefined;
    return w?.dims.length === 2 ? w.dims.map(Number).reverse() : undefined;
  };
  for (const n of g.node) {
    if (n.opType !== 'Add') continue;
    for (const [a, b] of [
      [n.input[0]!, n.input[1]!],
      [n.input[1]!, n.input[0]!],
    ] as const) {
      const mm = byOutput.get(a);
      const w = mm?.opType === 'MatMul' && c.consumers.get(a) === 1 ? matrix(mm.input[1]!) : undefined;
      if (!w || !isInit(b)) continue;
      const bias = g.initializer.find((t) => t.name === b)!;
      if (w.length === 2 && prod(bias.dims.map(Number)) === w[1]) c.fusedAdds.set(n.name || n.output[0]!, b);
    }
  }
}

/** A Dense after a flattened channels-first map reads it channels-last: its kernel rows are reordered. */
function flatRows(kernel: Float32Array, cols: number, flat: number[]): Float32Array {
  const [ch, ...spatial] = flat as [number, ...number[]];
  const positions = prod(spatial);
  const out = new Float32Array(kernel.length);
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < ch; c++) {
      const graphRow = p * ch + c;
      const onnxRow = c * positions + p;
      out.set(kernel.subarray(onnxRow * cols, onnxRow * cols + cols), graphRow * cols);
    }
  }
  return out;
}

/** [in, out] (Gemm with transB: [out, in]) -> Dense's [in, out] kernel, rows in the graph's element order. */
const dense: WeightLayout = (source, t) => {
  const w = t(source.inits[0]!);
  let [rows, cols] = w.dims as [number, number];
  let kernel = w.data;
  if (source.transB) {
    kernel = transpose(w.data, [rows, cols], [1, 0]);
    [rows, cols] = [cols, rows];
  }
  if (source.flat) kernel = flatRows(kernel, cols, source.flat);
  const out = [{ data: kernel, shape: [rows, cols] }];
  if (source.inits[1]) out.push({ data: t(source.inits[1]).data, shape: [cols] });
  return out;
};

export const { operators, layouts }: OpFile = {
  operators: {
    Gemm: { convert: gemm, lift: none },
    MatMul: { convert: matmul, lift: none, prepare: findFusedAdds },
  },
  layouts: { Gemm: dense, MatMul: dense },
};
