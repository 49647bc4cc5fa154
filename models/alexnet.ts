/**
 * AlexNet, four ways, because "AlexNet" names four different parameter counts.
 */
import { torchSummaryLegacy, torchvisionDocs } from './published.js';
import {
  GraphBuilder,
  conv,
  dense,
  dropout,
  flatten,
  input,
  maxPool,
  relu,
  softmax,
  type Graph,
  type PublishedFigure,
} from '../src/graph.js';

/** Local response normalization as in the paper (sec. 3.3): k = 2, n = 5, alpha = 1e-4, beta = 0.75. */
const lrn = { kind: 'lrn', size: 5, alpha: 1e-4, beta: 0.75, k: 2 } as const;

/**
 * Krizhevsky, Sutskever, Hinton 2012, sec. 3.5 and Fig. 2; layer names as in Caffe's bvlc_alexnet.
 * The two-GPU split survives as groups=2 on conv2, conv4 and conv5 (kernels 5x5x48, 3x3x192, 3x3x192);
 * conv3 and the FC layers see both halves. 227 input: (227 - 11) / 4 + 1 = 55 exactly (224 does not divide).
 */
function original(name: string, groups: number, description: string): Graph {
  const g = new GraphBuilder({
    name,
    description,
    source:
      'Krizhevsky et al. 2012, "ImageNet Classification with Deep CNNs", sec. 3.5 and Fig. 2; Caffe bvlc_alexnet deploy.prototxt',
    framework: 'caffe',
  });
  g.add('data', input([227, 227, 3]));
  g.add('conv1', conv(96, 11, { stride: 4 }));
  g.add('relu1', relu);
  g.add('norm1', lrn);
  g.add('pool1', maxPool(3, 2));
  g.add('conv2', conv(256, 5, { pad: 2, groups }));
  g.add('relu2', relu);
  g.add('norm2', lrn);
  g.add('pool2', maxPool(3, 2));
  g.add('conv3', conv(384, 3, { pad: 1 }));
  g.add('relu3', relu);
  g.add('conv4', conv(384, 3, { pad: 1, groups }));
  g.add('relu4', relu);
  g.add('conv5', conv(256, 3, { pad: 1, groups }));
  g.add('relu5', relu);
  g.add('pool5', maxPool(3, 2));
  g.add('flatten', flatten);
  g.add('fc6', dense(4096));
  g.add('relu6', relu);
  g.add('drop6', dropout(0.5));
  g.add('fc7', dense(4096));
  g.add('relu7', relu);
  g.add('drop7', dropout(0.5));
  g.add('fc8', dense(1000));
  g.add('prob', softmax);
  if (groups === 2) g.published(ALEXNET_PUBLISHED);
  return g.build();
}

const ALEXNET_PUBLISHED: PublishedFigure[] = [
  {
    source: 'paper, abstract',
    text: '60 million parameters',
    value: 60_000_000,
    precision: 1e7,
    measure: { kind: 'total', key: 'params' },
    why: 'a rounded figure',
  },
  {
    source: 'seed 002 (course notes)',
    text: 'total 60,955,224 parameters',
    value: 60_955_224,
    measure: { kind: 'total', key: 'params' },
    why: 'arithmetic slip: its sum uses 4,087,000 for fc8, but 4096 x 1000 weights + 1000 biases = 4,097,000',
  },
  {
    source: 'seed 002 (course notes)',
    text: 'fc8: 4,087,000 in the sum',
    value: 4_087_000,
    measure: { kind: 'layerParams', layer: 'fc8' },
    why: 'the same slip; its own table of layers implies 4,097,000',
  },
  {
    source: 'paper, abstract',
    text: '650,000 neurons',
    value: 650_000,
    precision: 1e4,
    measure: { kind: 'neurons', convention: 'seed002' },
    why: 'a rounded figure; seed 002 counts conv and dense outputs before pooling: 659,272',
  },
  {
    source: 'seed 002 (course notes)',
    text: '813,859 neurons with the input',
    value: 813_859,
    measure: { kind: 'neurons', convention: 'seed002WithInput' },
    why: '',
  },
  {
    source: 'paper, Fig. 2 caption',
    text: 'first layer: 253,440 neurons',
    value: 253_440,
    measure: { kind: 'layerNeurons', layer: 'conv1' },
    why: 'the caption is inconsistent with sec. 3.5: 55 x 55 x 96 = 290,400; 253,440 / 96 = 2,640 is not a square number, so no square 96-channel map has that size',
  },
];

export const alexnet = (): Graph =>
  original(
    'alexnet',
    2,
    'original two-GPU AlexNet: groups=2 on conv2, conv4, conv5; LRN after conv1 and conv2; 227x227 input',
  );

export const alexnetOneTower = (): Graph =>
  original(
    'alexnet-onetower',
    1,
    'AlexNet on one GPU: the same layers without grouping (every conv sees all input channels)',
  );

/** torchvision.models.alexnet: the "one weird trick" variant (Krizhevsky 2014), 64-192-384-256-256, no LRN, adaptive pool. */
export function alexnetTorchvision(): Graph {
  const g = new GraphBuilder({
    name: 'alexnet-torchvision',
    description:
      'torchvision alexnet: 64-192-384-256-256 channels, no LRN, no grouping, AdaptiveAvgPool2d(6x6); 224x224 input',
    source: 'torchvision/models/alexnet.py; Krizhevsky 2014, "One weird trick for parallelizing CNNs"',
    framework: 'pytorch',
    channelsFirst: true,
  });
  g.classes({ '': 'AlexNet', features: 'Sequential', classifier: 'Sequential' });
  g.add('input', input([224, 224, 3]));
  g.add('features.0', conv(64, 11, { stride: 4, pad: 2 }));
  g.add('features.1', relu);
  g.add('features.2', maxPool(3, 2));
  g.add('features.3', conv(192, 5, { pad: 2 }));
  g.add('features.4', relu);
  g.add('features.5', maxPool(3, 2));
  g.add('features.6', conv(384, 3, { pad: 1 }));
  g.add('features.7', relu);
  g.add('features.8', conv(256, 3, { pad: 1 }));
  g.add('features.9', relu);
  g.add('features.10', conv(256, 3, { pad: 1 }));
  g.add('features.11', relu);
  g.add('features.12', maxPool(3, 2));
  g.add('avgpool', { kind: 'adaptiveAvgPool2d', output: [6, 6] });
  // torch.flatten in forward(), not a module.
  g.add('flatten', flatten, { functional: true });
  g.add('classifier.0', dropout(0.5));
  g.add('classifier.1', dense(4096));
  g.add('classifier.2', relu);
  g.add('classifier.3', dropout(0.5));
  g.add('classifier.4', dense(4096));
  g.add('classifier.5', relu);
  g.add('classifier.6', dense(1000));
  g.published([
    ...torchvisionDocs(61_100_840, 0.71),
    {
      source: 'torchinfo 1.8',
      text: 'Total mult-adds 714,682,664',
      value: 714_682_664,
      measure: { kind: 'macs', convention: 'torchinfo-1.8' },
      why: 'torchinfo also multiplies each conv bias by its output positions',
    },
    {
      ...torchSummaryLegacy(
        '(M): 775.28',
        775_280_000,
        'the legacy tool adds the raw weight count of the features and classifier containers again: 714,188,480 + 61,090,496',
      ),
      precision: 1e4,
    },
  ]);
  return g.build();
}

/**
 * Seed 000's Keras Sequential, exactly: no Flatten before the Dense layers (so each Dense acts on the
 * last axis of a 13x13 map) and no third pool. Keras reports 25,678,184 parameters for it.
 */
export function alexnetKerasSeed(): Graph {
  const g = new GraphBuilder({
    name: 'alexnet-keras-seed',
    description:
      "seed 000's Keras Sequential: no Flatten, no third pool, so Dense layers act on a 13x13x256 map's last axis",
    source: "seed 000 (a Keras user's AlexNet, tf.keras Sequential summary: 25,678,184 params)",
    framework: 'keras',
  });
  g.add('input_1', input([227, 227, 3]));
  g.add('conv2d', conv(96, 11, { stride: 4, activation: 'relu' }));
  g.add('max_pooling2d', maxPool(3, 2));
  g.add('conv2d_1', conv(256, 5, { pad: 'same', activation: 'relu' }));
  g.add('max_pooling2d_1', maxPool(3, 2));
  g.add('conv2d_2', conv(384, 3, { pad: 'same', activation: 'relu' }));
  g.add('conv2d_3', conv(384, 3, { pad: 'same', activation: 'relu' }));
  g.add('conv2d_4', conv(256, 3, { pad: 'same', activation: 'relu' }));
  g.add('dense', dense(4096, { activation: 'relu' }));
  g.add('dense_1', dense(4096, { activation: 'relu' }));
  g.add('dense_2', dense(1000, { activation: 'softmax' }));
  g.published([
    {
      source: 'seed 000 (Keras summary)',
      text: 'Total params: 25,678,184',
      value: 25_678_184,
      measure: { kind: 'total', key: 'params' },
      why: 'right for this model, which is not AlexNet: without Flatten, dense sees 256 inputs instead of 6 x 6 x 256 = 9,216 (and no third pool)',
    },
  ]);
  return g.build();
}
