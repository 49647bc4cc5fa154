/**
 * safetensors files: an 8-byte little-endian header length, a JSON header naming every tensor's dtype,
 * shape and byte range, then the data, which is never read. The header is validated as the safetensors
 * crate validates it (a header of at most 100,000,000 bytes; ranges contiguous from 0, each exactly its
 * shape times its dtype's size, the last ending at the file's end), with one line naming the field.
 * A sharded model's `model.safetensors.index.json` maps each tensor to a shard in the index's folder;
 * every shard is resolved inside that folder and must hold exactly the tensors the map gives it.
 */
import { constants } from 'node:fs';
import { basename } from 'node:path';
import { NetcensusError } from '../../errors.js';
import { terminalText as shown } from '../../format/escape.js';
import {
  bufferName,
  DTYPE_BITS,
  inventory,
  tensorSize,
  type TensorEntry,
  type TensorInventory,
} from '../../inventory.js';
import { containedPath, readRanges } from '../untrusted.js';

/** The safetensors crate's MAX_HEADER_SIZE. */
export const MAX_HEADER = 100_000_000;
/** Shards of one index, at most. */
const MAX_SHARDS = 100_000;

/** safetensors' dtypes (DTYPE_BITS without what only torch has). */
const SAFETENSORS_DTYPES = new Set(Object.keys(DTYPE_BITS).filter((d) => d !== 'C128'));

/** Whether a file's first bytes are a safetensors header: a length below 2^48, then the JSON's `{`. */
export function looksLikeSafetensors(head: Uint8Array): boolean {
  return head.length >= 9 && head[8] === 0x7b && head[6] === 0 && head[7] === 0;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

interface SafetensorsFile {
  tensors: TensorEntry[];
  metadata: Record<string, string> | null;
}

/** One safetensors file's header, validated against the file's size. */
export function readSafetensorsFile(path: string, what = path, flags = 0): SafetensorsFile {
  return readRanges(
    path,
    what,
    (size, read) => {
      if (size < 8) throw new NetcensusError(`${what}: ${size} bytes, shorter than a safetensors header length`);
      const n = read(0, 8).readBigUInt64LE();
      if (n > BigInt(MAX_HEADER))
        throw new NetcensusError(
          `${what}: its safetensors header length is ${n} bytes, more than the ${MAX_HEADER} the format allows`,
        );
      const length = Number(n);
      if (8 + length > size)
        throw new NetcensusError(
          `${what}: its safetensors header of ${length} bytes runs past the file's ${size} bytes`,
        );
      const text = read(8, length).toString('utf8');
      let header: unknown;
      try {
        header = JSON.parse(text);
      } catch (e) {
        throw new NetcensusError(
          `${what}: its safetensors header is not JSON (${(e as Error).message.split('\n')[0]})`,
        );
      }
      if (!isObject(header) || !text.trimStart().startsWith('{'))
        throw new NetcensusError(`${what}: its safetensors header is not a JSON object`);
      return validate(what, header, size - 8 - length);
    },
    flags,
  );
}

/** The header's tensors in data order, each range exactly its size, contiguous from 0 to the data's end. */
function validate(what: string, header: Record<string, unknown>, dataBytes: number): SafetensorsFile {
  let metadata: Record<string, string> | null = null;
  const tensors: Array<TensorEntry & { begin: number; end: number }> = [];
  for (const [name, info] of Object.entries(header)) {
    const field = (f: string, why: string): never => {
      throw new NetcensusError(`${what}: tensor "${shown(name)}": ${f} ${why}`);
    };
    if (name === '__metadata__') {
      if (!isObject(info) || Object.values(info).some((v) => typeof v !== 'string'))
        throw new NetcensusError(`${what}: __metadata__ is not an object of strings`);
      metadata = info as Record<string, string>;
      continue;
    }
    if (!isObject(info)) field('its entry', 'is not an object');
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof dtype !== 'string' || !SAFETENSORS_DTYPES.has(dtype))
      field('dtype', `${JSON.stringify(dtype)} is not a safetensors dtype`);
    if (!Array.isArray(shape) || shape.length > 64 || !shape.every(isSize)) field('shape', 'is not a list of sizes');
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0]! > offsets[1]!)
      field('data_offsets', 'is not a [begin, end] pair of offsets');
    const [begin, end] = offsets as [number, number];
    const size = tensorSize(shape as number[], dtype as string, `${what}: tensor "${shown(name)}"`);
    if (end - begin !== size.bytes)
      field('data_offsets', `[${begin}, ${end}] hold ${end - begin} bytes; its shape and dtype need ${size.bytes}`);
    tensors.push({
      name,
      dtype: dtype as string,
      shape: shape as number[],
      ...size,
      buffer: bufferName(name) !== undefined,
      begin,
      end,
    });
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const t of tensors) {
    if (t.begin !== at)
      throw new NetcensusError(
        `${what}: tensor "${shown(t.name)}": data_offsets [${t.begin}, ${t.end}] ${t.begin < at ? 'overlap the tensor before' : 'leave a gap after the tensor before'} (which ends at ${at})`,
      );
    at = t.end;
  }
  if (at !== dataBytes)
    throw new NetcensusError(`${what}: its tensors end at byte ${at} of the data, which holds ${dataBytes}`);
  return { tensors: tensors.map(({ begin: _b, end: _e, ...t }) => t), metadata };
}

/** A single .safetensors file; its name may say it is one shard of several. */
export function readSafetensors(path: string): TensorInventory {
  const file = readSafetensorsFile(path);
  const shard = /-(\d+)-of-(\d+)\.safetensors$/.exec(basename(path));
  return inventory(path, 'safetensors', file.tensors, {
    metadata: file.metadata,
    ...(shard ? { shardOf: { shard: Number(shard[1]), of: Number(shard[2]) } } : {}),
  });
}

/** Whether parsed JSON is a sharded safetensors index (transformers' and safetensors' `weight_map`). */
export const isShardIndex = (json: unknown): boolean => isObject(json) && isObject(json.weight_map);

/** A sharded model's index and every shard it names, each inside the index's folder. */
export function readShardIndex(path: string, json: unknown): TensorInventory {
  const index = json as { weight_map: Record<string, unknown>; metadata?: unknown };
  if (index.metadata !== undefined && !isObject(index.metadata))
    throw new NetcensusError(`${path}: its metadata is not an object`);
  const byShard = new Map<string, Set<string>>();
  for (const [name, shard] of Object.entries(index.weight_map)) {
    if (typeof shard !== 'string') throw new NetcensusError(`${path}: weight_map["${shown(name)}"] is not a file name`);
    let names = byShard.get(shard);
    if (!names) {
      if (byShard.size >= MAX_SHARDS)
        throw new NetcensusError(`${path}: its weight_map names more than ${MAX_SHARDS} shards`);
      byShard.set(shard, (names = new Set()));
    }
    names.add(name);
  }
  if (byShard.size === 0) throw new NetcensusError(`${path}: its weight_map is empty`);
  const tensors: TensorEntry[] = [];
  const shards: NonNullable<TensorInventory['shards']> = [];
  for (const [shard, names] of byShard) {
    const what = `${path}: shard "${shown(shard)}"`;
    // Resolved with links followed, inside the index's folder; opened without following a link again.
    const real = containedPath(path, shard, what);
    const file = readSafetensorsFile(real, what, constants.O_NOFOLLOW);
    let bytes = 0;
    for (const t of file.tensors) {
      if (!names.has(t.name))
        throw new NetcensusError(
          `${what}: holds tensor "${shown(t.name)}", which the weight_map ${Object.hasOwn(index.weight_map, t.name) ? `puts in "${shown(index.weight_map[t.name])}"` : 'does not list'}`,
        );
      names.delete(t.name);
      tensors.push({ ...t, file: shard });
      bytes += t.bytes;
    }
    const missing = [...names][0];
    if (missing !== undefined)
      throw new NetcensusError(
        `${what}: the weight_map puts tensor "${shown(missing)}" in it, and the shard does not hold it`,
      );
    shards.push({ file: shard, tensors: file.tensors.length, bytes });
  }
  const metadata = (index.metadata as Record<string, unknown> | undefined) ?? null;
  const inv = inventory(path, 'safetensors-index', tensors, { metadata, shards });
  const total = metadata?.total_size;
  if (typeof total === 'number' && total !== inv.totals.bytes) inv.indexTotalSize = total;
  return inv;
}
