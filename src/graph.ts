/**
 * The architecture graph: a DAG of named, typed layers, its topological order, and the fluent builder the
 * zoo uses. What each kind of layer is (its config, shape rule, weights, MACs, builds) lives in its family
 * file under `kinds/`; the census is in `census.ts`.
 *
 * Shapes are per example and channels-last (H, W, C), as in Keras and TensorFlow.js; the batch dimension
 * is added by the census. Layers whose reference framework is PyTorch keep their module path in `scope`
 * (`features.3`, `layer1.0.conv1`) because the torch-summary conventions depend on module nesting.
 */
import { NetcensusError } from './errors.js';
import type { LayerConfig } from './kinds/index.js';
import type { InputConfig } from './kinds/core.js';
import type { PublishedFigure } from './published.js';

export type { PublishedFigure, PublishedMeasure } from './published.js';

// The configs and the zoo's shorthands, re-exported so the graph is one import for model authors.
export type { LayerConfig, LayerKind } from './kinds/index.js';
export type { Shape, Pair } from './kinds/spec.js';
export type { AxisPads, Pads, Padding } from './kinds/window.js';
export { ACTIVATIONS, relu, softmax, type ActivationFn, type ActivationConfig } from './kinds/activation.js';
export { pads } from './kinds/window.js';
export { conv, type Conv2dConfig, type DepthwiseConv2dConfig, type SeparableConv2dConfig } from './kinds/conv.js';
export { dense, type DenseConfig } from './kinds/dense.js';
export {
  maxPool,
  avgPool,
  type Pool2dConfig,
  type GlobalPoolConfig,
  type AdaptiveAvgPoolConfig,
} from './kinds/pooling.js';
export { batchNorm, type BatchNormConfig, type LrnConfig, type NormalizationConfig } from './kinds/normalization.js';
export { add, type MergeConfig, type ConcatConfig } from './kinds/merge.js';
export {
  input,
  flatten,
  dropout,
  type InputConfig,
  type FlattenConfig,
  type ReshapeConfig,
  type DropoutConfig,
  type ZeroPad2dConfig,
  type RescalingConfig,
} from './kinds/core.js';

export interface GraphNode {
  /** Unique within the graph. A shared layer's later calls are nodes of their own, `name@1`, `name@2`. */
  name: string;
  /** Module path in the reference framework; defaults to `name`. */
  scope: string;
  config: LayerConfig;
  /**
   * The tensors feeding this one, in order: a node's name for its (first) output, `name:k` for its k-th
   * output (k >= 1) where a layer has several (an RNN's states).
   */
  inputs: readonly string[];
  /** false: a frozen layer (Keras trainable=False, itself or a model around it): its weights are non-trainable. */
  trainable?: boolean;
  /** A later call of a shared layer: the node whose weights it reuses, counted there once. */
  sharedWith?: string;
  /** Enclosing models or modules, outermost first (nested Keras models); none for a flat graph. */
  parents?: readonly string[];
  /**
   * Rows per example of a first axis the export merged with the batch (a module called on [B x N, C]:
   * LeViT's BatchNorm1d over tokens). torchinfo 1.8 counts such a module's parameters once per row.
   */
  mergedRows?: number;
  /**
   * An op in a module's own forward (torch.flatten, ResNet's `out += identity`), not a call of a module of
   * its own: torchinfo gives it no row.
   */
  functional?: true;
  /**
   * The source framework's axis order of the first output: `layout[i]` = its per-example axis holding graph
   * axis i (ONNX's NCHW of a channels-last tensor: [1, 2, 0]). Absent: the graph's own order, or
   * `Graph.channelsFirst`'s.
   */
  layout?: readonly number[];
  /**
   * Where the examples are in the source framework's shape of the first output, where they have no axis of
   * their own: merged into this per-example axis (an export's [B x N, C] or its torch.cat of two views
   * along the batch), or null where that is not known.
   */
  examplesAt?: number | null;
}

/** A reference `name` or `name:k` as the node it names and the output index; names win over the suffix. */
export function parseRef(ref: string, has: (name: string) => boolean): { node: string; index: number } {
  if (has(ref)) return { node: ref, index: 0 };
  const m = /^(.*):(\d+)$/.exec(ref);
  return m && has(m[1]!) ? { node: m[1]!, index: Number(m[2]) } : { node: ref, index: 0 };
}

/** The file a graph was read from, and what it holds besides the architecture: the other witnesses. */
export interface ModelFile {
  path: string;
  container: 'keras' | 'h5' | 'json.gz' | 'json' | 'onnx';
  /** The config's dialect (keras2, keras3, tfjs) or the file format's version (ONNX opset). */
  format: string;
  /** The config in the form TensorFlow.js' own deserializer reads (Keras 2 JSON, tfjs model.json). */
  tfjsTopology?: unknown;
  /**
   * The weight tensors stored in the file, as shapes per graph node that owns them (verify only: summary
   * never reads weights); undefined where the file holds none.
   */
  storedWeights?: (census: import('./census.js').Census) => Promise<StoredWeights>;
  /** Witnesses only this format can call (ONNX: ONNX Runtime executing the file; the rebuild with its weights). */
  witnesses?: (census: import('./census.js').Census) => Promise<Record<string, Witness>>;
}

/** One more witness of a census: agrees (ok), disagrees (not ok, with what), or could not be asked (null, with why). */
export interface Witness {
  name: string;
  ok: boolean | null;
  note: string;
  [detail: string]: unknown;
}

export interface StoredWeights {
  /** Shapes stored for each node, by node name. */
  byNode: Map<string, number[][]>;
  /** Stored tensors that belong to no node of the graph, by their path in the file. */
  unmatched: string[];
  /** How the file stores them, for messages: "model.weights.h5 in the .keras zip". */
  where: string;
}

export interface Graph {
  name: string;
  description: string;
  /** Where the architecture comes from: paper section, torchvision / Keras definition. */
  source: string;
  /** Reference framework whose naming and conventions the graph follows. */
  framework: 'caffe' | 'pytorch' | 'keras' | 'tfjs';
  /** The program that wrote the file, where the file says (ONNX's producer_name). */
  writtenBy?: string;
  nodes: readonly GraphNode[];
  /** Output node names; defaults to the last node. */
  outputs: readonly string[];
  /** The file the graph was read from, for imported models. */
  file?: ModelFile;
  /** What the importer found worth saying about the file (its format, how its counts relate to the source framework's). */
  notes?: readonly string[];
  /** Figures published for this model, checked against the census by `summary`. */
  published?: readonly PublishedFigure[];
  /**
   * Stored tensors an exporter computed at export from what the model held (a relative position bias
   * gathered from its table, a scale reshaped): the file does not hold what they came from, so PyTorch's
   * count can differ by them. `counted`: taken as parameters, as the file holds them; `uncounted`: taken
   * as constants (dynamo names them after the aten op, parameters and buffers alike).
   */
  exportComputed?: { counted: StoredTensors; uncounted: StoredTensors };
  /** PyTorch's class of each module by its path, '' the model's own (dynamo exports record them; the zoo's). */
  moduleClasses?: Readonly<Record<string, string>>;
  /**
   * The source framework holds images channels-first (torchvision) where the graph holds them last: an
   * output of H x W x C per example is C x H x W there, unless a node's `layout` says otherwise.
   */
  channelsFirst?: true;
}

/** Some stored tensors: how many, their values in all, the first by name. */
export interface StoredTensors {
  tensors: number;
  values: number;
  first: string;
}

export function isInput(node: GraphNode): node is GraphNode & { config: InputConfig } {
  return node.config.kind === 'input';
}

export function inputNodes(graph: Graph): GraphNode[] {
  return graph.nodes.filter(isInput);
}

/**
 * Checks names and references and returns the nodes in a topological order (the order given, when it
 * already is one). Cycles, dangling inputs and duplicate names are user errors in imported files.
 */
export function topoSort(graph: Graph): GraphNode[] {
  const byName = new Map<string, GraphNode>();
  for (const node of graph.nodes) {
    if (byName.has(node.name)) throw new NetcensusError(`duplicate layer name "${node.name}"`);
    byName.set(node.name, node);
  }
  const has = (name: string): boolean => byName.has(name);
  for (const node of graph.nodes) {
    if (node.config.kind === 'input' && node.inputs.length > 0) {
      throw new NetcensusError(`layer "${node.name}" (input) cannot have inputs`);
    }
    if (node.config.kind !== 'input' && node.inputs.length === 0) {
      throw new NetcensusError(`layer "${node.name}" (${node.config.kind}) has no inputs`);
    }
    for (const src of node.inputs) {
      if (!byName.has(parseRef(src, has).node)) {
        throw new NetcensusError(`layer "${node.name}" refers to unknown input layer "${src}"`);
      }
    }
    if (node.sharedWith !== undefined && !byName.has(node.sharedWith)) {
      throw new NetcensusError(`layer "${node.name}" shares the weights of unknown layer "${node.sharedWith}"`);
    }
  }
  for (const out of graph.outputs) {
    if (!byName.has(parseRef(out, has).node)) throw new NetcensusError(`model output refers to unknown layer "${out}"`);
  }
  const order: GraphNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // A shared layer's later call comes after its first, whose layer (and weights) it reuses.
  const deps = (n: GraphNode): readonly string[] =>
    n.sharedWith === undefined ? n.inputs : [...n.inputs, n.sharedWith];
  // Iterative DFS: imported graphs (DenseNet) are deep enough to make recursion a liability.
  for (const root of graph.nodes) {
    if (state.get(root.name) === 'done') continue;
    const stack: Array<{ node: GraphNode; next: number }> = [{ node: root, next: 0 }];
    state.set(root.name, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < deps(top.node).length) {
        const dep = byName.get(parseRef(deps(top.node)[top.next++]!, has).node)!;
        const s = state.get(dep.name);
        if (s === 'visiting') throw new NetcensusError(`the graph has a cycle through layer "${dep.name}"`);
        if (s !== 'done') {
          state.set(dep.name, 'visiting');
          stack.push({ node: dep, next: 0 });
        }
      } else {
        state.set(top.node.name, 'done');
        order.push(top.node);
        stack.pop();
      }
    }
  }
  if (!order.some(isInput)) throw new NetcensusError('the model has no input layer');
  return order;
}

/** Small fluent helper used by the zoo: each call appends a node fed by the previous one unless told otherwise. */
export class GraphBuilder {
  private readonly nodes: GraphNode[] = [];
  private last: string | undefined;

  constructor(private readonly meta: Omit<Graph, 'nodes' | 'outputs'>) {}

  /** Attaches published figures to the graph being built. */
  published(figures: readonly PublishedFigure[]): this {
    this.meta.published = figures;
    return this;
  }

  /** PyTorch's class of each module path ('' the model), for the torchinfo view. */
  classes(map: Readonly<Record<string, string>>): this {
    this.meta.moduleClasses = { ...this.meta.moduleClasses, ...map };
    return this;
  }

  /** Appends a node; `from` defaults to the previous node. Returns the node's name. */
  add(
    name: string,
    config: LayerConfig,
    opts: { from?: string | readonly string[]; scope?: string; functional?: true } = {},
  ): string {
    const from =
      opts.from === undefined
        ? this.last === undefined
          ? []
          : [this.last]
        : typeof opts.from === 'string'
          ? [opts.from]
          : opts.from;
    this.nodes.push({
      name,
      scope: opts.scope ?? name,
      config,
      inputs: config.kind === 'input' ? [] : [...from],
      ...(opts.functional ? { functional: true as const } : {}),
    });
    this.last = name;
    return name;
  }

  get current(): string {
    if (this.last === undefined) throw new Error('GraphBuilder: no node yet');
    return this.last;
  }

  build(outputs?: readonly string[]): Graph {
    return { ...this.meta, nodes: [...this.nodes], outputs: outputs ?? [this.current] };
  }
}
