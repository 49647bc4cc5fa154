/**
 * Every Keras fixture (test/fixtures/keras, written by Keras 3 itself) in every form it was saved in —
 * JSON or gzip-compressed JSON, .keras and .h5 — gives Keras' own total, trainable and non-trainable
 * counts, and each layer Keras' own count and output shape; and each verifies by execution on native
 * TensorFlow, with the weight shapes the .keras file stores as one more witness.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend.js';
import { census, type Census } from '../src/census.js';
import { loadModelFile } from '../src/resolve.js';
import { verifyGraph } from '../src/verify.js';

const dir = new URL('./fixtures/keras/', import.meta.url).pathname;

interface LayerFigure {
  path: string;
  class_name: string;
  count_params: number;
  trainable: number;
  non_trainable: number;
  output_shape?: Array<number | null> | Array<Array<number | null>>;
  executed_output_shape?: number[];
  calls?: number;
  /** false for a layer Keras keeps inside another (an RNN's cell, attention's projections): no node of the graph. */
  graph?: boolean;
}
interface ModelFigure {
  input: Array<number | null>;
  inputs?: Array<Array<number | null>>;
  count_params: number;
  trainable: number;
  non_trainable: number;
  nested_layers?: LayerFigure[];
  /** Top-level layers; only these carry executed_output_shape, where the run differs from the symbolic shape. */
  layers?: Array<{ name: string; executed_output_shape?: number[] }>;
  format_files: string[];
  details?: string;
}

const figures = JSON.parse(readFileSync(join(dir, 'figures.json'), 'utf8')) as { models: Record<string, ModelFigure> };
const details = JSON.parse(gunzipSync(readFileSync(join(dir, 'figures.applications.json.gz'))).toString('utf8')) as {
  models: Record<string, { nested_layers?: LayerFigure[] }>;
};
const models = Object.entries(figures.models).map(([name, m]) => ({
  name,
  ...m,
  nested_layers: m.nested_layers ?? details.models[name]?.nested_layers ?? [],
}));

/** Unknown (None) input sizes are given as --input would: 224 x 224, the applications' default. */
const inputFor = (m: ModelFigure): number[] | undefined =>
  m.input.some((d) => d === null) ? m.input.slice(0, -1).map((d) => d ?? 224) : undefined;

const load = async (name: string, ext: string, m: ModelFigure) =>
  (await loadModelFile(join(dir, `${name}.${ext}`), { input: inputFor(m) })).graph;

const known = (s: unknown): s is number[] => Array.isArray(s) && s.every((d) => typeof d === 'number');

/** Keras' figures for each layer at every depth: counts, and output shapes where Keras knows them. */
function checkLayers(c: Census, m: (typeof models)[number]): void {
  const layers = new Map(c.layers.map((l) => [l.name, l]));
  const containers = new Map(c.containers.map((k) => [k.name, k]));
  for (const l of m.nested_layers) {
    if (l.graph === false) continue; // its weights are its owner's, counted there
    if (l.class_name === 'InputLayer' && l.path.includes('/')) continue; // a nested model's input is its caller's tensor
    const mine = layers.get(l.path) ?? containers.get(l.path);
    expect(mine, `layer ${l.path} (${l.class_name})`).toBeDefined();
    expect(mine!.params, `${l.path} params`).toBe(l.count_params);
    expect(mine!.trainableParams, `${l.path} trainable`).toBe(l.trainable);
    expect(mine!.nonTrainableParams, `${l.path} non-trainable`).toBe(l.non_trainable);
    const executed = l.executed_output_shape ?? m.layers?.find((t) => t.name === l.path)?.executed_output_shape;
    const shape = executed ?? l.output_shape;
    if ('outputShape' in mine! && known(shape) && !inputFor(m)) {
      expect(mine.outputShape.slice(1), `${l.path} output shape`).toEqual(shape);
    }
  }
}

beforeAll(async () => {
  await useBackend('auto');
});

describe('every Keras fixture, in every form it was saved in, counted as Keras counts', () => {
  for (const m of models) {
    for (const ext of m.format_files) {
      it(`${m.name}.${ext}: ${m.count_params.toLocaleString('en-US')} params (${m.trainable.toLocaleString('en-US')} trainable)`, async () => {
        const c = census(await load(m.name, ext, m));
        expect(c.totals.params).toBe(m.count_params);
        expect(c.totals.trainableParams).toBe(m.trainable);
        expect(c.totals.nonTrainableParams).toBe(m.non_trainable);
        expect(c.partial).toBe(false);
        checkLayers(c, m);
      });
    }
  }
});

describe('every Keras fixture verifies by execution, with the weight shapes its file stores', () => {
  for (const m of models) {
    const ext = m.format_files.includes('keras') ? 'keras' : m.format_files[0]!;
    it(`${m.name}.${ext}`, async () => {
      const r = await verifyGraph(await load(m.name, ext, m));
      expect(r.mismatches).toEqual([]);
      expect(r.params.framework).toBe(m.count_params);
      if (ext === 'keras') expect(r.witnesses.storedWeights?.ok).toBe(true);
      expect(r.ok).toBe(true);
    });
  }
});
