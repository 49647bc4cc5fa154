/**
 * Tensor inventories: the tensors a weights-only file stores (safetensors, a torch.save state dict) or a
 * model's census holds, in one representation, with their totals. A weights file carries a count by
 * itself; what it counts is every stored tensor, parameters and buffers alike, and this is where the
 * difference from PyTorch's parameters() is made explicit: buffers by PyTorch's naming, tied tensors once.
 */
import type { Census } from './census.js';
import { NetcensusError } from './errors.js';

/** safetensors' dtypes (its spec and crate) and the two torch has beyond them, in bits per element. */
export const DTYPE_BITS: Record<string, number> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
  // torch only: safetensors has no 128-bit complex.
  C128: 128,
};

export type InventoryFormat = 'safetensors' | 'safetensors-index' | 'torch' | 'torch-legacy' | 'census';

export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  elements: number;
  bytes: number;
  /**
   * A buffer by PyTorch's naming (BUFFER_NAMES: BatchNorm's running statistics, ...), a naming convention,
   * not a certainty; for a census, what the model holds as statistics (BatchNorm's moving mean and variance).
   */
  buffer: boolean;
  /** The first name of the very same storage view (torch.save): one tensor under two names, counted there. */
  tiedTo?: string;
  /** Another view of the same storage (a slice): counted as its own tensor; the storage is stored once. */
  sharesStorageWith?: string;
  /** The shard file holding it (a sharded safetensors index). */
  file?: string;
}

/** Tensors, elements and bytes of some entries, each tied name counted once (at its first name). */
export interface Sums {
  tensors: number;
  elements: number;
  bytes: number;
}

export interface InventoryTotals extends Sums {
  /** Every tensor but the buffers by naming: PyTorch's sum(p.numel() for p in model.parameters()) where the naming holds. */
  withoutBuffers: Sums;
  buffers: Sums;
  /** Per dtype, in order of first appearance; they add up to the totals. */
  byDtype: Array<Sums & { dtype: string }>;
  /** Names that are another name's tensor (tiedTo), not counted again, and their elements. */
  tiedNames: number;
  tiedElements: number;
}

/** Facts about a file's names that bear on the count, for the formatter to say. */
export interface HeadFact {
  /** No tensor of this name... */
  missing: string;
  /** ...while this embedding table is present: a head tied to it may be stored once, under its name. */
  embedding: string;
}

export interface TensorInventory {
  source: string;
  format: InventoryFormat;
  /** safetensors' __metadata__, an index's metadata; null where the file has none. */
  metadata: Record<string, unknown> | null;
  tensors: TensorEntry[];
  totals: InventoryTotals;
  /** Names that hold one tensor (torch.save ties), the first listed first. */
  tied: string[][];
  /** The buffer names (BUFFER_NAMES) found, for the formatter to name the convention by what it matched. */
  bufferNames: string[];
  heads: HeadFact[];
  /** Bytes on disk of the storages the tensors view (torch.save writes a view's whole storage). */
  storageBytes?: number;
  /** torch.save of meta tensors: shapes and dtypes only, no data, no ties to see. */
  shapesOnly?: boolean;
  /** Entries of the pickled object that are not tensors (an epoch, an optimizer's hyper-parameters). */
  otherEntries?: { count: number; first: string[] };
  /** A sharded index's shards, in order. */
  shards?: Array<{ file: string; tensors: number; bytes: number }>;
  /** A single safetensors file named as one shard of several (model-00001-of-00003.safetensors). */
  shardOf?: { shard: number; of: number };
  /** An index's own metadata.total_size, where it differs from the bytes its shards hold. */
  indexTotalSize?: number;
  /** census: the model counted, under its convention. */
  convention?: string;
}

/**
 * Module buffers PyTorch's own layers register under these names (BatchNorm's statistics, pruning's masks,
 * rotary and position buffers older transformers saved). A name ending in one is taken as a buffer.
 */
export const BUFFER_NAMES = [
  'running_mean',
  'running_var',
  'num_batches_tracked',
  'weight_mask',
  'bias_mask',
  'inv_freq',
  'position_ids',
] as const;

export const bufferName = (name: string): string | undefined =>
  BUFFER_NAMES.find((b) => name === b || name.endsWith(`.${b}`));

/** Embedding tables a language-model head is tied to in transformers' models, and the head's name. */
const EMBEDDINGS = /(^|\.)(embed_tokens|wte|word_embeddings|embed_in|shared|tok_embeddings)\.weight$/;
const HEADS = /(^|\.)(lm_head|embed_out|output)\.weight$/;

/** Elements and bytes of one tensor, checked (a file's dims can multiply past 2^53). */
export function tensorSize(shape: readonly number[], dtype: string, what: string): { elements: number; bytes: number } {
  let elements = 1;
  for (const d of shape) {
    elements *= d;
    if (!Number.isSafeInteger(elements))
      throw new NetcensusError(`${what}: its shape [${shape.join(', ')}] holds more than 2^53 elements`);
  }
  const bits = elements * DTYPE_BITS[dtype]!;
  if (!Number.isSafeInteger(bits))
    throw new NetcensusError(`${what}: its shape [${shape.join(', ')}] holds more than 2^53 bits`);
  if (bits % 8) throw new NetcensusError(`${what}: ${elements} elements of ${dtype} do not fill whole bytes`);
  return { elements, bytes: bits / 8 };
}

const add = (s: Sums, t: TensorEntry): void => {
  s.tensors += 1;
  s.elements += t.elements;
  s.bytes += t.bytes;
  if (!Number.isSafeInteger(s.elements) || !Number.isSafeInteger(s.bytes))
    throw new NetcensusError(`the file's tensors hold more than 2^53 elements or bytes`);
};

/** The totals of some entries: a tied name counts once, at the name it is tied to. */
export function totalsOf(tensors: readonly TensorEntry[]): InventoryTotals {
  const zero = (): Sums => ({ tensors: 0, elements: 0, bytes: 0 });
  const t: InventoryTotals = {
    ...zero(),
    withoutBuffers: zero(),
    buffers: zero(),
    byDtype: [],
    tiedNames: 0,
    tiedElements: 0,
  };
  const byDtype = new Map<string, Sums & { dtype: string }>();
  for (const e of tensors) {
    if (e.tiedTo !== undefined) {
      t.tiedNames += 1;
      t.tiedElements += e.elements;
      continue;
    }
    add(t, e);
    add(e.buffer ? t.buffers : t.withoutBuffers, e);
    let d = byDtype.get(e.dtype);
    if (!d) byDtype.set(e.dtype, (d = { dtype: e.dtype, ...zero() }));
    add(d, e);
  }
  t.byDtype = [...byDtype.values()];
  return t;
}

/** What a file's names say about a language-model head: none stored, while an embedding table is. */
function headFacts(tensors: readonly TensorEntry[]): HeadFact[] {
  if (tensors.some((t) => HEADS.test(t.name))) return [];
  const embedding = tensors.find((t) => EMBEDDINGS.test(t.name) && t.shape.length === 2);
  return embedding ? [{ missing: 'lm_head.weight', embedding: embedding.name }] : [];
}

/** An inventory of a file's tensors, with its totals and the facts its names show. */
export function inventory(
  source: string,
  format: InventoryFormat,
  tensors: TensorEntry[],
  extra: Partial<
    Omit<TensorInventory, 'source' | 'format' | 'tensors' | 'totals' | 'tied' | 'bufferNames' | 'heads'>
  > = {},
): TensorInventory {
  const groups = new Map<string, string[]>();
  for (const t of tensors)
    if (t.tiedTo !== undefined) {
      const g = groups.get(t.tiedTo) ?? [t.tiedTo];
      g.push(t.name);
      groups.set(t.tiedTo, g);
    }
  const buffers = new Set<string>();
  if (format !== 'census') for (const t of tensors) if (t.buffer) buffers.add(bufferName(t.name)!);
  return {
    source,
    format,
    metadata: extra.metadata ?? null,
    tensors,
    totals: totalsOf(tensors),
    tied: [...groups.values()],
    bufferNames: [...buffers],
    heads: format === 'census' ? [] : headFacts(tensors),
    ...extra,
  };
}

/** PyTorch's name for a census weight: Keras' gamma is weight, moving_mean is running_mean. */
const TORCH_KEYS: Record<string, string> = {
  moving_mean: 'running_mean',
  moving_variance: 'running_var',
};

/**
 * A model's tensors as its census holds them, named as the model's framework names them: PyTorch's
 * `module.weight` for a PyTorch graph (a torchvision zoo model, an ONNX export), Keras' `layer/kernel`
 * otherwise. Shapes are the census' own, channels-last (a conv's [kh, kw, in, out]); float32, as the
 * census assumes.
 */
export function censusInventory(c: Census): TensorInventory {
  const pytorch = c.graph.framework === 'pytorch';
  const tensors: TensorEntry[] = [];
  for (const info of c.infos)
    for (const w of info.weights) {
      const key = w.torchName === 'weight' || w.torchName === 'bias' ? w.torchName : (TORCH_KEYS[w.name] ?? w.name);
      const name = pytorch ? `${info.node.scope}.${key}` : `${info.node.name}/${w.name}`;
      const size = tensorSize(w.shape, 'F32', name);
      tensors.push({ name, dtype: 'F32', shape: [...w.shape], ...size, buffer: w.role === 'stat' });
    }
  return inventory(c.graph.file?.path ?? c.model, 'census', tensors, { convention: c.conventions.params });
}

/** Tensors summed by the first `depth` parts of their dotted names (torchinfo's depth for a file's modules). */
export interface TensorGroup extends Sums {
  prefix: string;
  buffers: number;
}

export function groupTensors(inv: TensorInventory, depth: number): TensorGroup[] {
  const groups = new Map<string, TensorGroup>();
  for (const t of inv.tensors) {
    if (t.tiedTo !== undefined) continue;
    // The name up to its depth-th separator, as the file writes it (`.` in PyTorch's names, `/` in Keras').
    const parts = t.name.split(/(?=[./])/);
    const prefix = parts.slice(0, depth).join('');
    let g = groups.get(prefix);
    if (!g) groups.set(prefix, (g = { prefix, tensors: 0, elements: 0, bytes: 0, buffers: 0 }));
    add(g, t);
    if (t.buffer) g.buffers += t.elements;
  }
  return [...groups.values()];
}
