/**
 * Keras' own figures for single layers, from the fixtures Keras 3.15.1 wrote (test/fixtures/keras): every
 * layer of given classes at every depth of every fixture, with its config, the input shape Keras built it
 * on, and what Keras reported for it (count_params, trainable, output shape; the executed shape where it
 * differs from the symbolic one). A case becomes a one-layer graph through the Keras importer itself, so
 * a family's layers can be held against Keras even in a fixture whose other layers belong to other families.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import { loadModelFile } from '../../src/importers/files.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { verifyGraph } from '../../src/verify.js';
import { KINDS, type LayerKind } from '../../src/kinds/index.js';
import type { Graph } from '../../src/graph.js';

export const FIXTURES = join(import.meta.dirname, '../fixtures/keras');

interface NestedLayer {
  path: string;
  class_name: string;
  count_params: number;
  trainable: number;
  non_trainable: number;
  output_shape?: unknown;
  graph?: boolean;
  same_layer_as?: string;
}
interface TopLayer {
  name: string;
  executed_output_shape?: number[];
}
export interface ModelFigures {
  count_params: number;
  trainable: number;
  non_trainable: number;
  format_files: string[];
  input?: Array<number | null>;
  layers?: TopLayer[];
  nested_layers?: NestedLayer[];
}

export const figures = JSON.parse(readFileSync(join(FIXTURES, 'figures.json'), 'utf8')) as {
  models: Record<string, ModelFigures>;
};
const applications = JSON.parse(
  gunzipSync(readFileSync(join(FIXTURES, 'figures.applications.json.gz'))).toString('utf8'),
) as { models: Record<string, { nested_layers: NestedLayer[]; layers?: TopLayer[] }> };

/** Every layer Keras lists for a fixture, at every depth. */
export const nestedLayers = (model: string): NestedLayer[] =>
  figures.models[model]!.nested_layers ?? applications.models[model]?.nested_layers ?? [];

/** The Keras classes some kinds read. */
export const kerasClassesOf = (kinds: readonly LayerKind[]): Set<string> =>
  new Set(kinds.flatMap((k) => Object.keys(KINDS[k].keras)));

/** The output shape Keras produces for a layer: executed where it differs from the symbolic one. */
export function kerasShape(model: string, l: NestedLayer): number[] {
  const top = (figures.models[model]!.layers ?? applications.models[model]?.layers)?.find((t) => t.name === l.path);
  if (top?.executed_output_shape) return top.executed_output_shape;
  const s = l.output_shape as unknown[];
  return (Array.isArray(s[0]) ? s[0] : s) as number[];
}

export interface LayerCase {
  model: string;
  path: string;
  cls: string;
  figures: NestedLayer;
  /** Keras' serialized layer, from the fixture's model.to_json(). */
  layer: { class_name: string; module?: string; config: Record<string, unknown> };
  /** Per example, as Keras built the layer. */
  inputShape: number[];
}

interface RawLayer {
  class_name: string;
  module?: string;
  config: Record<string, unknown> & { layers?: RawLayer[]; name?: string };
  build_config?: { input_shape?: Array<number | null> };
  inbound_nodes?: Array<{ args?: Array<{ config?: { shape?: Array<number | null> } }> }>;
}

function modelJson(model: string): { config: { layers: RawLayer[] } } | undefined {
  for (const ext of ['json', 'json.gz']) {
    const file = join(FIXTURES, `${model}.${ext}`);
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    return JSON.parse((ext === 'json' ? bytes : gunzipSync(bytes)).toString('utf8'));
  }
  return undefined;
}

/** Every layer of the given classes in every fixture, nested models included, with Keras' figures. */
export function kerasLayerCases(classes: Set<string>): LayerCase[] {
  const cases: LayerCase[] = [];
  for (const model of Object.keys(figures.models)) {
    const json = modelJson(model);
    if (!json) continue;
    const byPath = new Map(nestedLayers(model).map((l) => [l.path, l]));
    const walk = (layers: RawLayer[], prefix: string): void => {
      let previous: string | undefined;
      for (const l of layers) {
        const path = prefix + String(l.config.name);
        const before = previous;
        previous = path;
        if (Array.isArray(l.config.layers)) walk(l.config.layers, `${path}/`);
        if (!classes.has(l.class_name)) continue;
        const f = byPath.get(path);
        // Where Keras built it; weightless layers record the tensor they were called on instead, and a
        // Sequential's layers follow the one before.
        const recorded = l.build_config?.input_shape ?? l.inbound_nodes?.[0]?.args?.[0]?.config?.shape;
        const prev = before === undefined ? undefined : byPath.get(before);
        const input = recorded ?? (prev?.output_shape ? [null, ...kerasShape(model, prev)] : undefined);
        if (!f || !input) throw new Error(`${model}: layer ${path} has no figures or no build input shape`);
        cases.push({
          model,
          path,
          cls: l.class_name,
          figures: f,
          layer: { class_name: l.class_name, module: l.module, config: l.config },
          inputShape: input.slice(1) as number[],
        });
      }
    };
    walk(json.config.layers, '');
  }
  return cases;
}

/** A one-layer Keras 3 model of a case, imported by netcensus' own Keras importer. */
export function layerGraph(c: LayerCase): Graph {
  const json = {
    module: 'keras',
    class_name: 'Sequential',
    config: {
      name: 'one_layer',
      layers: [
        {
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, ...c.inputShape], name: 'in' },
        },
        { module: c.layer.module ?? 'keras.layers', class_name: c.layer.class_name, config: c.layer.config },
      ],
    },
  };
  return importKerasJson(json).graph;
}

/**
 * Every layer of the given classes in every fixture, as a one-layer graph on the input Keras built it on:
 * its params, trainable params and output shape equal Keras', and it verifies by execution.
 */
export function describeKerasLayers(classes: Set<string>, expected: readonly string[]): void {
  describe("every layer of this family in the Keras fixtures, against Keras' own figures", () => {
    const cases = kerasLayerCases(classes);

    it('covers the classes the fixtures use', () => {
      expect(new Set(cases.map((c) => c.cls))).toEqual(new Set(expected));
    });

    it.each(cases.map((c) => [`${c.model}/${c.path} (${c.cls})`, c] as const))(
      "%s: params, trainable params and output shape equal Keras', and it verifies by execution",
      async (_, c) => {
        const graph = layerGraph(c);
        const l = census(graph).layers[1]!;
        expect([l.params, l.trainableParams, l.outputShape.slice(1)]).toEqual([
          c.figures.count_params,
          c.figures.trainable,
          kerasShape(c.model, c.figures),
        ]);
        const r = await verifyGraph(graph);
        expect(r.mismatches).toEqual([]);
      },
    );
  });
}

const fixturesWith = (classes: Set<string>): string[] =>
  Object.keys(figures.models).filter((m) => nestedLayers(m).some((l) => classes.has(l.class_name)));

/** The layer an import or census error names, with its Keras class. */
function blocker(model: string, message: string): { layer: string; cls: string } | undefined {
  const unsupported = /unsupported layer class (\S+) \(layer "([^"]+)"\)/.exec(message);
  if (unsupported) return { layer: unsupported[2]!, cls: unsupported[1]! };
  const named = /layer "([^"]+)"/.exec(message);
  if (!named) return undefined;
  const path = named[1]!.replace(/@\d+/g, '');
  const l = nestedLayers(model).find((x) => x.path === path);
  return l ? { layer: path, cls: l.class_name } : undefined;
}

/**
 * Whole fixtures holding layers of the given classes, in every format Keras wrote (.json / .json.gz,
 * .keras, .h5): Keras' total, trainable and non-trainable counts, and every such layer's figures in place.
 */
export function describeWholeFixtures(classes: Set<string>, mustInclude: readonly string[]): void {
  describe("whole fixtures with this family's layers, against Keras' totals in every format", () => {
    const models = fixturesWith(classes);

    it('include the fixtures written for this family', () => {
      expect(models).toEqual(expect.arrayContaining([...mustInclude]));
    });

    for (const model of models) {
      const m = figures.models[model]!;
      // MobileNetV3 has an input of unknown size: Keras' default 224 x 224.
      const options = m.input?.includes(null) ? { input: [224, 224] } : {};
      for (const ext of m.format_files) {
        it(`${model}.${ext}`, async () => {
          const c = census((await loadModelFile(join(FIXTURES, `${model}.${ext}`), options)).graph);
          expect([c.totals.params, c.totals.trainableParams, c.totals.nonTrainableParams]).toEqual([
            m.count_params,
            m.trainable,
            m.non_trainable,
          ]);
          const byName = new Map(c.layers.map((l) => [l.name, l]));
          for (const l of nestedLayers(model).filter((x) => classes.has(x.class_name) && x.graph)) {
            const mine = byName.get(l.path);
            expect([l.path, mine?.params, mine?.trainableParams, mine?.outputShape.slice(1)]).toEqual([
              l.path,
              l.count_params,
              l.trainable,
              kerasShape(model, l),
            ]);
          }
        });
      }
    }
  });
}
