/**
 * Runs one layer as netcensus builds it in TensorFlow.js, with random weights in Keras' layout, so its
 * numbers can be held against a plain-loop reference of the framework's documented definition.
 */
import * as tf from '@tensorflow/tfjs';
import { census } from '../../src/census.js';
import { GraphBuilder, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { buildTfjs } from '../../src/tfjs/builder.js';

/** input -> layers..., each fed by the one before. */
export function chain(shape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(shape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}

/** A seeded stream of numbers in [-1, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

export interface Ran {
  /** Output, batch first. */
  shape: number[];
  y: Float32Array;
  x: Float32Array;
  /** The layer's weights as set, in its build order (Keras' order), flat. */
  weights: Float32Array[];
}

/** Builds chain(shape, config), fills input and weights from a seeded stream, and runs one example. */
export function runLayer(shape: number[], config: LayerConfig, seed = 1): Ran {
  const graph = chain(shape, config);
  const c = census(graph);
  const built = buildTfjs(graph, c.infos, { outputs: 'final' });
  const next = seeded(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, next);
  try {
    const weights: Float32Array[] = [];
    for (const layer of built.nodes[0]!.layers) {
      const values = layer.weights.map((w) => {
        const flat = fill(w.shape.reduce<number>((a, b) => a * (b ?? 1), 1));
        weights.push(flat);
        return tf.tensor(flat, w.shape as number[]);
      });
      layer.setWeights(values);
      tf.dispose(values);
    }
    const x = fill(shape.reduce((a, b) => a * b, 1));
    const xt = tf.tensor(x, [1, ...shape]);
    const out = built.model.predict(xt) as tf.Tensor;
    const y = out.dataSync() as Float32Array;
    const result = { shape: out.shape, y: Float32Array.from(y), x, weights };
    tf.dispose([xt, out]);
    return result;
  } finally {
    built.model.dispose();
  }
}

/** Largest absolute difference, or Infinity when the lengths differ. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Row-major strides of a shape. */
export const stridesOf = (shape: readonly number[]): number[] =>
  shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));

/** Every index of a shape, in row-major order. */
export function* indices(shape: readonly number[]): Generator<number[]> {
  const total = shape.reduce((a, b) => a * b, 1);
  const st = stridesOf(shape);
  for (let flat = 0; flat < total; flat++) yield shape.map((d, i) => Math.floor(flat / st[i]!) % d);
}
