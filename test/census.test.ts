/**
 * Census figures against published references (test/fixtures/golden, copied from the project's shared
 * golden set with its sources). Every expected number comes from a publication or a framework's own output;
 * every actual number is computed from the architecture.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { census } from '../src/census.js';
import { zooModel } from '../src/resolve.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/golden/reference.json', import.meta.url), 'utf8')) as {
  models: Record<
    string,
    {
      input: number[];
      params: number;
      macs?: number;
      weights?: number;
      biases?: number;
      layerParams?: Record<string, number>;
      neurons?: Record<string, number>;
      what?: string;
      otherTools?: Record<string, string | number>;
    }
  >;
};

/** "775.28M" -> [775.28, 1e6] */
function printed(s: string): [number, number] {
  const m = /^([\d.]+)([MG])$/.exec(s)!;
  return [Number(m[1]), m[2] === 'G' ? 1e9 : 1e6];
}

describe('golden reference figures', () => {
  for (const [name, ref] of Object.entries(golden.models)) {
    // torchvision ResNets are quoted in the PyTorch convention (BN statistics are buffers).
    const params = ref.what?.includes('PyTorch param convention') ? 'pytorch' : 'keras';
    it(`${name}: params ${ref.params}${ref.macs ? `, MACs ${ref.macs}` : ''}`, () => {
      const c = census(zooModel(name), { params });
      expect(c.input.slice(1)).toEqual(ref.input);
      expect(c.totals.params).toBe(ref.params);
      if (ref.macs !== undefined) expect(c.totals.macs).toBe(ref.macs);
      if (ref.weights !== undefined) expect(c.totals.weights).toBe(ref.weights);
      if (ref.biases !== undefined) expect(c.totals.biases).toBe(ref.biases);
      for (const [layer, p] of Object.entries(ref.layerParams ?? {})) {
        expect(c.layers.find((l) => l.name === layer)?.params, layer).toBe(p);
      }
      if (ref.neurons) {
        expect(c.byConvention.neurons.seed002).toBe(ref.neurons.seed002);
        expect(c.byConvention.neurons.seed002WithInput).toBe(ref.neurons.seed002WithInput);
      }
    });
    if (ref.otherTools) {
      it(`${name}: other tools' figures (${Object.keys(ref.otherTools).join(', ')})`, () => {
        const c = census(zooModel(name));
        const o = ref.otherTools!;
        if (o['torchinfo-1.8-mult-adds'] !== undefined)
          expect(c.byConvention.macs['torchinfo-1.8']).toBe(o['torchinfo-1.8-mult-adds']);
        const legacy = o['torch-summary-1.3-mult-adds-printed'];
        if (legacy !== undefined) {
          const [value, unit] = printed(String(legacy));
          expect((c.byConvention.macs['torch-summary-1.3'] / unit).toFixed(2)).toBe(value.toFixed(2));
        }
        const ts = c.byConvention.memory.torchSummary;
        if (o['torch-summary-1.3-input-MiB'] !== undefined)
          expect(ts.inputMiB.toFixed(2)).toBe(o['torch-summary-1.3-input-MiB']);
        if (o['torch-summary-1.3-forward-backward-MiB'] !== undefined)
          expect(ts.forwardBackwardMiB.toFixed(2)).toBe(o['torch-summary-1.3-forward-backward-MiB']);
        if (o['torch-summary-1.3-params-MiB'] !== undefined)
          expect(ts.paramsMiB.toFixed(2)).toBe(o['torch-summary-1.3-params-MiB']);
      });
    }
  }
});

describe('seed 002 tables printed by torch-summary 1.3', () => {
  // The estimated total sizes those tables print (golden README lists the parts; the totals are in seed 002).
  it.each([
    ['alexnet-torchvision', '237.43'],
    ['resnet152', '574.35'],
  ])('%s: Estimated Total Size (MB) %s', (name, total) => {
    expect(census(zooModel(name)).byConvention.memory.torchSummary.totalMiB.toFixed(2)).toBe(total);
  });
  it("the legacy mult-adds exceed the weight MACs by the containers' weight counts (AlexNet: features + classifier)", () => {
    const c = census(zooModel('alexnet-torchvision'));
    const containerWeights = c.layers.filter((l) => l.scope.includes('.')).reduce((s, l) => s + l.weights, 0);
    expect(c.byConvention.macs['torch-summary-1.3'] - c.byConvention.macs.weights).toBe(containerWeights);
  });
});

describe('VGG paper, Table 2 (millions of parameters)', () => {
  it.each([
    ['vgg11', 133],
    ['vgg-a-lrn', 133],
    ['vgg13', 133],
    ['vgg-c', 134],
    ['vgg16', 138],
    ['vgg19', 144],
  ])('%s rounds to %i M', (name, millions) => {
    expect(Math.round(census(zooModel(name)).totals.params / 1e6)).toBe(millions);
  });
});

describe('torchvision documentation figures beyond the golden set', () => {
  it.each([
    ['vgg11-bn', 132_868_840],
    ['vgg13-bn', 133_053_736],
    ['vgg16-bn', 138_365_992],
    ['vgg19-bn', 143_678_248],
    ['resnet34', 21_797_672],
    ['resnet101', 44_549_160],
  ])('%s: %i params (PyTorch convention)', (name, params) => {
    expect(census(zooModel(name), { params: 'pytorch' }).totals.params).toBe(params);
  });
  it('ResNet paper, Table 1: original bottleneck networks at 3.8 / 7.6 / 11.3 GFLOPs (multiply-adds), to 0.1 G', () => {
    // The paper rounds loosely; netcensus gives 3.86, 7.57, 11.28 G MACs for the stride-in-1x1 design.
    expect(census(zooModel('resnet50-v1')).totals.macs / 1e9).toBeCloseTo(3.86, 2);
    expect(Math.abs(census(zooModel('resnet101-v1')).totals.macs / 1e9 - 7.6)).toBeLessThan(0.05);
    expect(Math.abs(census(zooModel('resnet152-v1')).totals.macs / 1e9 - 11.3)).toBeLessThan(0.05);
  });
});

describe('conventions', () => {
  it('keras counts BN moving statistics as non-trainable; pytorch does not count them', () => {
    const k = census(zooModel('resnet50'), { params: 'keras' });
    const p = census(zooModel('resnet50'), { params: 'pytorch' });
    // torchvision's ResNet is PyTorch's: its own count is the default.
    expect(census(zooModel('resnet50')).totals).toEqual(p.totals);
    const bnChannels = k.layers
      .filter((l) => l.kind === 'batchNorm')
      .reduce((s, l) => s + l.outputShape[l.outputShape.length - 1]!, 0);
    expect(k.totals.nonTrainableParams).toBe(2 * bnChannels);
    expect(p.totals.nonTrainableParams).toBe(0);
    expect(k.totals.params - p.totals.params).toBe(2 * bnChannels);
    expect(k.totals.trainableParams).toBe(p.totals.trainableParams);
  });
  it('MACs, FLOPs and activation memory scale with the batch; params and neurons do not', () => {
    const one = census(zooModel('vgg16'));
    const eight = census(zooModel('vgg16'), { batch: 8 });
    expect(eight.totals.macs).toBe(8 * one.totals.macs);
    expect(eight.totals.flops).toBe(2 * eight.totals.macs);
    expect(eight.totals.activationBytes).toBe(8 * one.totals.activationBytes);
    expect(eight.totals.params).toBe(one.totals.params);
    expect(eight.totals.neurons).toBe(one.totals.neurons);
  });
  it('every layer figure adds up to the totals', () => {
    const c = census(zooModel('resnet18'));
    for (const key of ['params', 'macs', 'neurons', 'weights', 'biases'] as const) {
      expect(c.layers.reduce((s, l) => s + l[key], 0)).toBe(c.totals[key]);
    }
    expect(c.totals.weights + c.totals.biases).toBe(c.totals.params);
  });
  it('--input changes the spatial size (AlexNet at 224: the first conv no longer divides evenly, 54x54)', () => {
    const c = census(zooModel('alexnet'), { input: [224, 224] });
    expect(c.layers.find((l) => l.name === 'conv1')!.outputShape).toEqual([1, 54, 54, 96]);
    // No adaptive pool in the original: pool5 shrinks to 5x5, so fc6 sees 6,400 inputs instead of 9,216.
    expect(c.layers.find((l) => l.name === 'pool5')!.outputShape).toEqual([1, 5, 5, 256]);
    expect(c.layers.find((l) => l.name === 'fc6')!.params).toBe(5 * 5 * 256 * 4096 + 4096);
  });
});

describe('published figures', () => {
  it('every figure a zoo model cites either agrees with the census (exactly or as rounded) or says why not', async () => {
    const { ZOO_NAMES } = await import('../models/index.js');
    const { publishedValue } = await import('../src/published.js');
    let checked = 0;
    for (const name of ZOO_NAMES) {
      const g = zooModel(name);
      const c = census(g);
      for (const f of g.published ?? []) {
        const actual = publishedValue(c, f);
        expect(actual, `${name}: ${f.text}`).toBeDefined();
        const agrees =
          actual === f.value ||
          (f.precision !== undefined && Math.round(actual! / f.precision) * f.precision === f.value);
        if (!agrees) expect(f.why, `${name}: ${f.text} differs without a reason`).not.toBe('');
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
