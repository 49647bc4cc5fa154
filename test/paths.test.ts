/** packageRoot: the package's directory whether the code runs compiled (dist/src) or from source (src). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../src/paths.js';

const repo = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

describe('packageRoot', () => {
  it("is the directory of netcensus' package.json when loaded from src/ (as vitest does)", () => {
    expect(packageRoot()).toBe(repo);
    expect(JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).name).toBe('netcensus');
  });
  it('is the same from the compiled layout (dist/src) and from deeper folders', () => {
    expect(packageRoot(join(repo, 'dist', 'src'))).toBe(repo);
    expect(packageRoot(join(repo, 'src', 'tfjs'))).toBe(repo);
  });
  it('never resolves outside the package (bench writes .cache/bench under it, not /.cache/bench)', () => {
    expect(packageRoot()).not.toBe('/');
    expect(join(packageRoot(), '.cache', 'bench').startsWith(`${repo}/`)).toBe(true);
  });
  it.skipIf(existsSync('/package.json'))('says where it looked when there is no package.json above', () => {
    expect(() => packageRoot('/nonexistent/deeper')).toThrow(/no package\.json at or above \/nonexistent\/deeper/);
  });
});
