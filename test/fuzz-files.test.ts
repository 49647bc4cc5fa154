/**
 * The binary readers under truncation and bit flips (fixed seeds): a real file of each container,
 * damaged, goes through the reader netcensus runs on it (protobuf and the ONNX converter, the zip and the
 * Keras 3 weights file, HDF5's attributes and legacy weights, gzip and JSON, safetensors headers and
 * torch.save pickles), and only a one-line
 * NetcensusError ever comes out.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { census } from '../src/census.js';
import { NetcensusError } from '../src/errors.js';
import { loadModelFile } from '../src/importers/files.js';

const dir = mkdtempSync(join(tmpdir(), 'netcensus-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = (p: string): Buffer => readFileSync(new URL(`./fixtures/${p}`, import.meta.url));

/** Truncates, then flips bits at chosen positions (positions are fractions of the length). */
const damage = fc.record({
  keep: fc.double({ min: 0, max: 1, noNaN: true }),
  flips: fc.array(
    fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 7 })),
    {
      maxLength: 12,
    },
  ),
  truncate: fc.boolean(),
});

function damaged(bytes: Buffer, d: { keep: number; flips: Array<[number, number]>; truncate: boolean }): Buffer {
  const out = Buffer.from(d.truncate ? bytes.subarray(0, Math.floor(bytes.length * d.keep)) : bytes);
  for (const [at, bit] of d.flips) if (out.length) out[Math.floor(at * out.length)]! ^= 1 << bit;
  return out;
}

let n = 0;
/** Reads the damaged file as netcensus does for summary and verify's stored weights: only NetcensusErrors. */
async function readsCleanly(bytes: Buffer, name: string): Promise<void> {
  const file = join(dir, `${n++}-${name}`);
  writeFileSync(file, bytes);
  try {
    const imported = await loadModelFile(file);
    const c = census(imported.graph);
    await imported.graph.file?.storedWeights?.(c);
  } catch (e) {
    if (!(e instanceof NetcensusError)) throw e;
    expect(e.message.includes('\n'), e.message).toBe(false);
  } finally {
    rmSync(file, { force: true });
  }
}

const CASES: Array<[string, Buffer, number]> = [
  ['cnn_small_opset17.onnx', fixture('onnx/cnn_small_opset17.onnx'), 300],
  ['text_transformer.onnx', fixture('onnx/text_transformer.onnx'), 200],
  ['seed000_alexnet.keras', fixture('keras/seed000_alexnet.keras'), 200],
  ['trained_mlp.h5', fixture('keras/trained_mlp.h5'), 200],
  ['sequential_small.json.gz', gzipSync(fixture('keras/sequential_small.json')), 200],
  ['sequential_small.json', fixture('keras/sequential_small.json'), 300],
  // Weights-only files: read whole (header, pickle, storages checked), then refused as no architecture.
  ['cnn_state_dict.pt', fixture('weights/cnn_state_dict.pt'), 300],
  ['cnn_state_dict_legacy.pth', fixture('weights/cnn_state_dict_legacy.pth'), 300],
  ['cnn.safetensors', fixture('weights/cnn.safetensors'), 300],
];

describe('damaged files (fixed seed)', () => {
  for (const [name, bytes, runs] of CASES) {
    it(`${name}: truncations and bit flips give a NetcensusError or a count, nothing else`, async () => {
      await fc.assert(
        fc.asyncProperty(damage, (d) => readsCleanly(damaged(bytes, d), name)),
        { numRuns: runs, seed: 20261202 },
      );
    }, 600_000);
  }
});
