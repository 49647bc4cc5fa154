/** The tensor family's stored-tensor concatenation (ViT's class token), against its plain definition. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../../src/census.js';
import type { LayerConfig } from '../../src/graph.js';
import { chain, runLayer } from './layer-exec.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const token = (left: boolean, shape = [1, 4]): LayerConfig => ({ kind: 'paramConcat', axis: 0, shape, left });

describe('paramConcat', () => {
  it('joins its stored tensor to every example: shape, parameters and no weight MACs', () => {
    const c = census(chain([6, 4], token(true)));
    expect(c.layers[1]).toMatchObject({ outputShape: [1, 7, 4], params: 4, macs: 0 });
  });

  it('runs as concat(stored, x) along the axis, before or after the input', () => {
    for (const left of [true, false]) {
      const r = runLayer([3, 2], token(left, [1, 2]));
      expect(r.shape).toEqual([1, 4, 2]);
      const p = Array.from(r.weights[0]!);
      const want = left ? [...p, ...r.x] : [...r.x, ...p];
      expect(Array.from(r.y)).toEqual(want);
    }
  });

  it('refuses a stored tensor whose other axes differ from the input, naming the layer', () => {
    expect(() => census(chain([6, 4], token(true, [1, 5])))).toThrow(
      /l0.*stored \[1x5\] does not join \[6x4\] along axis 0/,
    );
  });
});
