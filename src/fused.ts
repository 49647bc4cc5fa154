/**
 * Inference forms of a built network, for the benchmark: the same tfjs-layers model, its layers and its
 * weights, executed three ways.
 *
 *  - eager: `model.predict`, tfjs-layers' own executor, one TensorFlow op at a time (the model as built,
 *    which `verify` checks).
 *  - fused: an inference plan of the model, run op by op inside `tf.tidy`: every BatchNorm that follows a
 *    convolution or dense layer (its only consumer, on the channel axis) folded into that layer's kernel and
 *    bias, and the activation after it given to `tf.fused.conv2d` / `depthwiseConv2d` / `matMul`, as
 *    TensorFlow's Grappler remapper does; every other layer runs its own tfjs `apply`.
 *  - graph: the same plan written as a frozen TensorFlow graph (a SavedModel whose weights are constants)
 *    and run by native TensorFlow as a session: Grappler fuses the convolution, bias, residual add and
 *    activation into one oneDNN primitive, oneDNN reorders each constant filter once instead of at every
 *    call, and no op goes through TensorFlow.js. Native TensorFlow only, and only for the layers with a
 *    TensorFlow op below; a model with any other layer has no graph form (the reason says which layer).
 *
 * Both fast forms compute the built network in another order of float32 operations; `outputDifference`
 * measures how far apart the outputs are, and FAST_PATH_RTOL is the agreement they must reach.
 */
import type * as TF from '@tensorflow/tfjs';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { FAST_PATH_RTOL, type ExecutionPath, type FormFacts, type OutputDifference } from './execution-path.js';
import { tf } from './tfjs/tf.js';
import { attr, nodeDef, tensorProto, writeSavedModel, type Proto } from './tfjs/graphdef.js';

type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid';
const FUSABLE = new Set<string>(['linear', 'relu', 'relu6', 'elu', 'sigmoid']);
// As tfjs-layers' own activations compute them (softmax over the last axis).
const POST = {
  softmax: (x: TF.Tensor): TF.Tensor => tf.softmax(x),
  tanh: (x: TF.Tensor): TF.Tensor => tf.tanh(x),
  selu: (x: TF.Tensor): TF.Tensor => tf.selu(x),
  softplus: (x: TF.Tensor): TF.Tensor => tf.softplus(x),
};
type PostActivation = keyof typeof POST;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];

/** GroupedConv2D's padding (a mode, or explicit sides) as the fused ops take it, NHWC. */
const padOf = (p: string | { top: number; bottom: number; left: number; right: number }): Pad =>
  typeof p === 'string'
    ? (p as 'same' | 'valid')
    : [
        [0, 0],
        [p.top, p.bottom],
        [p.left, p.right],
        [0, 0],
      ];

/** A convolution or dense layer with the BatchNorm and activation folded into it. */
interface ContractionStep {
  op: 'conv2d' | 'depthwise' | 'dense';
  /** The layers this step computes, in order: the contraction, then any BatchNorm and activation. */
  layers: string[];
  x: number;
  out: number;
  filter: TF.Tensor;
  bias?: TF.Tensor;
  strides: [number, number];
  pad: Pad;
  dilations: [number, number];
  activation: FusedActivation;
  /** An activation no fused op takes (softmax, tanh, ...), applied after it. */
  post?: PostActivation;
  folded: boolean;
}

/** A layer run by its own call. */
interface LayerStep {
  op: 'layer';
  layer: TF.layers.Layer;
  ins: number[];
  outs: number[];
  kwargs: Record<string, unknown>;
  inShapes: Array<Array<number | null>>;
  outShapes: Array<Array<number | null>>;
}

type Step = ContractionStep | LayerStep;

export interface InferencePlan {
  steps: Step[];
  /** Symbolic tensor ids of the model's inputs and outputs, in order. */
  inputs: number[];
  outputs: number[];
  inputShapes: Array<Array<number | null>>;
  outputShapes: Array<Array<number | null>>;
  /** BatchNorm layers folded into the convolution or dense layer before them. */
  foldedNorms: number;
  /** Activation layers executed inside a fused op. */
  fusedActivations: number;
  /** Layers executed by their own call, counted by class. */
  ownCalls: Record<string, number>;
  /** Releases the folded kernels and biases (the model's own weights are untouched). */
  dispose(): void;
}

// tfjs-layers' Node (one call of a layer), as far as the plan reads it.
interface LayerNode {
  outboundLayer: TF.layers.Layer;
  inputTensors: TF.SymbolicTensor[];
  outputTensors: TF.SymbolicTensor[];
  callArgs: Record<string, unknown>;
  inputShapes: Array<number | null>[] | Array<number | null>;
  outputShapes: Array<number | null>[] | Array<number | null>;
}

const nodeOf = (t: TF.SymbolicTensor): LayerNode =>
  (t.sourceLayer as unknown as { inboundNodes: LayerNode[] }).inboundNodes[t.nodeIndex]!;
const isInputLayer = (l: TF.layers.Layer): boolean => l.getClassName() === 'InputLayer';
const shapeList = (s: LayerNode['inputShapes']): Array<Array<number | null>> =>
  Array.isArray(s[0]) || s.length === 0 ? (s as Array<Array<number | null>>) : [s as Array<number | null>];
const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[v.length > 1 ? 1 : 0])] : [Number(v), Number(v)];

/** A layer's weight by its own name (kernel, bias, gamma, ...), undefined where it has none. */
function weight(layer: TF.layers.Layer, name: string): TF.Tensor | undefined {
  const w = layer.weights.find((v) => v.originalName.split('/').at(-1) === name);
  return w?.read();
}

/** The layer calls that compute the model's outputs, in an order where each comes after its inputs. */
function calls(model: TF.LayersModel): LayerNode[] {
  const order: LayerNode[] = [];
  const seen = new Set<LayerNode>();
  // Iterative post-order: a model of 40,000 layers must not overflow the stack.
  const stack: Array<{ node: LayerNode; next: number }> = [];
  const enter = (t: TF.SymbolicTensor): void => {
    if (isInputLayer(t.sourceLayer)) return;
    const node = nodeOf(t);
    if (seen.has(node)) return;
    seen.add(node);
    stack.push({ node, next: 0 });
  };
  for (const out of model.outputs) {
    enter(out);
    while (stack.length) {
      const top = stack.at(-1)!;
      if (top.next < top.node.inputTensors.length) enter(top.node.inputTensors[top.next++]!);
      else order.push(stack.pop()!.node);
    }
  }
  return order;
}

/** The activation a layer applies, where a fused op can apply it instead; undefined otherwise. */
function activationLayer(layer: TF.layers.Layer): FusedActivation | undefined {
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  if (cls === 'Activation' && FUSABLE.has(String(cfg.activation)) && cfg.activation !== 'linear')
    return cfg.activation as FusedActivation;
  if (cls === 'ReLU' && (cfg.maxValue === null || cfg.maxValue === undefined)) return 'relu';
  if (cls === 'ReLU' && cfg.maxValue === 6) return 'relu6';
  return undefined;
}

/** A call's contraction, where it is one: its op, weights and geometry. */
function contractionOf(node: LayerNode): Omit<ContractionStep, 'layers' | 'x' | 'out' | 'folded'> | undefined {
  const layer = node.outboundLayer;
  const cls = layer.getClassName();
  if (node.inputTensors.length !== 1 || node.outputTensors.length !== 1) return undefined;
  const cfg = layer.getConfig();
  // A known activation that no fused op takes still leaves the contraction a step: it runs after.
  const act = (a: unknown): { activation: FusedActivation; post?: PostActivation } | undefined =>
    a === undefined || a === null
      ? { activation: 'linear' }
      : FUSABLE.has(String(a))
        ? { activation: a as FusedActivation }
        : Object.hasOwn(POST, String(a))
          ? { activation: 'linear', post: a as PostActivation }
          : undefined;
  if (cls === 'Conv2D' || cls === 'DepthwiseConv2D') {
    const activation = act(cfg.activation);
    if (cfg.dataFormat !== 'channelsLast' || !activation) return undefined;
    if (cfg.padding !== 'same' && cfg.padding !== 'valid') return undefined;
    const filter = weight(layer, cls === 'Conv2D' ? 'kernel' : 'depthwise_kernel');
    if (!filter) return undefined;
    const bias = weight(layer, 'bias');
    return {
      op: cls === 'Conv2D' ? 'conv2d' : 'depthwise',
      filter,
      ...(bias ? { bias } : {}),
      strides: pair(cfg.strides),
      pad: cfg.padding,
      dilations: pair(cfg.dilationRate),
      ...activation,
    };
  }
  if (cls === 'GroupedConv2D') {
    const a = (layer as unknown as { args: Record<string, unknown> }).args;
    const activation = act(a.activation);
    const filter = weight(layer, 'kernel');
    if (a.groups !== 1 || !activation || !filter) return undefined;
    const p = a.padding as string | { top: number; bottom: number; left: number; right: number };
    const bias = weight(layer, 'bias');
    return {
      op: 'conv2d',
      filter,
      ...(bias ? { bias } : {}),
      strides: pair(a.strides),
      pad: padOf(p),
      dilations: pair(a.dilationRate),
      ...activation,
    };
  }
  if (cls === 'Dense') {
    const activation = act(cfg.activation);
    const filter = weight(layer, 'kernel');
    if (!activation || !filter || shapeList(node.inputShapes)[0]!.length !== 2) return undefined;
    const bias = weight(layer, 'bias');
    return {
      op: 'dense',
      filter,
      ...(bias ? { bias } : {}),
      strides: [1, 1],
      pad: 'valid',
      dilations: [1, 1],
      ...activation,
    };
  }
  return undefined;
}

/** A BatchNorm over the last axis, in inference: its per-channel scale and shift. */
function normOf(
  layer: TF.layers.Layer,
  inShapes: ReadonlyArray<ReadonlyArray<number | null>>,
): { scale: TF.Tensor1D; shift: TF.Tensor1D } | undefined {
  if (layer.getClassName() !== 'BatchNormalization' || inShapes.length !== 1) return undefined;
  const cfg = layer.getConfig();
  const rank = inShapes[0]!.length;
  const axis = Array.isArray(cfg.axis) ? cfg.axis : [cfg.axis];
  if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== rank - 1)) return undefined;
  const mean = weight(layer, 'moving_mean');
  const variance = weight(layer, 'moving_variance');
  if (!mean || !variance) return undefined;
  const gamma = cfg.scale ? weight(layer, 'gamma') : undefined;
  const beta = cfg.center ? weight(layer, 'beta') : undefined;
  return tf.tidy(() => {
    // tfjs-layers' batchNorm: (x - mean) * gamma / sqrt(variance + epsilon) + beta.
    let scale = tf.rsqrt(tf.add(variance, Number(cfg.epsilon)));
    if (gamma) scale = tf.mul(scale, gamma);
    let shift = tf.neg(tf.mul(mean, scale));
    if (beta) shift = tf.add(shift, beta);
    return { scale: scale as TF.Tensor1D, shift: shift as TF.Tensor1D };
  });
}

/**
 * The inference plan of a built model: its layer calls in order, each convolution or dense layer with
 * the BatchNorm and activation that follow it (where it is their only input and they its only consumer)
 * folded in, every other layer as a call of its own.
 */
export function inferencePlan(model: TF.LayersModel): InferencePlan {
  const order = calls(model);
  const consumers = new Map<number, LayerNode[]>();
  for (const n of order) for (const t of n.inputTensors) consumers.set(t.id, [...(consumers.get(t.id) ?? []), n]);
  const outputs = new Set(model.outputs.map((t) => t.id));
  // The one call that reads t, where nothing else (no other call, no model output) does.
  const soleConsumer = (t: TF.SymbolicTensor): LayerNode | undefined => {
    const c = consumers.get(t.id) ?? [];
    return c.length === 1 && !outputs.has(t.id) && c[0]!.inputTensors.length === 1 ? c[0] : undefined;
  };
  const owned: TF.Tensor[] = [];
  const absorbed = new Set<LayerNode>();
  const steps: Step[] = [];
  const ownCalls: Record<string, number> = {};
  let foldedNorms = 0;
  let fusedActivations = 0;
  for (const n of order) {
    if (absorbed.has(n)) continue;
    const c = contractionOf(n);
    if (!c) {
      const cls = n.outboundLayer.getClassName();
      ownCalls[cls] = (ownCalls[cls] ?? 0) + 1;
      steps.push({
        op: 'layer',
        layer: n.outboundLayer,
        ins: n.inputTensors.map((t) => t.id),
        outs: n.outputTensors.map((t) => t.id),
        kwargs: { ...n.callArgs, training: false },
        inShapes: shapeList(n.inputShapes),
        outShapes: shapeList(n.outputShapes),
      });
      continue;
    }
    const layers = [n.outboundLayer.name];
    let out = n.outputTensors[0]!;
    let { filter, bias } = c;
    let folded = false;
    const next = c.activation === 'linear' && !c.post ? soleConsumer(out) : undefined;
    const norm = next ? normOf(next.outboundLayer, shapeList(next.inputShapes)) : undefined;
    if (next && norm) {
      const k = tf.tidy(() => {
        // Output channel j of a depthwise kernel [kh, kw, cin, m] is cin index j / m, multiplier j % m.
        const s = c.op === 'depthwise' ? tf.reshape(norm.scale, filter.shape.slice(2)) : norm.scale;
        return tf.mul(filter, s);
      });
      const b = tf.tidy(() => (bias ? tf.add(tf.mul(bias, norm.scale), norm.shift) : norm.shift.clone()));
      tf.dispose([norm.scale, norm.shift]);
      owned.push(k, b);
      [filter, bias] = [k, b];
      absorbed.add(next);
      layers.push(next.outboundLayer.name);
      out = next.outputTensors[0]!;
      folded = true;
      foldedNorms++;
    } else if (norm) tf.dispose([norm.scale, norm.shift]);
    let activation = c.activation;
    const after = activation === 'linear' && !c.post ? soleConsumer(out) : undefined;
    const fused = after ? activationLayer(after.outboundLayer) : undefined;
    if (after && fused) {
      activation = fused;
      absorbed.add(after);
      layers.push(after.outboundLayer.name);
      out = after.outputTensors[0]!;
      fusedActivations++;
    }
    steps.push({
      ...c,
      filter,
      ...(bias ? { bias } : {}),
      activation,
      layers,
      x: n.inputTensors[0]!.id,
      out: out.id,
      folded,
    });
  }
  return {
    steps,
    inputs: model.inputs.map((t) => t.id),
    outputs: model.outputs.map((t) => t.id),
    inputShapes: model.inputs.map((t) => t.shape),
    outputShapes: model.outputs.map((t) => t.shape),
    foldedNorms,
    fusedActivations,
    ownCalls,
    dispose: () => tf.dispose(owned),
  };
}

/** For each step, the tensors whose last reader it is (never a model input or output): freed after it. */
function lastUses(plan: InferencePlan): number[][] {
  const last = new Map<number, number>();
  plan.steps.forEach((s, i) => {
    for (const id of s.op === 'layer' ? s.ins : [s.x]) last.set(id, i);
  });
  const keep = new Set([...plan.inputs, ...plan.outputs]);
  const out: number[][] = plan.steps.map(() => []);
  for (const [id, i] of last) if (!keep.has(id)) out[i]!.push(id);
  return out;
}

/** Runs the plan op by op (the fused form): fused ops for the contractions, each other layer's own apply. */
export function runPlan(plan: InferencePlan, inputs: readonly TF.Tensor[]): TF.Tensor[] {
  const free = lastUses(plan);
  return tf.tidy(() => {
    const values = new Map<number, TF.Tensor>(plan.inputs.map((id, i) => [id, inputs[i]!]));
    const get = (id: number): TF.Tensor => values.get(id)!;
    plan.steps.forEach((s, i) => {
      if (s.op === 'layer') {
        const ins = s.ins.map(get);
        const y = s.layer.apply(ins.length === 1 ? ins[0]! : ins, s.kwargs) as TF.Tensor | TF.Tensor[];
        (Array.isArray(y) ? y : [y]).forEach((t, k) => values.set(s.outs[k]!, t));
      } else {
        const x = get(s.x);
        const bias = s.bias;
        const y =
          s.op === 'dense'
            ? tf.fused.matMul({ a: x as TF.Tensor2D, b: s.filter as TF.Tensor2D, bias, activation: s.activation })
            : s.op === 'conv2d'
              ? tf.fused.conv2d({
                  x: x as TF.Tensor4D,
                  filter: s.filter as TF.Tensor4D,
                  strides: s.strides,
                  pad: s.pad,
                  dilations: s.dilations,
                  bias,
                  activation: s.activation,
                })
              : tf.fused.depthwiseConv2d({
                  x: x as TF.Tensor4D,
                  filter: s.filter as TF.Tensor4D,
                  strides: s.strides,
                  // Depthwise steps come from tfjs' DepthwiseConv2D, whose padding is 'same' or 'valid'.
                  pad: s.pad as 'same' | 'valid',
                  dilations: s.dilations,
                  bias,
                  activation: s.activation,
                });
        values.set(s.out, s.post ? POST[s.post](y) : y);
      }
      // Intermediates go as soon as their last reader has run, as tfjs-layers' own executor frees them.
      for (const id of free[i]!) {
        const t = values.get(id);
        values.delete(id);
        // A layer may hand back its input as its output: that tensor lives on under the other id.
        if (t && ![...values.values()].includes(t)) t.dispose();
      }
    });
    return plan.outputs.map(get);
  });
}

// ---------------------------------------------------------------------------------------------------------
// The graph form

/** Why a model has no graph form: the first layer without a TensorFlow op here. */
export {
  EXECUTION_PATHS,
  FAST_PATH_RTOL,
  type ExecutionPath,
  type FormFacts,
  type OutputDifference,
} from './execution-path.js';

export class NoGraphForm extends Error {}

const TF_ACTIVATION: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  selu: 'Selu',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  softmax: 'Softmax',
  softplus: 'Softplus',
  softsign: 'Softsign',
  linear: 'Identity',
};

/** Layers that are the identity at inference. */
const IDENTITY_LAYERS = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ActivityRegularization',
  'NetcensusInputCopy',
]);

interface GraphDef {
  nodes: Proto[];
  inputs: Array<{ name: string; dims: number[] }>;
  outputs: Array<{ name: string; dims: number[] }>;
}

const GRAPH_LIMIT = 2 ** 31 - 2 ** 20;

const dims = (s: ReadonlyArray<number | null>): number[] => s.map((d) => (d === null ? -1 : d));

/** The plan as TensorFlow nodes, weights as constants; throws NoGraphForm for a layer it cannot write. */
export function planGraph(plan: InferencePlan): GraphDef {
  const nodes: Proto[] = [];
  const T = { T: attr.type('float32') };
  let k = 0;
  const name = new Map<number, string>();
  const ref = (id: number): string => name.get(id)!;
  const add = (op: string, inputs: string[], attrs: Record<string, Proto> = {}, as?: string): string => {
    const n = as ?? `op${k++}`;
    nodes.push(nodeDef(n, op, inputs, attrs));
    return n;
  };
  const constant = (t: TF.Tensor | Float32Array, shape?: number[]): string => {
    const data = t instanceof Float32Array ? t : (t.dataSync() as Float32Array);
    const s = shape ?? (t as TF.Tensor).shape;
    return add('Const', [], { dtype: attr.type('float32'), value: attr.tensor(tensorProto('float32', s, data)) });
  };
  const ints = (values: number[], shape = [values.length]): string =>
    add('Const', [], {
      dtype: attr.type('int32'),
      value: attr.tensor(tensorProto('int32', shape, Int32Array.from(values))),
    });
  const activate = (x: string, a: string): string => (a === 'linear' ? x : add(TF_ACTIVATION[a]!, [x], T));
  const padAttrs = (pad: Pad): Record<string, Proto> =>
    typeof pad === 'string'
      ? { padding: attr.s(pad.toUpperCase()) }
      : { padding: attr.s('EXPLICIT'), explicit_paddings: attr.ints(pad.flat()) };
  const convAttrs = (strides: [number, number], pad: Pad, dil: [number, number]): Record<string, Proto> => ({
    ...T,
    strides: attr.ints([1, ...strides, 1]),
    ...padAttrs(pad),
    data_format: attr.s('NHWC'),
    dilations: attr.ints([1, ...dil, 1]),
  });

  plan.inputs.forEach((id, i) => {
    name.set(
      id,
      add(
        'Placeholder',
        [],
        { dtype: attr.type('float32'), shape: attr.shape(dims(plan.inputShapes[i]!)) },
        `input${i}`,
      ),
    );
  });
  for (const s of plan.steps) {
    if (s.op !== 'layer') {
      const x = ref(s.x);
      const w = constant(s.filter);
      const y =
        s.op === 'dense'
          ? add('MatMul', [x, w], { ...T, transpose_a: attr.b(false), transpose_b: attr.b(false) })
          : add(
              s.op === 'conv2d' ? 'Conv2D' : 'DepthwiseConv2dNative',
              [x, w],
              convAttrs(s.strides, s.pad, s.dilations),
            );
      // Conv2D + BiasAdd + Relu is the pattern Grappler's remapper fuses (so is MatMul + BiasAdd + Relu).
      const b = s.bias ? add('BiasAdd', [y, constant(s.bias)], { ...T, data_format: attr.s('NHWC') }) : y;
      name.set(s.out, activate(activate(b, s.activation), s.post ?? 'linear'));
      continue;
    }
    name.set(s.outs[0]!, layerGraph(s, s.ins.map(ref), { add, constant, ints, activate, convAttrs, T }));
  }
  // Protobuf's limit: TensorFlow cannot parse a larger GraphDef (weights kept in variables would be needed).
  const bytes = nodes.reduce((n, p) => n + p.length, 0);
  if (bytes > GRAPH_LIMIT)
    throw new NoGraphForm(`the frozen graph would be ${(bytes / 2 ** 30).toFixed(2)} GiB, over protobuf's 2 GiB`);
  return {
    nodes,
    inputs: plan.inputs.map((id, i) => ({ name: `${ref(id)}:0`, dims: dims(plan.inputShapes[i]!) })),
    // Every output through an Identity of a known name: an input that is also an output still gets a node.
    outputs: plan.outputs.map((id, i) => ({
      name: `${add('Identity', [ref(id)], T, `output${i}`)}:0`,
      dims: dims(plan.outputShapes[i]!),
    })),
  };
}

interface Emit {
  add: (op: string, inputs: string[], attrs?: Record<string, Proto>) => string;
  constant: (t: TF.Tensor | Float32Array, shape?: number[]) => string;
  ints: (values: number[], shape?: number[]) => string;
  activate: (x: string, a: string) => string;
  convAttrs: (strides: [number, number], pad: Pad, dil: [number, number]) => Record<string, Proto>;
  T: Record<string, Proto>;
}

/** One layer's TensorFlow nodes; returns its (single) output's node name. */
function layerGraph(s: LayerStep, ins: string[], e: Emit): string {
  const { add, constant, ints, activate, T } = e;
  const layer = s.layer;
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  const args = (layer as unknown as { args?: Record<string, unknown> }).args ?? {};
  const inShape = s.inShapes[0]!;
  const outShape = s.outShapes[0]!;
  const unsupported = (why = ''): never => {
    throw new NoGraphForm(`layer "${layer.name}" (${cls}${why ? `: ${why}` : ''}) has no TensorFlow graph form here`);
  };
  if (s.outs.length !== 1) unsupported('several outputs');
  if (IDENTITY_LAYERS.has(cls)) return ins[0]!;
  const chain = (op: string): string => ins.slice(1).reduce((a, b) => add(op, [a, b], T), ins[0]!);
  switch (cls) {
    case 'Activation': {
      const a = String(cfg.activation);
      if (!TF_ACTIVATION[a]) unsupported(`activation ${a}`);
      return activate(ins[0]!, a);
    }
    case 'ReLU':
      if (cfg.maxValue === null || cfg.maxValue === undefined) return add('Relu', ins, T);
      if (cfg.maxValue === 6) return add('Relu6', ins, T);
      return unsupported(`maxValue ${String(cfg.maxValue)}`);
    case 'Add':
      return chain('AddV2');
    case 'Multiply':
      return chain('Mul');
    case 'Subtract':
      return chain('Sub');
    case 'Concatenate': {
      const axis = Number(cfg.axis);
      return add('ConcatV2', [...ins, ints([axis < 0 ? inShape.length + axis : axis], [])], {
        ...T,
        N: attr.i(ins.length),
        Tidx: attr.type('int32'),
      });
    }
    case 'BatchNormalization': {
      const norm = normOf(layer, s.inShapes);
      if (!norm) return unsupported('not over the last axis');
      const y = add('AddV2', [add('Mul', [ins[0]!, constant(norm.scale)], T), constant(norm.shift)], T);
      tf.dispose([norm.scale, norm.shift]);
      return y;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (cfg.dataFormat !== 'channelsLast') unsupported('channels first');
      return add(cls === 'MaxPooling2D' ? 'MaxPool' : 'AvgPool', ins, {
        ...T,
        ksize: attr.ints([1, ...pair(cfg.poolSize), 1]),
        strides: attr.ints([1, ...pair(cfg.strides ?? cfg.poolSize), 1]),
        padding: attr.s(String(cfg.padding).toUpperCase()),
        data_format: attr.s('NHWC'),
      });
    }
    case 'Pool2DExplicit': {
      const a = args as {
        mode: 'max' | 'avg';
        pool: [number, number];
        strides: [number, number];
        pads: { top: number; bottom: number; left: number; right: number };
      };
      const [h, w] = [inShape[1]!, inShape[2]!];
      const [oh, ow] = [outShape[1]!, outShape[2]!];
      // As the layer computes it: the ceil mode's last window may run past the padding, padded as far.
      const extraH = Math.max(0, (oh - 1) * a.strides[0] + a.pool[0] - (h + a.pads.top + a.pads.bottom));
      const extraW = Math.max(0, (ow - 1) * a.strides[1] + a.pool[1] - (w + a.pads.left + a.pads.right));
      if (a.mode === 'avg' && (extraH || extraW)) unsupported('average with ceil mode');
      const pads = [0, 0, a.pads.top, a.pads.bottom + extraH, a.pads.left, a.pads.right + extraW, 0, 0];
      const padded = pads.some(Boolean)
        ? add('PadV2', [ins[0]!, ints(pads, [4, 2]), constant(Float32Array.of(a.mode === 'max' ? -Infinity : 0), [])], {
            ...T,
            Tpaddings: attr.type('int32'),
          })
        : ins[0]!;
      return add(a.mode === 'max' ? 'MaxPool' : 'AvgPool', [padded], {
        ...T,
        ksize: attr.ints([1, ...a.pool, 1]),
        strides: attr.ints([1, ...a.strides, 1]),
        padding: attr.s('VALID'),
        data_format: attr.s('NHWC'),
      });
    }
    case 'AdaptiveAvgPool2D': {
      const [h, w] = [inShape[1]!, inShape[2]!];
      const [oh, ow] = (args as { output: [number, number] }).output;
      if (h === oh && w === ow) return ins[0]!;
      if (h % oh || w % ow) {
        // As the layer computes it: the mean of each bin of rows, then of each bin of columns.
        const bins = (size: number, out: number): Array<[number, number]> =>
          Array.from({ length: out }, (_, i) => [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
        const meanOf = (x: string, axis: 1 | 2, [s, end]: [number, number]): string => {
          const begin = [0, 0, 0, 0];
          const size = [-1, -1, -1, -1];
          begin[axis] = s;
          size[axis] = end - s;
          const slice = add('Slice', [x, ints(begin), ints(size)], { ...T, Index: attr.type('int32') });
          return add('Mean', [slice, ints([axis], [])], { ...T, Tidx: attr.type('int32'), keep_dims: attr.b(true) });
        };
        const concat = (xs: string[], axis: number): string =>
          add('ConcatV2', [...xs, ints([axis], [])], { ...T, N: attr.i(xs.length), Tidx: attr.type('int32') });
        const rows = concat(
          bins(h, oh).map((b) => meanOf(ins[0]!, 1, b)),
          1,
        );
        return concat(
          bins(w, ow).map((b) => meanOf(rows, 2, b)),
          2,
        );
      }
      return add('AvgPool', ins, {
        ...T,
        ksize: attr.ints([1, h / oh, w / ow, 1]),
        strides: attr.ints([1, h / oh, w / ow, 1]),
        padding: attr.s('VALID'),
        data_format: attr.s('NHWC'),
      });
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      if (cfg.dataFormat !== 'channelsLast') unsupported('channels first');
      return add(cls === 'GlobalAveragePooling2D' ? 'Mean' : 'Max', [ins[0]!, ints([1, 2])], {
        ...T,
        Tidx: attr.type('int32'),
        keep_dims: attr.b(outShape.length === 4),
      });
    }
    case 'Flatten':
    case 'Reshape': {
      if (outShape.slice(1).some((d) => d === null)) unsupported('unknown output size');
      return add('Reshape', [ins[0]!, ints([-1, ...(outShape.slice(1) as number[])])], {
        ...T,
        Tshape: attr.type('int32'),
      });
    }
    case 'Dense': {
      // Over the last axis of a map (rank > 2): the rows flattened, multiplied, and shaped back.
      const act = String(cfg.activation ?? 'linear');
      if (!TF_ACTIVATION[act]) unsupported(`activation ${act}`);
      if (outShape.slice(1).some((d) => d === null)) unsupported('unknown output size');
      const kernel = weight(layer, 'kernel')!;
      const bias = weight(layer, 'bias');
      const rows = add('Reshape', [ins[0]!, ints([-1, kernel.shape[0]!])], { ...T, Tshape: attr.type('int32') });
      let y = add('MatMul', [rows, constant(kernel)], { ...T, transpose_a: attr.b(false), transpose_b: attr.b(false) });
      if (bias) y = add('BiasAdd', [y, constant(bias)], T);
      y = activate(y, act);
      return add('Reshape', [y, ints([-1, ...(outShape.slice(1) as number[])])], { ...T, Tshape: attr.type('int32') });
    }
    case 'ZeroPadding2D': {
      const p = cfg.padding as [[number, number], [number, number]];
      return add('Pad', [ins[0]!, ints([0, 0, ...p[0], ...p[1], 0, 0], [4, 2])], {
        ...T,
        Tpaddings: attr.type('int32'),
      });
    }
    case 'LRN': {
      const a = args as { size: number; alpha: number; beta: number; k: number };
      if ((a.size - 1) % 2) unsupported('even size');
      // As the layer calls tf.localResponseNormalization, which is TensorFlow's LRN op.
      return add('LRN', ins, {
        ...T,
        depth_radius: attr.i((a.size - 1) / 2),
        bias: attr.f(a.k),
        alpha: attr.f(a.alpha / a.size),
        beta: attr.f(a.beta),
      });
    }
    case 'GroupedConv2D': {
      const a = args as {
        groups: number;
        strides: [number, number];
        dilationRate: [number, number];
        padding: string | { top: number; bottom: number; left: number; right: number };
        activation?: string;
      };
      if (a.activation && !TF_ACTIVATION[a.activation]) unsupported(`activation ${a.activation}`);
      const kernel = weight(layer, 'kernel')!;
      const bias = weight(layer, 'bias');
      const p = a.padding;
      const pad = padOf(p);
      // As the layer computes it: the input and the kernel split by groups of channels, one conv each.
      const xs = add('Split', [ints([3], []), ins[0]!], { ...T, num_split: attr.i(a.groups) });
      const ks = tf.split(kernel, a.groups, 3);
      const ys = ks.map((kg, g) =>
        add('Conv2D', [g ? `${xs}:${g}` : xs, constant(kg)], e.convAttrs(a.strides, pad, a.dilationRate)),
      );
      tf.dispose(ks);
      let y = add('ConcatV2', [...ys, ints([3], [])], { ...T, N: attr.i(ys.length), Tidx: attr.type('int32') });
      if (bias) y = add('BiasAdd', [y, constant(bias)], { ...T, data_format: attr.s('NHWC') });
      return activate(y, a.activation ?? 'linear');
    }
    default:
      return unsupported();
  }
}

interface SavedModelBackend {
  loadSavedModelMetaGraph(path: string, tags: string): number;
  runSavedModel(
    id: number,
    inputs: TF.Tensor[],
    infos: Array<{ name: string; tfDtype: string }>,
    outputs: string[],
  ): TF.Tensor[];
  deleteSavedModel(id: number): void;
}

/** A model running as a native TensorFlow session (the graph form). */
export interface GraphSession {
  run(inputs: readonly TF.Tensor[]): TF.Tensor[];
  /** TensorFlow nodes in the graph as written (before Grappler). */
  ops: number;
  dispose(): void;
}

/**
 * Writes the plan as a SavedModel into a fresh temporary folder, loads it into native TensorFlow as a
 * session, and removes the folder (the session holds the graph). Throws NoGraphForm where a layer has no
 * TensorFlow op here, and a plain Error off native TensorFlow.
 */
export function graphSession(plan: InferencePlan): GraphSession {
  const backend = tf.backend() as unknown as Partial<SavedModelBackend>;
  if (tf.getBackend() !== 'tensorflow' || typeof backend.loadSavedModelMetaGraph !== 'function')
    throw new Error('the graph form needs native TensorFlow (backend tensorflow)');
  const graph = planGraph(plan);
  const dir = join(os.tmpdir(), `netcensus-graph-${process.pid}-${randomBytes(4).toString('hex')}`);
  let id: number;
  try {
    writeSavedModel(
      dir,
      graph.nodes,
      Object.fromEntries(graph.inputs.map((t, i) => [`input${i}`, t])),
      Object.fromEntries(graph.outputs.map((t, i) => [`output${i}`, t])),
    );
    id = backend.loadSavedModelMetaGraph(dir, 'serve');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const b = backend as SavedModelBackend;
  const infos = graph.inputs.map((t) => ({ name: t.name, tfDtype: 'DT_FLOAT' }));
  const outs = graph.outputs.map((t) => t.name);
  let open = true;
  return {
    run: (inputs) => b.runSavedModel(id, [...inputs], infos, outs),
    ops: graph.nodes.length,
    dispose: () => {
      if (open) b.deleteSavedModel(id);
      open = false;
    },
  };
}

/** One execution path of a built model, ready to time. */
export interface InferenceForm {
  path: ExecutionPath;
  predict(x: TF.Tensor | TF.Tensor[]): TF.Tensor | TF.Tensor[];
  /** What the form does differently from the eager model, in figures (none for eager). */
  facts?: FormFacts;
  dispose(): void;
}

/**
 * The model as the given path runs it. 'graph' throws NoGraphForm for a layer it cannot write and a plain
 * Error off native TensorFlow; the model itself stays the caller's (dispose releases only what the form made).
 */
export function inferenceForm(model: TF.LayersModel, path: ExecutionPath): InferenceForm {
  const list = (x: TF.Tensor | TF.Tensor[]): TF.Tensor[] => (Array.isArray(x) ? x : [x]);
  const single = (ys: TF.Tensor[]): TF.Tensor | TF.Tensor[] => (ys.length === 1 ? ys[0]! : ys);
  if (path === 'eager')
    return { path, predict: (x) => model.predict(x) as TF.Tensor | TF.Tensor[], dispose: () => undefined };
  const plan = inferencePlan(model);
  const facts = { foldedNorms: plan.foldedNorms, fusedActivations: plan.fusedActivations, ownCalls: plan.ownCalls };
  if (path === 'fused')
    return { path, facts, predict: (x) => single(runPlan(plan, list(x))), dispose: () => plan.dispose() };
  let session: GraphSession;
  try {
    session = graphSession(plan);
  } finally {
    // The session holds its own copy of every weight.
    plan.dispose();
  }
  return {
    path,
    facts: { ...facts, graphOps: session.ops },
    predict: (x) => single(session.run(list(x))),
    dispose: () => session.dispose(),
  };
}

/** How far a form's outputs are from the built model's on the same input, against FAST_PATH_RTOL. */

export async function outputDifference(
  model: TF.LayersModel,
  form: InferenceForm,
  x: TF.Tensor | TF.Tensor[],
): Promise<OutputDifference> {
  const list = (y: TF.Tensor | TF.Tensor[]): TF.Tensor[] => (Array.isArray(y) ? y : [y]);
  const ref = list(model.predict(x) as TF.Tensor | TF.Tensor[]);
  const got = list(form.predict(x));
  try {
    let maxAbsDiff = 0;
    let maxAbsOutput = 0;
    let nan = false;
    for (const [i, r] of ref.entries()) {
      const a = (await r.data()) as Float32Array;
      const b = (await got[i]!.data()) as Float32Array;
      if (a.length !== b.length)
        return { maxAbsDiff: Infinity, maxAbsOutput: 0, relative: Infinity, tolerance: FAST_PATH_RTOL, ok: false };
      for (let j = 0; j < a.length; j++) {
        const d = Math.abs(a[j]! - b[j]!);
        if (Number.isNaN(d)) nan = true;
        else if (d > maxAbsDiff) maxAbsDiff = d;
        maxAbsOutput = Math.max(maxAbsOutput, Math.abs(a[j]!));
      }
    }
    // A NaN on one side only (or on both) is never agreement.
    if (nan) maxAbsDiff = NaN;
    const relative = maxAbsOutput > 0 ? maxAbsDiff / maxAbsOutput : maxAbsDiff;
    return { maxAbsDiff, maxAbsOutput, relative, tolerance: FAST_PATH_RTOL, ok: relative <= FAST_PATH_RTOL };
  } finally {
    tf.dispose([...ref, ...got]);
  }
}
