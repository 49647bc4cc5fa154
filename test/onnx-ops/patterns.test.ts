/**
 * What PyTorch's exporters write for models people bring, built in code: the same stored tensor read by two
 * nodes (one module called twice), a weight the export computes from a parameter (do_constant_folding=False),
 * a 1-element parameter, a table read at constant rows (position_ids), Where of computed tensors and IsNaN
 * (the dynamo exporter's attention). Each is checked against the rule the census must follow, then executed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/backend.js';
import { errorBudget, RTOL } from '../../src/importers/onnx/witness.js';
import { verifyGraph } from '../../src/verify.js';
import { FLOAT, INT64, load, weight } from './build.js';

const scalar = (name: string, value: number) => ({ name, dataType: FLOAT, dims: [], floatData: [value] });
const ids = (name: string, dims: number[], values: number[]) => ({ name, dataType: INT64, dims, int64Data: values });

beforeAll(async () => {
  await useBackend('cpu');
});

describe('ONNX: a stored tensor read by two nodes is one module called twice', () => {
  it('the second Gemm shares the first: parameters once, MACs twice', async () => {
    const { graph, layers } = load({
      input: [1, 8],
      nodes: [
        { op: 'Gemm', inputs: ['x', 'w', 'b'], attrs: { transB: 1 }, name: '/fc/Gemm' },
        { op: 'Relu', inputs: ['t0'] },
        { op: 'Gemm', inputs: ['t1', 'w', 'b'], attrs: { transB: 1 }, name: '/fc_1/Gemm' },
      ],
      inits: [weight('w', [8, 8]), weight('b', [8])],
    });
    const dense = layers.filter((l) => l.kind === 'dense');
    expect(dense.map((l) => [l.params, l.macs, l.sharedWith])).toEqual([
      [72, 64, undefined],
      [0, 64, 'fc'],
    ]);
    expect((await verifyGraph(graph)).mismatches).toEqual([]);
  });

  it('an equal value reached through an Identity is another module', () => {
    const { layers } = load({
      input: [1, 8],
      nodes: [
        { op: 'Identity', inputs: ['w'], outputs: ['w2'] },
        { op: 'Gemm', inputs: ['x', 'w'], attrs: { transB: 1 }, name: '/fc1/Gemm' },
        { op: 'Gemm', inputs: ['t1', 'w2'], attrs: { transB: 1 }, name: '/fc2/Gemm' },
      ],
      inits: [weight('w', [8, 8])],
    });
    expect(layers.filter((l) => l.kind === 'dense').map((l) => l.params)).toEqual([64, 64]);
  });
});

describe('ONNX: weights computed from parameters (do_constant_folding=False)', () => {
  it('a MatMul by Transpose(weight) is a Dense of that weight, its Add a bias', async () => {
    const { graph, layers } = load({
      input: [1, 4, 8],
      nodes: [
        { op: 'Transpose', inputs: ['w'], attrs: { perm: [1, 0] }, outputs: ['wt'] },
        { op: 'MatMul', inputs: ['x', 'wt'], name: '/fc/MatMul' },
        { op: 'Add', inputs: ['t1', 'b'], name: '/fc/Add' },
      ],
      inits: [weight('w', [5, 8]), weight('b', [5])],
    });
    expect(layers.map((l) => [l.kind, l.params])).toEqual([['dense', 45]]);
    expect((await verifyGraph(graph)).mismatches).toEqual([]);
  });

  it("a pruned conv's weight_orig x weight_mask: the weight's count once", () => {
    const { layers } = load({
      nodes: [
        { op: 'Mul', inputs: ['weight_orig', 'weight_mask'], outputs: ['w'] },
        { op: 'Conv', inputs: ['x', 'w'], attrs: { kernel_shape: [3, 3] }, name: '/conv/Conv' },
      ],
      inits: [weight('weight_orig', [4, 3, 3, 3]), weight('weight_mask', [4, 3, 3, 3])],
    });
    expect(layers.map((l) => [l.kind, l.params])).toEqual([['conv2d', 108]]);
  });
});

describe('ONNX: a 1-element parameter', () => {
  it('a stored [1] tensor is a parameter; a rank-0 constant and val_N are not', () => {
    const mul = (k: object) =>
      load({ input: [1, 8], nodes: [{ op: 'Mul', inputs: ['x', (k as { name: string }).name] }], inits: [k] })
        .layers[0]!;
    expect(mul({ name: 'scale', dataType: FLOAT, dims: [1], floatData: [1.5] }).params).toBe(1);
    expect(mul(scalar('scale', 1.5)).params).toBe(0);
    expect(mul({ name: 'val_3', dataType: FLOAT, dims: [1], floatData: [1.5] }).params).toBe(0);
    expect(mul({ name: 'val_4', dataType: FLOAT, dims: [1, 8], floatData: Array(8).fill(1) }).params).toBe(0);
  });
});

describe('ONNX: a stored table read at constant rows', () => {
  it('position_ids [1, 6] into a [16, 4] table: an Embedding with fixed rows, the whole table counted', async () => {
    const { graph, layers } = load({
      input: [1, 6, 4],
      nodes: [
        { op: 'Gather', inputs: ['table', 'position_ids'], name: '/pos/Gather' },
        { op: 'Add', inputs: ['x', 't0'] },
      ],
      inits: [weight('table', [16, 4]), ids('position_ids', [1, 6], [0, 1, 2, 3, 4, 5])],
    });
    expect(layers.map((l) => [l.kind, l.outputShape, l.params])).toEqual([
      ['fixedEmbedding', [1, 6, 4], 64],
      ['binary', [1, 6, 4], 0],
    ]);
    expect((await verifyGraph(graph)).mismatches).toEqual([]);
  });
});

describe('ONNX: Where of computed tensors, IsNaN', () => {
  it("dynamo's attention: Where(IsNaN(x), 0, x)", async () => {
    const { graph, layers } = load({
      input: [1, 2, 4, 4],
      nodes: [
        { op: 'Softmax', inputs: ['x'], attrs: { axis: -1 } },
        { op: 'IsNaN', inputs: ['t0'] },
        { op: 'Where', inputs: ['t1', 'zero', 't0'] },
      ],
      inits: [scalar('zero', 0)],
    });
    expect(layers.map((l) => [l.kind, l.outputShape])).toEqual([
      ['activation', [1, 2, 4, 4]],
      ['unary', [1, 2, 4, 4]],
      ['select', [1, 2, 4, 4]],
    ]);
    expect((await verifyGraph(graph)).mismatches).toEqual([]);
  });

  it('a causal mask: Where(const [1, 1, 4, 4], x, -inf)', () => {
    const mask = {
      name: 'mask',
      dataType: 9,
      dims: [1, 1, 4, 4],
      int32Data: [1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 1],
    };
    const { layers } = load({
      input: [1, 2, 4, 4],
      nodes: [{ op: 'Where', inputs: ['mask', 'x', 'neg'] }],
      inits: [mask, scalar('neg', -1e9)],
    });
    expect(layers.map((l) => [l.kind, l.outputShape, l.params])).toEqual([['select', [1, 2, 4, 4], 0]]);
  });
});

describe("ONNX Runtime witness: each tensor's tolerance follows float32 error growth", () => {
  const chain = (depth: number, extra: Array<{ op: string; inputs: string[] }> = []) =>
    load({
      input: [1, 64],
      nodes: [
        ...Array.from({ length: depth }, (_, i) => ({ op: 'MatMul', inputs: [i === 0 ? 'x' : `t${i - 1}`, 'w'] })),
        ...extra,
      ],
      inits: [weight('w', [64, 64])],
    });
  it('RTOL for a shallow net; 8 x eps x the sum of sqrt(inner axis) along the path for a deep one', () => {
    const { file } = chain(200);
    const budget = errorBudget(file, () => [1, 64]);
    expect(budget.get('t0')).toBe(RTOL);
    // 200 MatMuls of 64 terms each: 200 x sqrt(64) = 1600.
    expect(budget.get('y')).toBeCloseTo(8 * 2 ** -23 * 1600, 12);
    expect(budget.get('y')!).toBeGreaterThan(RTOL);
  });
  it('what is computed from a random draw has no tolerance: it is not compared', () => {
    const { file } = chain(1, [
      { op: 'RandomNormalLike', inputs: ['t0'] },
      { op: 'Add', inputs: ['t0', 't1'] },
    ]);
    const budget = errorBudget(file, () => [1, 64]);
    expect(budget.get('t0')).toBe(RTOL);
    expect([budget.has('y'), budget.get('y'), budget.get('t1')]).toEqual([true, undefined, undefined]);
  });
});
