/**
 * Keras 3 ops written into configs (keras.src.ops.numpy): elementwise with a constant or broadcast
 * tensors, comparisons, reductions; against NumPy's shape rules, the shapes Keras recorded for their
 * outputs, Keras' totals for the fixtures holding them, and by execution.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend.js';
import { census } from '../../src/census.js';
import { GraphBuilder, input, type Graph, type LayerConfig, type Shape } from '../../src/graph.js';
import { loadModelFile } from '../../src/importers/files.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { verifyGraph } from '../../src/verify.js';
import {
  FIXTURES,
  figures,
  fixtureTotals,
  fullCensus,
  isolatedCensus,
  isolatedGraph,
  kerasConfig,
  sameShape,
} from './keras-elem-figures.js';

beforeAll(async () => {
  // Native TensorFlow where it is installed: MobileNetV3 runs in a second.
  await useBackend('auto');
});

function fed(shapes: Shape[], layer: LayerConfig): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  const ins = shapes.map((s, i) => g.add(`in${i}`, input(s)));
  g.add('op', layer, { from: ins });
  return g.build();
}
const outOf = (shapes: Shape[], layer: LayerConfig): number[] => census(fed(shapes, layer)).layers.at(-1)!.outputShape;
const op = (name: Extract<LayerConfig, { kind: 'kerasOp' }>['op'], cls = 'Op'): LayerConfig => ({
  kind: 'kerasOp',
  op: name,
  cls,
});
const reduce = (axis: number[], keepdims = false): LayerConfig => ({
  kind: 'kerasReduce',
  op: 'any',
  cls: 'Any',
  axis,
  keepdims,
});

/** A Keras 3 Functional with one op on an input, its scalar operands as Keras writes them. */
function kerasOp(
  cls: string,
  config: Record<string, unknown>,
  args: unknown[],
  opts: { module?: string; legacy?: boolean } = {},
) {
  const tensor = {
    class_name: '__keras_tensor__',
    config: { shape: [null, 4, 5], dtype: 'float32', keras_history: ['in', 0, 0] },
  };
  const layer = {
    class_name: cls,
    config: { name: 'o', ...config },
    name: 'o',
    inbound_nodes: [{ args: args.map((a) => (a === 'x' ? tensor : a)), kwargs: {} }],
  };
  return {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: [null, 4, 5], name: 'in' }, name: 'in', inbound_nodes: [] },
        opts.legacy ? layer : { module: opts.module ?? 'keras.src.ops.numpy', ...layer },
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['o', 0, 0]],
    },
  }; // prettier-ignore
}

describe('elementwise ops and reductions: shape rules', () => {
  it('a binary op with one tensor (its other operand a constant) keeps the shape; two broadcast', () => {
    expect(outOf([[4, 5]], op('add'))).toEqual([1, 4, 5]);
    expect(
      outOf(
        [
          [4, 5],
          [1, 5],
        ],
        op('not_equal'),
      ),
    ).toEqual([1, 4, 5]);
    expect(
      outOf(
        [
          [8, 8, 4],
          [1, 1, 4],
        ],
        op('multiply'),
      ),
    ).toEqual([1, 8, 8, 4]);
    expect(outOf([[4, 5]], op('negative'))).toEqual([1, 4, 5]);
    const l = census(
      fed(
        [
          [4, 5],
          [4, 5],
        ],
        op('add'),
      ),
    ).layers.at(-1)!;
    expect([l.params, l.macs, l.type, l.detail]).toEqual([0, 0, 'ops.Op', '+']);
  });

  it('refuses inputs that do not broadcast, of different ranks (NumPy would align the batch), or too many', () => {
    expect(() =>
      outOf(
        [
          [4, 5],
          [4, 3],
        ],
        op('add'),
      ),
    ).toThrow(/layer "op" \(kerasOp\): shapes \[4x5\], \[4x3\] do not broadcast/);
    expect(() => outOf([[4, 5], [5]], op('add'))).toThrow(
      /inputs of ranks 2 and 1 \(per example\) would broadcast against the batch axis/,
    );
    expect(() => outOf([[4], [4], [4]], op('add'))).toThrow(/takes 1 or 2 tensors, got 3/);
    expect(() => outOf([[4], [4]], op('sqrt'))).toThrow(/takes 1 tensor, got 2/);
  });

  it('a reduction drops its axes, or keeps them as 1 with keepdims', () => {
    expect(outOf([[20, 4]], reduce([-1]))).toEqual([1, 20]);
    expect(outOf([[20, 4]], reduce([-1], true))).toEqual([1, 20, 1]);
    expect(outOf([[3, 4, 5]], reduce([0, 2]))).toEqual([1, 4]);
    expect(() => outOf([[3, 4]], reduce([2]))).toThrow(
      /layer "op" \(kerasReduce\): axis 2 is out of range for a rank-2 input/,
    );
  });
});

describe('reading Keras 3 ops from a config', () => {
  it('by module: ops.Add with a scalar operand (dropped), ops.Any with axis and keepdims; the Add layer stays a layer', () => {
    const add = importKerasJson(kerasOp('Add', {}, ['x', 3.0])).graph;
    expect(add.nodes[1]!.config).toEqual({ kind: 'kerasOp', op: 'add', cls: 'Add' });
    expect(add.nodes[1]!.inputs).toEqual(['in']);
    expect(importKerasJson(kerasOp('NotEqual', {}, ['x', 0])).graph.nodes[1]!.config).toEqual({
      kind: 'kerasOp',
      op: 'not_equal',
      cls: 'NotEqual',
    });
    expect(importKerasJson(kerasOp('Any', { axis: -1, keepdims: false }, ['x'])).graph.nodes[1]!.config).toEqual({
      kind: 'kerasReduce',
      op: 'any',
      cls: 'Any',
      axis: [-1],
      keepdims: false,
    });
    // Keras' legacy HDF5 config drops modules; an op still carries neither dtype nor trainable.
    expect(importKerasJson(kerasOp('Multiply', {}, ['x', 0.5], { legacy: true })).graph.nodes[1]!.config.kind).toBe(
      'kerasOp',
    );
    expect(() => importKerasJson(kerasOp('Any', {}, ['x']))).toThrow(
      /layer "o" \(ops.Any\): axis None \(every axis, the batch included\) is not supported/,
    );
    expect(() => importKerasJson(kerasOp('Einsum', {}, ['x']))).toThrow(/unsupported layer class ops.Einsum/);
  });
});

/** Every shape Keras recorded for a tensor of a top-level layer, where later layers (or masks) read it. */
function recordedShapes(model: string): Map<string, unknown> {
  const shapes = new Map<string, unknown>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as { class_name?: string; config?: { shape?: unknown; keras_history?: [string, number, number] } };
      if (o.class_name === '__keras_tensor__' && o.config?.keras_history) {
        const [layer, node, tensor] = o.config.keras_history;
        if (node === 0 && tensor === 0) shapes.set(layer, o.config.shape);
      } else Object.values(v).forEach(walk);
    }
  };
  walk((kerasConfig(model).config as { layers: unknown }).layers);
  return shapes;
}

const OPS_FIXTURES = Object.keys(figures).filter((m) => (figures[m]!.config_operations ?? []).length > 0);

describe("Keras' own figures (Keras 3.15.1)", () => {
  it('the fixtures that hold ops: MobileNetV3, ConvNeXt, text_classifier', () => {
    expect(OPS_FIXTURES.sort()).toEqual([
      'convnextbase',
      'convnextlarge',
      'convnextsmall',
      'convnexttiny',
      'convnextxlarge',
      'mobilenetv3large',
      'mobilenetv3small',
      'text_classifier',
    ]);
  });

  for (const model of OPS_FIXTURES) {
    it(`${model}: each op's output has the shape Keras recorded where it is read`, () => {
      const recorded = recordedShapes(model);
      const full = fullCensus(model);
      for (const { path, class_name } of figures[model]!.config_operations!) {
        const c = 'census' in full ? full.census : isolatedCensus(model, path);
        const mine = c.layers.find((l) => l.name === path)!;
        expect(mine.type, path).toBe(`ops.${class_name}`);
        const keras = (recorded.get(path) as Array<number | null>).slice(1);
        expect(sameShape(mine.outputShape.slice(1), keras), `${model}: ${path} ${mine.outputShape} vs ${keras}`).toBe(
          true,
        );
      }
    });
  }

  fixtureTotals(new Set(), OPS_FIXTURES);
});

describe('verification by execution', () => {
  it('MobileNetV3Small (x + 3, x / 6 as ops, hard_silu) at 64x64, from its .keras and its legacy .h5', async () => {
    for (const ext of ['keras', 'h5']) {
      const { graph } = await loadModelFile(join(FIXTURES, `mobilenetv3small.${ext}`), { input: [64, 64] });
      const r = await verifyGraph(graph);
      expect(r.mismatches, ext).toEqual([]);
      expect(r.params.framework).toBe(figures.mobilenetv3small!.count_params);
    }
  });

  it("text_classifier's mask ops (NotEqual, Any), alone, as Keras wrote them", async () => {
    for (const path of ['not_equal', 'not_equal_1', 'any']) {
      const r = await verifyGraph(isolatedGraph('text_classifier', path));
      expect(r.mismatches, path).toEqual([]);
    }
  });

  it('every op: with a constant, with two tensors broadcast, and every reduction', async () => {
    const g = new GraphBuilder({ name: 'ops', description: 't', source: 'test', framework: 'keras' });
    const x = g.add('x', input([6, 5, 4]));
    const y = g.add('y', input([1, 5, 1]));
    const binary = ['add', 'subtract', 'multiply', 'divide', 'floor_divide', 'mod', 'power', 'maximum', 'minimum', 'equal', 'not_equal', 'greater', 'greater_equal', 'less', 'less_equal', 'logical_and', 'logical_or'] as const; // prettier-ignore
    const unary = ['abs', 'negative', 'square', 'sqrt', 'exp', 'log', 'sign', 'floor', 'ceil', 'round', 'reciprocal', 'logical_not'] as const; // prettier-ignore
    for (const name of binary) {
      g.add(`${name}_const`, op(name), { from: x });
      g.add(`${name}_pair`, op(name), { from: [x, y] });
    }
    for (const name of unary) g.add(name, op(name), { from: x });
    for (const name of ['any', 'all', 'sum', 'mean', 'max', 'min', 'prod'] as const) {
      g.add(`${name}_last`, { kind: 'kerasReduce', op: name, cls: name, axis: [-1], keepdims: false }, { from: x });
      g.add(`${name}_hw`, { kind: 'kerasReduce', op: name, cls: name, axis: [0, 1], keepdims: true }, { from: x });
    }
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    const shape = (n: string) => r.layers.find((l) => l.name === n)!.executedShape;
    expect([shape('not_equal_pair'), shape('any_last'), shape('sum_hw')]).toEqual([
      [1, 6, 5, 4],
      [1, 6, 5],
      [1, 1, 1, 4],
    ]);
  });
});
