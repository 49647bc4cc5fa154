/**
 * The ONNX importer room: a `.onnx` file (from `torch.onnx.export` or any exporter) -> architecture graph,
 * with what it holds besides the architecture kept for the witnesses (ONNX Runtime executing the file,
 * and the rebuild with the file's own weights).
 */
import { NetcensusError } from '../../errors.js';
import { prod } from '../../exact.js';
import { int } from '../../format/numbers.js';
import type { Graph } from '../../graph.js';
import type { ImportOptions, Imported } from '../types.js';
import { Converter, dynamoFoldedConv, isDynamo, type OnnxImport } from './convert.js';
import { decodeModel, type ModelProto } from './proto.js';
import { checkExternal, externalOf } from './tensors.js';
import { DYNAMO_ROWS } from './values.js';
import { MAX_ONNX_BYTES, readRegular } from '../untrusted.js';

export interface OnnxFile {
  model: ModelProto;
  /** The file's bytes, for ONNX Runtime (a view of what was read; nothing is copied). */
  bytes: Uint8Array;
  imported: OnnxImport;
}

/** ONNX files kept for verification, by path (their decoded model and the conversion's layouts). */
export const onnxFiles = new Map<string, OnnxFile>();

export function decodeOnnx(path: string, bytes: Uint8Array): ModelProto {
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw new NetcensusError(
      `${path}: not a valid ONNX model: the protobuf does not decode (${(e as Error).message.split('\n')[0]}); is the file truncated?`,
    );
  }
  if (!model.graph || model.graph.node.length === 0) {
    // A TensorFlow SavedModel is a protobuf too, and opens with the same tag byte as ONNX.
    if (/\.pb$/i.test(path))
      throw new NetcensusError(
        `${path}: a TensorFlow SavedModel (saved_model.pb), not ONNX; load it in Keras and save a .keras file, or convert it with tf2onnx`,
      );
    throw new NetcensusError(`${path}: an ONNX model without a graph`);
  }
  return model;
}

/** What the file says about itself and how its figures relate to PyTorch's, for `summary` to print. */
function notes(model: ModelProto, imported: OnnxImport): string[] {
  const g = model.graph!;
  const out: string[] = [];
  const producer = `${model.producerName || 'an unknown producer'} ${model.producerVersion}`.trim();
  const dynamo = g.node.some(isDynamo);
  out.push(
    `ONNX opset ${imported.opset}, IR version ${model.irVersion}, written by ${producer}` +
      (model.producerName === 'pytorch' ? ` (the ${dynamo ? 'dynamo' : 'TorchScript'} exporter)` : '') +
      '; channels-first maps are counted channels-last (shapes show N, H, W, C), which changes no count',
  );
  // Equal-valued tensors are stored once and reached through Identity nodes: counted per consuming layer.
  const stored = new Set(g.initializer.map((t) => t.name));
  const aliases = g.node.filter((n) => n.opType === 'Identity' && stored.has(n.input[0]!));
  const shared = new Set(aliases.map((n) => n.input[0]));
  if (aliases.length) {
    out.push(
      `${aliases.length} Identity node(s) alias ${shared.size} stored tensor(s) shared by several layers (the exporter stores equal values once); parameters are counted per consuming layer, as the model has them`,
    );
  }
  const external = g.initializer.filter((t) => externalOf(t));
  if (external.length)
    out.push(
      `${external.length} initializer(s) live in external data (${externalOf(external[0]!)!.location}); only their dims are read`,
    );
  // torch.onnx.export in eval mode folds each BatchNorm into the Conv before it: the conv gains new weights.
  const folded = g.node.filter(
    (n) =>
      n.opType === 'Conv' &&
      (n.input.slice(1).some((i) => i.startsWith('onnx::Conv')) || (dynamo && dynamoFoldedConv(n))),
  );
  const bnNodes = g.node.filter((n) => n.opType === 'BatchNormalization').length;
  if (folded.length) {
    out.push(
      `BatchNorm folded: ${folded.length} convolution(s) carry weights the exporter made by folding the BatchNorm after them (torch.onnx.export in eval mode); the file holds fewer parameters than the PyTorch model's sum(p.numel()), by each folded BatchNorm's gamma and beta less the bias its conv gained`,
    );
  } else if (bnNodes) {
    out.push(
      `${bnNodes} BatchNormalization node(s) kept: their running statistics are stored tensors (PyTorch's buffers; the pytorch convention leaves them out)`,
    );
  }
  if (imported.batchMoves.length) {
    out.push(
      `${imported.batchMoves.length} node(s) move the batch axis (first "${imported.batchMoves[0]}"; nn.MultiheadAttention computes in (length, batch, features)): from each, tensors are counted as one example of their whole shape at the traced batch of 1, until the batch is first again, which changes no count per example`,
    );
  }
  // The TorchScript exporter names parameters as PyTorch does and tensors it computed itself onnx::Op_N.
  const derived = new Set(
    [...imported.weights.values()]
      .filter((w) => w.op === 'paramOp')
      .flatMap((w) => w.inits)
      .filter((i) => i.startsWith('onnx::')),
  );
  if (derived.size) {
    const values = g.initializer.filter((t) => derived.has(t.name)).reduce((s, t) => s + prod(t.dims.map(Number)), 0);
    out.push(
      `${derived.size} stored tensor(s) used in arithmetic (${int(values)} values) were computed by the exporter from parameters by constant folding (a PReLU slope or GroupNorm scale reshaped, the same count; Swin's relative position bias gathered from its smaller table, a larger one): they are counted as the file holds them`,
    );
  }
  const tables = new Set(
    [...imported.weights.values()].filter((w) => w.op === 'gatheredTable').flatMap((w) => w.inits),
  );
  if (tables.size) {
    out.push(
      `${tables.size} stored table(s) (first "${[...tables][0]}") are read at constant indices, table[index] (a relative position bias expanded to heads x N x N): counted as the tables PyTorch holds, each once, however many heads read it`,
    );
  }
  // The dynamo exporter stores embedding(table, position_ids) as the rows it read, named after the aten op.
  const rows = dynamo
    ? [...imported.weights.values()]
        .filter((w) => w.op === 'paramOp')
        .flatMap((w) => w.inits)
        .filter((i) => DYNAMO_ROWS.test(i))
    : [];
  if (rows.length) {
    out.push(
      `${rows.length} stored tensor(s) (first "${rows[0]}") are embeddings the dynamo exporter computed at export, a table read at constant positions (position_ids): the file holds the rows read, not the table, so PyTorch's sum(p.numel()) is larger by the rows no position reads`,
    );
  }
  const tied = imported.graph.nodes.filter((n) => n.config.kind === 'tiedProjection');
  if (tied.length) {
    out.push(
      `"${tied[0]!.name}" projects by the table of "${tied[0]!.sharedWith}", which the file stores again transposed: a head tied to its embedding, the table counted once, as PyTorch counts it`,
    );
  }
  const sharedCalls = imported.graph.nodes.filter(
    (n) => n.sharedWith !== undefined && n.config.kind !== 'tiedProjection',
  );
  if (sharedCalls.length) {
    out.push(
      `${sharedCalls.length} node(s) (first "${sharedCalls[0]!.name}", a call of "${sharedCalls[0]!.sharedWith}") read the stored tensors of an earlier node: one module called again, its parameters counted once and its MACs per call, as PyTorch and torchinfo count them`,
    );
  }
  out.push(`${int(g.initializer.length)} stored tensors, ${int(g.node.length)} nodes`);
  return out;
}

export function importOnnx(path: string, options: ImportOptions = {}): { graph: Graph; file: OnnxFile } {
  const bytes = readRegular(path, MAX_ONNX_BYTES);
  const model = decodeOnnx(path, bytes);
  // Every external reference is checked before counting: a model pointing outside its folder is refused.
  const missing = checkExternal(model.graph!.initializer, path, true);
  const imported = new Converter(model, {
    origin: options.origin ?? path,
    input: options.input,
    skipUnknown: options.skipUnknown,
  }).convert();
  const graph = imported.graph;
  graph.description = `ONNX model imported from ${options.origin ?? path}`;
  graph.writtenBy = model.producerName;
  graph.notes = [
    ...notes(model, imported),
    ...(missing.length ? [`external data not beside the model: ${missing.join(', ')} (counting needs only dims)`] : []),
  ];
  const file = { model, bytes, imported };
  graph.file = {
    path,
    container: 'onnx',
    format: `opset ${imported.opset}`,
    witnesses: async (c) => (await import('./witness.js')).onnxWitnesses(c, path, file),
  };
  onnxFiles.set(path, file);
  return { graph, file };
}

export function loadOnnx(path: string, options: ImportOptions = {}): Imported {
  return { graph: importOnnx(path, options).graph, format: 'onnx', container: 'onnx' };
}
