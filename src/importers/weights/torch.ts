/**
 * torch.save files, read for their tensors' shapes without running the pickle (pickle.ts): the zip format
 * (torch >= 1.6: `<name>/data.pkl`, the storages as `<name>/data/<key>`) and the legacy format (pickles in
 * a row, then the storages). Each tensor is checked against its storage (the entry's size, or the legacy
 * size field; the view inside it); storage data is never read. Two names on one storage view are one
 * tensor (a tied weight), counted once, as PyTorch's parameters() counts it.
 */
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
import { MAX_JSON, readZipEntry, type ZipEntryInfo } from '../containers.js';
import { readRanges } from '../untrusted.js';
import { flatten, readPickle, STORAGE_DTYPES, type PyStorage, type PyValue } from './pickle.js';

/** A state dict's pickle is small (a few bytes per tensor name); more than this is not one. */
export const MAX_PICKLE = MAX_JSON;

/** The first pickle of a legacy torch.save file: this magic number (torch/serialization.py's MAGIC_NUMBER). */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

const byteSize = (dtype: string): number => DTYPE_BITS[dtype]! / 8;

/**
 * A persistent id as torch.save writes it: ('storage', storage class, key, location, size) in the zip
 * format, with a sixth item (the view of another storage, or None) in the legacy one.
 */
function storageOf(pid: PyValue, fail: (m: string) => never, storages: Map<string, PyStorage>): PyStorage {
  if (pid === null || typeof pid !== 'object' || pid instanceof Uint8Array || pid.t !== 'tuple')
    return fail('a persistent id that is not a tuple');
  const [kind, cls, key, location, size, view] = pid.items;
  if (kind !== 'storage')
    return fail(`a persistent id of "${typeof kind === 'string' ? shown(kind) : '?'}", not a storage`);
  const className =
    cls !== null && typeof cls === 'object' && !(cls instanceof Uint8Array) && cls.t === 'global'
      ? cls.name.replace(/^torch\.(storage\.)?/, '')
      : '';
  const dtype = STORAGE_DTYPES[className];
  if (dtype === undefined && className !== 'UntypedStorage') return fail(`a storage of class "${shown(className)}"`);
  if (
    typeof key !== 'string' ||
    typeof location !== 'string' ||
    typeof size !== 'number' ||
    !Number.isSafeInteger(size) ||
    size < 0
  )
    return fail('a storage whose key, location or size is malformed');
  // torch >= 1.0 writes None; a view of another storage is the format before it.
  if (view !== undefined && view !== null)
    return fail('a storage view of the pre-1.0 format, which netcensus does not read');
  const known = storages.get(key);
  if (known) return known;
  const s: PyStorage = { t: 'storage', key, dtype, size, location };
  storages.set(key, s);
  return s;
}

/** The tensors of an unpickled object, checked against their storages, ties found. */
function entries(
  where: string,
  value: PyValue,
  storageBytes: (s: PyStorage) => number,
): { tensors: TensorEntry[]; others: string[]; shapesOnly: boolean; storageBytes: number } {
  const flat = flatten(value, where);
  const views = new Map<string, string>();
  const byStorage = new Map<string, string>();
  const usedStorages = new Map<string, number>();
  let meta = 0;
  const tensors = flat.tensors.map(({ name: path, tensor: t }) => {
    const name = path === '' ? '(tensor)' : path;
    const what = `${where}: tensor "${shown(name)}"`;
    if (t.size.length !== t.stride.length) throw new NetcensusError(`${what}: its size and stride differ in rank`);
    const size = tensorSize(t.size, t.dtype, what);
    const entry: TensorEntry = { name, dtype: t.dtype, shape: t.size, ...size, buffer: bufferName(name) !== undefined };
    const s = t.storage;
    if (s === null) {
      meta++;
      return entry;
    }
    // The view must lie inside its storage: offset plus the farthest element the strides reach.
    const bytes = storageBytes(s);
    const elementsThere = bytes / byteSize(t.dtype);
    const last = t.size.reduce((m, d, i) => m + (d - 1) * t.stride[i]!, t.offset);
    if (size.elements > 0 && !(last < elementsThere))
      throw new NetcensusError(
        `${what}: its view (offset ${t.offset}, size [${t.size.join(', ')}], stride [${t.stride.join(', ')}]) reaches past its storage "${shown(s.key)}" of ${elementsThere} elements`,
      );
    const root = s.key;
    usedStorages.set(root, bytes);
    const view = `${root}|${t.offset}|${t.size.join(',')}|${t.stride.join(',')}|${t.dtype}`;
    const first = views.get(view);
    if (first !== undefined) entry.tiedTo = first;
    else {
      views.set(view, name);
      const sharing = byStorage.get(root);
      if (sharing !== undefined) entry.sharesStorageWith = sharing;
      else byStorage.set(root, name);
    }
    return entry;
  });
  if (meta && meta !== tensors.length)
    throw new NetcensusError(`${where}: ${meta} tensors on the meta device beside ${tensors.length - meta} with data`);
  let total = 0;
  for (const b of usedStorages.values()) total += b;
  return { tensors, others: flat.others, shapesOnly: meta > 0, storageBytes: total };
}

const otherEntries = (others: string[]) =>
  others.length ? { otherEntries: { count: others.length, first: others.slice(0, 5) } } : {};

/**
 * A torch.save zip: one `<name>/data.pkl` beside `<name>/data/<key>` storages. A TorchScript archive
 * (torch.jit.save: `code/`, `constants.pkl`) is code, and refused.
 */
export async function readTorchZip(path: string, directory: ZipEntryInfo[]): Promise<TensorInventory> {
  const pkl = directory.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
  if (directory.some((e) => /^[^/]+\/(code\/|constants\.pkl$)/.test(e.name)))
    throw new NetcensusError(
      `${path}: a TorchScript archive (torch.jit.save): a model as code, which netcensus does not run; save model.state_dict() with torch.save, or export ONNX`,
    );
  if (pkl.length !== 1)
    throw new NetcensusError(`${path}: a zip with ${pkl.length} data.pkl entries, not a torch.save file`);
  const prefix = pkl[0]!.name.slice(0, -'data.pkl'.length);
  const where = `${path}: ${pkl[0]!.name}`;
  if (pkl[0]!.size > MAX_PICKLE)
    throw new NetcensusError(
      `${where}: ${pkl[0]!.size} bytes, more than the ${MAX_PICKLE / 2 ** 20} MiB a state dict's pickle needs`,
    );
  const sizes = new Map(directory.map((e) => [e.name, e.size]));
  const data = await readZipEntry(path, pkl[0]!.name, MAX_PICKLE).catch((e: Error) => {
    throw new NetcensusError(`${where}: cannot be read (${e.message.split('\n')[0]})`);
  });
  const storages = new Map<string, PyStorage>();
  const { value } = readPickle(data!, where, (pid, fail) => storageOf(pid, fail, storages));
  const found = entries(where, value, (s) => {
    const entry = `${prefix}data/${s.key}`;
    const bytes = sizes.get(entry);
    if (bytes === undefined)
      throw new NetcensusError(`${where}: storage "${shown(s.key)}" has no entry ${shown(entry)} in the zip`);
    const expected = s.dtype === undefined ? s.size : s.size * byteSize(s.dtype);
    if (bytes !== expected)
      throw new NetcensusError(
        `${where}: storage "${shown(s.key)}" is ${bytes} bytes in the zip; its pickle says ${expected}`,
      );
    return bytes;
  });
  return inventory(path, 'torch', found.tensors, {
    ...(found.shapesOnly ? { shapesOnly: true } : { storageBytes: found.storageBytes }),
    ...otherEntries(found.others),
  });
}

/**
 * A pickle file: torch.save's legacy format (a magic number, a protocol version, system info, the object,
 * its storage keys, then each storage as an 8-byte element count and its data), or any other pickle,
 * which is refused once read (its first disallowed name is refused while reading).
 */
export function readPickleFile(path: string): TensorInventory {
  return readRanges(path, path, (fileSize, read) => {
    const head = read(0, Math.min(fileSize, MAX_PICKLE));
    const storages = new Map<string, PyStorage>();
    const pickleAt = (at: number, what: string) =>
      readPickle(head, `${path}: ${what}`, (pid, fail) => storageOf(pid, fail, storages), at);
    const first = pickleAt(0, 'its pickle');
    if (first.value !== LEGACY_MAGIC)
      throw new NetcensusError(
        `${path}: a Python pickle, not a torch.save file (netcensus runs no pickle code; it reads torch.save state dicts and safetensors)`,
      );
    const protocol = pickleAt(first.end, 'its protocol pickle');
    if (protocol.value !== LEGACY_PROTOCOL)
      throw new NetcensusError(
        `${path}: a legacy torch.save file of protocol ${String(protocol.value)}, not ${LEGACY_PROTOCOL}`,
      );
    const info = pickleAt(protocol.end, 'its system-info pickle');
    const object = pickleAt(info.end, 'its pickled object');
    const keys = pickleAt(object.end, 'its storage-key pickle');
    const keyList =
      keys.value !== null &&
      typeof keys.value === 'object' &&
      !(keys.value instanceof Uint8Array) &&
      keys.value.t === 'list'
        ? keys.value.items
        : [];
    // Each storage's element count, read where the file says it is: its data is skipped, never read.
    const stored = new Map<string, number>();
    let at = keys.end;
    for (const k of keyList) {
      const s = typeof k === 'string' ? storages.get(k) : undefined;
      if (!s || s.dtype === undefined)
        throw new NetcensusError(`${path}: its storage list names "${shown(String(k))}", which no tensor uses`);
      const count = read(at, 8).readBigInt64LE();
      if (count !== BigInt(s.size))
        throw new NetcensusError(
          `${path}: storage "${shown(s.key)}" holds ${count} elements; its pickle says ${s.size}`,
        );
      const bytes = s.size * byteSize(s.dtype);
      stored.set(s.key, bytes);
      at += 8 + bytes;
      if (at > fileSize)
        throw new NetcensusError(`${path}: storage "${shown(s.key)}" ends past the file's ${fileSize} bytes`);
    }
    const where = `${path}: its pickled object`;
    const found = entries(where, object.value, (s) => {
      const bytes = stored.get(s.key);
      if (bytes === undefined)
        throw new NetcensusError(`${where}: storage "${shown(s.key)}" is not in the file's storage list`);
      return bytes;
    });
    return inventory(path, 'torch-legacy', found.tensors, {
      ...(found.shapesOnly ? { shapesOnly: true } : { storageBytes: found.storageBytes }),
      ...otherEntries(found.others),
    });
  });
}
