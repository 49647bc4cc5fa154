/**
 * A name is data: verify builds the TensorFlow.js model under names TensorFlow accepts and reports each
 * layer under the file's own name, whatever TensorFlow's name rules would say of it.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT } from '../src/errors.js';
import { cli } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netcensus-names-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Each breaks TensorFlow's rule ^[A-Za-z0-9][-A-Za-z0-9._/]*$ or JavaScript's objects; the last two
// collide once invalid characters are replaced.
const HOSTILE = [
  '_layers.0',
  '__proto__',
  '<img src=x onerror=alert(1)>',
  'conv 1',
  'a\u001b[2Jb',
  'constructor',
  'x y',
  'x_y',
];

describe('verify under the names from the file', () => {
  it('a Keras 3 model whose layers carry names TensorFlow rejects verifies, each layer under its own name', async () => {
    const model = JSON.parse(
      readFileSync(new URL('./fixtures/keras/sequential_small.json', import.meta.url), 'utf8'),
    ) as {
      config: { name: string; layers: Array<{ config: { name: string } }> };
    };
    const layers = model.config.layers;
    expect(layers.length).toBeGreaterThanOrEqual(3);
    const names = layers.map((_, i) => HOSTILE[i % HOSTILE.length]! + (i >= HOSTILE.length ? `#${i}` : ''));
    layers.forEach((l, i) => (l.config.name = names[i]!));
    model.config.name = '__proto__ <b>';
    const file = join(dir, 'hostile-names.json');
    writeFileSync(file, JSON.stringify(model));
    const { code, out, err } = await cli('verify', file, '--json', '--backend', 'cpu');
    expect(code, err).toBe(EXIT.ok);
    const [result] = JSON.parse(out) as Array<{
      ok: boolean;
      model: string;
      layers: Array<{ name: string; ok: boolean }>;
    }>;
    expect(result!.ok).toBe(true);
    expect(result!.model).toBe('__proto__ <b>');
    // The input layer is not a checked layer; every other keeps the file's name.
    expect(result!.layers.map((l) => l.name)).toEqual(names.slice(1));
    expect(result!.layers.every((l) => l.ok)).toBe(true);
  });
});
