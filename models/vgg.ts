/**
 * VGG (Simonyan & Zisserman 2015), as torchvision defines it (module paths `features.N`, `classifier.N`),
 * plus the paper's A-LRN and C configurations from Table 1 that torchvision does not ship.
 */
import { torchSummaryLegacy, torchvisionDocs } from './published.js';
import {
  GraphBuilder,
  batchNorm,
  conv,
  dense,
  dropout,
  flatten,
  input,
  maxPool,
  relu,
  type Graph,
  type PublishedFigure,
} from '../src/graph.js';

/** A conv layer: output channels, and kernel size when not 3 (configuration C's 1x1 layers). 'M' is a 2x2/2 max pool; 'LRN' the A-LRN layer. */
type Item = number | [number, 1] | 'M' | 'LRN';

const CFG: Record<string, Item[]> = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  'A-LRN': [64, 'LRN', 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  C: [64, 64, 'M', 128, 128, 'M', 256, 256, [256, 1], 'M', 512, 512, [512, 1], 'M', 512, 512, [512, 1], 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
};

/** Simonyan & Zisserman 2015, Table 2, "Number of parameters (in millions)". */
const TABLE2: Record<string, number> = { A: 133, 'A-LRN': 133, B: 133, C: 134, D: 138, E: 144 };
/** torchvision's documented figures for the non-BN models (params, GFLOPS = GMACs). */
const TORCHVISION: Record<string, [number, number]> = {
  A: [132_863_336, 7.61],
  B: [133_047_848, 11.31],
  D: [138_357_544, 15.47],
  E: [143_667_240, 19.63],
};

function published(cfg: string, bn: boolean): PublishedFigure[] {
  const figures: PublishedFigure[] = [];
  if (!bn) {
    figures.push({
      source: 'VGG paper, Table 2',
      text: `${TABLE2[cfg]} million parameters`,
      value: TABLE2[cfg]! * 1e6,
      precision: 1e6,
      measure: { kind: 'total', key: 'params' },
      why: '',
    });
    const tv = TORCHVISION[cfg];
    if (tv) figures.push(...torchvisionDocs(...tv));
  }
  if (cfg === 'E' && !bn) {
    figures.push(
      torchSummaryLegacy(
        '(G): 19.78',
        19_780_000_000,
        'the legacy tool adds the raw weight count of the features and classifier containers again',
      ),
    );
  }
  return figures;
}

function vgg(name: string, cfg: keyof typeof CFG, bn: boolean, source: string): Graph {
  const g = new GraphBuilder({
    name,
    description: `VGG configuration ${cfg}${bn ? ' with BatchNorm after every conv' : ''}; 224x224 input`,
    source,
    framework: 'pytorch',
    channelsFirst: true,
  });
  g.classes({ '': 'VGG', features: 'Sequential', classifier: 'Sequential' });
  g.add('input', input([224, 224, 3]));
  let i = 0;
  const f = (): string => `features.${i++}`;
  for (const item of CFG[cfg]!) {
    if (item === 'M') g.add(f(), maxPool(2, 2));
    else if (item === 'LRN') g.add(f(), { kind: 'lrn', size: 5, alpha: 1e-4, beta: 0.75, k: 2 });
    else {
      const [filters, k] = typeof item === 'number' ? [item, 3] : item;
      g.add(f(), conv(filters, k, { pad: k === 3 ? 1 : 0 }));
      if (bn) g.add(f(), batchNorm());
      g.add(f(), relu);
    }
  }
  // torchvision pools to 7x7 whatever the input; at 224 it is the identity.
  g.add('avgpool', { kind: 'adaptiveAvgPool2d', output: [7, 7] });
  // torch.flatten in forward(), not a module.
  g.add('flatten', flatten, { functional: true });
  g.add('classifier.0', dense(4096));
  g.add('classifier.1', relu);
  g.add('classifier.2', dropout(0.5));
  g.add('classifier.3', dense(4096));
  g.add('classifier.4', relu);
  g.add('classifier.5', dropout(0.5));
  g.add('classifier.6', dense(1000));
  g.published(published(cfg, bn));
  return g.build();
}

const TV = 'torchvision/models/vgg.py; Simonyan & Zisserman 2015, Table 1 column';
export const vgg11 = (): Graph => vgg('vgg11', 'A', false, `${TV} A`);
export const vgg13 = (): Graph => vgg('vgg13', 'B', false, `${TV} B`);
export const vgg16 = (): Graph => vgg('vgg16', 'D', false, `${TV} D`);
export const vgg19 = (): Graph => vgg('vgg19', 'E', false, `${TV} E`);
export const vgg11Bn = (): Graph => vgg('vgg11-bn', 'A', true, `${TV} A, torchvision vgg11_bn`);
export const vgg13Bn = (): Graph => vgg('vgg13-bn', 'B', true, `${TV} B, torchvision vgg13_bn`);
export const vgg16Bn = (): Graph => vgg('vgg16-bn', 'D', true, `${TV} D, torchvision vgg16_bn`);
export const vgg19Bn = (): Graph => vgg('vgg19-bn', 'E', true, `${TV} E, torchvision vgg19_bn`);
export const vggALrn = (): Graph =>
  vgg(
    'vgg-a-lrn',
    'A-LRN',
    false,
    'Simonyan & Zisserman 2015, Table 1 column A-LRN (LRN after the first conv, as in AlexNet)',
  );
export const vggC = (): Graph =>
  vgg('vgg-c', 'C', false, 'Simonyan & Zisserman 2015, Table 1 column C (1x1 convs end stages 3 to 5)');
