/**
 * Model files, recognised by their content (magic bytes), not their extension: a Keras 3 `.keras` zip
 * (config.json, metadata.json, model.weights.h5), an HDF5 `.h5` (root attribute `model_config`, weights
 * under `model_weights`), gzip-compressed JSON, and JSON (Keras 2 / 3 `to_json()`, TensorFlow.js
 * model.json). Only the architecture is read here, never weight data: a large file costs no more than its
 * config. Weights-only files (safetensors, a sharded index, torch.save checkpoints) are recognised here too
 * and read by the weights room into a tensor inventory. Every failure is one line naming the file and what
 * it looks like.
 */
import { closeSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { NetcensusError } from '../errors.js';
import type { TensorInventory } from '../inventory.js';
import { MAX_JSON, openHdf5, readZipEntry, zipDirectory } from './containers.js';
import { importKerasJson } from './keras.js';
import type { ImportOptions, Imported } from './types.js';
import { hdf5Weights, kerasZipWeights, manifestWeights } from './keras-weights.js';
import { openRegular, readRegular } from './untrusted.js';
import {
  isShardIndex,
  looksLikeSafetensors,
  readPickleFile,
  readSafetensors,
  readShardIndex,
  readTorchZip,
} from './weights/index.js';

export type Container = NonNullable<Imported['container']>;

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What a file's first bytes say it is. */
export function sniff(bytes: Uint8Array): Container | 'empty' | 'unknown' {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (head.length === 0 || head.toString('utf8').trim() === '') return 'empty';
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05)) return 'keras';
  if (head.subarray(0, 8).equals(HDF5_SIGNATURE)) return 'h5';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'json.gz';
  const text = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'json';
  // ONNX is a protobuf ModelProto: it opens with field 1 (ir_version), a varint, tag byte 0x08.
  if (head[0] === 0x08) return 'onnx';
  return 'unknown';
}

/** What a weights-only file is, for the commands that need an architecture. */
const WEIGHTS_ONLY: Record<Exclude<TensorInventory['format'], 'census'>, string> = {
  safetensors: 'a safetensors file',
  'safetensors-index': 'a sharded safetensors index',
  torch: 'a PyTorch checkpoint (torch.save)',
  'torch-legacy': "a PyTorch checkpoint in torch.save's legacy format",
};

const fail = (path: string, what: string): never => {
  throw new NetcensusError(`${path}: ${what}`);
};

/** The first bytes of a regular file; a FIFO, a device or a directory is refused without blocking. */
function readHead(path: string, bytes = 512): Buffer {
  const { fd } = openRegular(path, path);
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0));
  } catch (e) {
    return fail(path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    closeSync(fd);
  }
}

function parseJson(path: string, text: string, what: string): unknown {
  if (text.trim() === '') fail(path, `${what} is empty`);
  try {
    return JSON.parse(text);
  } catch (e) {
    return fail(
      path,
      `malformed JSON${what === 'the file' ? '' : ` in ${what}`} (${(e as Error).message.split('\n')[0]})`,
    );
  }
}

function jsonFile(path: string): unknown {
  return parseJson(path, readRegular(path, MAX_JSON).toString('utf8'), 'the file');
}

function gzipFile(path: string): unknown {
  const compressed = readRegular(path, MAX_JSON);
  let text: string;
  try {
    // Bounded while it inflates: a gzip bomb stops at MAX_JSON bytes, whatever its header says.
    text = gunzipSync(compressed, { maxOutputLength: MAX_JSON }).toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return fail(path, `gzip-compressed, and it inflates past ${MAX_JSON / 2 ** 20} MiB: not a model architecture`);
    return fail(path, `gzip-compressed, but it does not decompress (${(e as Error).message.split('\n')[0]})`);
  }
  return parseJson(path, text, 'the decompressed file');
}

/** A .keras zip's config, or a torch.save zip's tensors (a `<name>/data.pkl` beside its storages). */
async function zipFile(path: string): Promise<{ json: unknown } | { weights: TensorInventory }> {
  const unreadable = (e: unknown): never =>
    fail(path, `a zip archive (.keras) that cannot be read: ${(e as Error).message.split('\n')[0]}`);
  // The directory is read once: a state dict has an entry per storage, thousands for a large model.
  const directory = await zipDirectory(path, 2_000_000).catch(unreadable);
  if (!directory.some((e) => e.name === 'config.json')) {
    if (directory.some((e) => /(^|\/)data\.pkl$/.test(e.name))) return { weights: await readTorchZip(path, directory) };
    fail(path, 'a zip archive without config.json: not a Keras 3 .keras file');
  }
  const config = await readZipEntry(path, 'config.json').catch(unreadable);
  return { json: parseJson(path, config!.toString('utf8'), 'its config.json') };
}

/** An HDF5 attribute's value, refused before reading where its declared size is over MAX_JSON. */
function attributeValue(
  path: string,
  attr: { value: unknown; metadata?: { size?: number; vlen?: boolean; shape?: number[] | null } },
): unknown {
  const m = attr.metadata;
  const declared = (m?.size ?? 0) * (m?.shape ?? []).reduce((a, b) => a * b, 1);
  if (!m?.vlen && declared > MAX_JSON)
    fail(path, `its model_config attribute is ${declared} bytes: not a model architecture`);
  try {
    return attr.value;
  } catch (e) {
    // A variable-length string declares no size: one too large for this process fails here.
    return fail(
      path,
      `its model_config attribute cannot be read (${(e as Error).message.split('\n')[0] || 'libhdf5 error'})`,
    );
  }
}

async function hdf5File(path: string): Promise<unknown> {
  const f = await openHdf5(path);
  try {
    const attr = (f.attrs as Record<string, Parameters<typeof attributeValue>[1] | undefined>)['model_config'];
    if (!attr) {
      const weightsOnly = f.keys().includes('layers') || f.keys().includes('model_weights') || f.keys().length > 0;
      fail(
        path,
        weightsOnly
          ? 'an HDF5 file without a model_config attribute: weights only (model.save_weights); save the whole model (model.save("m.keras") or "m.h5")'
          : 'an HDF5 file without a model_config attribute: not a Keras model',
      );
    }
    const value = attributeValue(path, attr!);
    const text =
      typeof value === 'string'
        ? value
        : value instanceof Uint8Array
          ? Buffer.from(value).toString('utf8')
          : String(value);
    if (text.length > MAX_JSON)
      fail(path, `its model_config attribute is over ${MAX_JSON / 2 ** 20} MiB: not a model architecture`);
    return parseJson(path, text, 'its model_config attribute');
  } finally {
    f.close();
  }
}

/** The model config inside a model.json (its modelTopology, unwrapped from a converter's model_config). */
function tfjsTopology(json: unknown): unknown {
  const o = json as Record<string, unknown>;
  const topology = (o.modelTopology ?? o) as Record<string, unknown>;
  return topology.model_config ?? topology;
}

/** A reader that reads once: verify asks for the stored weights before any backend starts, then again. */
function once<A, T>(read: (a: A) => Promise<T>): (a: A) => Promise<T> {
  let result: Promise<T> | undefined;
  return (a) => (result ??= read(a));
}

/** A model file, or a weights-only file's tensors. */
export type LoadedFile = { model: Imported } | { weights: TensorInventory };

/** Reads a model file or a weights-only file of any supported kind, recognised by its bytes. */
export async function loadFile(path: string, options: ImportOptions = {}): Promise<LoadedFile> {
  const head = readHead(path);
  // Before sniff: a safetensors header's length can begin with any byte, a JSON brace or ONNX's tag among them.
  if (looksLikeSafetensors(head)) return { weights: readSafetensors(path) };
  const kind = sniff(head);
  const origin = options.origin ?? path;
  let json: unknown;
  switch (kind) {
    case 'empty':
      return fail(path, 'the file is empty');
    case 'unknown':
      if (/\.onnx$/i.test(path)) {
        const { loadOnnx } = await import('./onnx/index.js');
        return { model: loadOnnx(path, { ...options, origin }) };
      }
      // A pickle (protocol 2 and up opens with PROTO, 0x80): torch.save's legacy format, or any Python
      // object, read without running it.
      if (head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return { weights: readPickleFile(path) };
      return fail(path, 'not a model file (neither JSON, a .keras zip, an HDF5 file, ONNX, nor gzip-compressed JSON)');
    case 'json':
      json = jsonFile(path);
      if (isShardIndex(json)) return { weights: readShardIndex(path, json) };
      if ((json as { format?: unknown })?.format === 'graph-model')
        fail(
          path,
          'a TensorFlow.js graph model (converted from a SavedModel: TensorFlow ops, no Keras layers); netcensus reads layers models (format "layers-model") and the Keras or ONNX file it came from',
        );
      break;
    case 'json.gz':
      json = gzipFile(path);
      break;
    case 'keras': {
      const read = await zipFile(path);
      if ('weights' in read) return read;
      json = read.json;
      break;
    }
    case 'h5':
      json = await hdf5File(path);
      break;
    case 'onnx': {
      const { loadOnnx } = await import('./onnx/index.js');
      return { model: loadOnnx(path, { ...options, origin }) };
    }
  }
  const imported = importKerasJson(json, { ...options, origin });
  imported.graph.file = {
    path,
    container: kind,
    format: imported.format,
    // TensorFlow.js reads the Keras 2 form (its own toJSON writes it) and model.json's topology, not Keras 3's.
    ...(imported.format === 'keras3' ? {} : { tfjsTopology: tfjsTopology(json) }),
  };
  const nodes = new Set(imported.graph.nodes.map((n) => n.name));
  const stored =
    kind === 'keras'
      ? kerasZipWeights(path)
      : kind === 'h5'
        ? hdf5Weights(path, nodes)
        : manifestWeights((json as { weightsManifest?: unknown }).weightsManifest, nodes);
  if (stored) imported.graph.file.storedWeights = once(stored);
  return { model: { ...imported, container: kind } };
}

/**
 * Reads a model file of any supported kind; `container` says which it was. A weights-only file holds no
 * architecture: one line says what it is and what reads it.
 */
export async function loadModelFile(path: string, options: ImportOptions = {}): Promise<Imported> {
  const file = await loadFile(path, options);
  if ('model' in file) return file.model;
  return fail(
    path,
    `${WEIGHTS_ONLY[file.weights.format as keyof typeof WEIGHTS_ONLY]}: tensors without an architecture, which this command needs; netcensus summary and diff read its tensors; for the network give an ONNX export (torch.onnx.export) or a .keras file`,
  );
}
