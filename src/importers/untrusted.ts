/**
 * Reading files a model names, which are untrusted: the model file itself and what it points to (ONNX
 * external data). One rule for all of them: a file is opened once, without blocking (a FIFO would wait
 * forever), and only a regular file is read, bounded; a path the model names is resolved with symlinks
 * followed and must stay inside the model's folder by path components, never by string prefix.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { NetcensusError } from '../errors.js';

/** protobuf's own limit, and so ONNX's: a larger model keeps its weights in external data. */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

const KINDS: Array<[(s: Stats) => boolean, string]> = [
  [(s) => s.isDirectory(), 'a directory'],
  [(s) => s.isSymbolicLink(), 'a symbolic link'],
  [(s) => s.isFIFO(), 'a FIFO'],
  [(s) => s.isCharacterDevice(), 'a character device'],
  [(s) => s.isBlockDevice(), 'a block device'],
  [(s) => s.isSocket(), 'a socket'],
];

/** What a file that is not a regular file is, for a message. */
export const kindOf = (s: Stats): string => KINDS.find(([is]) => is(s))?.[1] ?? 'a special file';

/** A regular file opened for reading, with its size; anything else is one line and is never read. */
export function openRegular(path: string, what: string, flags = 0): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | flags);
  } catch (e) {
    const c = code(e);
    throw new NetcensusError(
      `${what}: cannot read the file (${c === 'ELOOP' && flags & constants.O_NOFOLLOW ? 'a symbolic link' : c})`,
    );
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new NetcensusError(`${what}: not a regular file (${kindOf(stat)})`);
  }
  return { fd, size: stat.size };
}

/** Bytes [offset, offset + length) of an open file, all of them or an error. */
function readAt(fd: number, offset: number, length: number, what: string): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, offset + got);
    if (n === 0) throw new NetcensusError(`${what}: the file ended after ${got} of ${length} bytes`);
    got += n;
  }
  return buf;
}

/** A whole model file, refused above `max` bytes before anything is read. */
export function readRegular(path: string, max: number, what = path): Buffer {
  const { fd, size } = openRegular(path, what);
  try {
    if (size > max)
      throw new NetcensusError(
        `${what}: ${(size / 2 ** 20).toFixed(0)} MiB is larger than ${(max / 2 ** 20).toFixed(0)} MiB, the most netcensus reads for this kind of file`,
      );
    return readAt(fd, 0, size, what);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads parts of a regular file opened once: `use` gets its size and a reader of byte ranges, each read
 * whole or refused (a weights file's header, a legacy checkpoint's storage sizes; never its data).
 */
export function readRanges<T>(
  path: string,
  what: string,
  use: (size: number, read: (offset: number, length: number) => Buffer) => T,
  flags = 0,
): T {
  const { fd, size } = openRegular(path, what, flags);
  try {
    return use(size, (offset, length) => {
      if (offset + length > size)
        throw new NetcensusError(`${what}: needs bytes ${offset} to ${offset + length}, and the file holds ${size}`);
      return readAt(fd, offset, length, what);
    });
  } finally {
    closeSync(fd);
  }
}

/** Whether `inner` is `outer` or below it, comparing whole path components. */
export function within(outer: string, inner: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`));
}

/**
 * The real path of a file a model names, relative to the model's folder; refused unless it is inside
 * that folder's real path once every symbolic link is resolved.
 */
export function containedPath(modelPath: string, location: string, what: string): string;
export function containedPath(modelPath: string, location: string, what: string, missingOk: true): string | undefined;
export function containedPath(
  modelPath: string,
  location: string,
  what: string,
  missingOk = false,
): string | undefined {
  if (location === '' || isAbsolute(location) || location.includes('\0'))
    throw new NetcensusError(`${what}: the location "${location}" is not a path relative to the model's folder`);
  let folder: string;
  try {
    folder = realpathSync(dirname(resolve(modelPath)));
  } catch (e) {
    throw new NetcensusError(`${what}: the model's folder cannot be resolved (${code(e)})`);
  }
  let real: string;
  try {
    real = realpathSync(resolve(folder, location));
  } catch (e) {
    // A dangling name is refused for where it points, as a present one would be, before saying it is missing.
    if (!within(folder, resolve(folder, location)))
      throw new NetcensusError(`${what}: "${location}" points outside the model's folder`);
    if (missingOk && code(e) === 'ENOENT') return undefined;
    throw new NetcensusError(`${what}: "${location}" cannot be read (${code(e)})`);
  }
  if (!within(folder, real) || real === folder)
    throw new NetcensusError(`${what}: "${location}" points outside the model's folder`);
  return real;
}

/** Where a file the model names holds the bytes it wants. */
export interface ByteRange {
  location: string;
  offset: number;
  length: number;
}

/**
 * A file the model names, opened for its byte range: contained, a regular file, and long enough, checked
 * on the open descriptor before any byte is read. undefined where it is missing and `missingOk`.
 */
function openContained(modelPath: string, r: ByteRange, what: string, missingOk: boolean): number | undefined {
  const file = missingOk
    ? containedPath(modelPath, r.location, what, true)
    : containedPath(modelPath, r.location, what);
  if (file === undefined) return undefined;
  // O_NOFOLLOW: the resolved path must not have become a link since it was resolved.
  const { fd, size } = openRegular(file, `${what} ("${r.location}")`, constants.O_NOFOLLOW);
  if (r.offset + r.length > size) {
    closeSync(fd);
    throw new NetcensusError(
      `${what}: needs bytes ${r.offset} to ${r.offset + r.length} of "${r.location}", which holds ${size}`,
    );
  }
  return fd;
}

/** The bytes of a range in a file the model names (see openContained). */
export function readContained(modelPath: string, r: ByteRange, what: string): Buffer {
  const fd = openContained(modelPath, r, what, false)!;
  try {
    return readAt(fd, r.offset, r.length, what);
  } finally {
    closeSync(fd);
  }
}

/**
 * The same checks without reading, for a reader that opens the file itself (ONNX Runtime), or before
 * counting (missingOk: a model copied without its data still counts; one pointing elsewhere does not).
 * Returns whether the file is there.
 */
export function checkContained(modelPath: string, r: ByteRange, what: string, missingOk = false): boolean {
  const fd = openContained(modelPath, r, what, missingOk);
  if (fd !== undefined) closeSync(fd);
  return fd !== undefined;
}
