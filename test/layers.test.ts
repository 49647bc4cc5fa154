/** Shape rules of individual layer kinds, checked against the frameworks' documented formulas. */
import { describe, expect, it } from 'vitest';
import { census, inferLayers } from '../src/census.js';
import { NetcensusError, ShapeError } from '../src/errors.js';
import {
  GraphBuilder,
  avgPool,
  conv,
  dense,
  flatten,
  input,
  maxPool,
  type Graph,
  type LayerConfig,
} from '../src/graph.js';

function chain(inputShape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(inputShape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}
const outShape = (g: Graph): readonly number[] => inferLayers(g).at(-1)!.outputShape;

describe('conv2d', () => {
  it('valid: floor((in - k) / s) + 1', () =>
    expect(outShape(chain([227, 227, 3], conv(96, 11, { stride: 4 })))).toEqual([55, 55, 96]));
  it('same: ceil(in / s), TensorFlow semantics', () =>
    expect(outShape(chain([33, 33, 3], conv(8, 3, { stride: 2, pad: 'same' })))).toEqual([17, 17, 8]));
  it('explicit padding and dilation', () =>
    expect(outShape(chain([32, 32, 3], conv(8, 3, { pad: 2, dilation: 2 })))).toEqual([32, 32, 8]));
  it('grouped weights are [kh, kw, cin/groups, cout] plus bias', () => {
    const info = inferLayers(chain([27, 27, 96], conv(256, 5, { pad: 2, groups: 2 }))).at(-1)!;
    expect(info.weights.map((w) => w.shape)).toEqual([[5, 5, 48, 256], [256]]);
    expect(info.macs).toBe(27 * 27 * 256 * 48 * 25);
  });
  it('refuses a kernel larger than its input, naming the layer', () => {
    expect(() => inferLayers(chain([5, 5, 3], conv(8, 7)))).toThrow(
      /layer "l0" \(conv2d\): kernel 7 is larger than its input height 5/,
    );
  });
  it('refuses channels not divisible by groups', () => {
    expect(() => inferLayers(chain([8, 8, 3], conv(8, 3, { groups: 2 })))).toThrow(
      /input channels 3 are not divisible by groups 2/,
    );
  });
  it('refuses non-positive sizes', () => {
    expect(() => inferLayers(chain([8, 8, 3], conv(0, 3)))).toThrow(ShapeError);
    expect(() => inferLayers(chain([8, 8, 3], conv(4, 3, { stride: 0 })))).toThrow(/stride must be a positive integer/);
  });
});

describe('pooling', () => {
  it('floor mode (Keras, TensorFlow): 112 -> 55 with 3/2', () =>
    expect(outShape(chain([112, 112, 8], maxPool(3, 2)))).toEqual([55, 55, 8]));
  it('ceil mode (Caffe, PyTorch): 112 -> 56 with 3/2', () =>
    expect(outShape(chain([112, 112, 8], maxPool(3, 2, { ceil: true })))).toEqual([56, 56, 8]));
  it('ceil mode drops a window that would start in the padding', () => {
    // PyTorch: in 5, k 2, s 2, pad 1, ceil -> ceil((5+2-2)/2)+1 = 4, and (4-1)*2 = 6 >= 5+1, so 3.
    expect(outShape(chain([5, 5, 1], maxPool(2, 2, { pad: 1, ceil: true })))).toEqual([3, 3, 1]);
  });
  it('average pool with padding', () =>
    expect(outShape(chain([7, 7, 4], avgPool(3, 1, { pad: 1 })))).toEqual([7, 7, 4]));
  it('adaptive average pool to a fixed size', () =>
    expect(outShape(chain([13, 13, 4], { kind: 'adaptiveAvgPool2d', output: [6, 6] }))).toEqual([6, 6, 4]));
});

describe('dense', () => {
  it('acts on the last axis of a rank-4 input, as Keras does', () => {
    const info = inferLayers(chain([13, 13, 256], dense(4096))).at(-1)!;
    expect(info.outputShape).toEqual([13, 13, 4096]);
    expect(info.weights.map((w) => w.shape)).toEqual([[256, 4096], [4096]]);
    expect(info.macs).toBe(13 * 13 * 256 * 4096);
  });
  it('after Flatten it sees every element', () => {
    const c = census(chain([6, 6, 256], flatten, dense(4096)));
    expect(c.totals.params).toBe(9216 * 4096 + 4096);
  });
});

describe('graph checks', () => {
  const base = { name: 't', description: '', source: '', framework: 'keras' as const };
  it('duplicate names', () => {
    const g: Graph = {
      ...base,
      outputs: ['a'],
      nodes: [
        { name: 'a', scope: 'a', config: input([4, 4, 1]), inputs: [] },
        { name: 'a', scope: 'a', config: flatten, inputs: ['a'] },
      ],
    };
    expect(() => inferLayers(g)).toThrow(/duplicate layer name "a"/);
  });
  it('dangling references', () => {
    const g: Graph = {
      ...base,
      outputs: ['b'],
      nodes: [
        { name: 'a', scope: 'a', config: input([4, 4, 1]), inputs: [] },
        { name: 'b', scope: 'b', config: flatten, inputs: ['zz'] },
      ],
    };
    expect(() => inferLayers(g)).toThrow(/layer "b" refers to unknown input layer "zz"/);
  });
  it('cycles', () => {
    const g: Graph = {
      ...base,
      outputs: ['c'],
      nodes: [
        { name: 'a', scope: 'a', config: input([4, 4, 1]), inputs: [] },
        { name: 'b', scope: 'b', config: { kind: 'add' }, inputs: ['a', 'c'] },
        { name: 'c', scope: 'c', config: { kind: 'activation', fn: 'relu' }, inputs: ['b'] },
      ],
    };
    expect(() => inferLayers(g)).toThrow(/cycle/);
  });
  it('figures beyond 2^53 are refused, not rounded', () => {
    expect(() =>
      census(chain([1_000_000, 1_000_000, 3], conv(4096, 3, { pad: 1 }), conv(4096, 3, { pad: 1 })), {
        batch: 1_000_000,
      }),
    ).toThrow(NetcensusError);
  });
});
