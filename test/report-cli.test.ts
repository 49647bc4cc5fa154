/** `netcensus report` and `diff --out`: one file, written whole, or one line and exit 2 with nothing left behind. */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netcensus-report-'));

describe('netcensus report', () => {
  it('writes one self-contained page and prints its path', async () => {
    const out = join(dir, 'a.html');
    const r = await cli('report', 'alexnet', '--out', out);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe(`${out}\n`);
    const html = readFileSync(out, 'utf8');
    expect(html.startsWith('<!doctype html>') || html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('refuses an unknown model in one line, and writes nothing', async () => {
    const out = join(dir, 'nothing.html');
    const r = await cli('report', 'alexnett', '--out', out);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.err).toMatch(/^netcensus: unknown model "alexnett"; did you mean "alexnet"/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unwritable --out before any work, in one line, leaving no partial file', async () => {
    for (const out of [join(dir, 'missing', 'a.html'), dir]) {
      const before = readdirSync(dir).length;
      const r = await cli('report', 'resnet18', '--verify', '--out', out);
      expect(r.code).toBe(EXIT.badInput);
      expect(r.err.trimEnd().split('\n')).toEqual([expect.stringMatching(/^netcensus: --out: cannot write /)]);
      expect(r.err).not.toMatch(/backend/);
      expect(readdirSync(dir).length).toBe(before);
    }
  });

  it('diff --out writes the diff page beside the usual table', async () => {
    const out = join(dir, 'd.html');
    const r = await cli('diff', 'alexnet-keras-seed', 'alexnet', '--out', out);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/fan-in/);
    expect(readFileSync(out, 'utf8')).toMatch(/balanced/);
  });
});
