/**
 * Bad input never crashes, hangs or half-writes: the corpus under test/bad-inputs gives one line and exit
 * code 2 for every command that reads a model, and fuzzers (fixed seed) find no uncaught exception in the
 * importer or the command-line parser.
 */
import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { census } from '../src/census.js';
import { cli } from './helpers.js';
import { EXIT, NetcensusError } from '../src/errors.js';
import { importKerasJson } from '../src/importers/keras.js';

const corpus = new URL('./bad-inputs/', import.meta.url).pathname;
const files = readdirSync(corpus).sort();

const oneLine = (err: string): void => {
  expect(err.endsWith('\n')).toBe(true);
  expect(err.trimEnd().split('\n')).toHaveLength(1);
  expect(err).toMatch(/^netcensus: /);
  expect(err).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
  expect(err).not.toMatch(/internal error/);
};

describe('the bad-input corpus', () => {
  it('has the cases the issue lists', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of [
      'empty.json',
      'truncated.json',
      'malformed.json',
      'wrong-type-array.json',
      'unknown-layer.json',
      'negative-filters.json',
      'zero-units.json',
      'nan-kernel.json',
      'absurd-input.json',
      'groups-not-dividing.json',
      'kernel-larger-than-input.json',
      'cycle.json',
      'dangling-reference.json',
      'duplicate-names.json',
    ]) {
      expect(files).toContain(f);
    }
  });
  for (const f of files) {
    for (const command of ['summary', 'verify', 'diff']) {
      it(`${command} ${f}: one line, exit 2, nothing on stdout`, async () => {
        const args = command === 'diff' ? ['diff', join(corpus, f), 'alexnet'] : [command, join(corpus, f)];
        const { code, out, err } = await cli(...args);
        expect(code).toBe(EXIT.badInput);
        expect(out).toBe('');
        oneLine(err);
      });
    }
  }
  it('the unsupported layer is named by class and name', async () => {
    expect((await cli('summary', join(corpus, 'unknown-layer.json'))).err).toMatch(
      /unsupported layer class FancyAttention \(layer "attn"\)/,
    );
  });
  it('a missing file', async () => {
    const { code, err } = await cli('summary', 'no/such/model.json');
    expect(code).toBe(EXIT.badInput);
    expect(err).toMatch(/no\/such\/model.json: cannot read the file \(ENOENT\)/);
  });
});

/** Arbitrary JSON-ish junk, and real fixtures with parts replaced by junk. */
const junk = fc.jsonValue({ maxDepth: 4 });
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/keras/functional_zoo.json', import.meta.url), 'utf8'),
) as unknown;
const sequentialFixture = JSON.parse(
  readFileSync(new URL('./fixtures/keras/seed000_alexnet.json', import.meta.url), 'utf8'),
) as unknown;

/** Replaces the value at a random path of `doc` with `value` (or deletes it). */
function mutate(doc: unknown, path: number[], value: unknown, del: boolean): unknown {
  const copy = structuredClone(doc);
  let node: unknown = copy;
  for (let i = 0; i < path.length; i++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node as object);
    if (keys.length === 0) break;
    const key = keys[path[i]! % keys.length]!;
    if (i === path.length - 1 || typeof (node as Record<string, unknown>)[key] !== 'object') {
      if (del) delete (node as Record<string, unknown>)[key];
      else (node as Record<string, unknown>)[key] = value;
      break;
    }
    node = (node as Record<string, unknown>)[key];
  }
  return copy;
}

const expectCleanFailure = (f: () => unknown): void => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NetcensusError)) throw e;
    expect(e.message.includes('\n')).toBe(false);
  }
};

describe('fuzzing (fixed seed)', () => {
  it('the importer and census: arbitrary JSON never escapes as anything but a NetcensusError', () => {
    fc.assert(
      fc.property(junk, (j) => {
        expectCleanFailure(() => census(importKerasJson(j).graph));
      }),
      { numRuns: 2000, seed: 42 },
    );
  });
  it('the importer and census: mutated real models', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(fixture, sequentialFixture),
        fc.array(fc.nat(40), { minLength: 1, maxLength: 8 }),
        junk,
        fc.boolean(),
        (doc, path, value, del) => {
          expectCleanFailure(() => census(importKerasJson(mutate(doc, path, value, del)).graph));
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
  });
  it('command-line parsing: arbitrary arguments give a documented exit code and never an internal error', async () => {
    const word = fc.oneof(
      fc.constantFrom(
        'summary',
        'list',
        'diff',
        'alexnet',
        'vgg16',
        'resnet18',
        'alexnet-keras-seed',
        '--json',
        '--csv',
        '--markdown',
        '--input',
        '--batch',
        '--params',
        'keras',
        'pytorch',
        '--help',
        '-h',
        '--version',
        '0',
        '-1',
        '227',
        '224x224',
        '1e9',
        'NaN',
        '',
        '--',
        'x',
      ),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(word, { maxLength: 6 }), async (argv) => {
        // verify and main would execute networks; every other path is fair game.
        fc.pre(!argv.includes('verify') && !argv.includes('main'));
        const { code, err } = await cli(...argv);
        expect([EXIT.ok, EXIT.badInput]).toContain(code);
        expect(err).not.toMatch(/internal error/);
      }),
      { numRuns: 1500, seed: 1 },
    );
  });
});

describe('native set-up script', () => {
  it('NETCENSUS_SKIP_NATIVE=1: one line saying what netcensus will use, exit 0', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['scripts/setup-native.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, NETCENSUS_SKIP_NATIVE: '1' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      'netcensus setup: skipped (NETCENSUS_SKIP_NATIVE=1): netcensus will use wasm, then pure-JS cpu, and no ONNX Runtime witness',
    ]);
  });
});
