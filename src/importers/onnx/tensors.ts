/**
 * Reading ONNX tensors: dims and type always, values only when asked (shape-computing constants, or the
 * file's weights for the numeric check). External data (`model.onnx.data`) is read at the offset and
 * length the tensor names, from the model file's folder.
 */
import { NetcensusError } from '../../errors.js';
import { prod } from '../../exact.js';
import { checkContained, readContained, type ByteRange } from '../untrusted.js';
import { DATA_TYPES, type TensorProto } from './proto.js';

export const FLOAT_TYPES = new Set([1, 10, 11, 16]);
export const INT_TYPES = new Set([2, 3, 4, 5, 6, 7, 9, 12, 13]);

/** Where a tensor's bytes live when they are not in the model file. */
export function externalOf(t: TensorProto): { location: string; offset: number; length?: number } | undefined {
  if (t.dataLocation !== 1) return undefined;
  const get = (k: string) => t.externalData.find((e) => e.key === k)?.value;
  const location = get('location');
  if (!location) return undefined;
  const length = get('length');
  return { location, offset: Number(get('offset') ?? 0), ...(length ? { length: Number(length) } : {}) };
}

/**
 * Where a tensor's external bytes are, checked against what its dtype and dims need: offset and length
 * are whole numbers, and the length is exactly the tensor's size.
 */
function externalRange(t: TensorProto, modelPath: string): ByteRange {
  const ext = externalOf(t)!;
  const size = DATA_TYPES[t.dataType]?.bytes;
  if (size === undefined) return fail(t, modelPath, `has data type ${t.dataType}, which netcensus does not read`);
  const need = prod(t.dims) * size;
  const whole = (x: number) => Number.isSafeInteger(x) && x >= 0;
  if (!whole(ext.offset))
    return fail(t, modelPath, `has an external data offset "${ext.offset}" that is not a byte position`);
  if (ext.length !== undefined && ext.length !== need)
    return fail(t, modelPath, `declares ${ext.length} bytes of external data, but its dims and type need ${need}`);
  return { location: ext.location, offset: ext.offset, length: need };
}

/** The raw bytes of a tensor, from the model or its external data file (verification only). */
function bytesOf(t: TensorProto, modelPath: string): Uint8Array | undefined {
  if (!externalOf(t)) return t.rawData && t.rawData.length ? t.rawData : undefined;
  return readContained(modelPath, externalRange(t, modelPath), `${modelPath}: tensor "${t.name}"`);
}

/**
 * Checks, reading no data, that every external tensor of a graph lies inside the model's folder in a
 * regular file long enough for it; with missingOk a missing file passes. Returns the locations missing.
 */
export function checkExternal(initializers: readonly TensorProto[], modelPath: string, missingOk = false): string[] {
  const missing = new Set<string>();
  for (const t of initializers) {
    if (!externalOf(t)) continue;
    const range = externalRange(t, modelPath);
    if (!checkContained(modelPath, range, `${modelPath}: tensor "${t.name}"`, missingOk)) missing.add(range.location);
  }
  return [...missing];
}

/** Whether an external tensor's data file is beside the model (contained and of the size its dims need). */
export function externalPresent(t: TensorProto, modelPath: string): boolean {
  return checkContained(modelPath, externalRange(t, modelPath), `${modelPath}: tensor "${t.name}"`, true);
}

/** Whether a tensor's values can be had without reading a file beside the model. */
export const inline = (t: TensorProto): boolean => externalOf(t) === undefined;

/** A tensor's values as numbers (int64 as double: exact below 2^53, and INT64 bounds stay huge). */
export function valuesOf(t: TensorProto, modelPath: string): number[] {
  const n = prod(t.dims);
  const typed: number[] = t.floatData.length
    ? t.floatData
    : t.int64Data.length
      ? t.int64Data
      : t.int32Data.length
        ? t.int32Data
        : t.doubleData.length
          ? t.doubleData
          : [];
  if (typed.length) return typed.map(Number);
  const bytes = bytesOf(t, modelPath);
  if (!bytes) return n === 0 ? [] : fail(t, modelPath, 'has no data');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: Record<number, (i: number) => number> = {
    1: (i) => view.getFloat32(i * 4, true),
    2: (i) => view.getUint8(i),
    3: (i) => view.getInt8(i),
    4: (i) => view.getUint16(i * 2, true),
    5: (i) => view.getInt16(i * 2, true),
    6: (i) => view.getInt32(i * 4, true),
    7: (i) => Number(view.getBigInt64(i * 8, true)),
    9: (i) => view.getUint8(i),
    11: (i) => view.getFloat64(i * 8, true),
    12: (i) => view.getUint32(i * 4, true),
    13: (i) => Number(view.getBigUint64(i * 8, true)),
  };
  const at = read[t.dataType];
  if (!at)
    return fail(
      t,
      modelPath,
      `has data type ${DATA_TYPES[t.dataType]?.name ?? t.dataType}, which netcensus does not read`,
    );
  return Array.from({ length: n }, (_, i) => at(i));
}

/** Float32 values of a weight tensor, for loading the file's own weights into the rebuild. */
export function floatsOf(t: TensorProto, modelPath: string): Float32Array {
  if (t.dataType === 1 && !t.floatData.length) {
    const bytes = bytesOf(t, modelPath);
    if (bytes) return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return Float32Array.from(valuesOf(t, modelPath));
}

const fail = (t: TensorProto, modelPath: string, what: string): never => {
  throw new NetcensusError(`${modelPath}: tensor "${t.name}" ${what}`);
};
