/**
 * Keras' own figures for the layers of some classes, in every fixture Keras 3.15.1 wrote
 * (test/fixtures/keras/figures.json and figures.applications.json.gz), and the census' figures for the
 * same layers: per layer (params, trainable params, output shape) and per fixture (Keras' totals, in each of
 * the fixture's three formats).
 *
 * Per layer, the census counts the whole fixture where every class in it has a kind. Where a fixture also
 * holds classes other families add (a Conv3D, an Embedding), each layer of the given classes is counted
 * alone instead: its config, exactly as Keras wrote it, in a Functional model whose inputs have the shapes
 * Keras recorded for its call. Both are full comparisons with Keras' numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect, it } from 'vitest';
import { census, type Census } from '../../src/census.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { loadModelFile } from '../../src/importers/files.js';
import type { ImportOptions } from '../../src/importers/keras.js';
import type { Graph } from '../../src/graph.js';

export const FIXTURES = new URL('../fixtures/keras/', import.meta.url).pathname;

export interface LayerFigure {
  path: string;
  class_name: string;
  count_params: number;
  trainable: number;
  non_trainable: number;
  output_shape?: Array<number | null> | Array<Array<number | null>>;
  graph?: boolean;
  same_layer_as?: string;
}
export interface ModelFigures {
  inputs: Array<Array<number | null>>;
  count_params: number;
  trainable: number;
  non_trainable: number;
  format_files: string[];
  layers?: Array<{ name: string; output_shape: unknown; executed_output_shape?: number[] }>;
  nested_layers?: LayerFigure[];
  config_operations?: Array<{ path: string; class_name: string; module: string }>;
}

const json = (file: string): unknown => {
  const buf = readFileSync(join(FIXTURES, file));
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8'));
};

export const figures = (json('figures.json') as { models: Record<string, ModelFigures> }).models;
const details = (json('figures.applications.json.gz') as { models: Record<string, { nested_layers: LayerFigure[] }> })
  .models;

/** Every layer at every depth, as Keras lists it (applications' in their own file). */
export const nestedLayers = (model: string): LayerFigure[] =>
  figures[model]!.nested_layers ?? details[model]?.nested_layers ?? [];

/**
 * The classes every kind of this branch reads (activations, merges, normalizations, keras.applications'
 * layers, ops): a fixture that cannot be imported must fail on a class outside them.
 */
export const OWN_CLASSES = new Set([
  'Activation',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'Softmax',
  'ThresholdedReLU',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Dot',
  'CustomScaleLayer',
  'BatchNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'UnitNormalization',
  'RMSNormalization',
  'Normalization',
  'LayerScale',
  'SpectralNormalization',
]);

/** The importer's options a fixture needs: MobileNetV3's input is (None, None, 3). */
export const optionsFor = (model: string): ImportOptions =>
  figures[model]!.inputs.some((s) => s.includes(null)) ? { input: [224, 224] } : {};

const modelFile = (model: string): string => {
  const f = figures[model]!.format_files;
  return `${model}.${f.includes('json') ? 'json' : 'json.gz'}`;
};

/** One of this branch's classes (a Keras 3 op included, `ops.Add`). */
export const ownClass = (cls: string): boolean => OWN_CLASSES.has(cls) || cls.startsWith('ops.');

/** The fixture's Keras config (its .json or .json.gz). */
export const kerasConfig = (model: string): Record<string, unknown> =>
  json(modelFile(model)) as Record<string, unknown>;

/** The fixtures holding at least one layer of these classes (graph layers, not a layer's internal sub-layers). */
export const fixturesWith = (classes: ReadonlySet<string>): string[] =>
  Object.keys(figures).filter((m) => nestedLayers(m).some((l) => classes.has(l.class_name) && l.graph !== false));

/** The whole fixture, counted; or, where it holds a class no kind reads yet, that class (never one of ours). */
export function fullCensus(model: string): { census: Census } | { missing: string } {
  try {
    return { census: census(importKerasJson(kerasConfig(model), optionsFor(model)).graph) };
  } catch (e) {
    const m = /unsupported layer class (\S+)/.exec((e as Error).message);
    if (!m || ownClass(m[1]!)) throw e;
    return { missing: m[1]! };
  }
}

interface RawLayer {
  class_name: string;
  module?: string;
  config: Record<string, unknown> & { name?: string; layers?: RawLayer[] };
  inbound_nodes?: unknown[];
  build_config?: { input_shape?: unknown };
}

/** A layer's raw config by its figures path (`outer/inner`: a layer inside nested model `outer`). */
function rawLayer(model: string, path: string): RawLayer {
  let layers = (kerasConfig(model).config as { layers: RawLayer[] }).layers;
  const parts = path.split('/');
  let found: RawLayer | undefined;
  for (const [i, part] of parts.entries()) {
    found = layers.find((l) => (l.config.name ?? '') === part);
    if (!found) throw new Error(`${model}: no layer ${path}`);
    if (i < parts.length - 1) layers = found.config.layers ?? [];
  }
  return found!;
}

/** A Keras 3 tensor reference, as inbound nodes write them. */
const tensorRef = (name: string, shape: unknown) => ({
  class_name: '__keras_tensor__',
  config: { shape, dtype: 'float32', keras_history: [name, 0, 0] },
});

/**
 * One layer of a fixture, alone: its config in a Functional model whose inputs have the shapes Keras
 * recorded for its first call (in its inbound node, or in its build_config inside a Sequential).
 */
export function isolatedGraph(model: string, path: string): Graph {
  const layer = structuredClone(rawLayer(model, path));
  const shapes: unknown[] = [];
  let call: unknown;
  const rename = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(rename);
    if (v && typeof v === 'object') {
      const o = v as { class_name?: string; config?: { shape?: unknown; keras_history?: unknown } };
      if (o.class_name === '__keras_tensor__' && o.config?.keras_history) {
        shapes.push(o.config.shape);
        return tensorRef(`probe_input_${shapes.length - 1}`, o.config.shape);
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rename(x)]));
    }
    return v;
  };
  if (layer.inbound_nodes?.length) call = rename(layer.inbound_nodes[0]);
  else {
    // Inside a Sequential, a layer's input shape is in its build_config.
    const s = layer.build_config?.input_shape;
    const list = Array.isArray(s) && Array.isArray(s[0]) ? (s as unknown[]) : [s];
    const tensors = list.map((x) => rename(tensorRef('x', x)));
    call = { args: [tensors.length === 1 ? tensors[0] : tensors], kwargs: {} };
  }
  if (shapes.some((s) => !Array.isArray(s) || s.slice(1).includes(null)))
    throw new Error(`${model}/${path}: an input shape is unknown: ${JSON.stringify(shapes)}`);
  const name = layer.config.name!;
  const inputs = shapes.map((s, i) => ({
    module: 'keras.layers',
    class_name: 'InputLayer',
    config: { batch_shape: s, dtype: 'float32', name: `probe_input_${i}` },
    name: `probe_input_${i}`,
    inbound_nodes: [],
  }));
  const probe = {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'probe',
      layers: [...inputs, { ...layer, name, inbound_nodes: [call] }],
      input_layers: inputs.map((l) => [l.name, 0, 0]),
      output_layers: [[name, 0, 0]],
    },
  };
  return importKerasJson(probe, { origin: `${model}/${path}` }).graph;
}

export const isolatedCensus = (model: string, path: string): Census => census(isolatedGraph(model, path));

/** Keras' figure of a layer's output shape as the census writes it (no batch); executed where that differs. */
function expectedShape(model: string, l: LayerFigure): Array<number | null> | undefined {
  const top = figures[model]!.layers?.find((t) => t.name === l.path);
  const shape = top?.executed_output_shape ?? l.output_shape;
  return shape as Array<number | null> | undefined;
}

/** Equal, where Keras' unknown (None) dimensions match any size. */
export const sameShape = (mine: readonly number[], keras: ReadonlyArray<number | null>): boolean =>
  mine.length === keras.length && keras.every((d, i) => d === null || d === mine[i]);

/**
 * For every fixture with layers of these classes: each layer's params, trainable params and output shape
 * equal Keras' (tests registered in the calling file).
 */
export function perLayerFigures(classes: ReadonlySet<string>): void {
  for (const model of fixturesWith(classes)) {
    const mine = nestedLayers(model).filter(
      (l) => classes.has(l.class_name) && l.graph !== false && l.same_layer_as === undefined,
    );
    it(`${model}: ${mine.length} layer(s) of ${[...new Set(mine.map((l) => l.class_name))].join(', ')} as Keras counts them`, () => {
      const full = fullCensus(model);
      for (const l of mine) {
        const c = 'census' in full ? full.census : isolatedCensus(model, l.path);
        const got = c.layers.find((x) => x.name === l.path);
        expect(got, `${model}: ${l.path}`).toBeDefined();
        expect([got!.params, got!.trainableParams], `${model}: ${l.path} params, trainable`).toEqual([
          l.count_params,
          l.trainable,
        ]);
        const shape = expectedShape(model, l);
        expect(shape, `${model}: ${l.path} has a recorded shape`).toBeDefined();
        expect(
          sameShape(got!.outputShape.slice(1), shape!),
          `${model}: ${l.path} shape ${JSON.stringify(got!.outputShape.slice(1))} vs Keras ${JSON.stringify(shape)}`,
        ).toBe(true);
      }
    });
  }
}

/**
 * For every fixture with layers of these classes, in each of its formats: the census gives Keras' total,
 * trainable and non-trainable counts; a fixture holding a class no kind reads yet fails on that class,
 * never on one of these.
 */
export function fixtureTotals(classes: ReadonlySet<string>, extra: readonly string[] = []): void {
  for (const model of [...new Set([...fixturesWith(classes), ...extra])]) {
    const f = figures[model]!;
    it(`${model}: ${f.count_params.toLocaleString('en-US')} params (${f.trainable} trainable) in ${f.format_files.join(', ')}`, async () => {
      for (const ext of f.format_files) {
        let c: Census;
        try {
          c = census((await loadModelFile(join(FIXTURES, `${model}.${ext}`), optionsFor(model))).graph);
        } catch (e) {
          const m = /unsupported layer class (\S+)/.exec((e as Error).message);
          expect(m && !ownClass(m[1]!), `${model}.${ext}: ${(e as Error).message}`).toBe(true);
          continue;
        }
        expect([c.totals.params, c.totals.trainableParams, c.totals.nonTrainableParams], `${model}.${ext}`).toEqual([
          f.count_params,
          f.trainable,
          f.non_trainable,
        ]);
      }
    });
  }
}
