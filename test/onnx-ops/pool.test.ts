/**
 * MaxPool, AveragePool and the global pools built in code. ONNX's output size: floor (ceil with
 * ceil_mode) of (in + pad_begin + pad_end - k) / stride, plus 1; strides default to 1, pads to 0,
 * count_include_pad to 0. Shapes are batch first (1), then channels-last. Pools hold no parameters.
 */
import { describe, expect, it } from 'vitest';
import { only } from './build.js';

const pool = (op: string, attrs: Record<string, number | number[] | string>, input = [1, 3, 8, 8]) =>
  only({ input, nodes: [{ op, inputs: ['x'], attrs }] });

describe('ONNX MaxPool and AveragePool', () => {
  it('MaxPool 2x2 / 2', () => {
    const l = pool('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] });
    expect(l.config).toEqual({
      kind: 'maxPool2d',
      pool: [2, 2],
      strides: [2, 2],
      padding: [
        [0, 0],
        [0, 0],
      ],
      ceilMode: false,
    });
    expect(l.outputShape).toEqual([1, 4, 4, 3]);
    expect(l.params).toBe(0);
  });

  it('strides default to 1', () => {
    expect(pool('MaxPool', { kernel_shape: [3, 3] }).outputShape).toEqual([1, 6, 6, 3]);
  });

  it('AveragePool with pads: count_include_pad defaults to 0', () => {
    const l = pool('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(l.config).toMatchObject({ kind: 'avgPool2d', countIncludePad: false });
    expect(l.outputShape).toEqual([1, 4, 4, 3]); // floor((8 + 2 - 3) / 2) + 1
    expect(pool('AveragePool', { kernel_shape: [3, 3], count_include_pad: 1 }).config).toMatchObject({
      countIncludePad: true,
    });
  });

  it('ceil_mode: ceil((8 - 3) / 2) + 1 = 4, where floor gives 3', () => {
    expect(pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2] }).outputShape).toEqual([1, 3, 3, 3]);
    const l = pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 });
    expect(l.config).toMatchObject({ ceilMode: true });
    expect(l.outputShape).toEqual([1, 4, 4, 3]);
  });

  it('auto_pad SAME_UPPER and SAME_LOWER', () => {
    const upper = pool('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' });
    expect(upper.config).toMatchObject({ padding: 'same' });
    expect(upper.outputShape).toEqual([1, 4, 4, 3]);
    // k 2, stride 1: one pad in all, before.
    const lower = pool('AveragePool', { kernel_shape: [2, 2], auto_pad: 'SAME_LOWER' });
    expect(lower.config).toMatchObject({
      padding: [
        [1, 0],
        [1, 0],
      ],
    });
    expect(lower.outputShape).toEqual([1, 8, 8, 3]);
  });

  it('1-D: per-axis pads', () => {
    const l = pool('MaxPool', { kernel_shape: [3], strides: [3] }, [1, 3, 10]);
    expect(l.config).toEqual({ kind: 'maxPool1d', pool: [3], strides: [3], padding: [[0, 0]], ceilMode: false });
    expect(l.outputShape).toEqual([1, 3, 3]); // floor((10 - 3) / 3) + 1
  });

  it('a dilated pool is refused', () => {
    expect(() => pool('MaxPool', { kernel_shape: [2, 2], dilations: [2, 2] })).toThrow(
      /a dilated MaxPool is not supported/,
    );
  });
});

describe('ONNX global pools', () => {
  it('keep their spatial axes as 1', () => {
    const avg = pool('GlobalAveragePool', {});
    expect(avg.config).toEqual({ kind: 'globalAvgPool2d', keepDims: true });
    expect(avg.outputShape).toEqual([1, 1, 1, 3]);
    expect(pool('GlobalMaxPool', {}, [1, 3, 10]).config).toEqual({ kind: 'globalMaxPool1d', keepDims: true });
  });
});
