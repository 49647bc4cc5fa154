/**
 * The architecture graph: a DAG of named, typed layers. This file only describes structure; what each
 * kind of layer computes (output shape, weights, MACs) lives in `layers.ts`, the census in `census.ts`,
 * the TensorFlow.js builder in `tfjs/builder.ts`.
 *
 * Shapes are per example and channels-last (H, W, C), as in Keras and TensorFlow.js; the batch dimension
 * is added by the census. Layers whose reference framework is PyTorch keep their module path in `scope`
 * (`features.3`, `layer1.0.conv1`) because the torch-summary conventions depend on module nesting.
 */
import { NetcensusError } from './errors.js';

export type Shape = readonly number[];
export type Pair = readonly [number, number];

/** Explicit per-side padding, in pixels. */
export interface Pads {
  top: number;
  bottom: number;
  left: number;
  right: number;
}
export type Padding = 'valid' | 'same' | Pads;

export type ActivationFn =
  | 'linear'
  | 'relu'
  | 'relu6'
  | 'softmax'
  | 'sigmoid'
  | 'tanh'
  | 'elu'
  | 'selu'
  | 'swish'
  | 'gelu'
  | 'hard_sigmoid'
  | 'softplus';
export const ACTIVATIONS: readonly ActivationFn[] = [
  'linear',
  'relu',
  'relu6',
  'softmax',
  'sigmoid',
  'tanh',
  'elu',
  'selu',
  'swish',
  'gelu',
  'hard_sigmoid',
  'softplus',
];

export interface InputConfig {
  kind: 'input';
  shape: Shape;
}
export interface Conv2dConfig {
  kind: 'conv2d';
  filters: number;
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  groups: number;
  bias: boolean;
  /** Fused activation, as Keras' Conv2D(activation=...) has. */
  activation?: ActivationFn;
}
export interface DepthwiseConv2dConfig {
  kind: 'depthwiseConv2d';
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  depthMultiplier: number;
  bias: boolean;
  activation?: ActivationFn;
}
export interface SeparableConv2dConfig {
  kind: 'separableConv2d';
  filters: number;
  kernel: Pair;
  strides: Pair;
  padding: Padding;
  dilation: Pair;
  depthMultiplier: number;
  bias: boolean;
  activation?: ActivationFn;
}
export interface DenseConfig {
  kind: 'dense';
  units: number;
  bias: boolean;
  activation?: ActivationFn;
}
export interface Pool2dConfig {
  kind: 'maxPool2d' | 'avgPool2d';
  pool: Pair;
  strides: Pair;
  padding: Padding;
  /** Caffe / PyTorch ceil_mode: the last partial window counts (it must start inside the input or its left padding). */
  ceilMode: boolean;
}
export interface GlobalPoolConfig {
  kind: 'globalAvgPool2d' | 'globalMaxPool2d';
  keepDims: boolean;
}
export interface AdaptiveAvgPoolConfig {
  kind: 'adaptiveAvgPool2d';
  output: Pair;
}
export interface FlattenConfig {
  kind: 'flatten';
}
export interface ReshapeConfig {
  kind: 'reshape';
  target: readonly number[];
}
/** `momentum` in Keras' sense (moving = momentum * moving + (1 - momentum) * batch); PyTorch's 0.1 is Keras' 0.9. */
export interface BatchNormConfig {
  kind: 'batchNorm';
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
}
export interface ActivationConfig {
  kind: 'activation';
  fn: ActivationFn;
  maxValue?: number;
}
export interface LrnConfig {
  kind: 'lrn';
  size: number;
  alpha: number;
  beta: number;
  k: number;
}
export interface DropoutConfig {
  kind: 'dropout';
  rate: number;
}
export interface ZeroPad2dConfig {
  kind: 'zeroPad2d';
  pads: Pads;
}
export interface MergeConfig {
  kind: 'add' | 'multiply';
}
/** `axis` counts per-example dimensions (0 = height); negative counts from the end, -1 = channels. */
export interface ConcatConfig {
  kind: 'concat';
  axis: number;
}
export interface RescalingConfig {
  kind: 'rescaling';
  scale: number;
  offset: number;
}
/** Keras Normalization: per-channel mean and variance, stored as non-trainable weights. */
export interface NormalizationConfig {
  kind: 'normalization';
}

export type LayerConfig =
  | InputConfig
  | Conv2dConfig
  | DepthwiseConv2dConfig
  | SeparableConv2dConfig
  | DenseConfig
  | Pool2dConfig
  | GlobalPoolConfig
  | AdaptiveAvgPoolConfig
  | FlattenConfig
  | ReshapeConfig
  | BatchNormConfig
  | ActivationConfig
  | LrnConfig
  | DropoutConfig
  | ZeroPad2dConfig
  | MergeConfig
  | ConcatConfig
  | RescalingConfig
  | NormalizationConfig;

export type LayerKind = LayerConfig['kind'];

export interface GraphNode {
  /** Unique within the graph. */
  name: string;
  /** Module path in the reference framework; defaults to `name`. */
  scope: string;
  config: LayerConfig;
  /** Names of the nodes feeding this one, in order. */
  inputs: readonly string[];
}

/** Which census figure a published number claims to be. */
export type PublishedMeasure =
  | { kind: 'total'; key: 'params' | 'macs'; convention?: 'keras' | 'pytorch' }
  | { kind: 'layerParams'; layer: string }
  | { kind: 'layerNeurons'; layer: string }
  | { kind: 'neurons'; convention: 'seed002' | 'seed002WithInput' }
  | { kind: 'macs'; convention: 'weights' | 'torchinfo-1.8' | 'torch-summary-1.3' };

/**
 * A number somebody published for this model. The census recomputes the figure from the architecture and
 * shows both; `why` explains a difference. `precision` marks a rounded figure (60 million: 1e6).
 */
export interface PublishedFigure {
  source: string;
  text: string;
  value: number;
  precision?: number;
  measure: PublishedMeasure;
  why: string;
}

export interface Graph {
  name: string;
  description: string;
  /** Where the architecture comes from: paper section, torchvision / Keras definition. */
  source: string;
  /** Reference framework whose naming and conventions the graph follows. */
  framework: 'caffe' | 'pytorch' | 'keras' | 'tfjs';
  nodes: readonly GraphNode[];
  /** Output node names; defaults to the last node. */
  outputs: readonly string[];
  /** Figures published for this model, checked against the census by `summary`. */
  published?: readonly PublishedFigure[];
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
  for (const node of graph.nodes) {
    if (node.config.kind === 'input' && node.inputs.length > 0) {
      throw new NetcensusError(`layer "${node.name}" (input) cannot have inputs`);
    }
    if (node.config.kind !== 'input' && node.inputs.length === 0) {
      throw new NetcensusError(`layer "${node.name}" (${node.config.kind}) has no inputs`);
    }
    for (const src of node.inputs) {
      if (!byName.has(src)) throw new NetcensusError(`layer "${node.name}" refers to unknown input layer "${src}"`);
    }
  }
  for (const out of graph.outputs) {
    if (!byName.has(out)) throw new NetcensusError(`model output refers to unknown layer "${out}"`);
  }
  const order: GraphNode[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  // Iterative DFS: imported graphs (DenseNet) are deep enough to make recursion a liability.
  for (const root of graph.nodes) {
    if (state.get(root.name) === 'done') continue;
    const stack: Array<{ node: GraphNode; next: number }> = [{ node: root, next: 0 }];
    state.set(root.name, 'visiting');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.node.inputs.length) {
        const dep = byName.get(top.node.inputs[top.next++]!)!;
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

  /** Appends a node; `from` defaults to the previous node. Returns the node's name. */
  add(name: string, config: LayerConfig, opts: { from?: string | readonly string[]; scope?: string } = {}): string {
    const from =
      opts.from === undefined
        ? this.last === undefined
          ? []
          : [this.last]
        : typeof opts.from === 'string'
          ? [opts.from]
          : opts.from;
    this.nodes.push({ name, scope: opts.scope ?? name, config, inputs: config.kind === 'input' ? [] : [...from] });
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

// Config helpers keep the zoo files short and their defaults (PyTorch's) in one place.
const pair = (v: number | Pair): Pair => (typeof v === 'number' ? [v, v] : v);
export const pads = (p: number | Pair): Pads => {
  const [h, w] = pair(p);
  return { top: h, bottom: h, left: w, right: w };
};

export function conv(
  filters: number,
  kernel: number | Pair,
  o: {
    stride?: number | Pair;
    pad?: number | Pair | 'same' | 'valid';
    dilation?: number | Pair;
    groups?: number;
    bias?: boolean;
    activation?: ActivationFn;
  } = {},
): Conv2dConfig {
  const padding: Padding =
    o.pad === undefined || o.pad === 0 ? 'valid' : o.pad === 'same' || o.pad === 'valid' ? o.pad : pads(o.pad);
  return {
    kind: 'conv2d',
    filters,
    kernel: pair(kernel),
    strides: pair(o.stride ?? 1),
    padding,
    dilation: pair(o.dilation ?? 1),
    groups: o.groups ?? 1,
    bias: o.bias ?? true,
    ...(o.activation ? { activation: o.activation } : {}),
  };
}

export function dense(units: number, o: { bias?: boolean; activation?: ActivationFn } = {}): DenseConfig {
  return { kind: 'dense', units, bias: o.bias ?? true, ...(o.activation ? { activation: o.activation } : {}) };
}

export function maxPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): Pool2dConfig {
  const padding: Padding = o.pad === undefined || o.pad === 0 ? 'valid' : o.pad === 'same' ? 'same' : pads(o.pad);
  return { kind: 'maxPool2d', pool: pair(size), strides: pair(stride), padding, ceilMode: o.ceil ?? false };
}

export function avgPool(
  size: number | Pair,
  stride: number | Pair,
  o: { pad?: number | Pair | 'same'; ceil?: boolean } = {},
): Pool2dConfig {
  return { ...maxPool(size, stride, o), kind: 'avgPool2d' };
}

export const relu: ActivationConfig = { kind: 'activation', fn: 'relu' };
export const softmax: ActivationConfig = { kind: 'activation', fn: 'softmax' };
export const flatten: FlattenConfig = { kind: 'flatten' };
export const dropout = (rate: number): DropoutConfig => ({ kind: 'dropout', rate });
export const batchNorm = (epsilon = 1e-5, momentum = 0.9): BatchNormConfig => ({
  kind: 'batchNorm',
  epsilon,
  momentum,
  center: true,
  scale: true,
});
export const add: MergeConfig = { kind: 'add' };
export const input = (shape: Shape): InputConfig => ({ kind: 'input', shape });
