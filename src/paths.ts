/** Where the package lives on disk, wherever the calling module was loaded from. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest directory at or above `from` holding a package.json. A fixed number of `..` cannot be right
 * both compiled (dist/src/*.js) and from source under vitest (src/*.ts), where two levels up is outside
 * the package: `/` in the Docker image, which its non-root user cannot write.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from}`);
  }
}
