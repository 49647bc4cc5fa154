/** The shape of one operator's definition, as the converter core reads it from the table in index.ts. */
import type { Converter } from '../convert.js';
import type { GraphProto, NodeProto } from '../proto.js';
import type { WeightLayout } from '../values.js';

/** Maps one node, bound to the converter: to kind configs (`emit`), a folded constant, or a layout change. */
export type Handler = (this: Converter, n: NodeProto) => void;

/** How a node reads lifted inputs (Converter.lifted): it rewrites the node's axes, given its tensors' rank. */
export type Lift = (this: Converter, m: NodeProto, rank: number) => void;

export interface OpDef {
  convert: Handler;
  /** Absent: the operator is refused on a tensor whose batch axis an earlier node moved. */
  lift?: Lift;
  /** The handler reads a lifted input itself (a recurrent layer's sequence-first input). */
  selfLifting?: boolean;
  /** Works on channels-last maps: a graph input it reads first is taken channels-last. */
  spatial?: boolean;
  /** Runs once on the whole graph before any node is converted (fusions that look ahead). */
  prepare?: (c: Converter, g: GraphProto) => void;
}

/** One operator file's part of the table. */
export interface OpFile {
  operators: Record<string, OpDef>;
  /** Weight layouts by WeightSource.op, for the weights this file's operators store. */
  layouts?: Record<string, WeightLayout>;
}

/** The same definition under each of several operator names. */
export const each = (ops: readonly string[], def: OpDef): Record<string, OpDef> =>
  Object.fromEntries(ops.map((op) => [op, def]));
