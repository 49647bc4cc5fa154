/**
 * Census graph -> tf.LayersModel (functional API). Each kind builds itself (its family file's `tfjs`);
 * one graph node becomes one tfjs layer or a short chain of them, and the builder remembers which, so
 * that verification can compare each node's executed shapes and countParams() with the census. A shared
 * layer's later calls apply the first call's layers again, so its weights exist once, as in Keras.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo } from '../census.js';
import { NetcensusError } from '../errors.js';
import { isInput, parseRef, type Graph } from '../graph.js';
import { kindSpec } from '../kinds/index.js';
import type { BuildCtx } from '../kinds/spec.js';
import { customLayer, registerCustomLayers } from './custom.js';

export type WeightInit = 'random' | 'zeros';

export interface BuildOptions {
  /** Verification needs shapes and counts, not trained weights: zeros build fastest; random (Glorot) is for benchmarks and numerics. */
  init?: WeightInit;
  /** 'all' (verification) makes every node's output a model output, to read its executed shape; 'final' (benchmarks) only the graph's outputs. */
  outputs?: 'all' | 'final';
}

export interface BuiltNode {
  name: string;
  /** The tfjs layers this node owns (none for a shared layer's later call). */
  layers: tf.layers.Layer[];
  /** Its first output. */
  output: tf.SymbolicTensor;
  outputs: tf.SymbolicTensor[];
}

export interface BuiltModel {
  model: tf.LayersModel;
  /** Layers applied more than once (a shared layer's later calls): tfjs counts a reference per call. */
  shared: tf.layers.Layer[];
  /** For every non-input node, in graph order. With outputs 'all', the model's outputs are their outputs, flattened. */
  nodes: BuiltNode[];
}

/**
 * tfjs-layers' executor counts a tensor's consumers once per layer but releases it once per input, so a
 * layer that takes one tensor twice (x * x) frees it while later layers still need it: each repeat goes
 * through this copy, which shares the data.
 */
const inputCopy = (t: typeof tf) =>
  class InputCopy extends t.layers.Layer {
    static className = 'NetcensusInputCopy';
    override call(x: tf.Tensor | tf.Tensor[]): tf.Tensor {
      return t.clone(Array.isArray(x) ? x[0]! : x);
    }
  };

export function buildTfjs(graph: Graph, infos: readonly LayerInfo[], options: BuildOptions = {}): BuiltModel {
  // tfjs-layers resolves an activation name (Dense(activation: 'hard_silu')) through the same registry as
  // layer classes: the kinds' custom classes, activations included, are registered before any layer is made.
  registerCustomLayers();
  const kernelInitializer = options.init === 'random' ? 'glorotUniform' : 'zeros';
  const tensors = new Map<string, tf.SymbolicTensor[]>();
  const owned = new Map<string, tf.layers.Layer[]>();
  const inputs: tf.SymbolicTensor[] = [];
  const nodes: BuiltNode[] = [];
  const shared = new Set<tf.layers.Layer>();
  const has = (name: string): boolean => tensors.has(name);
  const tensor = (ref: string): tf.SymbolicTensor => {
    const { node, index } = parseRef(ref, has);
    return tensors.get(node)![index]!;
  };

  for (const info of infos) {
    const { node } = info;
    const layers: tf.layers.Layer[] = [];
    // A later call of a shared layer replays the first call's layers, in the order its build used them.
    const reuse = node.sharedWith === undefined ? undefined : owned.get(node.sharedWith);
    let replayed = 0;
    const inputTensors = node.inputs.map((ref, i) => {
      const x = tensor(ref);
      if (node.inputs.indexOf(ref) === i) return x;
      const copy = new (customLayer(inputCopy))({ name: `${node.name}__input${i}` });
      layers.push(copy);
      return copy.apply(x) as tf.SymbolicTensor;
    });
    const ctx: BuildCtx = {
      tf,
      info,
      name: node.name,
      inputs: inputTensors,
      kernelInitializer,
      use: (layer, x) => {
        if (reuse) {
          const original = reuse[replayed++];
          if (!original)
            throw new NetcensusError(
              `layer "${node.name}": its shared layer "${node.sharedWith}" was built differently`,
            );
          shared.add(original);
          return original.apply(x) as tf.SymbolicTensor;
        }
        layers.push(layer);
        return layer.apply(x) as tf.SymbolicTensor;
      },
      custom: customLayer,
    };
    const built = kindSpec(node.config).tfjs(node.config, ctx);
    const outs = Array.isArray(built) ? built : [built];
    if (node.trainable === false) for (const l of layers) l.trainable = false;
    tensors.set(node.name, outs);
    owned.set(node.name, layers);
    if (isInput(node)) inputs.push(outs[0]!);
    else nodes.push({ name: node.name, layers, output: outs[0]!, outputs: outs });
  }
  const outputs = options.outputs === 'final' ? graph.outputs.map(tensor) : nodes.flatMap((n) => n.outputs);
  const model = tf.model({ inputs, outputs, name: graph.name });
  return { model, nodes, shared: [...shared] };
}

/**
 * Disposes a built model and its weights. tfjs keeps a reference per call of a layer and
 * LayersModel.dispose() releases one, so a shared layer's weights would outlive the model: its
 * remaining references are released here.
 */
export function disposeBuilt(built: BuiltModel): void {
  built.model.dispose();
  for (const layer of built.shared) {
    try {
      while (layer.dispose().refCountAfterDispose > 0);
    } catch {
      // already disposed with the model
    }
  }
}
