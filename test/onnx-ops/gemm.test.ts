/**
 * Gemm and MatMul built in code. Gemm computes alpha A B' + beta C (B' = B transposed with transB): a Dense
 * of in x units weights and, when C has one value per unit, a bias. A MatMul by a stored [in, out] matrix
 * followed by an Add of a stored [out] vector is one Dense (PyTorch's Linear).
 */
import { describe, expect, it } from 'vitest';
import { load, only, weight } from './build.js';

const gemm = (w: number[], attrs: Record<string, number> = {}, c?: number[]) =>
  only({
    input: [1, 8],
    nodes: [{ op: 'Gemm', inputs: ['x', 'w', ...(c ? ['c'] : [])], attrs }],
    inits: [weight('w', w), ...(c ? [weight('c', c)] : [])],
  });

describe('ONNX Gemm', () => {
  it('B [in, out], C [out]', () => {
    const l = gemm([8, 5], {}, [5]);
    expect(l.config).toEqual({ kind: 'dense', units: 5, bias: true });
    expect(l.outputShape).toEqual([1, 5]);
    expect(l.params).toBe(8 * 5 + 5);
  });

  it('transB: B [out, in]', () => {
    const l = gemm([5, 8], { transB: 1 }, [5]);
    expect(l.config).toEqual({ kind: 'dense', units: 5, bias: true });
    expect(l.params).toBe(45);
  });

  it('without C: no bias', () => {
    expect(gemm([8, 5]).params).toBe(40);
  });

  it('transA and a C that is not one value per unit are refused', () => {
    expect(() => gemm([8, 5], { transA: 1 })).toThrow(/a Gemm with transA is not supported/);
    expect(() => gemm([8, 5], {}, [1])).toThrow(/a Gemm whose C has shape \[1\] is not supported/);
  });
});

describe('ONNX MatMul', () => {
  it('by a stored matrix, then Add of a stored vector: one Dense with its bias', () => {
    const { layers } = load({
      input: [1, 4, 8],
      nodes: [
        { op: 'MatMul', inputs: ['x', 'w'] },
        { op: 'Add', inputs: ['t0', 'b'] },
      ],
      inits: [weight('w', [8, 3]), weight('b', [3])],
    });
    expect(layers.map((l) => l.kind)).toEqual(['dense']);
    expect(layers[0]!.outputShape).toEqual([1, 4, 3]);
    expect(layers[0]!.params).toBe(8 * 3 + 3);
  });

  it('of two computed tensors: a matmul without weights', () => {
    const l = only({ input: [1, 4, 4], nodes: [{ op: 'MatMul', inputs: ['x', 'x'] }] });
    expect(l.kind).toBe('matmul');
    expect(l.outputShape).toEqual([1, 4, 4]);
    expect(l.params).toBe(0);
  });
});
