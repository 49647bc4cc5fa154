/**
 * The analytic census. Two stages, as torchinfo separates them: `inferLayers` walks the graph and collects
 * each layer's shapes and weight tensors; `census` turns those into figures under named conventions and
 * keeps the per-layer infos, which verify, bench, diff and diagnose take instead of inferring again.
 * Presentation lives in `format/`. No tensors are created here.
 */
import { NetcensusError } from './errors.js';
import { checked, mul, prod, sum } from './exact.js';
import { isInput, parseRef, topoSort, type Graph, type GraphNode, type Shape } from './graph.js';
import { kindSpec } from './kinds/index.js';
import { moduleCalls, type ModuleCall } from './module-calls.js';
import { countedUnder, type LayerInfo, type ParamConvention } from './kinds/spec.js';

export type { LayerInfo, ParamConvention, WeightSpec } from './kinds/spec.js';
export type MacConvention = 'weights' | 'torchinfo-1.8' | 'torch-summary-1.3';
export type NeuronConvention = 'seed002' | 'seed002WithInput';

export const PARAM_CONVENTIONS: Record<ParamConvention, string> = {
  keras: 'Keras / TensorFlow.js count_params(): BatchNorm moving mean and variance counted as non-trainable weights',
  pytorch: 'PyTorch sum(p.numel() for p in parameters()): BatchNorm running statistics are buffers, not parameters',
};

export const MAC_CONVENTIONS: Record<MacConvention, { meaning: string; printedBy: string }> = {
  weights: {
    meaning: 'multiply-accumulates of conv and dense weights; no bias adds, activations or pooling',
    printedBy: 'torchvision docs ("GFLOPS"), fvcore, thop, the ResNet paper ("FLOPs (multiply-adds)")',
  },
  'torchinfo-1.8': {
    meaning:
      'weights plus biases times output positions for convs, times time steps for RNNs (nn.RNN, nn.LSTM, nn.GRU); weights plus biases for other layers with parameters (BatchNorm included); each call of a shared module again',
    printedBy: 'torchinfo 1.8 "Total mult-adds"',
  },
  'torch-summary-1.3': {
    meaning:
      'torchinfo\'s weight MACs for leaf layers (BatchNorm adds its gamma), plus every container adding the raw element count of each "weight" tensor below it again',
    printedBy: 'torch-summary 1.3 (legacy) "Total mult-adds", as in seed 002\'s tables',
  },
};

export const FLOP_CONVENTION = 'FLOPs = 2 x MACs (one multiply and one add per MAC; weights convention)';
export const NEURON_CONVENTION =
  'neurons (seed 002): output elements of conv and dense layers, before pooling, per example; input not included';
export const BYTES_CONVENTION = 'float32, 4 bytes per element; MB = 10^6 bytes, MiB = 2^20 bytes';

const BYTES_PER_ELEMENT = 4;

export interface CensusOptions {
  /** Spatial input size: [H, W] (channels kept) or a full [H, W, C]. */
  input?: readonly number[];
  batch?: number;
  /** Default: 'pytorch' for a graph exported from PyTorch, 'keras' for every other. */
  params?: ParamConvention;
}

export interface LayerCensus {
  name: string;
  scope: string;
  /** Enclosing models or modules, outermost first; `depth` = how many. */
  parents: string[];
  depth: number;
  /** false for a layer netcensus cannot count (a user's class, a Lambda) under --skip-unknown. */
  counted: boolean;
  /** false for a frozen layer (Keras trainable=False, itself or a model around it). */
  trainable: boolean;
  /** A shared layer's later call: the layer whose weights it reuses (its parameters are counted there). */
  sharedWith?: string;
  /**
   * A model from PyTorch: the torch.nn class of the module this layer is a call of (recorded by the
   * exporter, else the kind's); absent for an op PyTorch runs as a function, which torchinfo shows no row for.
   */
  torchClass?: string;
  /** The output shape in the source framework's axis order (PyTorch's N, C, H, W), where it is not `outputShape`'s. */
  sourceShape?: number[];
  /** The MACs' named parts (attention's projections and products), for the batch, where a kind has several. */
  macParts?: Record<string, number>;
  /** Layer class, as Keras names it. */
  type: string;
  kind: string;
  detail: string;
  inputs: string[];
  /** With the batch dimension first. */
  outputShape: number[];
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  weights: number;
  biases: number;
  macs: number;
  flops: number;
  neurons: number;
  paramBytes: number;
  activationBytes: number;
}

export type Totals = Pick<
  LayerCensus,
  | 'params'
  | 'trainableParams'
  | 'nonTrainableParams'
  | 'weights'
  | 'biases'
  | 'macs'
  | 'flops'
  | 'neurons'
  | 'paramBytes'
  | 'activationBytes'
>;

/** A nested model or module: the sums of the layers inside it, for trees and `--depth`. */
export interface ContainerCensus {
  name: string;
  /** 'model': a nested model in the file (Keras); 'module': a prefix of PyTorch module paths. */
  kind: 'model' | 'module';
  parents: string[];
  depth: number;
  layers: number;
  params: number;
  trainableParams: number;
  nonTrainableParams: number;
  macs: number;
  /** Its torch.nn class, where the exporter (or the zoo) recorded it. */
  torchClass?: string;
}

export interface Census {
  model: string;
  description: string;
  source: string;
  /** Input shape with the batch dimension first: [N, H, W, C]; the first input of a multi-input model. */
  input: number[];
  /** Every input's shape, batch first. */
  inputs: number[][];
  /** Every output's shape, batch first. */
  outputs: number[][];
  batch: number;
  /** True when some layers could not be counted (--skip-unknown): every total is then a lower bound. */
  partial: boolean;
  notCounted: Array<{ layer: string; className: string }>;
  /** What the importer said about the file (an ONNX file's exporter, BatchNorm folding, shared tensors). */
  notes: string[];
  /** Stored tensors the exporter computed, by which the source framework's count can differ (Graph.exportComputed). */
  exportComputed?: Graph['exportComputed'];
  containers: ContainerCensus[];
  /** A model from PyTorch: its module calls in execution order, as torchinfo's hooks see them. */
  moduleCalls?: ModuleCall[];
  conventions: {
    params: ParamConvention;
    paramsMeaning: string;
    macs: MacConvention;
    macsMeaning: string;
    flops: string;
    neurons: string;
    bytes: string;
  };
  layers: LayerCensus[];
  totals: Totals;
  /** Every total under every convention, so the published figures can be told apart. */
  byConvention: {
    params: Record<ParamConvention, number>;
    trainableParams: Record<ParamConvention, number>;
    macs: Record<MacConvention, number>;
    flops: { '2xMACs': number; '2xMACs+biasAdds': number };
    neurons: Record<NeuronConvention, number>;
    memory: {
      inputBytes: number;
      paramBytes: Record<ParamConvention, number>;
      activationBytes: number;
      /**
       * torchinfo 1.8's sizes, float32 bytes (it prints MB = 10^6): the input, the forward/backward pass
       * (2 x the outputs of leaf layers with parameters), the parameters (PyTorch's, buffers not included).
       */
      torchinfo: { inputBytes: number; forwardBackwardBytes: number; paramBytes: number; totalBytes: number };
      /** torch-summary 1.3: forward/backward pass = 2 x outputs of leaf layers with parameters. */
      torchSummary: { inputMiB: number; forwardBackwardMiB: number; paramsMiB: number; totalMiB: number };
    };
  };
  /** The graph counted, and what the census inferred per node (not part of the JSON: non-enumerable). */
  readonly graph: Graph;
  readonly infos: readonly LayerInfo[];
  readonly options: CensusOptions;
}

/** Resolves `--input` against the graph's own input: [H, W] keeps the channels. */
function inputShapeFor(
  node: GraphNode & { config: { kind: 'input' } },
  override: readonly number[] | undefined,
): Shape {
  const own = node.config.shape;
  if (override === undefined) return own;
  if (override.some((d) => !Number.isSafeInteger(d) || d < 1)) {
    throw new NetcensusError(`--input: sizes must be positive integers, got ${override.join('x')}`);
  }
  if (own.length !== 3)
    throw new NetcensusError(`--input: input layer "${node.name}" has shape [${own.join(', ')}], not H x W x C`);
  if (override.length === 2) return [override[0]!, override[1]!, own[2]!];
  if (override.length === 3) return [...override];
  throw new NetcensusError(`--input: expected H, HxW or HxWxC, got ${override.join('x')}`);
}

/** Stage one: shapes and weights of every layer, in topological order. */
export function inferLayers(graph: Graph, input?: readonly number[]): LayerInfo[] {
  const order = topoSort(graph);
  const shapes = new Map<string, Shape[]>();
  const inputs = order.filter(isInput);
  if (input !== undefined && inputs.length !== 1)
    throw new NetcensusError(`--input: the model has ${inputs.length} inputs; only single-input models can be resized`);
  const has = (name: string): boolean => shapes.has(name);
  const shapeOf = (node: GraphNode, ref: string): Shape => {
    const { node: src, index } = parseRef(ref, has);
    const out = shapes.get(src)![index];
    if (out === undefined) {
      throw new NetcensusError(
        `layer "${node.name}" refers to output ${index} of "${src}", which has ${shapes.get(src)!.length}`,
      );
    }
    return out;
  };
  return order.map((node) =>
    withLayerName(node, () => {
      const def = kindSpec(node.config);
      const inputShapes = node.inputs.map((ref) => shapeOf(node, ref));
      const config = isInput(node) ? { ...node.config, shape: inputShapeFor(node, input) } : node.config;
      const outputShapes = def.outputShapes?.(config, inputShapes, node.name) ?? [
        def.outputShape(config, inputShapes, node.name),
      ];
      shapes.set(node.name, outputShapes);
      const outputShape = outputShapes[0]!;
      // A shared layer's weights are counted at its first call; a frozen layer's are non-trainable.
      const own = node.sharedWith === undefined ? def.weights(node.config, inputShapes) : [];
      const weights = node.trainable === false ? own.map((w) => ({ ...w, trainable: false })) : own;
      const macs = def.macs(node.config, inputShapes, outputShape);
      const macParts = def.macParts?.(node.config, inputShapes, outputShape);
      if (
        macParts &&
        sum(
          'MACs',
          macParts.map(([, n]) => n),
        ) !== macs
      ) {
        throw new Error(`${node.config.kind}: its named MAC parts do not add up to its MACs`);
      }
      return { node, inputShapes, outputShape, outputShapes, weights, macs, ...(macParts ? { macParts } : {}) };
    }),
  );
}

/** Overflow and similar errors from deep inside a layer's arithmetic get the layer's name in front. */
function withLayerName<T>(node: GraphNode, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof NetcensusError && !e.message.startsWith('layer "'))
      throw new NetcensusError(`layer "${node.name}" (${node.config.kind}): ${e.message}`, e.exitCode);
    throw e;
  }
}

/**
 * One pass over a layer's weights: its parameter counts under both conventions and the parts the other
 * figures need, each weight's size computed once (every sum checked, as `sum` checks it).
 */
interface WeightSums {
  params: Record<ParamConvention, number>;
  trainable: Record<ParamConvention, number>;
  biases: Record<ParamConvention, number>;
  /** Elements of bias tensors, whatever the convention (bias adds). */
  biasElems: number;
  /** Elements of tensors PyTorch names "weight" (conv and linear kernels, BN gamma). */
  torchWeight: number;
  /** Whether any tensor is a PyTorch parameter (not a buffer): a leaf with parameters for torch-summary. */
  hasTorchParams: boolean;
  /** Parameters named weight or bias (or weight_ih_l0, ...): the ones torchinfo 1.8 multiplies into MACs. */
  torchinfoParams: number;
}

function weightSums(info: LayerInfo): WeightSums {
  const s: WeightSums = {
    params: { keras: 0, pytorch: 0 },
    trainable: { keras: 0, pytorch: 0 },
    biases: { keras: 0, pytorch: 0 },
    biasElems: 0,
    torchWeight: 0,
    hasTorchParams: false,
    torchinfoParams: 0,
  };
  for (const w of info.weights) {
    const n = prod(w.shape);
    for (const conv of ['keras', 'pytorch'] as const) {
      if (!countedUnder(w, conv)) continue;
      s.params[conv] = checked(s.params[conv] + n, 'params');
      if (w.trainable) s.trainable[conv] = checked(s.trainable[conv] + n, 'params');
      if (w.role === 'bias') s.biases[conv] = checked(s.biases[conv] + n, 'params');
    }
    if (w.role === 'bias') s.biasElems = checked(s.biasElems + n, 'bias');
    if (w.torchName === 'weight') s.torchWeight = checked(s.torchWeight + n, 'params');
    if (w.torchName !== 'buffer') s.hasTorchParams = true;
    if (w.torchName === 'weight' || w.torchName === 'bias')
      s.torchinfoParams = checked(s.torchinfoParams + n, 'params');
  }
  return s;
}

/** Output positions a conv's bias is added at (H x W); 1 for everything else. */
function biasPositions(info: LayerInfo): number {
  return kindSpec(info.node.config).convLike ? prod(info.outputShape.slice(0, -1)) : 1;
}

/**
 * torch-summary 1.3 hooked every module, containers included. A leaf adds weight x output positions
 * (convs) or its weight count (linear, BN gamma); each container adds the raw size of every tensor named
 * "*weight" below it, once more per nesting level. Containers are the proper prefixes of module paths.
 */
function torchSummaryMacs(infos: readonly LayerInfo[], sums: readonly WeightSums[]): number {
  let total = 0;
  for (const [k, info] of infos.entries()) {
    const weightElems = sums[k]!.torchWeight;
    if (weightElems === 0) continue;
    // output_size[2:] in torch-summary: spatial positions only, so this convention ignores the batch size.
    const leaf = kindSpec(info.node.config).convLike
      ? mul('MACs', weightElems, prod(info.outputShape.slice(0, -1)))
      : weightElems;
    const containers = info.node.scope.split('.').length - 1;
    total = checked(total + leaf + mul('MACs', containers, weightElems), 'MACs');
  }
  return total;
}

/** A node's containers: its own, or for a PyTorch graph the prefixes of its module path (torchinfo's depth). */
function parentsOf(graph: Graph, node: GraphNode): string[] {
  if (node.parents) return [...node.parents];
  // A graph input is no module: TorchScript names it `input.1`, which is not module `input`'s child `1`.
  if (graph.framework !== 'pytorch' || isInput(node)) return [];
  const parts = node.scope.split('.');
  // An op in a module's own forward, scoped to that module (dynamo's `embeddings_1`), lies inside it.
  const inside = node.functional && node.scope !== node.name ? parts.length : parts.length - 1;
  return parts.slice(0, inside).map((_, i) => parts.slice(0, i + 1).join('.'));
}

/** The module class of a layer of a PyTorch model: what the file recorded for its path, else its kind's. */
function torchClassOf(graph: Graph, info: LayerInfo): string | undefined {
  const recorded = graph.moduleClasses?.[info.node.scope];
  if (recorded !== undefined && !info.node.functional) return recorded;
  if (info.node.functional) return undefined;
  const t = kindSpec(info.node.config).torch;
  return typeof t === 'function' ? t(info.node.config, info.inputShapes) : t;
}

/**
 * A layer's output in the source framework's axis order, batch included, where that is not the graph's
 * (GraphNode.layout, Graph.channelsFirst, GraphNode.examplesAt).
 */
function sourceShapeOf(graph: Graph, node: GraphNode, shape: readonly number[], batch: number): number[] | undefined {
  const layout = node.layout ?? (graph.channelsFirst && shape.length === 3 ? [1, 2, 0] : undefined);
  let out = [...shape];
  if (layout && layout.length === shape.length) layout.forEach((axis, i) => (out[axis] = shape[i]!));
  else if (node.examplesAt === undefined) return undefined;
  if (node.examplesAt === undefined) return [batch, ...out];
  // The examples merged into an axis: the whole shape, that axis times the batch (unknown: as at batch 1).
  if (node.examplesAt !== null) out = out.map((d, i) => (i === node.examplesAt ? mul('shape', d, batch) : d));
  return out;
}

/** Every container with the sums of the layers inside it, in order of first appearance. */
function containersOf(graph: Graph, layers: readonly LayerCensus[]): ContainerCensus[] {
  const kind = graph.nodes.some((n) => n.parents) ? 'model' : 'module';
  const byName = new Map<string, ContainerCensus>();
  for (const l of layers) {
    l.parents.forEach((name, depth) => {
      let c = byName.get(name);
      if (!c) {
        c = {
          name,
          kind,
          parents: l.parents.slice(0, depth),
          depth,
          layers: 0,
          params: 0,
          trainableParams: 0,
          nonTrainableParams: 0,
          macs: 0,
        };
        const cls = graph.moduleClasses?.[name];
        if (cls !== undefined) c.torchClass = cls;
        byName.set(name, c);
      }
      c.layers += 1;
      c.params = checked(c.params + l.params, 'params');
      c.trainableParams = checked(c.trainableParams + l.trainableParams, 'params');
      c.nonTrainableParams = checked(c.nonTrainableParams + l.nonTrainableParams, 'params');
      c.macs = checked(c.macs + l.macs, 'MACs');
    });
  }
  return [...byName.values()];
}

const torchinfoSizes = (inputBytes: number, forwardBackwardBytes: number, paramBytes: number) => ({
  inputBytes,
  forwardBackwardBytes,
  paramBytes,
  totalBytes: sum('bytes', [inputBytes, forwardBackwardBytes, paramBytes]),
});

const MIB = 2 ** 20;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The framework's own count: PyTorch's for a PyTorch export (what torchinfo prints), Keras' for every other graph. */
export const conventionOf = (g: Graph): ParamConvention => (g.framework === 'pytorch' ? 'pytorch' : 'keras');

/** Stage two: figures per layer and in total. */
export function census(graph: Graph, options: CensusOptions = {}): Census {
  const batch = options.batch ?? 1;
  if (!Number.isSafeInteger(batch) || batch < 1)
    throw new NetcensusError(`--batch: must be a positive integer, got ${batch}`);
  const conv = options.params ?? conventionOf(graph);
  const infos = inferLayers(graph, options.input);
  const inputInfos = infos.filter((i) => isInput(i.node));
  const inputInfo = inputInfos[0]!;

  const sums: WeightSums[] = [];
  const layers: LayerCensus[] = infos.map((info) =>
    withLayerName(info.node, () => {
      const def = kindSpec(info.node.config);
      const w = weightSums(info);
      sums.push(w);
      const params = w.params[conv];
      const trainable = w.trainable[conv];
      const biases = w.biases[conv];
      const macs = mul('MACs', info.macs, batch);
      const isNeuron = info.macs > 0;
      const outElems = prod(info.outputShape);
      const allOutElems = info.outputShapes.length === 1 ? outElems : sum('shape size', info.outputShapes.map(prod));
      const parents = parentsOf(graph, info.node);
      const layer: LayerCensus = {
        name: info.node.name,
        scope: info.node.scope,
        type: def.titleOf?.(info.node.config) ?? def.title,
        kind: info.node.config.kind,
        detail: def.describe(info.node.config),
        inputs: [...info.node.inputs],
        outputShape: [batch, ...info.outputShape],
        params,
        trainableParams: trainable,
        nonTrainableParams: params - trainable,
        weights: params - biases,
        biases,
        macs,
        flops: mul('FLOPs', 2, macs),
        neurons: isNeuron ? outElems : 0,
        paramBytes: mul('bytes', params, BYTES_PER_ELEMENT),
        activationBytes: mul('bytes', allOutElems, batch, BYTES_PER_ELEMENT),
        parents,
        depth: parents.length,
        counted: def.counted !== false,
        trainable: info.node.trainable !== false,
      };
      // Assigned after the literal (not spread into it), in the same key order: the common case stays one shape.
      if (info.node.sharedWith !== undefined) layer.sharedWith = info.node.sharedWith;
      if (info.macParts) layer.macParts = Object.fromEntries(info.macParts.map(([k, n]) => [k, mul('MACs', n, batch)]));
      if (graph.framework === 'pytorch') {
        const cls = torchClassOf(graph, info);
        if (cls !== undefined) layer.torchClass = cls;
        const source = sourceShapeOf(graph, info.node, info.outputShape, batch);
        if (source) layer.sourceShape = source;
      }
      return layer;
    }),
  );

  const infoByName = new Map(infos.map((i) => [i.node.name, i]));
  const notCounted = layers.filter((l) => !l.counted).map((l) => ({ layer: l.name, className: l.type }));
  // One pass over the layers for every total (each sum checked, as `sum` checks it).
  const totals: Totals = {
    params: 0,
    trainableParams: 0,
    nonTrainableParams: 0,
    weights: 0,
    biases: 0,
    macs: 0,
    flops: 0,
    neurons: 0,
    paramBytes: 0,
    activationBytes: 0,
  };
  const keys = Object.keys(totals) as Array<keyof Totals>;
  for (const l of layers) {
    for (const key of keys) {
      // The input tensor is not an activation of the network; torch-summary reports it apart as well.
      if (key === 'activationBytes' && l.kind === 'input') continue;
      totals[key] = checked(totals[key] + l[key], key === 'activationBytes' ? 'bytes' : key);
    }
  }

  const byConv = { params: { keras: 0, pytorch: 0 }, trainable: { keras: 0, pytorch: 0 } };
  let biasAdds = 0;
  let torchinfo = 0;
  let leafOutputsWithParams = 0;
  const index = new Map(infos.map((i, k) => [i.node.name, k]));
  for (const [k, i] of infos.entries()) {
    const w = sums[k]!;
    // torchinfo hooks every call of a module: a shared layer's later calls add its MACs again.
    const module = i.node.sharedWith === undefined ? w : sums[index.get(i.node.sharedWith)!]!;
    for (const c of ['keras', 'pytorch'] as const) {
      byConv.params[c] = checked(byConv.params[c] + w.params[c], 'params');
      byConv.trainable[c] = checked(byConv.trainable[c] + w.trainable[c], 'params');
    }
    biasAdds = checked(biasAdds + mul('bias adds', w.biasElems, biasPositions(i), batch), 'bias adds');
    if (module.torchinfoParams > 0) {
      const spec = kindSpec(i.node.config);
      const rows = spec.convLike ? undefined : i.node.mergedRows;
      const positions = spec.torchinfoSteps?.(i.inputShapes, i.node.config) ?? rows ?? biasPositions(i);
      torchinfo = checked(torchinfo + mul('MACs', module.torchinfoParams, positions, batch), 'MACs');
    }
    if (w.hasTorchParams)
      leafOutputsWithParams = checked(leafOutputsWithParams + mul('outputs', prod(i.outputShape), batch), 'outputs');
  }
  const paramsUnder = (c: ParamConvention): number => byConv.params[c];
  const trainableUnder = (c: ParamConvention): number => byConv.trainable[c];
  const inputElems = mul(
    'input size',
    sum(
      'input size',
      inputInfos.map((i) => prod(i.outputShape)),
    ),
    batch,
  );
  const tsInput = (inputElems * BYTES_PER_ELEMENT) / MIB;
  const tsFwdBwd = (2 * leafOutputsWithParams * BYTES_PER_ELEMENT) / MIB;
  const containers = containersOf(graph, layers);
  const calls =
    graph.framework === 'pytorch'
      ? moduleCalls(
          layers,
          sums.map((w) => ({ params: w.params.pytorch, trainable: w.trainable.pytorch })),
          containers,
          graph.moduleClasses?.[''],
          layers.find((l) => l.name === parseRef(graph.outputs[0] ?? '', (n) => infoByName.has(n)).node),
        )
      : undefined;
  // torchinfo sizes the pass by its module calls (an exported LSTM is one), where the graph has them.
  const passOutputs = calls
    ? sum(
        'outputs',
        calls.filter((k) => k.leaf && k.params > 0).map((k) => prod(k.shape)),
      )
    : leafOutputsWithParams;
  const tsParams = (paramsUnder('pytorch') * BYTES_PER_ELEMENT) / MIB;

  const result = {
    model: graph.name,
    description: graph.description,
    source: graph.source,
    input: [batch, ...inputInfo.outputShape],
    inputs: inputInfos.map((i) => [batch, ...i.outputShape]),
    outputs: graph.outputs.map((ref) => {
      const { node, index } = parseRef(ref, (n) => infoByName.has(n));
      return [batch, ...infoByName.get(node)!.outputShapes[index]!];
    }),
    batch,
    partial: notCounted.length > 0,
    notCounted,
    notes: [...(graph.notes ?? [])],
    ...(graph.exportComputed ? { exportComputed: graph.exportComputed } : {}),
    containers,
    ...(calls ? { moduleCalls: calls } : {}),
    conventions: {
      params: conv,
      paramsMeaning: PARAM_CONVENTIONS[conv],
      macs: 'weights',
      macsMeaning: MAC_CONVENTIONS.weights.meaning,
      flops: FLOP_CONVENTION,
      neurons: NEURON_CONVENTION,
      bytes: BYTES_CONVENTION,
    },
    layers,
    totals,
    byConvention: {
      params: { keras: paramsUnder('keras'), pytorch: paramsUnder('pytorch') },
      trainableParams: { keras: trainableUnder('keras'), pytorch: trainableUnder('pytorch') },
      macs: {
        weights: totals.macs,
        'torchinfo-1.8': torchinfo,
        'torch-summary-1.3': torchSummaryMacs(infos, sums),
      },
      flops: { '2xMACs': totals.flops, '2xMACs+biasAdds': checked(totals.flops + biasAdds, 'FLOPs') },
      neurons: {
        seed002: totals.neurons,
        seed002WithInput: checked(totals.neurons + inputElems / batch, 'neurons'),
      },
      memory: {
        inputBytes: mul('bytes', inputElems, BYTES_PER_ELEMENT),
        paramBytes: {
          keras: mul('bytes', paramsUnder('keras'), BYTES_PER_ELEMENT),
          pytorch: mul('bytes', paramsUnder('pytorch'), BYTES_PER_ELEMENT),
        },
        activationBytes: totals.activationBytes,
        torchinfo: torchinfoSizes(
          mul('bytes', inputElems, BYTES_PER_ELEMENT),
          mul('bytes', 2, passOutputs, BYTES_PER_ELEMENT),
          mul('bytes', paramsUnder('pytorch'), BYTES_PER_ELEMENT),
        ),
        torchSummary: {
          inputMiB: round2(tsInput),
          forwardBackwardMiB: round2(tsFwdBwd),
          paramsMiB: round2(tsParams),
          totalMiB: round2(tsInput + tsFwdBwd + tsParams),
        },
      },
    },
  };
  // Kept for the consumers, out of the JSON contract: JSON.stringify and spreads skip non-enumerables.
  return Object.defineProperties(result, {
    graph: { value: graph },
    infos: { value: infos },
    options: { value: options },
  }) as Census;
}
