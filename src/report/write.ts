/** Writing a report: whole or not at all. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { NetcensusError } from '../errors.js';

/**
 * Writes `html` to `path` through a temporary file in the same folder, renamed into place: a failure
 * (unwritable folder, a directory in the way, a full disk) leaves no partial report and throws a
 * NetcensusError (exit 2) with a one-line message.
 */
export function writeReport(path: string, html: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written where nothing can be removed (the folder is missing or not a folder).
    }
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EISDIR' || err.code === 'ENOTEMPTY'
        ? `${err.code}: a directory or file is in the way`
        : (err.code ?? err.message);
    throw new NetcensusError(`--out: cannot write ${path} (${why})`.replace(/\s*\n\s*/g, ' '));
  }
}
