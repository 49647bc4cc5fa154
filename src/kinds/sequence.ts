/**
 * Sequence kinds: Embedding (and Keras 3's ReversibleEmbedding), the recurrent layers (SimpleRNN, LSTM, GRU,
 * the generic RNN over cells or StackedRNNCells, ConvLSTM1D/2D/3D), and the wrappers that apply another
 * layer at every time step (TimeDistributed) or in both directions (Bidirectional).
 *
 * Sequences are per example [time, ...features]. MAC conventions (weight multiply-accumulates per example;
 * bias adds, activations and gate products are not MACs):
 *  - SimpleRNN: units x (input + units) per step; LSTM: 4 x units x (input + units); GRU: 3 x units x
 *    (input + units), reset_after or not (the recurrent product is one units x 3 units matrix either way);
 *    stacked cells add up, each fed by the one before. Times the time steps: every step runs, whether or
 *    not the layer returns the whole sequence.
 *  - ConvLSTM: per step, the input convolution (output positions x 4 filters x input channels x kernel)
 *    plus the recurrent one over the state (output positions x 4 filters x filters x kernel; SAME, stride 1),
 *    times the time steps.
 *  - Bidirectional: both directions (named parts `forward` and `backward`); TimeDistributed: the wrapped
 *    layer's MACs x time steps.
 *  - Embedding: a table lookup, no MACs.
 */
import type * as TF from '@tensorflow/tfjs';
import type { SymbolicTensor, Tensor, TfLayer, TfRnnCell } from '../tfjs/types.js';
import { customBase, initializer, perExample, singleInput, singleShape } from '../tfjs/base.js';
import type { LayerArgs, ConfigArgs } from '../tfjs/args.js';
import { mul, prod, sum } from '../exact.js';
import { activationOp, readActivation, tfjsActivation, type ActivationFn } from './activation.js';
// The registry, for a wrapped layer's spec: used inside functions only, as index.ts imports this file first.
import { kindSpec, type LayerConfig } from './index.js';
import { bias, checkPositive, fail, one, otherFactors, weight, configLayer } from './spec.js';
import type { BuildCtx, ConfigReader, Kinds, LayerInfo, Shape, Tf, WeightSpec } from './spec.js';
import { padText, sizeText, slide } from './window.js';

// ---- configs ----

export interface EmbeddingConfig {
  kind: 'embedding';
  inputDim: number;
  outputDim: number;
  /** Keras' mask_zero: index 0 is padding; it changes the mask, not the counts. */
  maskZero?: boolean;
}
/**
 * A stored table read at fixed rows: BERT's and GPT-2's position embeddings, an nn.Embedding called on its
 * position_ids buffer. The whole table is the parameter (PyTorch counts it whole); its one input only
 * carries the batch.
 */
export interface FixedEmbeddingConfig {
  kind: 'fixedEmbedding';
  inputDim: number;
  outputDim: number;
  /** The rows read, in the order of `indexShape` (per example). */
  indices: number[];
  indexShape: number[];
}
/**
 * Logits by an embedding table another layer holds (a language model's head tied to its token embedding,
 * GPT-2's lm_head): x times the table transposed. The node shares its owner's weights (sharedWith), so the
 * table is counted once, with the embedding; the projection's MACs are its own.
 */
export interface TiedProjectionConfig {
  kind: 'tiedProjection';
  /** The table's rows (the vocabulary: this layer's units) and columns (its input features). */
  inputDim: number;
  outputDim: number;
}
/** Keras 3's ReversibleEmbedding: an Embedding that can also project back to logits (a second matrix unless tied). */
export interface ReversibleEmbeddingConfig {
  kind: 'reversibleEmbedding';
  inputDim: number;
  outputDim: number;
  tieWeights: boolean;
}

/** What every recurrent layer shares: what it returns and in which direction it reads. */
export interface RecurrentFlags {
  returnSequences: boolean;
  returnState: boolean;
  goBackwards: boolean;
  /**
   * Keras' stateful: the last states are kept for the next batch. Keras keeps them outside its tracked
   * weights, so they are not counted; one forward pass from zero states is what a non-stateful layer computes.
   */
  stateful?: boolean;
}

export type RnnCellType = 'simple' | 'lstm' | 'gru';

/** One recurrent cell: Keras' SimpleRNNCell, LSTMCell or GRUCell. */
export interface RnnCell {
  cell: RnnCellType;
  units: number;
  bias: boolean;
  /** GRU only (Keras' default true): separate input and recurrent biases, shape (2, 3 x units). */
  resetAfter?: boolean;
  /** LSTM only: a second bias on the recurrent product, as PyTorch's nn.LSTM has (b_hh beside b_ih). */
  recurrentBias?: boolean;
  /** Absent: tanh. */
  activation?: ActivationFn;
  /** LSTM and GRU gates; absent: sigmoid. */
  recurrentActivation?: ActivationFn;
}

/** Keras' SimpleRNN, LSTM and GRU layers: one cell over time. */
export interface RecurrentConfig extends RecurrentFlags, Omit<RnnCell, 'cell'> {
  kind: 'simpleRnn' | 'lstm' | 'gru';
}
/** Keras' generic RNN over a cell, or over StackedRNNCells (each cell fed by the one before). */
export interface RnnConfig extends RecurrentFlags {
  kind: 'rnn';
  cells: readonly RnnCell[];
}
export interface ConvLstmConfig extends RecurrentFlags {
  kind: 'convLstm1d' | 'convLstm2d' | 'convLstm3d';
  filters: number;
  kernel: readonly number[];
  strides: readonly number[];
  padding: 'valid' | 'same';
  dilation: readonly number[];
  bias: boolean;
  activation?: ActivationFn;
  recurrentActivation?: ActivationFn;
}
export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
/** Keras' Bidirectional: a recurrent layer run forward and a copy (or `backward_layer`) run backward. */
export interface BidirectionalConfig {
  kind: 'bidirectional';
  forward: RecurrentLayerConfig;
  backward: RecurrentLayerConfig;
  /** null: both directions returned as two outputs. */
  mergeMode: MergeMode;
  /** false where the wrapped layer itself was frozen (trainable=False inside the wrapper). */
  forwardTrainable?: false;
  backwardTrainable?: false;
}
/** Keras' TimeDistributed: the same layer (one set of weights) applied at every time step. */
export interface TimeDistributedConfig {
  kind: 'timeDistributed';
  layer: LayerConfig;
  layerTrainable?: false;
}

export type RecurrentLayerConfig = RecurrentConfig | RnnConfig | ConvLstmConfig;

/** Every config this family defines. */
export type SequenceFamily =
  | EmbeddingConfig
  | ReversibleEmbeddingConfig
  | FixedEmbeddingConfig
  | TiedProjectionConfig
  | RecurrentConfig
  | RnnConfig
  | ConvLstmConfig
  | BidirectionalConfig
  | TimeDistributedConfig;

/** Shorthands for building graphs by hand. */
export const embedding = (inputDim: number, outputDim: number): EmbeddingConfig => ({
  kind: 'embedding',
  inputDim,
  outputDim,
});
export const recurrent = (
  kind: RecurrentConfig['kind'],
  units: number,
  o: Partial<Omit<RecurrentConfig, 'kind' | 'units'>> = {},
): RecurrentConfig => ({
  kind,
  units,
  bias: true,
  returnSequences: false,
  returnState: false,
  goBackwards: false,
  ...(kind === 'gru' ? { resetAfter: true } : {}),
  ...o,
});

// ---- shared rules ----

const CELL: Record<RnnCellType, { gates: number; title: string; name: string }> = {
  simple: { gates: 1, title: 'SimpleRNNCell', name: 'simple_rnn_cell' },
  lstm: { gates: 4, title: 'LSTMCell', name: 'lstm_cell' },
  gru: { gates: 3, title: 'GRUCell', name: 'gru_cell' },
};
const CELL_OF_KIND: Record<RecurrentConfig['kind'], RnnCellType> = { simpleRnn: 'simple', lstm: 'lstm', gru: 'gru' };
const CONV_RANK: Record<ConvLstmConfig['kind'], number> = { convLstm1d: 1, convLstm2d: 2, convLstm3d: 3 };
const RECURRENT_KINDS: ReadonlySet<string> = new Set([
  'simpleRnn',
  'lstm',
  'gru',
  'rnn',
  'convLstm1d',
  'convLstm2d',
  'convLstm3d',
]);

export const isRecurrent = (c: LayerConfig): c is RecurrentLayerConfig => RECURRENT_KINDS.has(c.kind);

/** The cells a recurrent layer runs, in order. */
export function cellsOf(c: RecurrentConfig | RnnConfig): readonly RnnCell[] {
  if (c.kind === 'rnn') return c.cells;
  const { kind: _k, returnSequences: _s, returnState: _r, goBackwards: _g, stateful: _st, ...cell } = c;
  return [{ cell: CELL_OF_KIND[c.kind], ...cell }];
}

/** The states a cell carries: LSTM h and c, the others h. */
const cellStates = (cell: RnnCell): number[][] =>
  cell.cell === 'lstm' ? [[cell.units], [cell.units]] : [[cell.units]];

function cellWeights(cell: RnnCell, inputDim: number, prefix: string): WeightSpec[] {
  const width = mul('units', CELL[cell.cell].gates, cell.units);
  const specs = [
    weight(`${prefix}kernel`, [inputDim, width]),
    weight(`${prefix}recurrent_kernel`, [cell.units, width]),
  ];
  if (cell.bias) specs.push(bias(`${prefix}bias`, cell.cell === 'gru' && cell.resetAfter ? [2, width] : [width]));
  if (cell.bias && cell.recurrentBias) specs.push(bias(`${prefix}recurrent_bias`, [width]));
  return specs;
}

/** A sequence input [time, features]; a recurrent layer's further inputs are its initial states. */
function sequenceInput(name: string, kind: string, inputs: Shape[], rank: number): Shape {
  if (inputs.length === 0) fail(name, kind, 'expects a sequence input');
  const s = inputs[0]!;
  if (s.length !== rank + 1) {
    const want = rank === 1 ? 'a [time, features]' : `a rank-${rank + 1} [time, ...]`;
    fail(name, kind, `expects ${want} sequence, got shape [${s.join(', ')}]`);
  }
  checkPositive(name, kind, 'input dimension', s);
  return s;
}

/** Initial states passed in a call must be exactly the layer's states. */
function checkInitialStates(name: string, kind: string, inputs: Shape[], states: Shape[]): void {
  const given = inputs.slice(1);
  if (given.length === 0) return;
  const text = (ss: Shape[]) => ss.map((s) => `[${s.join(', ')}]`).join(', ');
  if (given.length !== states.length || given.some((s, i) => s.join() !== states[i]!.join())) {
    fail(name, kind, `initial states ${text(given)} do not match its states ${text(states)}`);
  }
}

/** Output, then (with return_state) every state, as Keras returns them. */
function recurrentOutputs(c: RecurrentFlags, steps: number, last: Shape, states: Shape[]): Shape[] {
  const y = c.returnSequences ? [steps, ...last] : [...last];
  return c.returnState ? [y, ...states] : [y];
}

function rnnOutputs(c: RecurrentConfig | RnnConfig, inputs: Shape[], name: string): Shape[] {
  const [steps] = sequenceInput(name, c.kind, inputs, 1) as [number, number];
  const cells = cellsOf(c);
  if (cells.length === 0) fail(name, c.kind, 'has no cells');
  checkPositive(
    name,
    c.kind,
    'units',
    cells.map((x) => x.units),
  );
  const states = cells.flatMap(cellStates);
  checkInitialStates(name, c.kind, inputs, states);
  return recurrentOutputs(c, steps, [cells.at(-1)!.units], states);
}

function rnnWeights(c: RecurrentConfig | RnnConfig, inputs: Shape[]): WeightSpec[] {
  const cells = cellsOf(c);
  let inputDim = inputs[0]![1]!;
  return cells.flatMap((cell, i) => {
    const w = cellWeights(cell, inputDim, cells.length === 1 ? '' : `cells/${i}/`);
    inputDim = cell.units;
    return w;
  });
}

/** Per step, each cell's gates x units x (its input + units); times the steps. */
function rnnMacs(c: RecurrentConfig | RnnConfig, inputs: Shape[]): number {
  const [steps, features] = inputs[0]! as [number, number];
  let inputDim = features;
  const perStep = sum(
    'MACs',
    cellsOf(c).map((cell) => {
      const m = mul('MACs', CELL[cell.cell].gates, cell.units, inputDim + cell.units);
      inputDim = cell.units;
      return m;
    }),
  );
  return mul('MACs', perStep, steps);
}

const flagText = (c: RecurrentFlags): string =>
  `${c.returnSequences ? ' seq' : ''}${c.returnState ? ' +state' : ''}${c.goBackwards ? ' backwards' : ''}${c.stateful ? ' stateful' : ''}`;

const cellText = (cell: RnnCell): string =>
  `${cell.units}${cell.bias ? '' : ' nobias'}${cell.cell === 'gru' && !cell.resetAfter ? ' reset_before' : ''}${cell.recurrentBias ? ' 2 biases' : ''}`;

// ---- ConvLSTM ----

function convLstmShapes(c: ConvLstmConfig, inputs: Shape[], name: string): { steps: number; state: Shape } {
  const rank = CONV_RANK[c.kind];
  const s = sequenceInput(name, c.kind, inputs, rank + 1);
  if (inputs.length > 1) fail(name, c.kind, 'initial states are not supported for ConvLSTM layers');
  checkPositive(name, c.kind, 'filters', [c.filters]);
  for (const [what, v] of [
    ['kernel size', c.kernel],
    ['stride', c.strides],
    ['dilation', c.dilation],
  ] as const) {
    if (v.length !== rank) fail(name, c.kind, `${what} must have ${rank} entries, got [${v.join(', ')}]`);
  }
  if (c.strides.some((x) => x > 1) && c.dilation.some((x) => x > 1)) {
    fail(name, c.kind, 'strides > 1 and dilation > 1 cannot be combined (Keras refuses them too)');
  }
  const spatial = slide(name, c.kind, s.slice(1, 1 + rank), c);
  return { steps: s[0]!, state: [...spatial, c.filters] };
}

function convLstmWeights(c: ConvLstmConfig, inputs: Shape[]): WeightSpec[] {
  const cin = inputs[0]!.at(-1)!;
  const width = mul('filters', 4, c.filters);
  const specs = [
    weight('kernel', [...c.kernel, cin, width]),
    weight('recurrent_kernel', [...c.kernel, c.filters, width]),
  ];
  if (c.bias) specs.push(bias('bias', [width]));
  return specs;
}

// ---- wrappers: the wrapped layer's own rules ----

function infoOf(outer: LayerInfo, config: LayerConfig, name: string, inputShapes: Shape[]): LayerInfo {
  const spec = kindSpec(config);
  const outputShapes = spec.outputShapes?.(config, inputShapes, name) ?? [spec.outputShape(config, inputShapes, name)];
  const outputShape = outputShapes[0]!;
  return {
    node: { ...outer.node, name, scope: name, config, inputs: [] },
    inputShapes,
    outputShape,
    outputShapes,
    weights: spec.weights(config, inputShapes),
    macs: spec.macs(config, inputShapes, outputShape),
  };
}

const outputsOf = (config: LayerConfig, inputs: Shape[], name: string): Shape[] => {
  const spec = kindSpec(config);
  return spec.outputShapes?.(config, inputs, name) ?? [spec.outputShape(config, inputs, name)];
};

/** A wrapped layer's weights under its name in the wrapper; non-trainable where it was frozen inside it. */
const wrapped = (ws: WeightSpec[], trainable: false | undefined, prefix: string): WeightSpec[] =>
  ws.map((w) => ({ ...w, name: prefix + w.name, ...(trainable === false ? { trainable: false } : {}) }));

/**
 * Keras' merge of the two directions' outputs; concat joins the last axes, the others need equal shapes.
 * With an explicit backward layer of another width, Keras' symbolic shape doubles the forward width
 * (LSTM(3) + GRU(2): (6)) while the layer returns 3 + 2 = 5: the count follows what executes.
 */
export function mergeShapes(name: string, mode: MergeMode, y: Shape, yRev: Shape): Shape[] {
  const same = y.length === yRev.length && y.every((d, i) => d === yRev[i]);
  if (mode === null) return [y, yRev];
  if (mode === 'concat') {
    if (y.length !== yRev.length || y.slice(0, -1).some((d, i) => d !== yRev[i]))
      fail(name, 'bidirectional', `cannot concatenate outputs [${y.join(', ')}] and [${yRev.join(', ')}]`);
    return [[...y.slice(0, -1), y.at(-1)! + yRev.at(-1)!]];
  }
  if (!same)
    fail(
      name,
      'bidirectional',
      `merge mode ${mode} needs equal outputs, got [${y.join(', ')}] and [${yRev.join(', ')}]`,
    );
  return [y];
}

function bidirectionalOutputs(c: BidirectionalConfig, inputs: Shape[], name: string): Shape[] {
  const x = one(name, c.kind, inputs);
  const f = outputsOf(c.forward, [x], name);
  const b = outputsOf(c.backward, [x], name);
  return [...mergeShapes(name, c.mergeMode, f[0]!, b[0]!), ...f.slice(1), ...b.slice(1)];
}

function timeDistributedInput(c: TimeDistributedConfig, inputs: Shape[], name: string): [number, Shape] {
  const x = one(name, c.kind, inputs);
  if (x.length < 2) fail(name, c.kind, `expects a [time, ...] input of rank >= 2, got shape [${x.join(', ')}]`);
  return [x[0]!, x.slice(1)];
}

function timeDistributedOutput(c: TimeDistributedConfig, inputs: Shape[], name: string): Shape {
  const [steps, step] = timeDistributedInput(c, inputs, name);
  const outs = outputsOf(c.layer, [step], name);
  if (outs.length !== 1) fail(name, c.kind, `the wrapped layer has ${outs.length} outputs; TimeDistributed takes one`);
  return [steps, ...outs[0]!];
}

const titleOfConfig = (c: LayerConfig): string => {
  const spec = kindSpec(c);
  return spec.titleOf?.(c) ?? spec.title;
};

// ---- Keras readers ----

/** A Keras activation field with its default, as `linear` when Keras writes linear or None. */
function readAct(r: ConfigReader, field: string, fallback: ActivationFn): ActivationFn {
  return r.has(field) ? (r.activation(field) ?? 'linear') : fallback;
}

function readFlags(r: ConfigReader): RecurrentFlags {
  if (r.bool('time_major', false)) r.fail('time_major', 'true is not supported (batch-major sequences only)');
  return {
    returnSequences: r.bool('return_sequences', false),
    returnState: r.bool('return_state', false),
    goBackwards: r.bool('go_backwards', false),
    ...(r.bool('stateful', false) ? { stateful: true as const } : {}),
  };
}

function readActivations(r: ConfigReader, gated: boolean): Pick<RnnCell, 'activation' | 'recurrentActivation'> {
  const activation = readAct(r, 'activation', 'tanh');
  const recurrentActivation = gated ? readAct(r, 'recurrent_activation', 'sigmoid') : 'sigmoid';
  return {
    ...(activation === 'tanh' ? {} : { activation }),
    ...(recurrentActivation === 'sigmoid' ? {} : { recurrentActivation }),
  };
}

function readRecurrent(kind: RecurrentConfig['kind']) {
  return (r: ConfigReader): RecurrentConfig => ({
    kind,
    units: r.int('units'),
    bias: r.bool('use_bias', true),
    ...(kind === 'gru' ? { resetAfter: r.bool('reset_after', true) } : {}),
    ...readActivations(r, kind !== 'simpleRnn'),
    ...readFlags(r),
  });
}

const CELL_CLASSES: Record<string, RnnCellType> = { SimpleRNNCell: 'simple', LSTMCell: 'lstm', GRUCell: 'gru' };

/** A serialized cell inside an RNN's config (cells are not graph layers, so they are read here). */
function readCell(r: ConfigReader, raw: unknown, where: string): RnnCell[] {
  const o = raw as { class_name?: unknown; config?: unknown } | null;
  const cfg = o?.config as Record<string, unknown> | undefined;
  if (Array.isArray(raw)) return raw.flatMap((x, i) => readCell(r, x, `${where}[${i}]`));
  if (!o || typeof o.class_name !== 'string' || !cfg || typeof cfg !== 'object')
    return r.fail(where, 'must be a serialized RNN cell (class_name and config)');
  if (o.class_name === 'StackedRNNCells') return readCell(r, cfg.cells, `${where}.cells`);
  const cell = Object.hasOwn(CELL_CLASSES, String(o.class_name)) ? CELL_CLASSES[String(o.class_name)] : undefined;
  if (!cell) {
    return r.fail(
      where,
      `${o.class_name} is not a supported cell (${[...Object.keys(CELL_CLASSES), 'StackedRNNCells'].join(', ')})`,
    );
  }
  const units = cfg.units;
  if (typeof units !== 'number' || !Number.isSafeInteger(units) || units < 1)
    r.fail(`${where}.units`, `must be an integer >= 1, got ${JSON.stringify(units)}`);
  const flag = (field: string, fallback: boolean): boolean => {
    const v = cfg[field] ?? fallback;
    if (typeof v !== 'boolean') r.fail(`${where}.${field}`, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  };
  const act = (field: string, fallback: ActivationFn): ActivationFn => {
    if (cfg[field] === undefined || cfg[field] === null) return fallback;
    const { fn, unknown } = readActivation(cfg[field]);
    if (unknown !== undefined) r.fail(`${where}.${field}`, `"${unknown}" is not a supported activation`);
    return fn ?? 'linear';
  };
  const activation = act('activation', 'tanh');
  const recurrentActivation = cell === 'simple' ? 'sigmoid' : act('recurrent_activation', 'sigmoid');
  return [
    {
      cell,
      units: units,
      bias: flag('use_bias', true),
      ...(cell === 'gru' ? { resetAfter: flag('reset_after', true) } : {}),
      ...(activation === 'tanh' ? {} : { activation }),
      ...(recurrentActivation === 'sigmoid' ? {} : { recurrentActivation }),
    },
  ];
}

function readConvLstm(kind: ConvLstmConfig['kind']) {
  const rank = CONV_RANK[kind];
  return (r: ConfigReader): ConvLstmConfig => {
    r.channelsLast();
    const strides = r.tuple('strides', rank, 1);
    const dilation = r.tuple('dilation_rate', rank, 1);
    if (strides.some((s) => s > 1) && dilation.some((d) => d > 1))
      r.fail('strides', 'greater than 1 cannot be combined with dilation_rate greater than 1');
    const { activation, recurrentActivation } = readActivations(r, true);
    return {
      kind,
      filters: r.int('filters'),
      kernel: r.tuple('kernel_size', rank),
      strides,
      padding: r.padding(),
      dilation,
      bias: r.bool('use_bias', true),
      ...(activation ? { activation } : {}),
      ...(recurrentActivation ? { recurrentActivation } : {}),
      ...readFlags(r),
    };
  };
}

/** The trainable flag of a layer serialized inside a wrapper. */
function nestedTrainable(r: ConfigReader, field: string): false | undefined {
  const cfg = (r.raw(field) as { config?: { trainable?: unknown } } | undefined)?.config;
  return cfg?.trainable === false ? false : undefined;
}

/** Keras 2 writes no backward_layer when it is the forward layer's mirror; Keras 3 always writes it. */
const mirrored = (f: RecurrentLayerConfig): RecurrentLayerConfig => ({ ...f, goBackwards: !f.goBackwards });

const sameExceptDirection = (a: RecurrentLayerConfig, b: RecurrentLayerConfig): boolean =>
  JSON.stringify({ ...a, goBackwards: !a.goBackwards }) === JSON.stringify(b);

function readBidirectional(r: ConfigReader): BidirectionalConfig {
  const forward = r.nested('layer');
  if (!isRecurrent(forward))
    r.fail('layer', `must be a recurrent layer (SimpleRNN, LSTM, GRU, RNN, ConvLSTM), got ${forward.kind}`);
  const f = forward;
  const backward = r.has('backward_layer') ? r.nested('backward_layer') : mirrored(f);
  if (!isRecurrent(backward))
    r.fail('backward_layer', `must be a recurrent layer (SimpleRNN, LSTM, GRU, RNN, ConvLSTM), got ${backward.kind}`);
  const b = backward;
  if (f.goBackwards === b.goBackwards) r.fail('backward_layer', 'must read in the other direction (go_backwards)');
  for (const flag of ['returnSequences', 'returnState', 'stateful'] as const) {
    if (Boolean(f[flag]) !== Boolean(b[flag])) r.fail('backward_layer', `must have the forward layer's ${flag}`);
  }
  const mode = r.raw('merge_mode');
  if (mode !== null && mode !== undefined && !['concat', 'sum', 'mul', 'ave'].includes(mode as string))
    r.fail('merge_mode', `${JSON.stringify(mode)} is not supported (concat, sum, mul, ave or None)`);
  const ft = nestedTrainable(r, 'layer');
  const bt = r.has('backward_layer') ? nestedTrainable(r, 'backward_layer') : ft;
  return {
    kind: 'bidirectional',
    forward: f,
    backward: b,
    mergeMode: mode === undefined ? 'concat' : (mode as MergeMode),
    ...(ft === false ? { forwardTrainable: false as const } : {}),
    ...(bt === false ? { backwardTrainable: false as const } : {}),
  };
}

// ---- TensorFlow.js builds ----

/**
 * A tfjs recurrent layer for a SimpleRNN / LSTM / GRU / RNN config; GRU with reset_after runs as our own cell.
 * Keras' unit_forget_bias only initializes the forget gate's bias to 1; tfjs' version of that initializer
 * leaves tensors alive, so the bias starts at the initializer's value like the others (the counts are the same).
 */
function rnnLayer(c: RecurrentConfig | RnnConfig, ctx: BuildCtx): TfLayer {
  const tf = ctx.tf;
  const flags = { returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards };
  const init = { kernelInitializer: ctx.kernelInitializer, recurrentInitializer: ctx.kernelInitializer };
  const acts = (cell: RnnCell) => ({
    activation: tfjsActivation(cell.activation ?? 'tanh'),
    ...(cell.cell === 'simple' ? {} : { recurrentActivation: tfjsActivation(cell.recurrentActivation ?? 'sigmoid') }),
  });
  const cells = cellsOf(c);
  const cell0 = cells[0]!;
  if (c.kind !== 'rnn' && !(cell0.cell === 'gru' && cell0.resetAfter) && !cell0.recurrentBias) {
    const args = { name: ctx.name, units: cell0.units, useBias: cell0.bias, ...acts(cell0), ...init, ...flags };
    if (cell0.cell === 'simple') return tf.layers.simpleRNN(args);
    if (cell0.cell === 'lstm') return tf.layers.lstm({ ...args, unitForgetBias: false });
    return tf.layers.gru(args);
  }
  const make = (cell: RnnCell): TfRnnCell => {
    const args = { units: cell.units, useBias: cell.bias, ...init };
    if (cell.cell === 'simple') return tf.layers.simpleRNNCell({ ...args, ...acts(cell) });
    if (cell.cell === 'lstm' && cell.recurrentBias) {
      const Cell = ctx.custom(lstmTwoBiasCell);
      return new Cell({
        ...args,
        activation: cell.activation ?? 'tanh',
        recurrentActivation: cell.recurrentActivation ?? 'sigmoid',
      });
    }
    if (cell.cell === 'lstm') return tf.layers.lstmCell({ ...args, ...acts(cell), unitForgetBias: false });
    if (!cell.resetAfter) return tf.layers.gruCell({ ...args, ...acts(cell) });
    const Cell = ctx.custom(gruResetAfterCell);
    return new Cell({
      ...args,
      activation: cell.activation ?? 'tanh',
      recurrentActivation: cell.recurrentActivation ?? 'sigmoid',
    });
  };
  const cell = cells.length === 1 ? make(cell0) : tf.layers.stackedRNNCells({ cells: cells.map(make) });
  return tf.layers.rnn({ name: ctx.name, cell, ...flags });
}

/**
 * Where each state sits in tfjs' order: tfjs' StackedRNNCells lists the cells' states last cell first
 * (each cell's own states in order); Keras lists them first cell first. Entry t is the Keras index of
 * tfjs' state t.
 */
function tfjsStateOrder(cells: readonly RnnCell[]): number[] {
  const first: number[] = [];
  let n = 0;
  for (const cell of cells) {
    first.push(n);
    n += cellStates(cell).length;
  }
  return cells
    .map((cell, i) => Array.from({ length: cellStates(cell).length }, (_, j) => first[i]! + j))
    .reverse()
    .flat();
}

/** A tfjs RNN applied to the sequence and any initial states, its states returned in Keras' order. */
function buildRnn(c: RecurrentConfig | RnnConfig, ctx: BuildCtx): SymbolicTensor | SymbolicTensor[] {
  const order = tfjsStateOrder(cellsOf(c));
  const [x, ...states] = ctx.inputs;
  const out = ctx.use(rnnLayer(c, ctx), states.length ? [x!, ...order.map((k) => states[k]!)] : x!) as
    SymbolicTensor | SymbolicTensor[];
  if (!Array.isArray(out)) return out;
  const [y, ...tfjsStates] = out;
  const keras: SymbolicTensor[] = [];
  order.forEach((k, t) => (keras[k] = tfjsStates[t]!));
  return [y!, ...keras];
}

function convLstmLayer(c: ConvLstmConfig, ctx: BuildCtx): TfLayer {
  const flags = { returnSequences: c.returnSequences, returnState: c.returnState, goBackwards: c.goBackwards };
  if (c.kind === 'convLstm2d') {
    return ctx.tf.layers.convLstm2d({
      name: ctx.name,
      filters: c.filters,
      kernelSize: [...c.kernel],
      strides: [...c.strides],
      padding: c.padding,
      dilationRate: [...c.dilation] as [number, number],
      useBias: c.bias,
      activation: tfjsActivation(c.activation ?? 'tanh'),
      recurrentActivation: tfjsActivation(c.recurrentActivation ?? 'sigmoid'),
      unitForgetBias: false,
      kernelInitializer: ctx.kernelInitializer,
      recurrentInitializer: ctx.kernelInitializer,
      ...flags,
    });
  }
  // tfjs-layers has ConvLSTM2D only: 1-D and 3-D run as our own layer (tf.conv1d / tf.conv3d per step).
  const ConvLSTM = ctx.custom(convLstmLayerClass);
  return new ConvLSTM({ name: ctx.name, config: c, kernelInitializer: ctx.kernelInitializer });
}

/** The layers a kind's build would apply, captured instead of applied (for wrapping). */
function captureLayers(config: LayerConfig, ctx: BuildCtx, info: LayerInfo, name: string): TfLayer[] {
  const captured: TfLayer[] = [];
  const capture: BuildCtx = {
    ...ctx,
    info,
    name,
    use: (layer, x) => {
      captured.push(layer);
      return Array.isArray(x) ? x[0]! : x;
    },
  };
  kindSpec(config).tfjs(config, capture);
  return captured;
}

const asList = (t: SymbolicTensor | SymbolicTensor[]): SymbolicTensor[] => (Array.isArray(t) ? t : [t]);

function buildBidirectional(c: BidirectionalConfig, ctx: BuildCtx): SymbolicTensor | SymbolicTensor[] {
  const x = one(ctx.name, c.kind, ctx.info.inputShapes);
  const fInfo = infoOf(ctx.info, c.forward, `${ctx.name}/forward`, [x]);
  const layers = captureLayers(c.forward, ctx, fInfo, fInfo.node.name);
  const tfjsOwn =
    layers.length === 1 &&
    layers[0] instanceof ctx.tf.layers.RNN &&
    // tfjs' Bidirectional cannot copy a generic RNN over a cell (its fromConfig replaces the cell's config).
    layers[0].getClassName() !== 'RNN' &&
    sameExceptDirection(c.forward, c.backward) &&
    c.forwardTrainable === c.backwardTrainable;
  if (tfjsOwn) {
    // tfjs' Bidirectional copies the layer's config for the backward direction, as Keras does.
    const layer = layers[0]!;
    if (c.forwardTrainable === false) layer.trainable = false;
    const bi = ctx.tf.layers.bidirectional({
      name: ctx.name,
      layer: layer as TF.RNN,
      mergeMode: c.mergeMode as 'concat',
    });
    return ctx.use(bi, ctx.inputs[0]!);
  }
  // Otherwise (an explicit backward layer that is no mirror, a ConvLSTM1D/3D): both directions as their own
  // layers, then the merge (the backward sequence reversed back into time order first).
  const bInfo = infoOf(ctx.info, c.backward, `${ctx.name}/backward`, [x]);
  const direction = (config: RecurrentLayerConfig, info: LayerInfo, trainable: false | undefined) =>
    asList(
      kindSpec(config).tfjs(config, {
        ...ctx,
        info,
        name: info.node.name,
        use: (layer, input) => {
          if (trainable === false) layer.trainable = false;
          return ctx.use(layer, input);
        },
      }),
    );
  const f = direction(c.forward, fInfo, c.forwardTrainable);
  const b = direction(c.backward, bInfo, c.backwardTrainable);
  const Merge = ctx.custom(bidirectionalMerge);
  const merged = asList(
    ctx.use(new Merge({ name: `${ctx.name}/merge`, mode: c.mergeMode, reverse: c.forward.returnSequences }), [
      f[0]!,
      b[0]!,
    ]),
  );
  const outs = [...merged, ...f.slice(1), ...b.slice(1)];
  return outs.length === 1 ? outs[0]! : outs;
}

function buildTimeDistributed(c: TimeDistributedConfig, ctx: BuildCtx): SymbolicTensor {
  const [, step] = timeDistributedInput(c, ctx.info.inputShapes, ctx.name);
  const innerName = `${ctx.name}/layer`;
  const info = infoOf(ctx.info, c.layer, innerName, [step]);
  let layers = captureLayers(c.layer, ctx, info, innerName);
  if (layers.length === 0) return ctx.inputs[0]!;
  let wrapped: TfLayer = layers[0]!;
  if (layers.length > 1 && ctx.info.node.sharedWith === undefined) {
    // A kind built as several layers (a padded convolution): wrap them as one small model.
    const input = ctx.tf.input({ shape: [...step] });
    layers = [];
    const out = kindSpec(c.layer).tfjs(c.layer, {
      ...ctx,
      info,
      name: innerName,
      inputs: [input],
      use: (layer, x) => {
        layers.push(layer);
        return layer.apply(x) as SymbolicTensor;
      },
    });
    wrapped = ctx.tf.model({ inputs: input, outputs: asList(out)[0]!, name: innerName });
  }
  if (c.layerTrainable === false) wrapped.trainable = false;
  return ctx.use(ctx.tf.layers.timeDistributed({ name: ctx.name, layer: wrapped }), ctx.inputs[0]!);
}

// ---- the kinds ----

/** The steps of a sequence input [time, features]. */
const timeSteps = (inputs: Shape[]): number => inputs[0]![0]!;

const recurrentSpec = (title: string, kind: RecurrentConfig['kind']): Kinds<RecurrentConfig>['lstm'] => ({
  title,
  outputShape: (c, inputs, name) => rnnOutputs(c, inputs, name)[0]!,
  outputShapes: rnnOutputs,
  weights: rnnWeights,
  // Per step gates x units x (input + units), times the steps.
  macs: (c, inputs) => rnnMacs(c, inputs),
  torchinfoSteps: timeSteps,
  describe: (c) => `${cellText(cellsOf(c)[0]!)}${flagText(c)}`,
  keras: { [title]: readRecurrent(kind) },
  kerasCallInputs: ['initial_state'],
  custom: kind === 'gru' ? [gruResetAfterCell] : kind === 'lstm' ? [lstmTwoBiasCell] : [],
  tfjs: buildRnn,
  factors: (_c, info, convention) => otherFactors(info, convention),
  window: null,
});

const convLstmSpec = (kind: ConvLstmConfig['kind']): Kinds<ConvLstmConfig>['convLstm2d'] => {
  const title = `ConvLSTM${CONV_RANK[kind]}D`;
  const outputShapes = (c: ConvLstmConfig, inputs: Shape[], name: string): Shape[] => {
    const { steps, state } = convLstmShapes(c, inputs, name);
    return recurrentOutputs(c, steps, state, [state, state]);
  };
  return {
    title,
    outputShape: (c, inputs, name) => outputShapes(c, inputs, name)[0]!,
    outputShapes,
    weights: convLstmWeights,
    // Per step: input conv (positions x 4f x cin x kernel) + recurrent conv (positions x 4f x f x kernel).
    macs: (c, inputs, out) => {
      const steps = inputs[0]![0]!;
      const positions = prod((c.returnSequences ? out.slice(1) : out).slice(0, -1));
      const cin = inputs[0]!.at(-1)!;
      return mul('MACs', steps, positions, 4 * c.filters, prod(c.kernel), cin + c.filters);
    },
    describe: (c) =>
      `${sizeText(c.kernel)}${c.strides.some((s) => s > 1) ? '/' + sizeText(c.strides) : ''}${padText(c.padding)}${
        c.dilation.some((d) => d > 1) ? ' d' + sizeText(c.dilation) : ''
      }${c.bias ? '' : ' nobias'}${flagText(c)}`,
    keras: { [title]: readConvLstm(kind) },
    custom: kind === 'convLstm2d' ? [] : [convLstmLayerClass],
    tfjs: (c, ctx) => ctx.use(convLstmLayer(c, ctx), ctx.inputs[0]!),
    factors: (_c, info, convention) => otherFactors(info, convention),
    // The window slides over the axes after time; the uneven-stride diagnostic reads the leading axes.
    window: null,
  };
};

export const sequenceKinds: Kinds<SequenceFamily> = {
  embedding: {
    torch: 'Embedding',
    title: 'Embedding',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'input_dim and output_dim', [c.inputDim, c.outputDim]);
      return [...s, c.outputDim];
    },
    weights: (c) => [weight('embeddings', [c.inputDim, c.outputDim])],
    // A table lookup: no multiply-accumulates.
    macs: () => 0,
    describe: (c) => `${c.inputDim}x${c.outputDim}${c.maskZero ? ' mask_zero' : ''}`,
    keras: {
      Embedding: (r) => {
        if (r.has('lora_rank')) r.fail('lora_rank', 'is not supported (LoRA adapters)');
        if (r.has('quantization_config')) r.fail('quantization_config', 'is not supported (quantized weights)');
        return {
          kind: 'embedding',
          inputDim: r.int('input_dim'),
          outputDim: r.int('output_dim'),
          ...(r.bool('mask_zero', false) ? { maskZero: true } : {}),
        };
      },
    },
    tfjs: (c, ctx) =>
      ctx.use(
        ctx.tf.layers.embedding({
          name: ctx.name,
          inputDim: c.inputDim,
          outputDim: c.outputDim,
          embeddingsInitializer: ctx.kernelInitializer,
        }),
        ctx.inputs[0]!,
      ),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  tiedProjection: {
    torch: 'Linear',
    title: 'Linear',
    titleOf: () => 'Linear (tied)',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'input_dim and output_dim', [c.inputDim, c.outputDim]);
      if (s.at(-1) !== c.outputDim)
        fail(name, c.kind, `expects ${c.outputDim} features, the table's columns, got [${s.join('x')}]`);
      return [...s.slice(0, -1), c.inputDim];
    },
    // The table is its owner's (the embedding): counted there.
    weights: () => [],
    macs: (c, inputs) => mul('MACs', prod(inputs[0]!.slice(0, -1)), c.inputDim, c.outputDim),
    describe: (c) => `${c.outputDim}->${c.inputDim} by the embedding's table`,
    keras: {},
    readsOwner: true,
    custom: [tiedProjectionLayer],
    tfjs: (c, ctx) => {
      const table = ctx.owner?.[0] ?? fail(ctx.info.node.name, c.kind, 'has no embedding layer to read its table from');
      const layer = new (ctx.custom(tiedProjectionLayer))({ name: ctx.name, config: c });
      layer.table = table;
      return ctx.use(layer, ctx.inputs[0]!);
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  reversibleEmbedding: {
    title: 'ReversibleEmbedding',
    outputShape: (c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'input_dim and output_dim', [c.inputDim, c.outputDim]);
      return [...s, c.outputDim];
    },
    weights: (c) => [
      weight('embeddings', [c.inputDim, c.outputDim]),
      ...(c.tieWeights ? [] : [weight('reverse_embeddings', [c.outputDim, c.inputDim])]),
    ],
    // The forward call is a table lookup (the reverse projection is a call argument the config does not record).
    macs: () => 0,
    describe: (c) => `${c.inputDim}x${c.outputDim}${c.tieWeights ? ' tied' : ''}`,
    keras: {
      ReversibleEmbedding: (r) => {
        if (r.has('lora_rank')) r.fail('lora_rank', 'is not supported (LoRA adapters)');
        if (r.has('quantization_config')) r.fail('quantization_config', 'is not supported (quantized weights)');
        return {
          kind: 'reversibleEmbedding',
          inputDim: r.int('input_dim'),
          outputDim: r.int('output_dim'),
          tieWeights: r.bool('tie_weights', true),
        };
      },
    },
    custom: [reversibleEmbeddingLayer],
    tfjs: configLayer(reversibleEmbeddingLayer),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  fixedEmbedding: {
    torch: 'Embedding',
    title: 'Embedding',
    outputShape: (c, inputs, name) => {
      one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'input_dim and output_dim', [c.inputDim, c.outputDim]);
      if (prod(c.indexShape) !== c.indices.length || c.indices.some((i) => !(i >= 0 && i < c.inputDim)))
        fail(name, c.kind, `reads rows outside its table of ${c.inputDim}`);
      return [...c.indexShape, c.outputDim];
    },
    weights: (c) => [weight('embeddings', [c.inputDim, c.outputDim])],
    // A table lookup: no multiply-accumulates.
    macs: () => 0,
    describe: (c) => `${c.inputDim}x${c.outputDim} rows ${fixedRowsText(c.indices)}`,
    keras: {},
    custom: [fixedEmbeddingLayer],
    tfjs: configLayer(fixedEmbeddingLayer),
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  simpleRnn: { ...recurrentSpec('SimpleRNN', 'simpleRnn'), torch: 'RNN' },
  lstm: { ...recurrentSpec('LSTM', 'lstm'), torch: 'LSTM' },
  gru: { ...recurrentSpec('GRU', 'gru'), torch: 'GRU' },

  rnn: {
    title: 'RNN',
    outputShape: (c, inputs, name) => rnnOutputs(c, inputs, name)[0]!,
    outputShapes: rnnOutputs,
    weights: rnnWeights,
    // Per step each cell's gates x units x (its input + units), times the steps.
    macs: (c, inputs) => rnnMacs(c, inputs),
    torchinfoSteps: timeSteps,
    describe: (c) => `${c.cells.map((x) => `${CELL[x.cell].title} ${cellText(x)}`).join(' > ')}${flagText(c)}`,
    keras: {
      RNN: (r): RnnConfig => ({ kind: 'rnn', cells: readCell(r, r.raw('cell'), 'cell'), ...readFlags(r) }),
    },
    kerasCallInputs: ['initial_state'],
    custom: [gruResetAfterCell, lstmTwoBiasCell],
    tfjs: buildRnn,
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  convLstm1d: convLstmSpec('convLstm1d'),
  convLstm2d: convLstmSpec('convLstm2d'),
  convLstm3d: convLstmSpec('convLstm3d'),

  bidirectional: {
    title: 'Bidirectional',
    // PyTorch's RNN modules take bidirectional=True themselves.
    torch: (c) => {
      const t = kindSpec(c.forward as LayerConfig).torch;
      return typeof t === 'string' ? t : undefined;
    },
    outputShape: (c, inputs, name) => bidirectionalOutputs(c, inputs, name)[0]!,
    outputShapes: bidirectionalOutputs,
    weights: (c, inputs) => {
      const x = inputs.slice(0, 1);
      return [
        ...wrapped(kindSpec(c.forward).weights(c.forward, x), c.forwardTrainable, 'forward/'),
        ...wrapped(kindSpec(c.backward).weights(c.backward, x), c.backwardTrainable, 'backward/'),
      ];
    },
    // Both directions.
    macs: (c, inputs, out) =>
      sum(
        'MACs',
        bidirectionalParts(c, inputs, out).map(([, n]) => n),
      ),
    macParts: (c, inputs, out) => bidirectionalParts(c, inputs, out),
    torchinfoSteps: timeSteps,
    describe: (c) =>
      `${titleOfConfig(c.forward)} ${kindSpec(c.forward).describe(c.forward)} ${c.mergeMode ?? 'no merge'}`,
    keras: { Bidirectional: readBidirectional },
    custom: [bidirectionalMerge],
    tfjs: buildBidirectional,
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },

  timeDistributed: {
    title: 'TimeDistributed',
    outputShape: timeDistributedOutput,
    weights: (c, inputs) => {
      const [, step] = timeDistributedInput(c, inputs, 'timeDistributed');
      return wrapped(kindSpec(c.layer).weights(c.layer, [step]), c.layerTrainable, '');
    },
    // The wrapped layer's MACs at every step.
    macs: (c, inputs, out) => {
      const [steps, step] = timeDistributedInput(c, inputs, 'timeDistributed');
      return mul('MACs', steps, kindSpec(c.layer).macs(c.layer, [step], out.slice(1)));
    },
    describe: (c) => {
      const inner = kindSpec(c.layer).describe(c.layer);
      return `${titleOfConfig(c.layer)}${inner ? ` ${inner}` : ''}`;
    },
    keras: {
      TimeDistributed: (r) => {
        const layer = r.nested('layer');
        const trainable = nestedTrainable(r, 'layer');
        return { kind: 'timeDistributed', layer, ...(trainable === false ? { layerTrainable: false as const } : {}) };
      },
    },
    tfjs: buildTimeDistributed,
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: null,
  },
};

function bidirectionalParts(c: BidirectionalConfig, inputs: Shape[], _out: Shape): Array<[string, number]> {
  const x = inputs.slice(0, 1);
  const macs = (config: RecurrentLayerConfig): number => {
    const outs = outputsOf(config, x, 'bidirectional');
    return kindSpec(config).macs(config, x, outs[0]!);
  };
  return [
    ['forward', macs(c.forward)],
    ['backward', macs(c.backward)],
  ];
}

// ---- custom tfjs layers ----

export interface GruCellArgs extends LayerArgs {
  units: number;
  useBias: boolean;
  activation: ActivationFn;
  recurrentActivation: ActivationFn;
  kernelInitializer?: 'zeros' | 'glorotUniform';
  recurrentInitializer?: 'zeros' | 'glorotUniform';
}
export interface CellClass<A> {
  new (args: A): TfRnnCell;
  readonly className: string;
}

/**
 * Keras' GRU cell with reset_after=True (its default), which tfjs-layers refuses: the reset gate multiplies
 * the recurrent product (h W_h + b_rh), and the bias has two rows, input and recurrent: (2, 3 x units).
 */
export function gruResetAfterCell(tf: Tf): CellClass<GruCellArgs> {
  return class GRUResetAfterCell extends tf.layers.RNNCell {
    static className = 'GRUResetAfterCell';
    readonly stateSize: number;
    private readonly args: GruCellArgs;
    private kernel?: TF.LayerVariable;
    private recurrentKernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    constructor(args: GruCellArgs) {
      super({ name: args.name });
      this.args = { ...args };
      this.stateSize = args.units;
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const inputDim = singleShape(inputShape).at(-1)!;
      const u = this.args.units;
      this.kernel = this.addWeight(
        'kernel',
        [inputDim, 3 * u],
        'float32',
        initializer(tf, this.args.kernelInitializer),
      );
      this.recurrentKernel = this.addWeight(
        'recurrent_kernel',
        [u, 3 * u],
        'float32',
        initializer(tf, this.args.recurrentInitializer),
      );
      if (this.args.useBias) this.bias = this.addWeight('bias', [2, 3 * u], 'float32', tf.initializers.zeros());
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[]): Tensor[] {
      return tf.tidy(() => {
        const [x, h] = inputs as Tensor[];
        let mx = tf.matMul(x as TF.Tensor2D, this.kernel!.read()) as Tensor;
        let mh = tf.matMul(h as TF.Tensor2D, this.recurrentKernel!.read()) as Tensor;
        if (this.bias) {
          const [bx, bh] = tf.unstack(this.bias.read());
          mx = tf.add(mx, bx!);
          mh = tf.add(mh, bh!);
        }
        const [xz, xr, xh] = tf.split(mx, 3, -1) as [Tensor, Tensor, Tensor];
        const [hz, hr, hh] = tf.split(mh, 3, -1) as [Tensor, Tensor, Tensor];
        const gate = activationOp(tf, this.args.recurrentActivation);
        const z = gate(tf.add(xz, hz));
        const r = gate(tf.add(xr, hr));
        const candidate = activationOp(tf, this.args.activation)(tf.add(xh, tf.mul(r, hh)));
        const next = tf.add(tf.mul(z, h!), tf.mul(tf.sub(1, z), candidate));
        return [next, next];
      });
    }
  };
}

/**
 * LSTM with PyTorch's two biases (b_ih on the input product, b_hh on the recurrent one; tfjs' LSTMCell has
 * one): Keras' gate order i, f, c, o, so that a kernel in Keras' layout runs as it is.
 */
export function lstmTwoBiasCell(tf: Tf): CellClass<GruCellArgs> {
  return class LSTMTwoBiasCell extends tf.layers.RNNCell {
    static className = 'LSTMTwoBiasCell';
    readonly stateSize: number[];
    private readonly args: GruCellArgs;
    private kernel?: TF.LayerVariable;
    private recurrentKernel?: TF.LayerVariable;
    private biases: TF.LayerVariable[] = [];

    constructor(args: GruCellArgs) {
      super({ name: args.name });
      this.args = { ...args };
      this.stateSize = [args.units, args.units];
    }

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const inputDim = singleShape(inputShape).at(-1)!;
      const w = 4 * this.args.units;
      const a = this.args;
      this.kernel = this.addWeight('kernel', [inputDim, w], 'float32', initializer(tf, a.kernelInitializer));
      this.recurrentKernel = this.addWeight(
        'recurrent_kernel',
        [a.units, w],
        'float32',
        initializer(tf, a.recurrentInitializer),
      );
      if (a.useBias)
        this.biases = ['bias', 'recurrent_bias'].map((n) => this.addWeight(n, [w], 'float32', tf.initializers.zeros()));
      this.built = true;
    }

    override call(inputs: Tensor | Tensor[]): Tensor[] {
      return tf.tidy(() => {
        const [x, h, c] = inputs as Tensor[];
        let z = tf.add(
          tf.matMul(x as TF.Tensor2D, this.kernel!.read() as TF.Tensor2D),
          tf.matMul(h as TF.Tensor2D, this.recurrentKernel!.read() as TF.Tensor2D),
        ) as Tensor;
        for (const b of this.biases) z = tf.add(z, b.read());
        const [i, f, g, o] = tf.split(z, 4, -1) as [Tensor, Tensor, Tensor, Tensor];
        const gate = activationOp(tf, this.args.recurrentActivation);
        const act = activationOp(tf, this.args.activation);
        const cell = tf.add(tf.mul(gate(f), c!), tf.mul(gate(i), act(g)));
        const next = tf.mul(gate(o), act(cell));
        return [next, next, cell];
      });
    }
  };
}

export type ConvLstmArgs = ConfigArgs<ConvLstmConfig>;

/**
 * ConvLSTM of any rank (tfjs-layers has only ConvLSTM2D): Keras' cell, gates i, f, c, o, with the input
 * convolution (strides, padding, dilation) and a SAME, stride-1 recurrent convolution, over time steps.
 */
export function convLstmLayerClass(tf: Tf): import('./spec.js').LayerClass<ConvLstmArgs> {
  return class ConvLSTM extends customBase(tf)<ConvLstmArgs> {
    static className = 'NetcensusConvLSTM';
    private kernel?: TF.LayerVariable;
    private recurrentKernel?: TF.LayerVariable;
    private bias?: TF.LayerVariable;

    override build(inputShape: TF.Shape | TF.Shape[]): void {
      const c = this.args.config;
      const [kernel, recurrent, b] = convLstmWeights(c, [perExample(singleShape(inputShape))]);
      this.kernel = this.weight('kernel', kernel!.shape);
      this.recurrentKernel = this.weight('recurrent_kernel', recurrent!.shape);
      if (b) this.bias = this.weight('bias', b.shape, 'zeros');
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape | TF.Shape[] {
      const s = singleShape(inputShape);
      const c = this.args.config;
      const shapes = sequenceKinds[c.kind].outputShapes!(c, [perExample(s)], this.name);
      const batched = shapes.map((x) => [s[0]!, ...x]);
      return batched.length === 1 ? batched[0]! : batched;
    }

    private conv(
      x: Tensor,
      w: Tensor,
      strides: readonly number[],
      padding: 'valid' | 'same',
      dilation: readonly number[],
    ) {
      const rank = w.rank - 2;
      if (rank === 1) return tf.conv1d(x as TF.Tensor3D, w as TF.Tensor3D, strides[0]!, padding, 'NWC', dilation[0]);
      if (rank === 2)
        return tf.conv2d(x as TF.Tensor4D, w as TF.Tensor4D, [strides[0]!, strides[1]!], padding, 'NHWC', [
          dilation[0]!,
          dilation[1]!,
        ]);
      return tf.conv3d(
        x as TF.Tensor5D,
        w as TF.Tensor5D,
        strides as [number, number, number],
        padding,
        'NDHWC',
        dilation as [number, number, number],
      );
    }

    override call(inputs: Tensor | Tensor[]): Tensor | Tensor[] {
      return tf.tidy(() => {
        const c = this.args.config;
        const x = singleInput(inputs);
        const steps = tf.unstack(x, 1);
        if (c.goBackwards) steps.reverse();
        const ones = c.kernel.map(() => 1);
        const act = activationOp(tf, c.activation ?? 'tanh');
        const gate = activationOp(tf, c.recurrentActivation ?? 'sigmoid');
        const k = this.kernel!.read();
        const rk = this.recurrentKernel!.read();
        let h: Tensor | undefined;
        let state: Tensor | undefined;
        const outputs: Tensor[] = [];
        for (const xt of steps) {
          let z = this.conv(xt, k, c.strides, c.padding, c.dilation);
          if (this.bias) z = tf.add(z, this.bias.read());
          if (h) z = tf.add(z, this.conv(h, rk, ones, 'same', ones));
          const [i, f, g, o] = tf.split(z, 4, -1) as [Tensor, Tensor, Tensor, Tensor];
          const input = tf.mul(gate(i), act(g));
          state = state ? tf.add(tf.mul(gate(f), state), input) : input;
          h = tf.mul(gate(o), act(state));
          outputs.push(h);
        }
        const y = c.returnSequences ? tf.stack(outputs, 1) : h!;
        return c.returnState ? [y, h!, state!] : y;
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}

export interface BidirectionalMergeArgs extends LayerArgs {
  mode: MergeMode;
  /** The backward layer returned its sequence in reading order: reverse it back into time order. */
  reverse: boolean;
}

/** The merge of a Bidirectional's two directions, as Keras' Bidirectional.call does it. */
export function bidirectionalMerge(tf: Tf): import('./spec.js').LayerClass<BidirectionalMergeArgs> {
  return class BidirectionalMerge extends customBase(tf)<BidirectionalMergeArgs> {
    static className = 'BidirectionalMerge';

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape | TF.Shape[] {
      const [y, yRev] = inputShape as TF.Shape[];
      const shapes = mergeShapes(this.name, this.args.mode, perExample(y!), perExample(yRev!)).map((s) => [
        y![0]!,
        ...s,
      ]);
      return shapes.length === 1 ? shapes[0]! : shapes;
    }

    override call(inputs: Tensor | Tensor[]): Tensor | Tensor[] {
      return tf.tidy(() => {
        const [y, back] = inputs as [Tensor, Tensor];
        const yRev = this.args.reverse ? tf.reverse(back, 1) : back;
        switch (this.args.mode) {
          case 'concat':
            return tf.concat([y, yRev], -1);
          case 'sum':
            return tf.add(y, yRev);
          case 'mul':
            return tf.mul(y, yRev);
          case 'ave':
            return tf.mul(tf.add(y, yRev), 0.5);
          default:
            return [tf.clone(y), yRev === back ? tf.clone(back) : yRev];
        }
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), mode: this.args.mode, reverse: this.args.reverse };
    }
  };
}

export type ReversibleEmbeddingArgs = ConfigArgs<ReversibleEmbeddingConfig>;

/** `0..7` for consecutive rows, else the first few. */
function fixedRowsText(indices: readonly number[]): string {
  const consecutive = indices.every((x, i) => x === indices[0]! + i);
  if (consecutive && indices.length > 1) return `${indices[0]}..${indices.at(-1)}`;
  return indices.length > 4 ? `${indices.slice(0, 4).join(',')},...` : indices.join(',');
}

export type TiedProjectionArgs = ConfigArgs<TiedProjectionConfig>;

/** x by the owner's table transposed; no weights of its own (countParams() 0, as the census counts it). */
export function tiedProjectionLayer(
  tf: Tf,
): import('./spec.js').LayerClass<TiedProjectionArgs, TfLayer & { table?: TfLayer }> {
  return class TiedProjection extends customBase(tf)<TiedProjectionArgs> {
    static className = 'NetcensusTiedProjection';
    /** The embedding layer whose table this one reads (set by the build, not an argument: args are copied). */
    table?: TfLayer;

    override censusShape(inputs: Shape[]): Shape {
      return sequenceKinds.tiedProjection.outputShape(this.args.config, inputs, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        const c = this.args.config;
        const table = this.table!.weights[0]!.read();
        const y = tf.matMul(tf.reshape(x, [-1, c.outputDim]), table, false, true);
        return tf.reshape(y, [...x.shape.slice(0, -1), c.inputDim]);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}

export type FixedEmbeddingArgs = ConfigArgs<FixedEmbeddingConfig>;

/** The table's fixed rows, the same for every example of the batch. */
export function fixedEmbeddingLayer(tf: Tf): import('./spec.js').LayerClass<FixedEmbeddingArgs> {
  return class FixedEmbedding extends customBase(tf)<FixedEmbeddingArgs> {
    static className = 'NetcensusFixedEmbedding';
    private embeddings?: TF.LayerVariable;

    override build(): void {
      const c = this.args.config;
      this.embeddings = this.weight('embeddings', [c.inputDim, c.outputDim]);
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      return sequenceKinds.fixedEmbedding.outputShape(this.args.config, inputs, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const c = this.args.config;
        const batch = singleInput(inputs).shape[0]!;
        const rows = tf.gather(this.embeddings!.read(), tf.tensor1d(c.indices, 'int32'));
        const one = tf.reshape(rows, [1, ...c.indexShape, c.outputDim]);
        return tf.tile(one, [batch, ...c.indexShape.map(() => 1), 1]);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}

/** Keras 3's ReversibleEmbedding, forward call: a lookup in `embeddings`; `reverse_embeddings` unless tied. */
export function reversibleEmbeddingLayer(tf: Tf): import('./spec.js').LayerClass<ReversibleEmbeddingArgs> {
  return class ReversibleEmbedding extends customBase(tf)<ReversibleEmbeddingArgs> {
    static className = 'ReversibleEmbedding';
    private embeddings?: TF.LayerVariable;

    override build(): void {
      const c = this.args.config;
      this.embeddings = this.weight('embeddings', [c.inputDim, c.outputDim]);
      if (!c.tieWeights) this.weight('reverse_embeddings', [c.outputDim, c.inputDim]);
      this.built = true;
    }

    override censusShape(inputs: Shape[]): Shape {
      const c = this.args.config;
      return sequenceKinds.reversibleEmbedding.outputShape(c, inputs, this.name);
    }

    override call(inputs: Tensor | Tensor[]): Tensor {
      return tf.tidy(() => {
        const x = singleInput(inputs);
        const ids = tf.cast(x, 'int32');
        const flat = tf.gather(this.embeddings!.read(), tf.reshape(ids, [-1]));
        return tf.reshape(flat, [...x.shape, this.args.config.outputDim]);
      });
    }

    override getConfig(): TF.serialization.ConfigDict {
      return { ...super.getConfig(), config: this.args.config as unknown as TF.serialization.ConfigDict };
    }
  };
}
