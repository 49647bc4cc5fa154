/**
 * The merge family: Add, Subtract, Multiply, Average, Maximum, Minimum with Keras' broadcasting,
 * Concatenate, Dot and InceptionResNetV2's CustomScaleLayer; against Keras' shape rules, Keras' own
 * figures, and by execution.
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend.js';
import { census } from '../../src/census.js';
import { GraphBuilder, input, type Graph, type LayerConfig, type Shape } from '../../src/graph.js';
import { loadModelFile } from '../../src/importers/files.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { buildTfjs, disposeBuilt } from '../../src/tfjs/builder.js';
import { verifyGraph } from '../../src/verify.js';
import { FIXTURES, figures, fixtureTotals, perLayerFigures } from './keras-elem-figures.js';

beforeAll(async () => {
  // Native TensorFlow where it is installed: EfficientNet and InceptionResNetV2 run in a second.
  await useBackend('auto');
});

const CLASSES = new Set([
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Minimum',
  'Concatenate',
  'Dot',
  'CustomScaleLayer',
]);
const ELEMENTWISE = ['add', 'subtract', 'multiply', 'average', 'maximum', 'minimum'] as const;

/** Inputs of these shapes, all feeding one layer. */
function merged(shapes: Shape[], layer: LayerConfig): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  const ins = shapes.map((s, i) => g.add(`in${i}`, input(s)));
  g.add('m', layer, { from: ins });
  return g.build();
}
const outOf = (shapes: Shape[], layer: LayerConfig): number[] =>
  census(merged(shapes, layer)).layers.at(-1)!.outputShape;

/** A Keras 3 Functional of two inputs into one layer, as model.to_json() writes it. */
function kerasModel(shapes: number[][], cls: string, config: Record<string, unknown>) {
  const tensor = (i: number) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, ...shapes[i]!], dtype: 'float32', keras_history: [`in${i}`, 0, 0] },
  });
  return {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        ...shapes.map((s, i) => ({
          module: 'keras.layers',
          class_name: 'InputLayer',
          config: { batch_shape: [null, ...s], name: `in${i}` },
          name: `in${i}`,
          inbound_nodes: [],
        })),
        {
          module: 'keras.layers',
          class_name: cls,
          config: { name: 'm', trainable: true, dtype: 'float32', ...config },
          name: 'm',
          inbound_nodes: [{ args: [shapes.map((_, i) => tensor(i))], kwargs: {} }],
        },
      ],
      input_layers: shapes.map((_, i) => [`in${i}`, 0, 0]),
      output_layers: [['m', 0, 0]],
    },
  };
}
const read = (shapes: number[][], cls: string, config: Record<string, unknown> = {}): LayerConfig =>
  importKerasJson(kerasModel(shapes, cls, config)).graph.nodes.at(-1)!.config;

describe('elementwise merges: broadcasting as Keras (and NumPy) does', () => {
  it('stretches 1s and missing leading axes; no weights, no weight MACs', () => {
    for (const kind of ELEMENTWISE) {
      // EfficientNet's squeeze-excite: [H, W, C] x [1, 1, C].
      expect(
        outOf(
          [
            [8, 8, 4],
            [1, 1, 4],
          ],
          { kind },
        ),
        kind,
      ).toEqual([1, 8, 8, 4]);
      expect(outOf([[8, 8, 4], [4]], { kind }), kind).toEqual([1, 8, 8, 4]);
      expect(
        outOf(
          [
            [5, 1],
            [1, 6],
          ],
          { kind },
        ),
        kind,
      ).toEqual([1, 5, 6]);
      const l = census(
        merged(
          [
            [8, 8, 4],
            [1, 1, 4],
          ],
          { kind },
        ),
      ).layers.at(-1)!;
      expect([l.params, l.macs]).toEqual([0, 0]);
    }
    expect(
      outOf(
        [
          [2, 3],
          [2, 3],
          [1, 3],
        ],
        { kind: 'add' },
      ),
    ).toEqual([1, 2, 3]);
  });

  it('refuses shapes that do not broadcast, and Subtract of other than 2 inputs, naming the layer', () => {
    expect(() =>
      outOf(
        [
          [8, 8, 4],
          [8, 8, 3],
        ],
        { kind: 'add' },
      ),
    ).toThrow(/layer "m" \(add\): shapes \[8x8x4\], \[8x8x3\] do not broadcast/);
    expect(() => outOf([[4], [4], [4]], { kind: 'subtract' })).toThrow(
      /layer "m" \(subtract\): expects 2 inputs, got 3/,
    );
    expect(() => outOf([[4]], { kind: 'maximum' })).toThrow(/expects at least 2 inputs, got 1/);
  });

  it('reads every Keras merge class', () => {
    const classes = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum'];
    classes.forEach((cls, i) => expect(read([[4], [4]], cls)).toEqual({ kind: ELEMENTWISE[i] }));
  });
});

describe('Concatenate and Dot', () => {
  it('Concatenate adds sizes along any axis', () => {
    expect(
      outOf(
        [
          [8, 8, 4],
          [8, 8, 2],
        ],
        { kind: 'concat', axis: -1 },
      ),
    ).toEqual([1, 8, 8, 6]);
    expect(
      outOf(
        [
          [8, 8, 4],
          [3, 8, 4],
        ],
        { kind: 'concat', axis: 0 },
      ),
    ).toEqual([1, 11, 8, 4]);
    expect(
      read(
        [
          [8, 8, 4],
          [8, 3, 4],
        ],
        'Concatenate',
        { axis: 2 },
      ),
    ).toEqual({ kind: 'concat', axis: 1 });
    expect(() =>
      outOf(
        [
          [8, 8, 4],
          [8, 7, 4],
        ],
        { kind: 'concat', axis: -1 },
      ),
    ).toThrow(/differ outside axis -1/);
  });

  it("Dot: the first shape without its axis, then the second's ([1] when nothing is left), as Keras' compute_output_shape", () => {
    const dot = (a0: number, a1: number, normalize = false): LayerConfig => ({
      kind: 'dot',
      axes: [a0, a1],
      normalize,
    });
    expect(
      outOf(
        [
          [12, 1],
          [12, 1],
        ],
        dot(1, 1),
      ),
    ).toEqual([1, 12, 12]);
    expect(outOf([[4], [4]], dot(0, 0, true))).toEqual([1, 1]);
    expect(
      outOf(
        [
          [3, 5],
          [5, 7],
        ],
        dot(1, 0),
      ),
    ).toEqual([1, 3, 7]);
    expect(
      outOf(
        [
          [3, 5],
          [3, 7],
        ],
        dot(0, 0),
      ),
    ).toEqual([1, 5, 7]);
    expect(
      outOf(
        [
          [2, 3, 5],
          [5, 4],
        ],
        dot(-1, 0),
      ),
    ).toEqual([1, 2, 3, 4]);
    expect(
      census(
        merged(
          [
            [3, 5],
            [5, 7],
          ],
          dot(1, 0),
        ),
      ).layers.at(-1)!.macs,
    ).toBe(0);
    expect(() =>
      outOf(
        [
          [3, 5],
          [4, 7],
        ],
        dot(1, 0),
      ),
    ).toThrow(/layer "m" \(dot\): axis 1 of \[3x5\] \(5\) differs from axis 0 of \[4x7\] \(4\)/);
  });

  it("reads Keras' Dot axes (an integer or a pair, counting the batch; negative from the end) and normalize", () => {
    expect(read([[6], [6]], 'Dot', { axes: 1, normalize: true })).toEqual({
      kind: 'dot',
      axes: [0, 0],
      normalize: true,
    });
    expect(
      read(
        [
          [12, 1],
          [12, 1],
        ],
        'Dot',
        { axes: [2, 2] },
      ),
    ).toEqual({ kind: 'dot', axes: [1, 1], normalize: false });
    expect(
      read(
        [
          [3, 5],
          [5, 7],
        ],
        'Dot',
        { axes: [-1, 1] },
      ),
    ).toEqual({ kind: 'dot', axes: [-1, 0], normalize: false });
    expect(() => read([[6], [6]], 'Dot', { axes: 0 })).toThrow(/layer "m" \(Dot\): axes 0 \(the batch axis\)/);
    expect(() => read([[6], [6]], 'Dot', { axes: [1, 1, 1] })).toThrow(/axes must be an integer or a pair/);
  });

  it('CustomScaleLayer (x + scale * r) has no weights; Keras counts 0', () => {
    const c = census(
      importKerasJson(
        kerasModel(
          [
            [5, 5, 8],
            [5, 5, 8],
          ],
          'CustomScaleLayer',
          { scale: 0.17 },
        ),
      ).graph,
    );
    expect([c.layers.at(-1)!.type, c.layers.at(-1)!.params, c.layers.at(-1)!.outputShape]).toEqual([
      'CustomScaleLayer',
      0,
      [1, 5, 5, 8],
    ]);
  });
});

describe("Keras' own figures (Keras 3.15.1)", () => {
  perLayerFigures(CLASSES);
  fixtureTotals(CLASSES);
});

describe('verification by execution', () => {
  it('breadth_merge, in its three formats', async () => {
    for (const ext of ['json', 'keras', 'h5']) {
      const r = await verifyGraph((await loadModelFile(join(FIXTURES, `breadth_merge.${ext}`))).graph);
      expect(r.mismatches, ext).toEqual([]);
      expect(r.params.framework).toBe(figures.breadth_merge!.count_params);
    }
  });

  it('siamese_two_io (Subtract, Dot with normalize, a shared sub-model): every layer, every count', async () => {
    const r = await verifyGraph((await loadModelFile(join(FIXTURES, 'siamese_two_io.keras'))).graph);
    expect(r.layers.filter((l) => !l.ok)).toEqual([]);
    expect([r.params.framework, r.trainableParams.framework]).toEqual([492, 492]);
    // A shared layer's weights are released with the model (tfjs keeps a reference per call).
    expect(r.mismatches).toEqual([]);
  });

  it('EfficientNetB0 (broadcast Multiply in every squeeze-excite) at 64x64', async () => {
    const { graph } = await loadModelFile(join(FIXTURES, 'efficientnetb0.keras'));
    const r = await verifyGraph(graph, { input: [64, 64] });
    expect(r.mismatches).toEqual([]);
    expect(r.params.framework).toBe(figures.efficientnetb0!.count_params);
  });

  it('InceptionResNetV2 (40 CustomScaleLayers) at 75x75', async () => {
    const { graph } = await loadModelFile(join(FIXTURES, 'inceptionresnetv2.keras'));
    const r = await verifyGraph(graph, { input: [75, 75] });
    expect(r.mismatches).toEqual([]);
    expect(r.params.framework).toBe(figures.inceptionresnetv2!.count_params);
  });

  it('every elementwise merge broadcasting, Dot of ranks 1 to 3 (normalized too), CustomScaleLayer', async () => {
    const g = new GraphBuilder({ name: 'merges', description: 't', source: 'test', framework: 'keras' });
    const map = g.add('map', input([6, 5, 4]));
    const vec = g.add('vec', input([4]));
    const se = g.add('se', input([1, 1, 4]));
    const row = g.add('row', input([1, 5, 1]));
    const seq = g.add('seq', input([3, 5]));
    const mat = g.add('mat', input([5, 7]));
    const cube = g.add('cube', input([2, 3, 5]));
    for (const kind of ELEMENTWISE) {
      g.add(`${kind}_se`, { kind }, { from: [map, se] });
      g.add(`${kind}_vec`, { kind }, { from: [map, vec] });
      g.add(`${kind}_vec_first`, { kind }, { from: [vec, map] });
      g.add(`${kind}_row`, { kind }, { from: [row, se] });
    }
    g.add('add3', { kind: 'add' }, { from: [map, se, row] });
    g.add('dot_vec', { kind: 'dot', axes: [0, 0], normalize: true }, { from: [vec, vec] });
    g.add('dot_mat', { kind: 'dot', axes: [1, 0], normalize: false }, { from: [seq, mat] });
    g.add('dot_mat_norm', { kind: 'dot', axes: [0, 0], normalize: true }, { from: [seq, seq] });
    g.add('dot_cube', { kind: 'dot', axes: [-1, 0], normalize: false }, { from: [cube, mat] });
    g.add('dot_cube_norm', { kind: 'dot', axes: [2, 1], normalize: true }, { from: [cube, seq] });
    g.add('dot_map', { kind: 'dot', axes: [1, 2], normalize: false }, { from: [map, cube] });
    g.add('scale', { kind: 'customScale', scale: 0.5 }, { from: [map, se] });
    const r = await verifyGraph(g.build());
    expect(r.mismatches).toEqual([]);
    const shape = (n: string) => r.layers.find((l) => l.name === n)!.executedShape;
    expect(shape('multiply_vec_first')).toEqual([1, 6, 5, 4]);
    expect(shape('subtract_row')).toEqual([1, 1, 5, 4]);
    expect(shape('dot_cube')).toEqual([1, 2, 3, 7]);
    expect(shape('dot_cube_norm')).toEqual([1, 2, 3, 3]);
    expect(shape('dot_map')).toEqual([1, 6, 4, 2, 3]);
  });

  it('a merge of one tensor with itself (x * x) runs where only the final output is kept, as bench does', () => {
    // tfjs-layers' executor would free x after the merge's two reads while the Add still needs it.
    const g = new GraphBuilder({ name: 'square', description: 't', source: 'test', framework: 'keras' });
    const x = g.add('x', input([3]));
    const a = g.add('a', { kind: 'activation', fn: 'relu' }, { from: [x] });
    const sq = g.add('sq', { kind: 'multiply' }, { from: [a, a] });
    const d = g.add('d', { kind: 'activation', fn: 'relu' }, { from: [a] });
    g.add('sum', { kind: 'add' }, { from: [d, sq] });
    const graph = g.build();
    const before = tf.memory().numTensors;
    const built = buildTfjs(graph, census(graph).infos, { outputs: 'final' });
    const xs = tf.tensor([[1, 2, 3]]);
    const y = built.model.predict(xs) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([2, 6, 12]);
    tf.dispose([xs, y]);
    disposeBuilt(built);
    expect(tf.memory().numTensors).toBe(before);
  });
});
