/**
 * Unary math (Erf, Sqrt, Exp, ..., IsNaN): folded on constants, a unary kind on tensors; random draws of
 * a tensor's shape (RandomNormalLike, RandomUniformLike), which no comparison of values can check.
 */
import type { UnaryOp } from '../../../kinds/tensor.js';
import { attrFloat } from '../attributes.js';
import type { Handler, OpFile } from './def.js';
import { none } from './lift.js';

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
  IsNaN: 'isNaN',
};
const unary = (u: UnaryOp): Handler =>
  function (n) {
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
        isNaN: (x) => Number(Number.isNaN(x)),
      };
      if (u === 'erf') return c.unknown(n, 'Erf of a constant');
      return this.foldTo(n, v.dims, c.valuesOf(v).map(f[u]), u !== 'isNaN');
    }
    const { ref, shapes } = c.emit(n, { kind: 'unary', op: u }, [v.ref]);
    c.out(n, 0, ref, shapes[0]!, v.perm);
  };

const random = (distribution: 'normal' | 'uniform'): Handler =>
  function (n) {
    const c = this;
    const x = c.tensor(n, 0);
    const [a, b] =
      distribution === 'normal'
        ? [attrFloat(n, 'mean', 0), attrFloat(n, 'scale', 1)]
        : [attrFloat(n, 'low', 0), attrFloat(n, 'high', 1)];
    const { ref, shapes } = c.emit(n, { kind: 'random', distribution, a, b }, [x.ref]);
    c.out(n, 0, ref, shapes[0]!, x.perm);
  };

export const { operators }: OpFile = {
  operators: {
    ...Object.fromEntries(Object.entries(UNARY).map(([op, u]) => [op, { convert: unary(u), lift: none }])),
    RandomNormalLike: { convert: random('normal'), lift: none },
    RandomUniformLike: { convert: random('uniform'), lift: none },
  },
};
