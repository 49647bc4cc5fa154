/**
 * Constants and aliases: Identity, Constant, Cast, ConstantOfShape, Range and Trilu (a causal mask's
 * triangle) fold or pass a value on.
 */
import { prod } from '../../../exact.js';
import { attr, attrInt } from '../attributes.js';
import { FLOAT_TYPES } from '../tensors.js';
import { checkFold, type Const } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { none } from './lift.js';

const identity: Handler = function (n) {
  this.set(n.output[0]!, this.value(n, 0, true));
};

const constant: Handler = function (n) {
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
};

const cast: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t === 'tensor') return c.set(n.output[0]!, v);
  const to = attrInt(n, 'to', 1);
  const values = c.valuesOf(v).map((x) => (FLOAT_TYPES.has(to) ? x : Math.trunc(x)));
  this.foldTo(n, v.dims, values, FLOAT_TYPES.has(to));
};

const constantOfShape: Handler = function (n) {
  const c = this;
  const dims = c.constant(n, 0, 'the shape');
  const a = attr(n, 'value');
  const fill = a?.t ? c.valuesOf({ t: 'const', dims: [1], init: a.t, float: true })[0]! : 0;
  checkFold(c.where(n), dims);
  this.foldTo(n, dims, Array(prod(dims)).fill(fill), a?.t ? FLOAT_TYPES.has(a.t.dataType) : true);
};

const range: Handler = function (n) {
  const c = this;
  const [start, limit, delta] = [0, 1, 2].map((i) => c.constant(n, i, ['start', 'limit', 'delta'][i]!)[0]!);
  const count = Math.max(Math.ceil((limit! - start!) / delta!), 0);
  checkFold(c.where(n), [count]);
  this.foldTo(
    n,
    [count],
    Array.from({ length: count }, (_, i) => start! + i * delta!),
  );
};

/** Trilu of a constant (GPT-2's causal mask, torch.triu/tril): the triangle of the last two axes, zeros elsewhere. */
const trilu: Handler = function (n) {
  const c = this;
  const v = c.value(n, 0);
  if (v.t !== 'const') return c.unknown(n, 'Trilu of a computed tensor');
  if (v.dims.length < 2) return c.unknown(n, `Trilu of a rank-${v.dims.length} constant`);
  const k = n.input[1] ? (c.constant(n, 1, 'k')[0] ?? 0) : 0;
  const upper = attrInt(n, 'upper', 1) === 1;
  const [rows, cols] = v.dims.slice(-2) as [number, number];
  const out = c.valuesOf(v).map((x, i) => {
    const [r, col] = [Math.floor(i / cols) % rows, i % cols];
    return (upper ? col - r >= k : col - r <= k) ? x : 0;
  });
  this.foldTo(n, v.dims, out, v.float);
};

export const { operators }: OpFile = {
  operators: {
    Identity: { convert: identity, lift: none },
    Constant: { convert: constant },
    Cast: { convert: cast, lift: none },
    CastLike: { convert: cast, lift: none },
    ConstantOfShape: { convert: constantOfShape },
    Range: { convert: range },
    Trilu: { convert: trilu },
  },
};
