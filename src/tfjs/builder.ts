/**
 * Census graph -> tf.LayersModel (functional API). One graph node becomes one tfjs layer, or a short
 * chain of them (explicit padding is a ZeroPadding2D in front), and the builder remembers which, so that
 * verification can compare each node's executed shape and countParams() with the census.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../census.js';
import { NetcensusError } from '../errors.js';
import type { Graph, LayerConfig, Padding, Pads, Pair } from '../graph.js';
import { resolvePads } from '../layers.js';
import { AdaptiveAvgPool2D, GroupedConv2D, KerasNormalization, LRN, Pool2DExplicit, tfjsActivation } from './custom.js';

export type WeightInit = 'random' | 'zeros';

export interface BuildOptions {
  /** Verification needs shapes and counts, not trained weights: zeros build fastest; random (Glorot) is for benchmarks and numerics. */
  init?: WeightInit;
  /** 'all' (verification) makes every node's output a model output, to read its executed shape; 'final' (benchmarks) only the graph's outputs. */
  outputs?: 'all' | 'final';
}

export interface BuiltModel {
  model: tf.LayersModel;
  /** For every non-input node, in graph order: its tfjs layers and the tensor that is its output. */
  nodes: Array<{ name: string; layers: tf.layers.Layer[]; output: tf.SymbolicTensor }>;
}

const samePads = (a: Pads, b: Pads): boolean =>
  a.top === b.top && a.bottom === b.bottom && a.left === b.left && a.right === b.right;
const isZero = (p: Pads): boolean => samePads(p, { top: 0, bottom: 0, left: 0, right: 0 });

type LayerOut = tf.SymbolicTensor;

export function buildTfjs(graph: Graph, infos: readonly LayerInfo[], options: BuildOptions = {}): BuiltModel {
  const kernelInitializer = options.init === 'random' ? 'glorotUniform' : 'zeros';
  const tensors = new Map<string, LayerOut>();
  const inputs: tf.SymbolicTensor[] = [];
  const nodes: BuiltModel['nodes'] = [];

  for (const info of infos) {
    const { node } = info;
    const c = node.config;
    if (c.kind === 'input') {
      const t = tf.input({ shape: [...info.outputShape], name: node.name });
      inputs.push(t);
      tensors.set(node.name, t);
      continue;
    }
    const layers: tf.layers.Layer[] = [];
    const use = (layer: tf.layers.Layer, x: LayerOut | LayerOut[]): LayerOut => {
      layers.push(layer);
      return layer.apply(x) as LayerOut;
    };
    const ins = node.inputs.map((n) => tensors.get(n)!);
    const x = ins[0]!;
    const inShape = info.inputShapes[0]!;

    /**
     * Explicit padding becomes a ZeroPadding2D in front; 'valid' and 'same' stay with the layer, and so
     * does explicit padding that equals TensorFlow's SAME padding for this input (VGG's pad 1 around a
     * 3x3 kernel): same output, one op fewer.
     */
    const padded = (padding: Padding, kernel: Pair, strides: Pair, dilation: Pair): [LayerOut, 'valid' | 'same'] => {
      if (padding === 'valid' || padding === 'same') return [x, padding];
      if (isZero(padding)) return [x, 'valid'];
      if (samePads(padding, resolvePads('same', inShape[0]!, inShape[1]!, kernel, strides, dilation)))
        return [x, 'same'];
      const pad = tf.layers.zeroPadding2d({
        padding: [
          [padding.top, padding.bottom],
          [padding.left, padding.right],
        ],
        name: `${node.name}__pad`,
      });
      return [use(pad, x), 'valid'];
    };

    const out = ((): LayerOut => {
      switch (c.kind) {
        case 'conv2d': {
          const [px, padding] = padded(c.padding, c.kernel, c.strides, c.dilation);
          const dilated = c.dilation[0] > 1 || c.dilation[1] > 1;
          const strided = c.strides[0] > 1 || c.strides[1] > 1;
          if (dilated && strided)
            throw new NetcensusError(
              `layer "${node.name}" (conv2d): TensorFlow.js cannot execute a convolution with both stride > 1 and dilation > 1`,
            );
          if (c.groups > 1) {
            return use(
              new GroupedConv2D({
                name: node.name,
                filters: c.filters,
                kernelSize: c.kernel,
                strides: c.strides,
                padding,
                dilationRate: c.dilation,
                groups: c.groups,
                useBias: c.bias,
                activation: c.activation,
                kernelInitializer,
              }),
              px,
            );
          }
          return use(
            tf.layers.conv2d({
              name: node.name,
              filters: c.filters,
              kernelSize: [...c.kernel],
              strides: [...c.strides],
              padding,
              dilationRate: [...c.dilation],
              useBias: c.bias,
              activation: tfjsActivation(c.activation) as 'linear',
              kernelInitializer,
            }),
            px,
          );
        }
        case 'depthwiseConv2d': {
          const [px, padding] = padded(c.padding, c.kernel, c.strides, c.dilation);
          return use(
            tf.layers.depthwiseConv2d({
              name: node.name,
              kernelSize: [...c.kernel],
              strides: [...c.strides],
              padding,
              dilationRate: [...c.dilation],
              depthMultiplier: c.depthMultiplier,
              useBias: c.bias,
              activation: tfjsActivation(c.activation) as 'linear',
              depthwiseInitializer: kernelInitializer,
            }),
            px,
          );
        }
        case 'separableConv2d': {
          const [px, padding] = padded(c.padding, c.kernel, c.strides, c.dilation);
          return use(
            tf.layers.separableConv2d({
              name: node.name,
              filters: c.filters,
              kernelSize: [...c.kernel],
              strides: [...c.strides],
              padding,
              dilationRate: [...c.dilation],
              depthMultiplier: c.depthMultiplier,
              useBias: c.bias,
              activation: tfjsActivation(c.activation) as 'linear',
              depthwiseInitializer: kernelInitializer,
              pointwiseInitializer: kernelInitializer,
            }),
            px,
          );
        }
        case 'dense':
          return use(
            tf.layers.dense({
              name: node.name,
              units: c.units,
              useBias: c.bias,
              activation: tfjsActivation(c.activation) as 'linear',
              kernelInitializer,
            }),
            x,
          );
        case 'maxPool2d':
        case 'avgPool2d': {
          const explicit = typeof c.padding === 'object' && !isZero(c.padding);
          if (!c.ceilMode && !explicit) {
            const args = {
              name: node.name,
              poolSize: [...c.pool] as [number, number],
              strides: [...c.strides] as [number, number],
              padding: c.padding === 'same' ? ('same' as const) : ('valid' as const),
            };
            return use(c.kind === 'maxPool2d' ? tf.layers.maxPooling2d(args) : tf.layers.averagePooling2d(args), x);
          }
          const pads = resolvePads(c.padding, inShape[0]!, inShape[1]!, c.pool, c.strides);
          return use(
            new Pool2DExplicit({
              name: node.name,
              mode: c.kind === 'maxPool2d' ? 'max' : 'avg',
              pool: c.pool,
              strides: c.strides,
              pads,
              ceilMode: c.ceilMode,
            }),
            x,
          );
        }
        case 'globalAvgPool2d':
        case 'globalMaxPool2d': {
          const pool =
            c.kind === 'globalAvgPool2d'
              ? tf.layers.globalAveragePooling2d({ name: c.keepDims ? `${node.name}__pool` : node.name })
              : tf.layers.globalMaxPooling2d({ name: c.keepDims ? `${node.name}__pool` : node.name });
          const pooled = use(pool, x);
          return c.keepDims
            ? use(tf.layers.reshape({ name: node.name, targetShape: [1, 1, inShape[2]!] }), pooled)
            : pooled;
        }
        case 'adaptiveAvgPool2d':
          return use(new AdaptiveAvgPool2D({ name: node.name, output: c.output }), x);
        case 'flatten':
          // tfjs' Flatten wants rank >= 3 with the batch; a vector is already flat.
          return inShape.length > 1
            ? use(tf.layers.flatten({ name: node.name }), x)
            : use(tf.layers.reshape({ name: node.name, targetShape: [...inShape] }), x);
        case 'reshape':
          return use(tf.layers.reshape({ name: node.name, targetShape: [...c.target] }), x);
        case 'batchNorm':
          return use(
            tf.layers.batchNormalization({
              name: node.name,
              axis: -1,
              epsilon: c.epsilon,
              momentum: c.momentum,
              center: c.center,
              scale: c.scale,
            }),
            x,
          );
        case 'activation':
          if (c.maxValue !== undefined) return use(tf.layers.reLU({ name: node.name, maxValue: c.maxValue }), x);
          return use(tf.layers.activation({ name: node.name, activation: tfjsActivation(c.fn) as 'relu' }), x);
        case 'lrn':
          return use(new LRN({ name: node.name, size: c.size, alpha: c.alpha, beta: c.beta, k: c.k }), x);
        case 'dropout':
          return use(tf.layers.dropout({ name: node.name, rate: c.rate }), x);
        case 'zeroPad2d':
          return use(
            tf.layers.zeroPadding2d({
              name: node.name,
              padding: [
                [c.pads.top, c.pads.bottom],
                [c.pads.left, c.pads.right],
              ],
            }),
            x,
          );
        case 'add':
          return use(tf.layers.add({ name: node.name }), ins);
        case 'multiply':
          return use(tf.layers.multiply({ name: node.name }), ins);
        case 'concat':
          // tfjs counts the batch as axis 0.
          return use(tf.layers.concatenate({ name: node.name, axis: c.axis < 0 ? c.axis : c.axis + 1 }), ins);
        case 'rescaling':
          return use(tf.layers.rescaling({ name: node.name, scale: c.scale, offset: c.offset }), x);
        case 'normalization':
          return use(new KerasNormalization({ name: node.name }), x);
        default:
          return unsupported(c);
      }
    })();
    tensors.set(node.name, out);
    nodes.push({ name: node.name, layers, output: out });
  }
  const outputs =
    options.outputs === 'final' ? graph.outputs.map((name) => tensors.get(name)!) : nodes.map((n) => n.output);
  const model = tf.model({ inputs, outputs, name: graph.name });
  return { model, nodes };
}

function unsupported(c: never): never {
  throw new NetcensusError(`layer kind "${(c as LayerConfig).kind}" has no TensorFlow.js builder`);
}
