/**
 * Reshape, Flatten, Squeeze, Unsqueeze and Transpose of tensors, built in code. A tensor not fed to a
 * spatial operator keeps ONNX's axis order; shapes are batch first (1). Per the spec, Reshape's 0 copies
 * the input's dimension and -1 takes what is left; negative axes count from the end of the (output, for
 * Unsqueeze) rank; a Transpose only changes the layout, and a reshape after it needs ONNX's order back.
 */
import { describe, expect, it } from 'vitest';
import { ints, load, only } from './build.js';

describe('ONNX Reshape and Flatten', () => {
  it('Reshape with 0 and -1: [1, 3, 4, 5] -> [1, 12, 5]', () => {
    const l = only({
      input: [1, 3, 4, 5],
      nodes: [{ op: 'Reshape', inputs: ['x', 's'] }],
      inits: [ints('s', [0, -1, 5])],
    });
    expect(l.config).toEqual({ kind: 'reshape', target: [12, 5] });
    expect(l.outputShape).toEqual([1, 12, 5]);
  });

  it('Flatten: axis defaults to 1', () => {
    const l = only({ input: [1, 3, 4, 5], nodes: [{ op: 'Flatten', inputs: ['x'] }] });
    expect(l.config).toEqual({ kind: 'reshape', target: [60] });
  });
});

describe('ONNX Squeeze and Unsqueeze', () => {
  it('Squeeze of a negative axis (opset 13: axes as an input)', () => {
    const l = only({
      input: [1, 3, 4, 1],
      opset: 13,
      nodes: [{ op: 'Squeeze', inputs: ['x', 'a'] }],
      inits: [ints('a', [-1])],
    });
    expect(l.outputShape).toEqual([1, 3, 4]);
  });

  it('Squeeze without axes drops every axis of 1 (opset 11: axes an attribute)', () => {
    const l = only({ input: [1, 3, 1, 4], opset: 11, nodes: [{ op: 'Squeeze', inputs: ['x'], attrs: { axes: [2] } }] });
    expect(l.outputShape).toEqual([1, 3, 4]);
  });

  it('Unsqueeze of -1 counts from the end of the output rank', () => {
    const l = only({
      input: [1, 3, 4],
      opset: 13,
      nodes: [{ op: 'Unsqueeze', inputs: ['x', 'a'] }],
      inits: [ints('a', [-1])],
    });
    expect(l.outputShape).toEqual([1, 3, 4, 1]);
  });
});

describe('ONNX Transpose', () => {
  it('changes the layout only; the reshape after it puts ONNX order back first', () => {
    const { graph, layers } = load({
      input: [1, 3, 4, 5],
      nodes: [
        { op: 'Transpose', inputs: ['x'], attrs: { perm: [0, 2, 1, 3] } },
        { op: 'Reshape', inputs: ['t0', 's'] },
      ],
      inits: [ints('s', [1, 60])],
    });
    expect(layers.map((l) => l.kind)).toEqual(['transpose', 'reshape']);
    expect(graph.nodes.find((n) => n.name === layers[0]!.name)!.config).toEqual({ kind: 'transpose', perm: [1, 0, 2] });
    expect(layers[0]!.outputShape).toEqual([1, 4, 3, 5]);
    expect(layers[1]!.outputShape).toEqual([1, 60]);
  });
});
