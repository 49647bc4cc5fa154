/**
 * BatchNormalization, InstanceNormalization, LayerNormalization and LRN built in code, with ONNX's
 * defaults: epsilon 1e-5, BatchNormalization's momentum 0.9, LayerNormalization's axis -1, LRN's alpha
 * 1e-4, beta 0.75, bias 1. Parameters under the Keras convention: BatchNorm's gamma, beta, mean and
 * variance (the last two not trainable).
 */
import { describe, expect, it } from 'vitest';
import { only, weight } from './build.js';

describe('ONNX normalizations', () => {
  it('BatchNormalization: defaults, four stored vectors', () => {
    const l = only({
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'] }],
      inits: ['s', 'b', 'm', 'v'].map((k) => weight(k, [3])),
    });
    expect(l.config).toEqual({ kind: 'batchNorm', epsilon: 1e-5, momentum: 0.9, center: true, scale: true });
    expect(l.outputShape).toEqual([1, 8, 8, 3]);
    expect(l.params).toBe(4 * 3);
    expect(l.trainableParams).toBe(2 * 3);
  });

  it('BatchNormalization: epsilon read as the float32 decimal it is', () => {
    const l = only({
      nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], attrs: { epsilon: 0.001 } }],
      inits: ['s', 'b', 'm', 'v'].map((k) => weight(k, [3])),
    });
    expect(l.config).toMatchObject({ epsilon: 0.001 });
  });

  it('InstanceNormalization with scale and bias', () => {
    const l = only({
      nodes: [{ op: 'InstanceNormalization', inputs: ['x', 's', 'b'] }],
      inits: [weight('s', [3]), weight('b', [3])],
    });
    expect(l.config).toEqual({ kind: 'instanceNorm', epsilon: 1e-5, affine: true });
    expect(l.params).toBe(6);
  });

  it('LayerNormalization: axis -1 by default', () => {
    const l = only({
      input: [1, 4, 6],
      nodes: [{ op: 'LayerNormalization', inputs: ['x', 's', 'b'] }],
      inits: [weight('s', [6]), weight('b', [6])],
    });
    expect(l.config).toEqual({
      kind: 'layerNorm',
      axis: [1],
      epsilon: 1e-5,
      center: true,
      scale: true,
      rmsScaling: false,
    });
    expect(l.params).toBe(12);
  });

  it('LayerNormalization from axis 1: weights of the normalized shape', () => {
    const l = only({
      input: [1, 4, 6],
      nodes: [{ op: 'LayerNormalization', inputs: ['x', 's'], attrs: { axis: 1 } }],
      inits: [weight('s', [4, 6])],
    });
    expect(l.config).toMatchObject({ axis: [0, 1], center: false, scale: true });
    expect(l.params).toBe(24);
  });

  it('LRN defaults', () => {
    const l = only({ nodes: [{ op: 'LRN', inputs: ['x'], attrs: { size: 3 } }] });
    expect(l.config).toEqual({ kind: 'lrn', size: 3, alpha: 1e-4, beta: 0.75, k: 1 });
    expect(l.params).toBe(0);
  });
});
