/**
 * Every kind runs on every backend: the Keras fixtures (test/fixtures/keras, up to 8M parameters on wasm,
 * 2M on cpu) and the PyTorch pattern fixtures (test/fixtures/onnx/patterns) verify on the WebAssembly and
 * pure-JavaScript backends, the fallbacks whenever native TensorFlow is missing. The other suites run them
 * on native TensorFlow (Keras) and cpu (patterns).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { loadModelFile } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';
import {
  KERAS_DIR,
  PATTERNS_DIR,
  kerasModels as kerasFixtures,
  patternNames as patternFixtures,
  type KerasFigure,
} from './fixture-lists.js';

const keras = KERAS_DIR;
const patterns = PATTERNS_DIR;

/** The parameters a backend verifies in reasonable time: the pure-JS one is some 50 times slower. */
const LIMIT = { wasm: 8_000_000, cpu: 2_000_000 };
const kerasModels = kerasFixtures();
const patternNames = patternFixtures();

async function verifyKeras(name: string, m: KerasFigure): Promise<void> {
  const ext = m.format_files.includes('keras') ? 'keras' : m.format_files[0]!;
  const input = m.input.some((d) => d === null) ? m.input.slice(0, -1).map((d) => d ?? 224) : undefined;
  const r = await verifyGraph((await loadModelFile(join(keras, `${name}.${ext}`), { input })).graph);
  expect(r.mismatches, name).toEqual([]);
  expect(r.ok, name).toBe(true);
}

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`on the ${backend} backend`, () => {
    it('the backend is the one asked for', async () => {
      expect((await useBackend(backend)).backend).toBe(backend);
    });
    for (const [name, m] of kerasModels.filter(([, k]) => k.count_params <= LIMIT[backend]))
      it(`Keras ${name}`, () => verifyKeras(name, m), 120_000);
    if (backend === 'wasm')
      for (const name of patternNames) {
        it(`PyTorch ${name}`, async () => {
          const r = await verifyGraph((await loadModelFile(join(patterns, `${name}.onnx`))).graph);
          expect(r.mismatches).toEqual([]);
          expect(r.witnesses.fileWeights?.ok).toBe(true);
          expect(r.ok).toBe(true);
        });
      }
  });
}
