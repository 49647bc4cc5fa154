/**
 * What a layer kind is made of. Each family file under `src/kinds/` defines its kinds as `KindSpec`s, and
 * `index.ts` collects them in a registry typed so that the compiler names any kind missing a part. This
 * follows tfjs-layers, where each layer class owns computeOutputShape, build, getConfig and registration.
 *
 * Shapes are per example and channels-last; kinds must not assume a rank unless they need one. Kind files
 * import TensorFlow.js as types only: the census loads no backend, and `tf` arrives through BuildCtx.
 */
import type { SymbolicTensor, Tf, TfLayer } from '../tfjs/types.js';
import { ShapeError } from '../errors.js';
import { prod } from '../exact.js';
import type { GraphNode } from '../graph.js';

export type Shape = readonly number[];
export type Pair = readonly [number, number];
export type { Tf } from '../tfjs/types.js';
export type ParamConvention = 'keras' | 'pytorch';

/**
 * One weight tensor of a layer. `role` drives the weights/biases split; `torchName` is the name PyTorch
 * gives the same tensor (`weight`, `bias`, or a BN buffer), which the torch-summary conventions key on.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  role: 'weight' | 'bias' | 'stat';
  trainable: boolean;
  torchName: 'weight' | 'bias' | 'buffer' | 'other';
}

/** What the census collects for each node. */
export interface LayerInfo {
  node: GraphNode;
  inputShapes: Shape[];
  /** Per example, without the batch dimension; the first of `outputShapes`. */
  outputShape: Shape;
  /** Every output of a layer with several (an RNN returning its states); one entry for most. */
  outputShapes: Shape[];
  /** The weights this node owns: none for a shared layer's later calls, non-trainable in a frozen layer. */
  weights: WeightSpec[];
  /** Weight MACs per example. */
  macs: number;
  /** The MACs' named parts per example, for kinds that have several. */
  macParts?: Array<[string, number]>;
}

/** The factors of a weighted layer's parameter and MAC formulas, which `diff` walks from A to B. */
export interface Factors {
  /** 'other': a weighted layer without a factored formula; its params sit in cout, its MACs in positions. */
  kind: 'conv' | 'dense' | 'bn' | 'other';
  /** Kernel elements (1 for dense); a depthwise multiplier is folded into the widths. */
  k: number;
  cin: number;
  cout: number;
  groups: number;
  bias: number;
  /** Output positions per example (H x W for 2-D convs; leading dims for dense). */
  positions: number;
  /** BN: trainable per-channel tensors (gamma, beta) and statistics tensors counted. */
  bnTrainable: number;
  bnStats: number;
}

/** A strided sliding window over the leading (spatial) axes, as the uneven-stride diagnostic reads it. */
export interface WindowSpec {
  kernel: readonly number[];
  strides: readonly number[];
  dilation: readonly number[];
  /** Per spatial axis, [before, after], resolved for the layer's input. */
  pads: ReadonlyArray<readonly [number, number]>;
  /** 'same' and ceil-mode windows never drop input. */
  coversAll: boolean;
}

export interface Diagnostic {
  code: 'dense-on-feature-map' | 'uneven-stride' | 'zoo-variant';
  layer: string | null;
  message: string;
}

/** What a kind's diagnostics may look at besides its own layer. */
export interface DiagnoseCtx {
  /** The layer that produces a node's input (by name). */
  producer(name: string): LayerInfo | undefined;
  infos: readonly LayerInfo[];
  /** The model's output shapes, per example. */
  outputs: readonly Shape[];
}

/**
 * Reads one Keras layer config. The Keras importer implements it; every refusal names the layer, the
 * class and the field.
 */
export interface ConfigReader {
  readonly layer: string;
  readonly cls: string;
  fail(field: string, detail: string): never;
  has(field: string): boolean;
  raw(field: string): unknown;
  int(field: string, fallback?: number, min?: number): number;
  num(field: string, fallback?: number): number;
  bool(field: string, fallback: boolean): boolean;
  pair(field: string, fallback?: number | number[]): Pair;
  /** A padding mode, 'valid' or 'same' unless the kind allows more ('causal'). */
  padding(field?: string): 'valid' | 'same';
  padding<M extends string>(field: string, modes: readonly M[]): M;
  /** An integer or a list of `rank` of them, as Keras writes kernel sizes and strides. */
  tuple(field: string, rank: number, fallback?: number | number[], min?: number): number[];
  /** One of a few allowed strings. */
  str<T extends string>(field: string, allowed: readonly T[], fallback: T): T;
  /** A layer serialized inside this one (Bidirectional's and TimeDistributed's `layer`), read through the registry. */
  nested(field: string): LayerConfigOf;
  /** An activation name as this project knows it; undefined for linear or absent. */
  activation(field?: string): import('./activation.js').ActivationFn | undefined;
  channelsLast(): void;
  lastAxis(field?: string): void;
}

/** A custom tfjs layer class, as a kind's factory makes it for one TensorFlow.js instance. */
export interface LayerClass<A, L extends TfLayer = TfLayer> {
  new (args: A): L;
  readonly className: string;
}

/** The build of a kind whose one custom layer takes the kind's whole config (EinsumDense, the embeddings). */
export const configLayer =
  <C>(factory: (tf: Tf) => LayerClass<{ name?: string; config: C; kernelInitializer?: 'zeros' | 'glorotUniform' }>) =>
  (c: C, ctx: BuildCtx): SymbolicTensor =>
    ctx.use(
      new (ctx.custom(factory))({ name: ctx.name, config: c, kernelInitializer: ctx.kernelInitializer }),
      ctx.inputs[0]!,
    );

/** Everything a kind's TensorFlow.js build gets: the library, its node, and a way to record its layers. */
export interface BuildCtx {
  tf: Tf;
  info: LayerInfo;
  /**
   * The name to give the node's tfjs layers: the node's own where TensorFlow accepts it, else one made
   * from it (a name is data; TensorFlow's name rules are not the file's). Messages name `info.node.name`.
   */
  name: string;
  /** The node's input tensors, in order. */
  inputs: SymbolicTensor[];
  /** Initializer for kernels: zeros verify fastest; random (Glorot) serves benchmarks and numerics. */
  kernelInitializer: 'zeros' | 'glorotUniform';
  /** Applies a layer and records it as part of this node (verification sums their countParams()). */
  use(layer: TfLayer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor;
  /** The custom layer classes a kind defines, made once per TensorFlow.js instance and registered. */
  custom<T>(factory: (tf: Tf) => T): T;
  /** The layers of the node this one shares weights with (GraphNode.sharedWith), for a kind that reads them. */
  owner?: readonly TfLayer[];
}

export interface KindSpec<C extends { kind: string }> {
  /** Framework-neutral display name, as Keras would print it. */
  title: string;
  outputShape(c: C, inputs: Shape[], name: string): Shape;
  /** Every output's shape, for kinds with several outputs; `outputShape` is then the first. */
  outputShapes?(c: C, inputs: Shape[], name: string): Shape[];
  /** The class name tables show, where it depends on the config (a wrapper, a user's class). */
  titleOf?(c: C): string;
  /** false for the placeholder of a layer netcensus cannot count. */
  counted?: false;
  /**
   * The torch.nn class a module of this kind is (the torchinfo view's row); absent for what PyTorch runs
   * as a function (torch.add, torch.cat, a reshape), which torchinfo gives no row.
   */
  torch?: string | ((c: C, inputs: Shape[]) => string | undefined);
  weights(c: C, inputs: Shape[]): WeightSpec[];
  /** Weight multiply-accumulates for one example (bias adds are not MACs). */
  macs(c: C, inputs: Shape[], out: Shape): number;
  /**
   * Where a layer's MACs come from, named (attention: the Q, K, V and output projections, QK^T, AV), for
   * kinds whose MACs have several parts; the parts add up to `macs`.
   */
  macParts?(c: C, inputs: Shape[], out: Shape): Array<[string, number]>;
  /** Short parameter text for tables: `11x11/4 p2 g2`. */
  describe(c: C): string;
  /** True for layers PyTorch would implement as a ConvNd module (torch-summary scales their weights by output positions). */
  convLike?: boolean;
  /**
   * For modules whose parameters are not called weight and bias (nn.RNN, nn.LSTM, nn.GRU: weight_ih_l0, ...),
   * torchinfo 1.8 multiplies the parameters by output_size[:2], batch and time: per example, the steps.
   */
  torchinfoSteps?(inputs: Shape[], c: C): number;
  /**
   * Keras class names this kind reads, and how; a reader may return another kind of the same family. A
   * Keras 3 op in a config (keras.src.ops: `x + 3.0`) is looked up as `ops.ClassName`.
   */
  keras: Readonly<Record<string, (r: ConfigReader) => LayerConfigOf>>;
  /** Keyword arguments of a Keras call that are inputs too, in the order the kind takes them (after the positional ones). */
  kerasCallInputs?: readonly string[];
  /** Custom tfjs layer classes the kind's build uses (registered for serialization before deserializing). */
  custom?: ReadonlyArray<(tf: Tf) => unknown>;
  /**
   * A call that reads its owner's weights (sharedWith) through a layer of its own, another kind than the
   * owner's (a tied head reading an embedding's table), or the same kind with its own config (a second
   * gather of one table): the builder does not replay the owner's layers.
   */
  readsOwner?: true | ((c: C) => boolean);
  /** Builds the layer as TensorFlow.js layers and returns its output tensor (or tensors, for several outputs). */
  tfjs(c: C, ctx: BuildCtx): SymbolicTensor | SymbolicTensor[];
  /**
   * Diff factors of a weighted layer under a parameter convention; undefined where nothing is counted
   * under it, null for a kind without weights.
   */
  factors: ((c: C, info: LayerInfo, convention: ParamConvention) => Factors | undefined) | null;
  /** The strided window the kind slides, for the uneven-stride diagnostic; null where there is none. */
  window: ((c: C, info: LayerInfo) => WindowSpec) | null;
  /** Diagnostics only this kind can raise, beyond the window check. */
  diagnose?: (c: C, info: LayerInfo, ctx: DiagnoseCtx) => Diagnostic[];
}

/** Any layer config; the union itself lives in index.ts, whose families define the members. */
export type LayerConfigOf = import('./index.js').LayerConfig;

/** The specs of a family's kinds; a config type may serve several kinds (max and average pools). */
export type Kinds<C extends { kind: string }> = {
  [K in C['kind']]: KindSpec<C extends unknown ? (K extends C['kind'] ? C : never) : never>;
};

export const fail = (name: string, kind: string, detail: string): never => {
  throw new ShapeError(name, kind, detail);
};

export function one(name: string, kind: string, inputs: Shape[]): Shape {
  if (inputs.length !== 1) fail(name, kind, `expects 1 input, got ${inputs.length}`);
  return inputs[0]!;
}

/** The input of a layer that needs `rank` spatial axes and channels. */
export function spatialInput(name: string, kind: string, inputs: Shape[], rank: number): Shape {
  const s = one(name, kind, inputs);
  if (s.length !== rank + 1) {
    const want =
      rank === 2 ? 'an H x W x C' : rank === 1 ? 'a T x C' : rank === 3 ? 'a D x H x W x C' : `a rank-${rank + 1}`;
    fail(name, kind, `expects ${want} input, got shape [${s.join(', ')}]`);
  }
  return s;
}

export function checkPositive(name: string, kind: string, what: string, values: readonly number[]): void {
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 1) fail(name, kind, `${what} must be a positive integer, got ${v}`);
  }
}

export const weight = (name: string, shape: number[], torchName: WeightSpec['torchName'] = 'weight'): WeightSpec => ({
  name,
  shape,
  role: 'weight',
  trainable: true,
  torchName,
});
export const bias = (name: string, shape: number[]): WeightSpec => ({
  name,
  shape,
  role: 'bias',
  trainable: true,
  torchName: 'bias',
});
export const stat = (name: string, shape: number[]): WeightSpec => ({
  name,
  shape,
  role: 'stat',
  trainable: false,
  torchName: 'buffer',
});

/** A fused activation, as Keras' Conv2D(activation=...) has, shown after the layer's parameters. */
export const fusedText = (fn: string | undefined): string => (fn ? ` +${fn}` : '');

/** Counted under a convention: PyTorch keeps BatchNorm statistics as buffers, not parameters. */
export const countedUnder = (w: WeightSpec, convention: ParamConvention): boolean =>
  convention === 'keras' || w.torchName !== 'buffer';

/**
 * Factors of a weighted layer without a factored formula (separable conv, Normalization): its
 * parameters sit in `cout` and its MACs in `positions`, so a diff still balances.
 */
export function otherFactors(info: LayerInfo, convention: ParamConvention): Factors | undefined {
  const p = info.weights.filter((w) => countedUnder(w, convention)).reduce((s, w) => s + prod(w.shape), 0);
  if (p === 0 && info.macs === 0) return undefined;
  return { kind: 'other', k: 1, cin: 1, cout: p, groups: 1, bias: 0, positions: info.macs, bnTrainable: 0, bnStats: 0 };
}

/** Parts of a kind without weights or MACs. */
export const unweighted = { weights: (): WeightSpec[] => [], macs: (): number => 0, factors: null } as const;
