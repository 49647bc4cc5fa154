/**
 * The whole zoo verified on native TensorFlow at full input size, the mismatch path, and leaks.
 * Native TensorFlow must be present: `npm ci` builds it (see README). Only NETCENSUS_SKIP_NATIVE=1, the
 * documented opt-out, turns these into checks of the fallback instead.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ZOO_NAMES } from '../models/index.js';
import { useBackend, type BackendInfo } from '../src/backend.js';
import { cli } from './helpers.js';
import { EXIT } from '../src/errors.js';
import { KINDS as LAYERS } from '../src/kinds/index.js';
import { zooModel } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';

const skipNative = process.env.NETCENSUS_SKIP_NATIVE === '1';
let info: BackendInfo;

beforeAll(async () => {
  info = await useBackend('auto');
});

describe('backend', () => {
  it(skipNative ? 'falls back to wasm with a note (NETCENSUS_SKIP_NATIVE=1)' : 'auto picks native TensorFlow', () => {
    if (skipNative) {
      expect(info.backend).not.toBe('tensorflow');
      expect(info.note).toMatch(/native TensorFlow unavailable/);
    } else {
      expect(info.backend).toBe('tensorflow');
      expect(tf.getBackend()).toBe('tensorflow');
      expect(info.device).toMatch(/native TensorFlow CPU|CUDA GPU/);
    }
  });
});

describe('the zoo, verified by execution at full input size', () => {
  const before = { tensors: 0 };
  beforeAll(() => {
    before.tensors = tf.memory().numTensors;
  });
  for (const name of ZOO_NAMES) {
    it(name, async () => {
      const r = await verifyGraph(zooModel(name));
      expect(r.mismatches).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.backend).toBe(info.backend);
      expect(r.params.framework).toBe(r.params.census);
      expect(r.layers.every((l) => l.ok)).toBe(true);
      expect(r.leakedTensors).toBe(0);
    });
  }
  afterAll(() => {
    expect(tf.memory().numTensors).toBe(before.tensors);
  });
});

describe('verify CLI', () => {
  it("--json reports the backend by tfjs' own name and success per model", async () => {
    const { code, out } = await cli('verify', 'alexnet', 'resnet18', '--json');
    expect(code).toBe(EXIT.ok);
    const j = JSON.parse(out) as Array<{
      model: string;
      backend: string;
      device: string;
      ok: boolean;
      params: { census: number; framework: number };
      layers: Array<Record<string, unknown>>;
    }>;
    expect(j.map((e) => [e.model, e.ok, e.backend])).toEqual([
      ['alexnet', true, info.backend],
      ['resnet18', true, info.backend],
    ]);
    expect(j[0]!.params).toEqual({ census: 60_965_224, framework: 60_965_224 });
    expect(Object.keys(j[0]!.layers[0]!)).toEqual(
      expect.arrayContaining(['name', 'censusShape', 'executedShape', 'censusParams', 'frameworkParams', 'ok']),
    );
  });

  it('a census that disagrees with execution is caught layer by layer, exit code 1', async () => {
    // Break the census' rule for Dense: forget the bias. Execution (tfjs' own Dense) still has it.
    const original = LAYERS.dense.weights;
    LAYERS.dense.weights = (c, inputs) => original(c, inputs).filter((w) => w.role !== 'bias');
    try {
      const { code, out, err } = await cli('verify', 'alexnet-keras-seed');
      expect(code).toBe(EXIT.mismatch);
      expect(out).toMatch(/MISMATCH/);
      expect(out).toMatch(/│ dense\s+│/);
      expect(out).toMatch(/dense_2/);
      expect(err).toMatch(/verification failed for alexnet-keras-seed/);
    } finally {
      LAYERS.dense.weights = original;
    }
  });

  it('a model too large to run is refused with an estimate before anything is allocated', async () => {
    const tensors = tf.memory().numTensors;
    const { code, err, out } = await cli('verify', 'test/fixtures/too-large-to-run.json');
    expect(code).toBe(EXIT.badInput);
    expect(out).toBe('');
    expect(err).toMatch(/needs about [\d.]+ GiB .* refusing before allocating anything/);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('runs on the WASM fallback when asked, and says so', async () => {
    const { code, out } = await cli('verify', 'resnet18', 'alexnet', '--backend', 'wasm', '--input', '67', '--json');
    expect(code).toBe(EXIT.ok);
    const j = JSON.parse(out) as Array<{ backend: string; device: string; ok: boolean }>;
    expect(j.map((e) => [e.backend, e.ok])).toEqual([
      ['wasm', true],
      ['wasm', true],
    ]);
    expect(j[0]!.device).toMatch(/WebAssembly \(SIMD (on|off)/);
    await useBackend('auto');
  });

  it('bench refuses a model too large to run, with the estimate, before measuring anything', async () => {
    const { code, err, out } = await cli('bench', 'test/fixtures/too-large-to-run.json', '--no-peers');
    expect(code).toBe(EXIT.badInput);
    expect(out).toBe('');
    expect(err).toMatch(/^netcensus: bench: model .* needs about [\d.]+ GiB .* refusing before allocating anything\n$/);
  });

  it('an explicitly requested backend that cannot be had is exit code 3', async () => {
    if (skipNative) {
      const { code, err } = await cli('verify', 'resnet18', '--backend', 'tensorflow');
      expect(code).toBe(EXIT.backendUnavailable);
      expect(err).toMatch(/backend tensorflow is unavailable/);
    } else {
      const { code } = await cli('verify', 'resnet18', '--backend', 'cpu', '--input', '64');
      expect(code).toBe(EXIT.ok);
    }
  });
});
