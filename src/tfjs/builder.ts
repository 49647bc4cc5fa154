/**
 * Census graph -> tf.LayersModel (functional API). Each kind builds itself (its family file's `tfjs`);
 * one graph node becomes one tfjs layer or a short chain of them, and the builder remembers which, so
 * that verification can compare each node's executed shape and countParams() with the census.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../census.js';
import { isInput, type Graph } from '../graph.js';
import { kindSpec } from '../kinds/index.js';
import type { BuildCtx } from '../kinds/spec.js';
import { customLayer } from './custom.js';

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

export function buildTfjs(graph: Graph, infos: readonly LayerInfo[], options: BuildOptions = {}): BuiltModel {
  const kernelInitializer = options.init === 'random' ? 'glorotUniform' : 'zeros';
  const tensors = new Map<string, tf.SymbolicTensor>();
  const inputs: tf.SymbolicTensor[] = [];
  const nodes: BuiltModel['nodes'] = [];

  for (const info of infos) {
    const { node } = info;
    const layers: tf.layers.Layer[] = [];
    const ctx: BuildCtx = {
      tf,
      info,
      name: node.name,
      inputs: node.inputs.map((n) => tensors.get(n)!),
      kernelInitializer,
      use: (layer, x) => {
        layers.push(layer);
        return layer.apply(x) as tf.SymbolicTensor;
      },
      custom: customLayer,
    };
    const out = kindSpec(node.config).tfjs(node.config, ctx);
    tensors.set(node.name, out);
    if (isInput(node)) inputs.push(out);
    else nodes.push({ name: node.name, layers, output: out });
  }
  const outputs =
    options.outputs === 'final' ? graph.outputs.map((name) => tensors.get(name)!) : nodes.map((n) => n.output);
  const model = tf.model({ inputs, outputs, name: graph.name });
  return { model, nodes };
}
