/** The model zoo: every name `netcensus list` prints. */
import type { Graph } from '../src/graph.js';
import { alexnet, alexnetKerasSeed, alexnetOneTower, alexnetTorchvision } from './alexnet.js';
import { resnet101, resnet101v1, resnet152, resnet152v1, resnet18, resnet34, resnet50, resnet50v1 } from './resnet.js';
import { vgg11, vgg11Bn, vgg13, vgg13Bn, vgg16, vgg16Bn, vgg19, vgg19Bn, vggALrn, vggC } from './vgg.js';

export const ZOO: Readonly<Record<string, () => Graph>> = {
  alexnet,
  'alexnet-onetower': alexnetOneTower,
  'alexnet-torchvision': alexnetTorchvision,
  'alexnet-keras-seed': alexnetKerasSeed,
  vgg11,
  vgg13,
  vgg16,
  vgg19,
  'vgg11-bn': vgg11Bn,
  'vgg13-bn': vgg13Bn,
  'vgg16-bn': vgg16Bn,
  'vgg19-bn': vgg19Bn,
  'vgg-a-lrn': vggALrn,
  'vgg-c': vggC,
  resnet18,
  resnet34,
  resnet50,
  resnet101,
  resnet152,
  'resnet50-v1': resnet50v1,
  'resnet101-v1': resnet101v1,
  'resnet152-v1': resnet152v1,
};

export const ZOO_NAMES: readonly string[] = Object.keys(ZOO);
