/**
 * ResNet (He et al. 2016) as torchvision defines it ("v1.5": the bottleneck's stride sits in its 3x3
 * conv; convs have no bias; projection shortcuts, option B), and the paper's original bottleneck, whose
 * stride sits in the first 1x1 conv.
 */
import { torchSummaryLegacy, torchvisionDocs } from './published.js';
import {
  GraphBuilder,
  add,
  batchNorm,
  conv,
  dense,
  flatten,
  input,
  maxPool,
  relu,
  type Graph,
  type PublishedFigure,
} from '../src/graph.js';

type Block = 'basic' | 'bottleneck';
type StrideAt = 'conv3x3' | 'conv1x1';

/** torchvision's documented figures: params (PyTorch convention) and "GFLOPS" (GMACs). */
const TORCHVISION: Record<string, [number, number]> = {
  resnet18: [11_689_512, 1.81],
  resnet34: [21_797_672, 3.66],
  resnet50: [25_557_032, 4.09],
  resnet101: [44_549_160, 7.8],
  resnet152: [60_192_808, 11.51],
};

function published(name: string): PublishedFigure[] {
  const tv = TORCHVISION[name];
  if (!tv) return [];
  const figures = torchvisionDocs(...tv);
  if (name === 'resnet152') {
    figures.push(
      torchSummaryLegacy(
        '(G): 11.63',
        11_630_000_000,
        'the legacy tool adds the raw weight count again for every enclosing container (layerN, its blocks, downsample)',
      ),
    );
  }
  return figures;
}

function resnet(
  name: string,
  block: Block,
  counts: number[],
  strideAt: StrideAt,
  source: string,
  description: string,
): Graph {
  const g = new GraphBuilder({ name, description, source, framework: 'pytorch', channelsFirst: true });
  g.published(published(name));
  g.classes({ '': 'ResNet' });
  g.add('input', input([224, 224, 3]));
  g.add('conv1', conv(64, 7, { stride: 2, pad: 3, bias: false }));
  g.add('bn1', batchNorm());
  g.add('relu', relu);
  g.add('maxpool', maxPool(3, 2, { pad: 1 }));
  const expansion = block === 'basic' ? 1 : 4;
  let inplanes = 64;
  counts.forEach((count, stage) => {
    const planes = 64 * 2 ** stage;
    for (let j = 0; j < count; j++) {
      const stride = stage > 0 && j === 0 ? 2 : 1;
      const p = `layer${stage + 1}.${j}`;
      g.classes({ [`layer${stage + 1}`]: 'Sequential', [p]: block === 'basic' ? 'BasicBlock' : 'Bottleneck' });
      const blockIn = g.current;
      // torchvision reuses one ReLU module per block; our nodes need unique names, so they keep its path as scope.
      let k = 0;
      const act = (): string => g.add(`${p}.relu${++k === 1 ? '' : k}`, relu, { scope: `${p}.relu` });
      if (block === 'basic') {
        g.add(`${p}.conv1`, conv(planes, 3, { stride, pad: 1, bias: false }));
        g.add(`${p}.bn1`, batchNorm());
        act();
        g.add(`${p}.conv2`, conv(planes, 3, { pad: 1, bias: false }));
        g.add(`${p}.bn2`, batchNorm());
      } else {
        g.add(`${p}.conv1`, conv(planes, 1, { stride: strideAt === 'conv1x1' ? stride : 1, bias: false }));
        g.add(`${p}.bn1`, batchNorm());
        act();
        g.add(`${p}.conv2`, conv(planes, 3, { stride: strideAt === 'conv3x3' ? stride : 1, pad: 1, bias: false }));
        g.add(`${p}.bn2`, batchNorm());
        act();
        g.add(`${p}.conv3`, conv(planes * expansion, 1, { bias: false }));
        g.add(`${p}.bn3`, batchNorm());
      }
      const main = g.current;
      let shortcut = blockIn;
      if (stride !== 1 || inplanes !== planes * expansion) {
        g.classes({ [`${p}.downsample`]: 'Sequential' });
        g.add(`${p}.downsample.0`, conv(planes * expansion, 1, { stride, bias: false }), { from: blockIn });
        shortcut = g.add(`${p}.downsample.1`, batchNorm());
      }
      // `out += identity` is not a module in torchvision; the node is named after its block.
      g.add(`${p}.add`, add, { from: [main, shortcut] });
      act();
      inplanes = planes * expansion;
    }
  });
  g.add('avgpool', { kind: 'adaptiveAvgPool2d', output: [1, 1] });
  // torch.flatten in forward(), not a module.
  g.add('flatten', flatten, { functional: true });
  g.add('fc', dense(1000));
  return g.build();
}

const TV = 'torchvision/models/resnet.py (v1.5: stride in the 3x3 conv); He et al. 2016, Table 1';
const PAPER =
  'He et al. 2016, "Deep Residual Learning", Table 1 and sec. 3.3 option B (stride 2 in the first 1x1 conv of the bottleneck)';
export const resnet18 = (): Graph => resnet('resnet18', 'basic', [2, 2, 2, 2], 'conv3x3', TV, 'ResNet-18, torchvision');
export const resnet34 = (): Graph => resnet('resnet34', 'basic', [3, 4, 6, 3], 'conv3x3', TV, 'ResNet-34, torchvision');
export const resnet50 = (): Graph =>
  resnet('resnet50', 'bottleneck', [3, 4, 6, 3], 'conv3x3', TV, 'ResNet-50, torchvision v1.5 (stride in the 3x3 conv)');
export const resnet101 = (): Graph =>
  resnet(
    'resnet101',
    'bottleneck',
    [3, 4, 23, 3],
    'conv3x3',
    TV,
    'ResNet-101, torchvision v1.5 (stride in the 3x3 conv)',
  );
export const resnet152 = (): Graph =>
  resnet(
    'resnet152',
    'bottleneck',
    [3, 8, 36, 3],
    'conv3x3',
    TV,
    'ResNet-152, torchvision v1.5 (stride in the 3x3 conv)',
  );
export const resnet50v1 = (): Graph =>
  resnet(
    'resnet50-v1',
    'bottleneck',
    [3, 4, 6, 3],
    'conv1x1',
    PAPER,
    'ResNet-50 as in the paper (stride in the first 1x1 conv)',
  );
export const resnet101v1 = (): Graph =>
  resnet(
    'resnet101-v1',
    'bottleneck',
    [3, 4, 23, 3],
    'conv1x1',
    PAPER,
    'ResNet-101 as in the paper (stride in the first 1x1 conv)',
  );
export const resnet152v1 = (): Graph =>
  resnet(
    'resnet152-v1',
    'bottleneck',
    [3, 8, 36, 3],
    'conv1x1',
    PAPER,
    'ResNet-152 as in the paper (stride in the first 1x1 conv)',
  );
