/**
 * Verification by execution on the pure-JS cpu backend (cheap and always there): numerics of the custom
 * layers against independent oracles, differential tests of census vs execution on random architectures,
 * and the tensor-leak check.
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { census } from '../src/census.js';
import { NetcensusError } from '../src/errors.js';
import {
  GraphBuilder,
  batchNorm,
  conv,
  input,
  pads,
  type Graph,
  type LayerConfig,
  type Pads,
  type AxisPads,
} from '../src/graph.js';
import { AdaptiveAvgPool2D, GroupedConv2D, Pool2DExplicit } from '../src/tfjs/custom.js';
import { verifyGraph } from '../src/verify.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const close = (a: Float32Array | number[], b: Float32Array | number[], tol = 1e-4): void => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  expect(worst).toBeLessThan(tol);
};

describe('GroupedConv2D', () => {
  it.each([
    [2, 'valid', [1, 1]],
    [4, 'same', [2, 2]],
    [3, 'same', [1, 1]],
  ] as const)(
    'groups=%i padding=%s strides=%j equals a dense conv with a block-diagonal kernel',
    async (groups, padding, strides) => {
      const [cin, cout, k] = [groups * 3, groups * 2, 3];
      const layer = new GroupedConv2D({
        filters: cout,
        kernelSize: [k, k],
        strides: [...strides] as [number, number],
        padding,
        dilationRate: [1, 1],
        groups,
        useBias: true,
        kernelInitializer: 'glorotUniform',
      });
      const x = tf.randomNormal([2, 9, 11, cin]);
      const y = layer.apply(x) as tf.Tensor;
      const [kernel, bias] = layer.getWeights();
      expect(kernel!.shape).toEqual([k, k, cin / groups, cout]);
      expect(layer.countParams()).toBe(k * k * (cin / groups) * cout + cout);
      // Block-diagonal dense kernel: group g's inputs feed only group g's outputs.
      const g = (await kernel!.array()) as number[][][][];
      const full = Array.from({ length: k }, (_, i) =>
        Array.from({ length: k }, (_, j) =>
          Array.from({ length: cin }, (_, ci) =>
            Array.from({ length: cout }, (_, co) => {
              const gi = Math.floor(ci / (cin / groups));
              const go = Math.floor(co / (cout / groups));
              return gi === go ? g[i]![j]![ci % (cin / groups)]![co]! : 0;
            }),
          ),
        ),
      );
      const ref = tf.add(
        tf.conv2d(x as tf.Tensor4D, tf.tensor4d(full), [...strides] as [number, number], padding),
        bias!,
      );
      close((await y.data()) as Float32Array, (await ref.data()) as Float32Array);
      tf.dispose([x, y, ref]);
      layer.dispose();
    },
  );
});

/** PyTorch's pooling, written out naively: the oracle for Pool2DExplicit. */
function torchPool(x: number[][], mode: 'max' | 'avg', k: number, s: number, pad: number, ceil: boolean): number[][] {
  const n = x.length;
  const outSize = (): number => {
    let o = (ceil ? Math.ceil((n + 2 * pad - k) / s) : Math.floor((n + 2 * pad - k) / s)) + 1;
    if (ceil && (o - 1) * s >= n + pad) o -= 1;
    return o;
  };
  const o = outSize();
  const out: number[][] = [];
  for (let i = 0; i < o; i++) {
    out.push([]);
    for (let j = 0; j < o; j++) {
      const [hs, ws] = [i * s - pad, j * s - pad];
      const [he, we] = [Math.min(hs + k, n + pad), Math.min(ws + k, n + pad)];
      const divisor = (he - hs) * (we - ws);
      let acc = mode === 'max' ? -Infinity : 0;
      for (let a = Math.max(hs, 0); a < Math.min(he, n); a++) {
        for (let b = Math.max(ws, 0); b < Math.min(we, n); b++)
          acc = mode === 'max' ? Math.max(acc, x[a]![b]!) : acc + x[a]![b]!;
      }
      out[i]!.push(mode === 'max' ? acc : acc / divisor);
    }
  }
  return out;
}

describe('Pool2DExplicit (PyTorch padding and ceil mode)', () => {
  it.each([
    ['max', 3, 2, 1, false, 7],
    ['max', 3, 2, 0, true, 8],
    ['avg', 3, 2, 1, true, 8],
    ['avg', 2, 2, 1, true, 5],
    ['avg', 3, 1, 1, false, 6],
  ] as const)('%s k%i s%i p%i ceil=%s on %i x %i', async (mode, k, s, pad, ceil, n) => {
    const data = Array.from({ length: n }, () => Array.from({ length: n }, () => Math.round(Math.random() * 100) / 10));
    const pads: Pads = { top: pad, bottom: pad, left: pad, right: pad };
    const layer = new Pool2DExplicit({ mode, pool: [k, k], strides: [s, s], pads, ceilMode: ceil });
    const x = tf.tensor4d(data.flat(), [1, n, n, 1]);
    const y = layer.apply(x) as tf.Tensor;
    const expected = torchPool(data, mode, k, s, pad, ceil);
    expect(y.shape).toEqual([1, expected.length, expected.length, 1]);
    close((await y.data()) as Float32Array, expected.flat());
    tf.dispose([x, y]);
  });
});

describe('AdaptiveAvgPool2D', () => {
  it.each([
    [13, 6],
    [7, 7],
    [5, 3],
    [2, 5],
  ])('%i -> %i matches torch bins [floor(i*n/o), ceil((i+1)*n/o))', async (n, o) => {
    const data = Array.from({ length: n * n }, (_, i) => i % 7);
    const x = tf.tensor4d(data, [1, n, n, 1]);
    const y = new AdaptiveAvgPool2D({ output: [o, o] }).apply(x) as tf.Tensor;
    const expected: number[] = [];
    for (let i = 0; i < o; i++) {
      for (let j = 0; j < o; j++) {
        const [hs, he, ws, we] = [
          Math.floor((i * n) / o),
          Math.ceil(((i + 1) * n) / o),
          Math.floor((j * n) / o),
          Math.ceil(((j + 1) * n) / o),
        ];
        let acc = 0;
        for (let a = hs; a < he; a++) for (let b = ws; b < we; b++) acc += data[a * n + b]!;
        expected.push(acc / ((he - hs) * (we - ws)));
      }
    }
    close((await y.data()) as Float32Array, expected);
    tf.dispose([x, y]);
  });
});

// ---- differential: random architectures, census against execution ----

const smallPadRecord = fc.record({ top: fc.nat(2), bottom: fc.nat(2), left: fc.nat(2), right: fc.nat(2) });
const smallPads = smallPadRecord.map((p): AxisPads => [
  [p.top, p.bottom],
  [p.left, p.right],
]);
const padding = fc.oneof(fc.constant('valid' as const), fc.constant('same' as const), smallPads);

/** One step of a random network; `c` is the current channel count, so groups can divide it. */
const step = (c: number): fc.Arbitrary<LayerConfig | 'residual' | 'branch'> =>
  fc.oneof(
    fc
      .record({
        g: fc.constantFrom(...[1, 2, 3, 4].filter((g) => c % g === 0)),
        m: fc.integer({ min: 1, max: 3 }),
        k: fc.integer({ min: 1, max: 4 }),
        s: fc.integer({ min: 1, max: 3 }),
        d: fc.integer({ min: 1, max: 2 }),
        padding,
        bias: fc.boolean(),
      })
      .map(({ g, m, k, s, d, padding, bias }): LayerConfig => ({
        kind: 'conv2d',
        filters: g * m,
        kernel: [k, k],
        strides: [s, s],
        padding,
        dilation: s > 1 ? [1, 1] : [d, d],
        groups: g,
        bias,
      })),
    fc
      .record({
        kind: fc.constantFrom('maxPool2d' as const, 'avgPool2d' as const),
        k: fc.integer({ min: 1, max: 3 }),
        s: fc.integer({ min: 1, max: 3 }),
        pad: fc.nat(1),
        ceil: fc.boolean(),
        same: fc.boolean(),
      })
      .map(({ kind, k, s, pad, ceil, same }): LayerConfig => ({
        kind,
        pool: [k, k],
        strides: [s, s],
        padding: same && !ceil ? 'same' : pads(pad),
        ceilMode: ceil,
      })),
    fc
      .record({ center: fc.boolean(), scale: fc.boolean() })
      .map(({ center, scale }): LayerConfig => ({ kind: 'batchNorm', epsilon: 1e-3, momentum: 0.99, center, scale })),
    fc.constantFrom<LayerConfig>(
      { kind: 'activation', fn: 'relu' },
      { kind: 'activation', fn: 'relu', maxValue: 6 },
      { kind: 'dropout', rate: 0.5 },
      { kind: 'lrn', size: 3, alpha: 1e-4, beta: 0.75, k: 2 },
    ),
    fc
      .record({ units: fc.integer({ min: 1, max: 6 }), bias: fc.boolean() })
      .map(({ units, bias }): LayerConfig => ({ kind: 'dense', units, bias })),
    smallPadRecord.map((pads): LayerConfig => ({ kind: 'zeroPad2d', pads })),
    fc
      .record({ o: fc.integer({ min: 1, max: 4 }) })
      .map(({ o }): LayerConfig => ({ kind: 'adaptiveAvgPool2d', output: [o, o] })),
    fc.constant('residual' as const),
    fc.constant('branch' as const),
  );

/** Builds a chain of random steps; 'residual' adds a shape-keeping conv and an add, 'branch' two convs and a concat. */
const architecture = fc
  .record({
    h: fc.integer({ min: 3, max: 14 }),
    w: fc.integer({ min: 3, max: 14 }),
    c: fc.integer({ min: 1, max: 6 }),
    seeds: fc.array(fc.integer({ min: 0, max: 1 << 30 }), { minLength: 1, maxLength: 6 }),
    head: fc.constantFrom('none', 'flatten', 'gap'),
  })
  .chain(({ h, w, c, seeds, head }) => {
    // Channels change as we go, so each step is drawn knowing the channel count so far.
    const go = (
      i: number,
      ch: number,
      acc: Array<LayerConfig | 'residual' | 'branch'>,
    ): fc.Arbitrary<{
      steps: Array<LayerConfig | 'residual' | 'branch'>;
      h: number;
      w: number;
      c: number;
      head: string;
    }> =>
      i === seeds.length
        ? fc.constant({ steps: acc, h, w, c, head })
        : step(ch).chain((s) => {
            const next =
              typeof s === 'string'
                ? s === 'branch'
                  ? ch * 2
                  : ch
                : s.kind === 'conv2d'
                  ? s.filters
                  : s.kind === 'dense'
                    ? s.units
                    : ch;
            return go(i + 1, next, [...acc, s]);
          });
    return go(0, c, []);
  });

function toGraph(a: {
  steps: Array<LayerConfig | 'residual' | 'branch'>;
  h: number;
  w: number;
  c: number;
  head: string;
}): Graph {
  const g = new GraphBuilder({ name: 'random', description: 'random', source: 'fast-check', framework: 'keras' });
  g.add('in', input([a.h, a.w, a.c]));
  let ch = a.c;
  a.steps.forEach((s, i) => {
    if (s === 'residual') {
      const from = g.current;
      g.add(`res${i}_conv`, conv(ch, 3, { pad: 'same' }));
      g.add(`res${i}_add`, { kind: 'add' }, { from: [from, g.current] });
    } else if (s === 'branch') {
      const from = g.current;
      const left = g.add(`br${i}_a`, conv(ch, 1), { from });
      const right = g.add(`br${i}_b`, conv(ch, 3, { pad: 'same', bias: false }), { from });
      g.add(`br${i}_cat`, { kind: 'concat', axis: -1 }, { from: [left, right] });
      ch *= 2;
    } else {
      g.add(`l${i}_${s.kind}`, s);
      if (s.kind === 'conv2d') ch = s.filters;
      if (s.kind === 'dense') ch = s.units;
    }
  });
  if (a.head === 'flatten') {
    g.add('flat', { kind: 'flatten' });
    g.add('fc', { kind: 'dense', units: 3, bias: true });
  } else if (a.head === 'gap') {
    g.add('gap', { kind: 'globalAvgPool2d', keepDims: false });
  }
  return g.build();
}

describe('differential: census shapes and params equal what execution gives', () => {
  it('on hundreds of random architectures (fixed seed)', async () => {
    let valid = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(architecture, async (a) => {
        const graph = toGraph(a);
        try {
          census(graph);
        } catch (e) {
          // Impossible shapes (a window larger than its input) must be refused cleanly, naming a layer.
          expect(e).toBeInstanceOf(NetcensusError);
          expect((e as Error).message).toMatch(/^layer "/);
          refused++;
          return;
        }
        const r = await verifyGraph(graph);
        if (!r.ok) throw new Error(`mismatch on ${JSON.stringify(a)}: ${r.mismatches.join('; ')}`);
        valid++;
      }),
      { numRuns: 400, seed: 20261122 },
    );
    expect(valid).toBeGreaterThan(150);
    expect(refused).toBeGreaterThan(0);
  });
});

describe('leaks', () => {
  it('tf.memory().numTensors returns to its baseline after verifying several models', async () => {
    const { zooModel } = await import('../src/resolve.js');
    const before = tf.memory().numTensors;
    for (const name of ['alexnet', 'resnet18', 'vgg11-bn', 'alexnet-torchvision']) {
      const r = await verifyGraph(zooModel(name), { input: [67, 67] });
      expect(r.leakedTensors, name).toBe(0);
      expect(r.ok, `${name}: ${r.mismatches.join('; ')}`).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('constant weights', () => {
  const small = (name: string, filters: number): Graph => {
    const g = new GraphBuilder({ name, description: name, source: 'test', framework: 'pytorch' });
    g.add('in', input([8, 8, 3]));
    g.add('c1', conv(filters, 3, { pad: 1 }));
    g.add('bn', batchNorm());
    g.add('c2', conv(filters, 3, { pad: 1, bias: false }));
    return g.build();
  };

  it('fills zeros and ones on the backend, or shares them by shape from a pool, and leaves no tensor behind', async () => {
    const { ConstantPool, buildTfjs } = await import('../src/tfjs/builder.js');
    const before = tf.memory().numTensors;
    const pool = new ConstantPool();
    const first = await verifyGraph(small('a', 4), { constants: pool });
    const poolAfterFirst = pool.size;
    const second = await verifyGraph(small('b', 4), { constants: pool });
    for (const r of [first, second]) {
      expect(r.ok).toBe(true);
      expect(r.leakedTensors).toBe(0);
    }
    // The second model has the same weight shapes: it takes them from the pool, adding none.
    expect(poolAfterFirst).toBeGreaterThan(0);
    expect(pool.size).toBe(poolAfterFirst);
    pool.dispose();
    expect(tf.memory().numTensors).toBe(before);

    // The weights are the initializers' values, whoever writes them.
    const c = census(small('c', 2));
    for (const options of [{}, { backendConstants: false }]) {
      const built = buildTfjs(c.graph, c.infos, options);
      const values = built.model.getWeights().map((w) => [...w.dataSync()]);
      const names = built.model.weights.map((w) => w.name);
      const gamma = values[names.findIndex((n) => /gamma/.test(n))]!;
      const variance = values[names.findIndex((n) => /moving_variance/.test(n))]!;
      expect(gamma.every((v) => v === 1) && variance.every((v) => v === 1)).toBe(true);
      for (const [k, n] of names.entries())
        if (!/gamma|variance/.test(n)) expect(values[k]!.every((v) => v === 0)).toBe(true);
      built.model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
