/**
 * What the converter and the operator definitions share: the two kinds of ONNX value (a constant or a
 * graph tensor in a layout), how a node's weights are found again for the file-weights witness, and the
 * arithmetic on folded constants, bounded before anything is allocated.
 */
import { NetcensusError } from '../../errors.js';
import { prod } from '../../exact.js';
import { int } from '../../format/numbers.js';
import type { TensorProto } from './proto.js';

/** A constant: a stored initializer (a parameter, values read only if needed) or a folded value. */
export interface Const {
  t: 'const';
  dims: number[];
  /** Folded or small values; undefined for an initializer not read yet. */
  values?: number[];
  init?: TensorProto;
  float: boolean;
  /**
   * Computed by the export from parameters (`do_constant_folding=False`: a transposed weight, a pruned
   * conv's weight_orig x weight_mask, a slope unsqueezed): folded here, and `init` is a tensor made of the
   * folded values, so the layer that reads it counts a parameter and the witness loads its values.
   */
  derived?: boolean;
  /**
   * A derived constant that only moves the values of one stored table read at constant indices (Swin's
   * relative position bias, LeViT's attention biases, `table[index]` in PyTorch): the table's name.
   */
  gatheredFrom?: string;
  /** The first axis of that read's indices, when it reads rows (an Embedding called without a batch axis). */
  gatheredRows?: number;
  /**
   * Computed from a tensor's Shape: in netcensus' batch of 1, where the file's literal shapes are in its
   * own static batch (see Converter.fileBatch).
   */
  measured?: boolean;
}

/** An activation: a graph tensor and how its axes relate to the ONNX tensor's. */
export interface Tensor {
  t: 'tensor';
  ref: string;
  /** The ONNX shape, batch first. */
  onnx: number[];
  /** Graph axis i holds ONNX per-example axis perm[i]. */
  perm: number[];
  /** A flattened channels-last map: the ONNX (channels-first) shape it came from, for loading a Dense's weights. */
  flat?: number[];
  /** The graph node also adds a bias this ONNX value is without (a MatMul whose Add it absorbed): same shape, other values. */
  biasAfter?: boolean;
  /** Counted as one example of its whole ONNX shape: `onnx` is [1, ...that shape] (see Converter.lifted). */
  lifted?: boolean;
  /**
   * The axis of a lifted tensor's file shape that holds the examples, merged in front of what it holds
   * (a reshape of [B, N, C] into [B x N, C]: axis 0; a permute to [3, B, heads, N, d]: axis 1): where a
   * file traced at a static batch B has B x k there, netcensus has k. Undefined where it is not known.
   */
  batchAt?: number;
  /**
   * The module whose forward merged the examples with more rows on axis 0 (GPT-2's Conv1D views [B, N, C]
   * as [B x N, C] and back): torchinfo sees a module inside it only in its restored shape.
   */
  mergedIn?: string;
}

export type Value = Const | Tensor;

/** How to load a node's weights from the file's initializers (the numeric check). */
export interface WeightSource {
  /** The weight layout's key (ops/index.ts WEIGHT_LAYOUTS), chosen by the operator's definition. */
  op: string;
  inits: string[];
  /** ONNX shape (no batch) of the channels-first map a Dense's input was flattened from, channels-last. */
  flat?: number[];
  transB?: boolean;
  /** A depthwise convolution, as the Conv's definition decided: weights [channels x multiplier, 1, kh, kw]. */
  depthwise?: { channels: number; multiplier: number };
  /** A stored tensor in arithmetic: the layout of the tensor it meets (its data moves with it). */
  perm?: number[];
}

/** A stored tensor's float values and ONNX dims. */
export interface StoredTensor {
  data: Float32Array;
  dims: number[];
}

/** A tfjs layer's weights, in its order, from the file's initializers (`stored` reads one, `has` asks). */
export type WeightLayout = (
  source: WeightSource,
  stored: (name: string) => StoredTensor,
  has: (name: string) => boolean,
) => Array<{ data: Float32Array; shape: number[] }>;

export const bad = (msg: string): never => {
  throw new NetcensusError(msg);
};

/**
 * The most values netcensus materialises to fold one constant (a shape, a mask, an index table): 2^24,
 * 128 MB as JavaScript numbers. Real exports fold vectors of a few dims and masks of a few million; a
 * ConstantOfShape([300000000]) or Range(0, 1e9) in a 130-byte file is refused here, before allocating.
 */
export const MAX_FOLD_ELEMENTS = 2 ** 24;

/** The values folded in one model, all constants together (see Converter.set). */
export const MAX_FOLDED_TOTAL = 2 ** 26;

/** Refuses, before any allocation, a folded constant of impossible or too many dims. */
export function checkFold(where: string, dims: readonly number[]): void {
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0))
    bad(`${where}: a folded constant of dims [${dims.join(', ')}], which are not sizes`);
  const n = dims.reduce((a, b) => a * b, 1);
  if (n > MAX_FOLD_ELEMENTS)
    bad(
      `${where}: folding it would materialise ${int(n)} values; netcensus folds constants of at most ${int(MAX_FOLD_ELEMENTS)}`,
    );
}

export const identity = (k: number): number[] => Array.from({ length: k }, (_, i) => i);
/** Channels-last for a per-example rank k (channels first in ONNX): spatial axes, then channels. */
export const channelsLast = (k: number): number[] => (k < 2 ? identity(k) : [...identity(k).slice(1), 0]);
export const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
export const graphShape = (v: Tensor): number[] => v.perm.map((p) => v.onnx[p + 1]!);

/** The mark of a flattened channels-last map, for an elementwise op's output to carry on. */
export const flatOf = (v: Tensor): Partial<Tensor> => (v.flat ? { flat: v.flat } : {});

/**
 * A graph reference `name` or `name:k` (output k of a node with several): `known` says whether the whole
 * reference is a node's own name, which a colon in an ONNX name can make it.
 */
export function splitRef(ref: string, known: (name: string) => boolean): { node: string; output: number } {
  const i = ref.lastIndexOf(':');
  if (i < 0 || known(ref)) return { node: ref, output: 0 };
  return { node: ref.slice(0, i), output: Number(ref.slice(i + 1)) };
}

/** Row-major strides of a constant's dims, for index arithmetic. */
export function strides(dims: number[]): number[] {
  const s = dims.map(() => 1);
  for (let i = dims.length - 2; i >= 0; i--) s[i] = s[i + 1]! * dims[i + 1]!;
  return s;
}

/** Moves axis data of a row-major array from `dims` into the order `perm` (new axis i = old axis perm[i]). */
export function transpose(data: Float32Array, dims: number[], perm: number[]): Float32Array {
  const out = new Float32Array(data.length);
  const nd = perm.map((p) => dims[p]!);
  const stride = (d: number[]) => d.map((_, i) => prod(d.slice(i + 1)));
  const src = stride(dims);
  const dst = stride(nd);
  for (let k = 0; k < data.length; k++) {
    let rest = k;
    let from = 0;
    for (let i = 0; i < nd.length; i++) {
      const c = Math.floor(rest / dst[i]!);
      rest -= c * dst[i]!;
      from += c * src[perm[i]!]!;
    }
    out[k] = data[from]!;
  }
  return out;
}

/** The stored tensor's shape as a per-example graph-layout shape that broadcasts against `x`. */
export function broadcastShape(c: Const, x: Tensor): number[] | undefined {
  const rank = x.onnx.length;
  if (c.dims.length > rank) return undefined;
  const full = [...Array(rank - c.dims.length).fill(1), ...c.dims];
  if (full[0] !== 1) return undefined;
  const perExample = full.slice(1);
  // Leading 1s may stay off when the tensor is in ONNX order; otherwise the stored tensor takes its layout.
  return x.perm.map((p) => perExample[p]!);
}

/** NumPy broadcasting of two folded constants. */
export function broadcastValues(
  where: string,
  a: Const & { values: number[] },
  b: Const & { values: number[] },
  f: (x: number, y: number) => number,
): Const {
  const rank = Math.max(a.dims.length, b.dims.length);
  const da = [...Array(rank - a.dims.length).fill(1), ...a.dims];
  const db = [...Array(rank - b.dims.length).fill(1), ...b.dims];
  const dims = da.map((x, i) => Math.max(x, db[i]));
  checkFold(where, dims);
  const n = prod(dims);
  const index = (d: number[], flat: number): number => {
    let off = 0;
    let rest = flat;
    let stride = 1;
    const coords = dims.map((size) => size);
    for (let i = dims.length - 1; i >= 0; i--) {
      const c = rest % dims[i]!;
      rest = Math.floor(rest / dims[i]!);
      coords[i] = c;
    }
    for (let i = d.length - 1; i >= 0; i--) {
      off += (d[i] === 1 ? 0 : coords[i]!) * stride;
      stride *= d[i]!;
    }
    return off;
  };
  const values = Array.from({ length: n }, (_, k) => f(a.values[index(da, k)]!, b.values[index(db, k)]!));
  return { t: 'const', dims, values, float: a.float || b.float };
}

/**
 * Values the dynamo exporter computed from buffers and stored, by the aten op that made them (`unsqueeze_16`),
 * and tensors torch.export lifted from plain attributes (`<module>.lifted_tensor_0`: LeViT's cache of its
 * attention biases gathered, which the eval forward reads instead of the parameter).
 */
export const DYNAMO_FOLDED =
  /^(?:(cos|sin|unsqueeze|squeeze|mul|add|sub|div|pow|neg|expand|cat|view|reshape|transpose|permute|slice|clone|_to_copy|matmul|arange|triu|tril|select|index|index_select|gather)(_\d+)?|(?:[\w.]+\.)?lifted_tensor_\d+)$/;

/** A table's rows the dynamo exporter read at export (embedding(table, position_ids)), named after the aten op. */
export const DYNAMO_ROWS = /^embedding(_\d+)?$/;

/**
 * A stored float tensor in arithmetic is a parameter (PyTorch's nn.Parameter) when it has more than one
 * element, or one element along at least one axis (`nn.Parameter(torch.ones(1))`), unless the exporter
 * made it: the dynamo exporter stores its constants as `val_N` (a Python scalar of rank 0, a mask),
 * TorchScript's folding a scalar as `onnx::Op_N`; Constant nodes are never parameters.
 */
export function isParameter(name: string, dims: readonly number[]): boolean {
  // dynamo's val_N are its constants whatever their size (a causal mask of 1x1xTxT too); a buffer it computed
  // and folded (RoPE's cos and sin caches) is named after the aten op that made it.
  if (/^val_\d+$/.test(name) || DYNAMO_FOLDED.test(name)) return false;
  if (prod(dims) > 1) return true;
  return dims.length > 0 && prod(dims) === 1 && !name.startsWith('onnx::');
}
