/**
 * Constant logic, for shape-computing subgraphs: comparisons, Mod, ScatterND, Not, Where, and If on a
 * constant condition; Where of computed tensors is a select node.
 */
import { prod } from '../../../exact.js';
import { attr, attrInt, attrString } from '../attributes.js';
import type { LayerConfig } from '../../../graph.js';
import type { Converter } from '../convert.js';
import type { NodeProto } from '../proto.js';
import { broadcastValues, checkFold, identity, strides, type Tensor, type Value } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { none } from './lift.js';

const COMPARE: Record<string, (a: number, b: number) => number> = {
  Equal: (a, b) => Number(a === b),
  Less: (a, b) => Number(a < b),
  Greater: (a, b) => Number(a > b),
  LessOrEqual: (a, b) => Number(a <= b),
  GreaterOrEqual: (a, b) => Number(a >= b),
  And: (a, b) => Number(Boolean(a) && Boolean(b)),
  Or: (a, b) => Number(Boolean(a) || Boolean(b)),
};
const compare = (op: string, f: (a: number, b: number) => number): Handler =>
  function (n) {
    const c = this;
    const [a, b] = [c.value(n, 0), c.value(n, 1)];
    if (a.t !== 'const' || b.t !== 'const') return c.unknown(n, `${op} of computed tensors`);
    c.set(
      n.output[0]!,
      broadcastValues(c.where(n), { ...a, values: c.valuesOf(a) }, { ...b, values: c.valuesOf(b) }, f),
    );
  };

// Mod of shapes: what torchvision's ViT and Swin compute for their patch and window padding.
const mod: Handler = function (n) {
  const c = this;
  const [a, b] = [c.value(n, 0), c.value(n, 1)];
  if (a.t !== 'const' || b.t !== 'const') return c.unknown(n, 'Mod of computed tensors');
  // fmod=1 takes the dividend's sign (C's fmod), fmod=0 the divisor's (Python's %).
  const f = attrInt(n, 'fmod', 0)
    ? (x: number, y: number) => x % y
    : (x: number, y: number) => x - y * Math.floor(x / y);
  c.set(n.output[0]!, broadcastValues(c.where(n), { ...a, values: c.valuesOf(a) }, { ...b, values: c.valuesOf(b) }, f));
};

// ScatterND of constants: Swin's shifted-window attention mask, written region by region into zeros.
const scatterND: Handler = function (n) {
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
};

const not: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t !== 'const') return c.unknown(n, 'Not of a computed tensor');
  this.foldTo(
    n,
    v.dims,
    c.valuesOf(v).map((x) => Number(!x)),
  );
};

/** Where with computed operands: a select node; constants go into its config, the tensors in ONNX order. */
function select(c: Converter, n: NodeProto, operands: Value[]): void {
  const tensors = operands.filter((v): v is Tensor => v.t === 'tensor');
  const rank = tensors.reduce((r, t) => Math.max(r, t.onnx.length), 0);
  const lifted = tensors.some((t) => t.lifted);
  const ordered = tensors.map((t) => c.layout(n, t, identity(t.perm.length), 'onnx_order'));
  const batch = ordered[0]!;
  // A constant is per example when it has the batch axis of 1 (ONNX broadcasting aligns trailing axes).
  const constant = (v: Value) => {
    if (v.t !== 'const') return undefined;
    checkFold(c.where(n), v.dims);
    const shape = v.dims.length === rank && !lifted ? v.dims.slice(1) : v.dims;
    if (v.dims.length > rank || (v.dims.length === rank && v.dims[0] !== 1))
      return c.unknown(n, `Where with a constant of shape [${v.dims.join(', ')}] across the batch`);
    return { shape, values: c.valuesOf(v) };
  };
  const [cond, a, b] = operands.map(constant);
  if (operands.some((v, i) => v.t === 'const' && [cond, a, b][i] === undefined)) return;
  const config: LayerConfig = {
    kind: 'select',
    ...(cond ? { cond } : {}),
    ...(a ? { a } : {}),
    ...(b ? { b } : {}),
  };
  const { ref, shapes } = c.emit(
    n,
    config,
    ordered.map((t) => t.ref),
  );
  c.out(n, 0, ref, shapes[0]!, identity(shapes[0]!.length), batch.lifted ? { lifted: true } : {});
}

const where: Handler = function (n) {
  const c = this;
  const [cond, a, b] = [0, 1, 2].map((i) => c.value(n, i));
  if (cond!.t !== 'const' || a!.t !== 'const' || b!.t !== 'const') return select(c, n, [cond!, a!, b!]);
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
};

const ifOp: Handler = function (n) {
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
};

export const { operators }: OpFile = {
  operators: {
    ...Object.fromEntries(Object.entries(COMPARE).map(([op, f]) => [op, { convert: compare(op, f) }])),
    Mod: { convert: mod, lift: none },
    ScatterND: { convert: scatterND },
    Not: { convert: not },
    Where: { convert: where, lift: none },
    If: { convert: ifOp },
  },
};
