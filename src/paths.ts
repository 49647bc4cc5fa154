/**
 * Where the package's own files are, whether it runs from `dist/` (built) or `src/` (vitest), installed or
 * in a checkout: found by walking up to netcensus' package.json, never by counting directories.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  if (root && from === dirname(fileURLToPath(import.meta.url))) return root;
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'netcensus') {
      root = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no package.json at or above ${from} names netcensus`);
  }
}

/** The package's own version, as package.json says. */
export const version = (): string =>
  (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** A file the package ships under `assets/` (the FMA loop, the benchmark peers). */
export const assetPath = (...parts: string[]): string => join(packageRoot(), 'assets', ...parts);

/** A writable cache folder: the package's `.cache/` where it may write there, else the system's temp folder. */
export function cacheDir(name: string): string {
  for (const base of [join(packageRoot(), '.cache'), join(os.tmpdir(), `netcensus-${os.userInfo().uid}`)]) {
    const dir = join(base, name);
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, constants.W_OK);
      return dir;
    } catch {
      // read-only package folder (installed globally, or a container's non-root user): try the next
    }
  }
  throw new Error(`no writable cache folder for ${name}`);
}
