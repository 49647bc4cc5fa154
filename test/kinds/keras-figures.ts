/**
 * Keras' own figures for the fixtures Keras wrote (test/fixtures/keras/figures.json), and the graphs the
 * kind tests check against them: every layer of a family's Keras classes, at every depth of every fixture.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { census, type Census, type LayerInfo } from '../../src/census.js';
import type { Graph, GraphNode } from '../../src/graph.js';
import { loadModelFile } from '../../src/importers/files.js';
import { KINDS, type LayerKind } from '../../src/kinds/index.js';
import { verifyGraph } from '../../src/verify.js';

export const FIXTURES = new URL('../fixtures/keras/', import.meta.url).pathname;

export interface NestedFigure {
  path: string;
  class_name: string;
  count_params: number;
  trainable: number;
  non_trainable: number;
  /** One shape, or one per output for a layer with several. */
  output_shape?: number[] | number[][];
  /** true: a node of a model graph; false: a layer inside another (a cell, a wrapper's layer, a projection). */
  graph?: boolean;
}
export interface ModelFigures {
  count_params: number;
  trainable: number;
  non_trainable: number;
  format_files: string[];
  nested_layers: NestedFigure[];
  /** Keras ops written into the config as pseudo-layers (a mask's NotEqual): no variables. */
  config_operations?: Array<{ path: string; class_name: string }>;
}

const main = (
  JSON.parse(readFileSync(join(FIXTURES, 'figures.json'), 'utf8')) as { models: Record<string, ModelFigures> }
).models;
/** The applications' per-layer figures live in their own file. */
const applications = (
  JSON.parse(gunzipSync(readFileSync(join(FIXTURES, 'figures.applications.json.gz'))).toString('utf8')) as {
    models: Record<string, { nested_layers?: NestedFigure[] }>;
  }
).models;
export const figures: Record<string, ModelFigures> = Object.fromEntries(
  Object.entries(main).map(([name, m]) => [
    name,
    { ...m, nested_layers: m.nested_layers ?? applications[name]?.nested_layers ?? [] },
  ]),
);

/** The Keras class names the given kinds read. */
export const kerasClassesOf = (kinds: readonly LayerKind[]): Set<string> =>
  new Set(kinds.flatMap((k) => Object.keys(KINDS[k].keras)));

/** Every fixture holding a layer of one of `classes`, at any depth, with those layers. */
export function fixturesWith(classes: ReadonlySet<string>): Array<[string, ModelFigures, NestedFigure[]]> {
  return Object.entries(figures)
    .map(([name, m]) => [name, m, (m.nested_layers ?? []).filter((l) => classes.has(l.class_name))] as const)
    .filter(([, , ls]) => ls.length > 0)
    .map(([n, m, ls]) => [n, m, [...ls]]);
}

/** The fixture's file in one of its formats (`json` may be stored gzipped). */
export function fixtureFile(name: string, format: string): string {
  const path = join(FIXTURES, `${name}.${format}`);
  return format === 'json' && !existsSync(path) ? `${path}.gz` : path;
}

/** A fixture counted whole: every layer of it is a kind netcensus knows. */
export async function countFixture(name: string, format: string): Promise<{ graph: Graph; census: Census }> {
  const { graph } = await loadModelFile(fixtureFile(name, format));
  return { graph, census: census(graph) };
}

/**
 * One node of a counted graph with its inputs as the graph's inputs, at the shapes the census inferred for
 * them (an RNN state `name:k` becomes an input of that name), to build and execute it alone.
 */
export function around(c: Census, nodeName: string): Graph {
  const info = c.infos.find((i) => i.node.name === nodeName)!;
  const inputs: GraphNode[] = [...new Set(info.node.inputs)].map((ref, i) => ({
    name: ref,
    scope: ref,
    config: { kind: 'input', shape: info.inputShapes[info.node.inputs.indexOf(ref)] ?? info.inputShapes[i]! },
    inputs: [],
  }));
  const { sharedWith: _s, ...node } = info.node;
  return {
    name: `${c.graph.name}:${nodeName}`,
    description: `${nodeName} of ${c.graph.name}`,
    source: c.graph.source,
    framework: c.graph.framework,
    nodes: [...inputs, node],
    outputs: [nodeName],
  };
}

/**
 * Keras' figure for a node, by path (a nested model's layers are `outer/inner`, as the importer names them);
 * a Keras op in the config is no layer and holds no variables.
 */
export function figureOf(m: ModelFigures, path: string): NestedFigure | undefined {
  const layer = m.nested_layers.find((l) => l.path === path);
  if (layer) return layer;
  const op = m.config_operations?.find((o) => o.path === path);
  return op && { path, class_name: op.class_name, count_params: 0, trainable: 0, non_trainable: 0 };
}

/** Verifies a graph by execution: every executed shape and countParams() equal to the census, no tensor left. */
export async function verifies(g: Graph): Promise<number[][]> {
  const r = await verifyGraph(g);
  expect(r.mismatches).toEqual([]);
  expect(r.leakedTensors).toBe(0);
  return r.layers.map((l) => l.executedShape);
}

const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The parameters of the weights whose names start with `prefix` (a wrapper's or attention's sub-layer). */
export const paramsUnder = (info: LayerInfo, prefix: string): number =>
  info.weights.filter((w) => w.name.startsWith(prefix)).reduce((n, w) => n + size(w.shape), 0);

export interface FigureSuite {
  kinds: readonly LayerKind[];
  /** The fixtures expected to hold these kinds' Keras classes. */
  fixtures: readonly string[];
  /** Fixtures whose whole model (other helpers' kinds entering as inputs) builds and executes. */
  wholeModels: readonly string[];
  /** Checks of the layers Keras keeps inside one of these (a wrapper's layer, attention's projections). */
  inner?: (layer: NestedFigure, info: LayerInfo, children: NestedFigure[]) => void;
}

/**
 * Every layer of `kinds` in every fixture, in every format Keras wrote: its params, trainable params and
 * output shapes against Keras' figures, the weight shapes the files store, the totals, and execution.
 */
export function describeKerasFigures(suite: FigureSuite): void {
  describe("against Keras' own figures for its fixtures", () => {
    const mine = kerasClassesOf(suite.kinds);
    const fixtures = fixturesWith(mine);

    it(`the fixtures holding these layers: ${suite.fixtures.join(', ')}`, () => {
      expect(fixtures.map(([n]) => n).sort()).toEqual([...suite.fixtures].sort());
    });

    for (const [name, model, layers] of fixtures) {
      const nodes = layers.filter((l) => l.graph !== false);
      const formats = model.format_files.filter((f) => f !== 'json.gz');

      it(`${name}: each of these layers has Keras' params, trainable params and output shapes (${formats.join(', ')})`, async () => {
        for (const format of formats) {
          const { census: c } = await countFixture(name, format);
          for (const l of nodes) {
            const row = c.layers.find((x) => x.name === l.path);
            const info = c.infos.find((i) => i.node.name === l.path)!;
            expect(row, `${format} ${l.path}`).toBeDefined();
            expect([row!.params, row!.trainableParams], `${format} ${l.path}`).toEqual([l.count_params, l.trainable]);
            const shapes = Array.isArray(l.output_shape![0])
              ? (l.output_shape as number[][])
              : [l.output_shape as number[]];
            expect(info.outputShapes, `${format} ${l.path}`).toEqual(shapes);
            const children = model.nested_layers.filter(
              (x) => x.path.startsWith(`${l.path}/`) && x.path.split('/').length === l.path.split('/').length + 1,
            );
            suite.inner?.(l, info, children);
          }
        }
      });

      it(`${name}: Keras' totals (${formats.join(', ')})`, async () => {
        for (const format of formats) {
          const { census: c } = await countFixture(name, format);
          expect(c.partial, format).toBe(false);
          expect(c.totals.params, format).toBe(model.count_params);
          expect(c.totals.trainableParams, format).toBe(model.trainable);
          expect(c.totals.nonTrainableParams, format).toBe(model.non_trainable);
        }
      });

      it(`${name}: the weight shapes the .keras and .h5 files store are the census' for these layers`, async () => {
        for (const format of ['keras', 'h5'].filter((f) => model.format_files.includes(f))) {
          const { graph, census: c } = await countFixture(name, format);
          const stored = await graph.file!.storedWeights!(c);
          const key = (s: readonly number[]) => s.join('x');
          for (const l of nodes) {
            const info = c.infos.find((i) => i.node.name === l.path)!;
            expect(info.weights.map((w) => key(w.shape)).sort(), `${format} ${l.path}`).toEqual(
              (stored.byNode.get(l.path) ?? []).map(key).sort(),
            );
          }
        }
      });

      it(`${name}: each of these layers verifies by execution, alone, at the fixture's shapes`, async () => {
        const { census: c } = await countFixture(name, 'json');
        for (const l of nodes) await verifies(around(c, l.path));
      });
    }

    for (const name of suite.wholeModels) {
      it(`${name}: the whole model verifies by execution`, async () => {
        const { graph } = await countFixture(name, 'json');
        await verifies(graph);
      });
    }
  });
}
