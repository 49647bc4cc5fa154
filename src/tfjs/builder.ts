/**
 * Census graph -> tf.LayersModel (functional API). Each kind builds itself (its family file's `tfjs`);
 * one graph node becomes one tfjs layer or a short chain of them, and the builder remembers which, so
 * that verification can compare each node's executed shapes and countParams() with the census. A shared
 * layer's later calls apply the first call's layers again, so its weights exist once, as in Keras.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import type { LayerInfo } from '../census.js';
import { NetcensusError } from '../errors.js';
import { isInput, parseRef, type Graph } from '../graph.js';
import { kindSpec } from '../kinds/index.js';
import type { BuildCtx } from '../kinds/spec.js';
import { customLayer, registerCustomLayers } from './custom.js';

import { ConstantPool, type WeightInit } from './constants.js';
export { ConstantPool, type WeightInit } from './constants.js';

export interface BuildOptions {
  /** Verification needs shapes and counts, not trained weights: zeros build fastest; random (Glorot) is for benchmarks and numerics. */
  init?: WeightInit;
  /** 'all' (verification) makes every node's output a model output, to read its executed shape; 'final' (benchmarks) only the graph's outputs. */
  outputs?: 'all' | 'final';
  /** Share constant (zero, one) weights by shape with other models built with the same pool. */
  constants?: ConstantPool;
  /**
   * false: leave tfjs-layers' own Zeros and Ones initializers (a JavaScript array, copied into native
   * TensorFlow at the first pass), as a model written directly in tfjs-layers has them; default true.
   */
  backendConstants?: boolean;
}

export interface BuiltNode {
  name: string;
  /** The tfjs layers this node owns (none for a shared layer's later call). */
  layers: TF.layers.Layer[];
  /** Its first output. */
  output: TF.SymbolicTensor;
  outputs: TF.SymbolicTensor[];
}

export interface BuiltModel {
  model: TF.LayersModel;
  /** Layers applied more than once (a shared layer's later calls): tfjs counts a reference per call. */
  shared: TF.layers.Layer[];
  /** For every non-input node, in graph order. With outputs 'all', the model's outputs are their outputs, flattened. */
  nodes: BuiltNode[];
}

/**
 * tfjs-layers' Zeros and Ones initializers fill a JavaScript array, which native TensorFlow then copies
 * into its own memory when the weight is first used: for VGG16's 138 million zeros, half a gigabyte made
 * twice. A layer's constant initializers are swapped, before it builds its weights, for the same class
 * whose apply() fills the tensor on the backend itself (tf.fill: TensorFlow's Fill op where native), or
 * takes it from a pool. Same values, same class and config; only where the bytes are written changes.
 */
function fillOnBackend(layer: TF.layers.Layer, pool: ConstantPool | undefined): void {
  const fields = layer as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const init = fields[key] as { getClassName?: () => string } | null;
    if (!init || typeof init !== 'object' || typeof init.getClassName !== 'function') continue;
    const name = init.getClassName();
    if (name !== 'Zeros' && name !== 'Ones') continue;
    const value = name === 'Zeros' ? 0 : 1;
    fields[key] = Object.assign(Object.create(Object.getPrototypeOf(init) as object) as object, init, {
      apply: (shape: number[], dtype?: TF.DataType): TF.Tensor =>
        pool ? pool.take(value, shape, dtype ?? 'float32') : tf.fill(shape, value, dtype ?? 'float32'),
    });
  }
}

/**
 * tfjs-layers' executor counts a tensor's consumers once per layer but releases it once per input, so a
 * layer that takes one tensor twice (x * x) frees it while later layers still need it: each repeat goes
 * through this copy, which shares the data.
 */
const inputCopy = (t: typeof tf) =>
  class InputCopy extends t.layers.Layer {
    static className = 'NetcensusInputCopy';
    override call(x: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return t.clone(Array.isArray(x) ? x[0]! : x);
    }
  };

/** TensorFlow's rule for tensor and variable names, which tfjs-layers applies to every layer's weights. */
const TF_NAME = /^[A-Za-z0-9][-A-Za-z0-9._/]*$/;

/**
 * Names TensorFlow accepts, one per node: a node's own where it is valid and free, else its valid
 * characters with a numbered suffix. The built nodes keep the file's names; only the tfjs layers differ.
 */
function tfjsNames(): (name: string) => string {
  const used = new Set<string>();
  return (name) => {
    let safe = name;
    if (!TF_NAME.test(name) || used.has(name)) {
      const base =
        name
          .replace(/[^-A-Za-z0-9._/]+/g, '_')
          .replace(/^[^A-Za-z0-9]+/, '')
          .slice(0, 64) || 'layer';
      for (let i = used.size; used.has((safe = `${base}_nc${i}`)); i++);
    }
    used.add(safe);
    return safe;
  };
}

export function buildTfjs(graph: Graph, infos: readonly LayerInfo[], options: BuildOptions = {}): BuiltModel {
  // tfjs-layers resolves an activation name (Dense(activation: 'hard_silu')) through the same registry as
  // layer classes: the kinds' custom classes, activations included, are registered before any layer is made.
  registerCustomLayers();
  const kernelInitializer = options.init === 'random' ? 'glorotUniform' : 'zeros';
  const tensors = new Map<string, TF.SymbolicTensor[]>();
  const owned = new Map<string, TF.layers.Layer[]>();
  const inputs: TF.SymbolicTensor[] = [];
  const nodes: BuiltNode[] = [];
  const shared = new Set<TF.layers.Layer>();
  const tfjsName = tfjsNames();
  const has = (name: string): boolean => tensors.has(name);
  const tensor = (ref: string): TF.SymbolicTensor => {
    const { node, index } = parseRef(ref, has);
    return tensors.get(node)![index]!;
  };

  for (const info of infos) {
    const { node } = info;
    const layers: TF.layers.Layer[] = [];
    // A later call of a shared layer replays the first call's layers, in the order its build used them.
    const owner = node.sharedWith === undefined ? undefined : owned.get(node.sharedWith);
    const readsOwner = kindSpec(node.config).readsOwner;
    const reuse = (typeof readsOwner === 'function' ? readsOwner(node.config) : readsOwner) ? undefined : owner;
    let replayed = 0;
    const name = tfjsName(node.name);
    const inputTensors = node.inputs.map((ref, i) => {
      const x = tensor(ref);
      if (node.inputs.indexOf(ref) === i) return x;
      const copy = new (customLayer(inputCopy))({ name: `${name}__input${i}` });
      layers.push(copy);
      return copy.apply(x) as TF.SymbolicTensor;
    });
    const ctx: BuildCtx = {
      tf,
      info,
      name,
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
          return original.apply(x) as TF.SymbolicTensor;
        }
        layers.push(layer);
        if (options.backendConstants !== false) fillOnBackend(layer, options.constants);
        return layer.apply(x) as TF.SymbolicTensor;
      },
      custom: customLayer,
      ...(owner ? { owner } : {}),
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
  const model = tf.model({ inputs, outputs, name: tfjsName(graph.name) });
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
