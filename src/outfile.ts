/**
 * Files the commands write (`--out`): whole or not at all, and only regular files. A result is written to
 * a temporary file beside the target and renamed into place, which is right for a regular file only: a
 * FIFO, a device, a symbolic link (`/dev/stdout`) or a directory in its place would be replaced, so it is
 * refused, before any long work and again just before the rename.
 */
import { accessSync, constants, lstatSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { NetcensusError } from './errors.js';
import { kindOf } from './importers/untrusted.js';

const code = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** The target is absent or a regular file, and its folder is writable. */
export function checkOutFile(path: string): void {
  let stat: import('node:fs').Stats | undefined;
  try {
    stat = lstatSync(path);
  } catch (e) {
    if (code(e) !== 'ENOENT') throw new NetcensusError(`--out: cannot write ${path} (${code(e)})`);
  }
  if (stat && !stat.isFile()) {
    const what = kindOf(stat);
    throw new NetcensusError(
      `--out: cannot write ${path} (it is ${what}; netcensus writes only regular files, replacing them whole)`,
    );
  }
  try {
    accessSync(dirname(resolve(path)), constants.W_OK);
  } catch (e) {
    throw new NetcensusError(`--out: cannot write ${path} (${code(e)})`);
  }
}

/**
 * Writes `text` to `path` through a temporary file in the same folder, renamed into place: a failure
 * (unwritable folder, something other than a regular file in the way, a full disk) leaves no partial
 * file and throws a NetcensusError (exit 2) with a one-line message.
 */
export function writeWhole(path: string, text: string): void {
  checkOutFile(path);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { flag: 'wx' });
    checkOutFile(path);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written where nothing can be removed (the folder is missing or not a folder).
    }
    if (e instanceof NetcensusError) throw e;
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EISDIR' || err.code === 'ENOTEMPTY'
        ? `${err.code}: a directory or file is in the way`
        : (err.code ?? err.message);
    throw new NetcensusError(`--out: cannot write ${path} (${why})`.replace(/\s*\n\s*/g, ' '));
  }
}
