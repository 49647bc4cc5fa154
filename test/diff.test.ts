/** diff and diagnostics: every delta is attributed, and the attributions add up to the total. */
import { describe, expect, it } from 'vitest';
import { ZOO, ZOO_NAMES } from '../models/index.js';
import { census } from '../src/census.js';
import { diagnose } from '../src/diagnose.js';
import { diffGraphs } from '../src/diff.js';
import { GraphBuilder } from '../src/graph.js';
import { dense } from '../src/kinds/dense.js';
import { zooModel } from '../src/resolve.js';

const sum = (r: Partial<Record<string, number>>): number => Object.values(r).reduce((s: number, v) => s + (v ?? 0), 0);

describe('diff', () => {
  it('alexnet-keras-seed -> alexnet: 25,678,184 vs 60,965,224, explained by the missing Flatten and the grouping', () => {
    const d = diffGraphs(zooModel('alexnet-keras-seed'), zooModel('alexnet'));
    expect([d.a.params, d.b.params]).toEqual([25_678_184, 60_965_224]);
    expect(d.balanced).toBe(true);
    expect(sum(d.byCause.params)).toBe(60_965_224 - 25_678_184);
    expect(Object.keys(d.byCause.params).sort()).toEqual(['fan-in', 'grouping']);
    // fc6 sees 256 inputs per position without Flatten, 9,216 with it: (9216 - 256) x 4096.
    expect(d.byCause.params['fan-in']).toBe((9216 - 256) * 4096);
    // The two-GPU split halves the weights of conv2, conv4 and conv5.
    expect(d.byCause.params.grouping).toBe(-(5 * 5 * 48 * 256 + 3 * 3 * 192 * 384 + 3 * 3 * 192 * 256));
  });
  it('alexnet-torchvision -> alexnet: 61,100,840 vs 60,965,224, explained by widths and grouping', () => {
    const d = diffGraphs(zooModel('alexnet-torchvision'), zooModel('alexnet'));
    expect([d.a.params, d.b.params]).toEqual([61_100_840, 60_965_224]);
    expect(d.balanced).toBe(true);
    expect(sum(d.byCause.params)).toBe(60_965_224 - 61_100_840);
    expect(sum(d.byCause.macs)).toBe(724_406_816 - 714_188_480);
    expect(Object.keys(d.byCause.params).sort()).toEqual(['grouping', 'widths']);
  });
  it('resnet50 under Keras vs PyTorch conventions: the whole difference is BN statistics', () => {
    const d = diffGraphs(zooModel('resnet50'), zooModel('resnet50'), { params: 'keras' });
    expect(d.delta.params).toBe(0);
    const k = census(zooModel('resnet50'), { params: 'keras' }).totals.params;
    const p = census(zooModel('resnet50'), { params: 'pytorch' }).totals.params;
    const mixed = diffGraphs({ ...zooModel('resnet50'), framework: 'keras' }, zooModel('resnet50'));
    expect(mixed.delta.params).toBe(p - k);
    expect(mixed.byCause.params).toEqual({ 'bn-statistics': p - k });
  });
  it('resnet50 (v1.5) -> resnet50-v1: same params, MACs differ by the strided 1x1 convs only', () => {
    const d = diffGraphs(zooModel('resnet50'), zooModel('resnet50-v1'));
    expect(d.delta.params).toBe(0);
    expect(d.byCause.macs).toEqual({ 'input-size': d.delta.macs });
  });
  it('every pair of zoo models balances', () => {
    for (const a of ZOO_NAMES) {
      for (const b of ['alexnet', 'vgg16', 'resnet50', 'vgg19-bn']) {
        const d = diffGraphs(zooModel(a), zooModel(b));
        expect(d.balanced, `${a} -> ${b}`).toBe(true);
      }
    }
  });
});

describe('diagnostics', () => {
  it("seed 000's model: Dense on a feature map, a Flatten is probably missing", () => {
    const d = diagnose(zooModel('alexnet-keras-seed'), { zoo: ZOO });
    expect(d[0]).toMatchObject({ code: 'dense-on-feature-map', layer: 'dense' });
    expect(d[0]!.message).toMatch(/sees 256 inputs, not 13 x 13 x 256 = 43,264/);
    expect(d[0]!.message).toMatch(/Flatten is probably missing/);
  });
  it('a Dense on tokens, or on a map that is pooled before the output, is no missing Flatten', () => {
    const model = (input: number[], pooled: boolean) => {
      const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
      g.add('in', { kind: 'input', shape: input });
      g.add('pointwise', dense(32));
      if (pooled) g.add('pool', { kind: 'globalAvgPool2d', keepDims: false });
      g.add('head', dense(10));
      return diagnose(g.build()).filter((x) => x.code === 'dense-on-feature-map');
    };
    // A transformer's or a text model's tokens, T x C.
    expect(model([17, 16], false)).toEqual([]);
    // ConvNeXt's pointwise Linear layers on a channels-last map, pooled later.
    expect(model([7, 7, 64], true)).toEqual([]);
    // The same map reaching the output: seed 000's mistake.
    expect(model([7, 7, 64], false)).toEqual([expect.objectContaining({ layer: 'pointwise' })]);
  });
  it("AlexNet's first conv at 224 does not divide evenly", () => {
    const d = diagnose(zooModel('alexnet'), { input: [224, 224] });
    expect(d[0]).toMatchObject({ code: 'uneven-stride', layer: 'conv1' });
    expect(d[0]!.message).toMatch(/\(224 - 11\) \/ 4 = 53\.25/);
    expect(diagnose(zooModel('alexnet')).filter((x) => x.code === 'uneven-stride')).toEqual([]);
  });
  it('a model that is a zoo model but for grouping is named as such', () => {
    const d = diagnose(zooModel('alexnet-onetower'), { zoo: ZOO });
    expect(d).toEqual([expect.objectContaining({ code: 'zoo-variant' })]);
    expect(d[0]!.message).toMatch(/equals zoo model "alexnet" except for grouped convolution/);
    expect(d[0]!.message).toMatch(/conv2, conv4, conv5/);
  });
  it('a model that is a zoo model but for bias and BN statistics (Keras-convention torchvision ResNet with conv biases)', () => {
    const base = zooModel('resnet18');
    const variant = {
      ...base,
      name: 'my-resnet',
      framework: 'keras' as const,
      nodes: base.nodes.map((n) => (n.config.kind === 'conv2d' ? { ...n, config: { ...n.config, bias: true } } : n)),
    };
    const d = diagnose(variant, { zoo: ZOO });
    const zoo = d.find((x) => x.code === 'zoo-variant')!;
    expect(zoo.message).toMatch(/equals zoo model "resnet18" except for/);
    expect(zoo.message).toMatch(/bias terms/);
    expect(zoo.message).toMatch(/BatchNorm moving statistics/);
  });
});
