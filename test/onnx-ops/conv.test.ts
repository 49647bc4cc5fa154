/**
 * Conv and ConvTranspose nodes built in code. Expected sizes from the ONNX spec: Conv's output is
 * floor((in + pad_begin + pad_end - dilation x (k - 1) - 1) / stride) + 1; SAME_UPPER and SAME_LOWER give
 * ceil(in / stride), the odd pad after (UPPER) or before (LOWER); ConvTranspose's output is
 * stride x (in - 1) + output_padding + dilation x (k - 1) + 1 - pad_begin - pad_end. Parameters:
 * cout x cin / group x prod(k) + cout (bias). Shapes are batch first (1), then channels-last.
 */
import { describe, expect, it } from 'vitest';
import { load, only, weight } from './build.js';

const conv = (
  wDims: number[],
  attrs: Record<string, number | number[] | string> = {},
  bias = true,
  input = [1, 3, 8, 8],
) =>
  only({
    input,
    nodes: [{ op: 'Conv', inputs: ['x', 'w', ...(bias ? ['b'] : [])], attrs }],
    inits: [weight('w', wDims), ...(bias ? [weight('b', [wDims[0]!])] : [])],
  });

describe('ONNX Conv', () => {
  it('defaults: no padding, stride 1, dilation 1, one group', () => {
    const l = conv([4, 3, 3, 3]);
    expect(l.kind).toBe('conv2d');
    expect(l.config).toEqual({
      kind: 'conv2d',
      filters: 4,
      groups: 1,
      kernel: [3, 3],
      strides: [1, 1],
      padding: [
        [0, 0],
        [0, 0],
      ],
      dilation: [1, 1],
      bias: true,
    });
    expect(l.outputShape).toEqual([1, 6, 6, 4]); // floor((8 - 2 - 1) / 1) + 1
    expect(l.params).toBe(4 * 3 * 9 + 4);
  });

  it('explicit pads and strides', () => {
    const l = conv([4, 3, 3, 3], { pads: [1, 1, 1, 1], strides: [2, 2] });
    expect(l.outputShape).toEqual([1, 4, 4, 4]); // floor((8 + 2 - 2 - 1) / 2) + 1
  });

  it('auto_pad SAME_UPPER is SAME: ceil(in / stride)', () => {
    const l = conv([4, 3, 3, 3], { auto_pad: 'SAME_UPPER', strides: [2, 2] });
    expect(l.config).toMatchObject({ padding: 'same' });
    expect(l.outputShape).toEqual([1, 4, 4, 4]);
  });

  it('auto_pad SAME_LOWER puts the odd pad before', () => {
    // k 2, stride 1 on 8: total pad (8 - 1) x 1 + 2 - 8 = 1, all of it before.
    const l = conv([4, 3, 2, 2], { auto_pad: 'SAME_LOWER' });
    expect(l.config).toMatchObject({
      padding: [
        [1, 0],
        [1, 0],
      ],
    });
    expect(l.outputShape).toEqual([1, 8, 8, 4]);
    expect(l.params).toBe(4 * 3 * 4 + 4);
  });

  it('auto_pad SAME_LOWER with stride 2 and dilation: total (ceil(8/2) - 1) x 2 + 2 x 2 + 1 - 8 = 3, 2 before', () => {
    const l = conv([4, 3, 3, 3], { auto_pad: 'SAME_LOWER', strides: [2, 2], dilations: [2, 2] });
    expect(l.config).toMatchObject({
      padding: [
        [2, 1],
        [2, 1],
      ],
    });
    expect(l.outputShape).toEqual([1, 4, 4, 4]);
  });

  it('auto_pad VALID is no padding', () => {
    const l = conv([4, 3, 3, 3], { auto_pad: 'VALID', pads: [5, 5, 5, 5] });
    expect(l.outputShape).toEqual([1, 6, 6, 4]);
  });

  it('dilations', () => {
    const l = conv([4, 3, 3, 3], { dilations: [2, 2] });
    expect(l.outputShape).toEqual([1, 4, 4, 4]); // floor((8 - 2 x 2 - 1) / 1) + 1
    expect(l.config).toMatchObject({ dilation: [2, 2] });
  });

  it('groups: weights [cout, cin / group, k, k]', () => {
    const l = conv([6, 2, 3, 3], { group: 2 }, true, [1, 4, 8, 8]);
    expect(l.config).toMatchObject({ kind: 'conv2d', filters: 6, groups: 2 });
    expect(l.params).toBe(6 * (4 / 2) * 9 + 6);
  });

  it('one group per input channel is depthwise, and its weight source says so', () => {
    const { graph, file, layers } = load({
      input: [1, 4, 8, 8],
      nodes: [{ op: 'Conv', inputs: ['x', 'w', 'b'], attrs: { group: 4, pads: [1, 1, 1, 1] } }],
      inits: [weight('w', [8, 1, 3, 3]), weight('b', [8])],
    });
    const l = layers.find((x) => x.kind === 'depthwiseConv2d')!;
    expect(graph.nodes.find((n) => n.name === l.name)!.config).toMatchObject({ depthMultiplier: 2 });
    expect(l.outputShape).toEqual([1, 8, 8, 8]);
    expect(l.params).toBe(8 * 1 * 9 + 8);
    expect(file.imported.weights.get(l.name)).toMatchObject({
      op: 'DepthwiseConv',
      depthwise: { channels: 4, multiplier: 2 },
    });
  });

  it('weights that do not fit the input channels and groups are refused', () => {
    expect(() => conv([6, 3, 3, 3], { group: 2 }, true, [1, 4, 8, 8])).toThrow(
      /a Conv with 4 input channels and weights for 3 x 2 groups is not supported/,
    );
  });

  it('1-D: explicit per-axis pads, no bias', () => {
    const l = conv([5, 3, 3], { pads: [2, 0], strides: [2] }, false, [1, 3, 10]);
    expect(l.config).toEqual({
      kind: 'conv1d',
      filters: 5,
      kernel: [3],
      strides: [2],
      padding: [[2, 0]],
      dilation: [1],
      groups: 1,
      bias: false,
    });
    expect(l.outputShape).toEqual([1, 5, 5]); // floor((10 + 2 - 2 - 1) / 2) + 1
    expect(l.params).toBe(5 * 3 * 3);
  });

  it('3-D', () => {
    const l = conv([3, 2, 1, 3, 3], {}, false, [1, 2, 4, 6, 6]);
    expect(l.kind).toBe('conv3d');
    expect(l.outputShape).toEqual([1, 4, 4, 4, 3]);
    expect(l.params).toBe(3 * 2 * 9);
  });
});

describe('ONNX ConvTranspose', () => {
  const deconv = (attrs: Record<string, number | number[] | string>) =>
    only({
      input: [1, 4, 5, 5],
      nodes: [{ op: 'ConvTranspose', inputs: ['x', 'w', 'b'], attrs }],
      // [cin, cout / group, k, k]
      inits: [weight('w', [4, 2, 3, 3]), weight('b', [2])],
    });

  it('stride 2: 2 x (5 - 1) + 3 = 11', () => {
    const l = deconv({ strides: [2, 2] });
    expect(l.config).toMatchObject({
      kind: 'conv2dTranspose',
      filters: 2,
      groups: 1,
      padding: [
        [0, 0],
        [0, 0],
      ],
    });
    expect(l.outputShape).toEqual([1, 11, 11, 2]);
    expect(l.params).toBe(4 * 2 * 9 + 2);
  });

  it('pads and output_padding: 2 x 4 + 1 + 3 - 2 = 10', () => {
    const l = deconv({ strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] });
    expect(l.outputShape).toEqual([1, 10, 10, 2]);
  });

  it('SAME_LOWER is refused', () => {
    expect(() => deconv({ auto_pad: 'SAME_LOWER' })).toThrow(
      /a ConvTranspose with auto_pad SAME_LOWER is not supported/,
    );
  });
});
