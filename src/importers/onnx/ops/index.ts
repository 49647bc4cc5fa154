/**
 * The ONNX operators netcensus reads, one file per operator or family: what CNN, MLP, RNN and transformer
 * exports contain (opsets 11 to 21). Each definition maps its node to a layer kind's config, a folded
 * constant, or a layout change; an operator outside this table is refused with its name and node (or
 * kept as "not counted" under --skip-unknown).
 */
import type { WeightLayout } from '../values.js';
import * as activation from './activation.js';
import * as concat from './concat.js';
import * as constant from './constant.js';
import * as control from './control.js';
import * as conv from './conv.js';
import type { OpDef, OpFile } from './def.js';
import * as elementwise from './elementwise.js';
import * as gather from './gather.js';
import * as gemm from './gemm.js';
import * as norm from './norm.js';
import * as pool from './pool.js';
import * as recurrent from './recurrent.js';
import * as reduce from './reduce.js';
import * as resize from './resize.js';
import * as shape from './shape.js';
import * as slice from './slice.js';
import * as unary from './unary.js';

const FILES: OpFile[] = [
  constant,
  shape,
  gather,
  concat,
  slice,
  conv,
  gemm,
  norm,
  pool,
  reduce,
  resize,
  activation,
  unary,
  elementwise,
  recurrent,
  control,
];

/** Null-prototype, read by own property only: an operator named constructor or __proto__ is unknown. */
function collect<T>(part: (f: OpFile) => Record<string, T> | undefined): Readonly<Record<string, T>> {
  const table = Object.create(null) as Record<string, T>;
  for (const f of FILES) {
    for (const [name, x] of Object.entries(part(f) ?? {})) {
      if (Object.hasOwn(table, name)) throw new Error(`ONNX operator table: ${name} is defined twice`);
      table[name] = x;
    }
  }
  return table;
}

export const OPERATORS = collect((f) => f.operators);

/** How each WeightSource.op's initializers become its tfjs layer's weights (the file-weights witness). */
export const WEIGHT_LAYOUTS = collect((f) => f.layouts);

export const operator = (op: string): OpDef | undefined => (Object.hasOwn(OPERATORS, op) ? OPERATORS[op] : undefined);

export const weightLayout = (op: string): WeightLayout | undefined =>
  Object.hasOwn(WEIGHT_LAYOUTS, op) ? WEIGHT_LAYOUTS[op] : undefined;
