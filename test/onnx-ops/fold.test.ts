/**
 * Constants and the shape-computing subgraphs exports write, folded: Constant, ConstantOfShape, Range,
 * Cast, Shape (with a negative start), arithmetic and Concat of constants, ending in the Reshape they
 * compute. Only the Reshape (or the arithmetic with the input) is a layer.
 */
import { describe, expect, it } from 'vitest';
import { ints, only } from './build.js';

const scalar = (name: string, v: number) => ({ name, dataType: 7, dims: [], int64Data: [v] });

describe('ONNX folded constants', () => {
  it.each([
    [{}, [1, 3, 6, 10]],
    [{ exclusive: 1 }, [0, 1, 3, 6]],
    [{ reverse: 1 }, [10, 9, 7, 4]],
    [{ exclusive: 1, reverse: 1 }, [9, 7, 4, 0]],
  ])("CumSum %o of [1, 2, 3, 4] folds to %o (the ONNX spec's exclusive and reverse)", (attrs, want) => {
    const l = only({
      input: [1, 4],
      nodes: [
        { op: 'CumSum', inputs: ['v', 'axis'], attrs },
        { op: 'Add', inputs: ['x', 't0'] },
      ],
      inits: [ints('v', [1, 2, 3, 4]), scalar('axis', 0)],
    });
    expect(l.config).toMatchObject({ kind: 'constOp', op: 'add', values: want });
  });

  it.each([
    [{}, [], [1, 2, 3, 0, 5, 6, 0, 0, 9]],
    [{ upper: 0 }, [], [1, 0, 0, 4, 5, 0, 7, 8, 9]],
    [{}, [1], [0, 2, 3, 0, 0, 6, 0, 0, 0]],
    [{ upper: 0 }, [-1], [0, 0, 0, 4, 0, 0, 7, 8, 0]],
  ])("Trilu %o, k %o, of a 3x3 constant folds to %o (the ONNX spec's triangles)", (attrs, k, want) => {
    const l = only({
      input: [1, 3, 3],
      nodes: [
        { op: 'Trilu', inputs: k.length ? ['v', 'k'] : ['v'], attrs },
        { op: 'Add', inputs: ['x', 't0'] },
      ],
      inits: [{ ...ints('v', [1, 2, 3, 4, 5, 6, 7, 8, 9]), dims: [3, 3] }, ...(k.length ? [scalar('k', k[0]!)] : [])],
    });
    expect(l.config).toMatchObject({ kind: 'constOp', op: 'add', values: want });
  });

  it('Shape(x)[-1:] x 3, joined to [1]: the target [1, 12]', () => {
    const l = only({
      input: [1, 3, 4],
      nodes: [
        { op: 'Shape', inputs: ['x'], attrs: { start: -1 } },
        { op: 'Mul', inputs: ['t0', 'three'] },
        { op: 'Concat', inputs: ['one', 't1'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 't2'] },
      ],
      inits: [ints('three', [3]), ints('one', [1])],
    });
    expect(l.config).toEqual({ kind: 'reshape', target: [12] });
  });

  it('Range(1, 13, 11) is [1, 12]: ceil((13 - 1) / 11) = 2 values', () => {
    const l = only({
      input: [1, 3, 4],
      nodes: [
        { op: 'Range', inputs: ['a', 'b', 'c'] },
        { op: 'Reshape', inputs: ['x', 't0'] },
      ],
      inits: [scalar('a', 1), scalar('b', 13), scalar('c', 11)],
    });
    expect(l.outputShape).toEqual([1, 12]);
  });

  it('Cast to an integer type truncates', () => {
    const l = only({
      input: [1, 3, 4],
      nodes: [
        { op: 'Cast', inputs: ['s'], attrs: { to: 7 } },
        { op: 'Reshape', inputs: ['x', 't0'] },
      ],
      inits: [{ name: 's', dataType: 1, dims: [2], floatData: [1.9, 12.2] }],
    });
    expect(l.outputShape).toEqual([1, 12]);
  });

  it('ConstantOfShape fills with its value (0 by default, as a float)', () => {
    const l = only({
      input: [1, 3],
      nodes: [
        { op: 'ConstantOfShape', inputs: ['d'] },
        { op: 'Add', inputs: ['x', 't0'] },
      ],
      inits: [ints('d', [1])],
    });
    expect(l.config).toEqual({ kind: 'constOp', op: 'add', shape: [], values: [0], left: false });
  });

  it('Constant value_ints as a reshape target', () => {
    const l = only({
      input: [1, 3, 4],
      nodes: [
        { op: 'Constant', inputs: [], attrs: { value_ints: [1, -1] } },
        { op: 'Reshape', inputs: ['x', 't0'] },
      ],
    });
    expect(l.config).toEqual({ kind: 'reshape', target: [12] });
  });
});
