/**
 * Sequence kinds: Embedding, ReversibleEmbedding, SimpleRNN / LSTM / GRU / RNN (cells, stacked cells),
 * ConvLSTM1D/2D/3D, Bidirectional and TimeDistributed: shape rules, weights and MACs against Keras'
 * documented formulas, against the figures Keras itself wrote for its fixtures, and by execution.
 */
// The registry (through the census) before the family file: sequence.ts reads wrapped layers' specs from it.
import { census } from '../../src/census.js';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, input, type Graph, type LayerConfig } from '../../src/graph.js';
import { importKerasJson } from '../../src/importers/keras.js';
import { customLayer } from '../../src/tfjs/custom.js';
import { verifyGraph } from '../../src/verify.js';
import { conv } from '../../src/kinds/conv.js';
import { dense } from '../../src/kinds/dense.js';
import {
  convLstmLayerClass,
  embedding,
  gruResetAfterCell,
  lstmTwoBiasCell,
  recurrent,
  type BidirectionalConfig,
  type ConvLstmConfig,
  type RecurrentLayerConfig,
  type RnnCell,
  type RnnConfig,
} from '../../src/kinds/sequence.js';
import { describeKerasFigures, paramsUnder, verifies } from './keras-figures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function chain(shape: number[], ...layers: LayerConfig[]): Graph {
  const g = new GraphBuilder({ name: 't', description: 't', source: 'test', framework: 'keras' });
  g.add('in', input(shape));
  layers.forEach((l, i) => g.add(`l${i}`, l));
  return g.build();
}
const layer = (shape: number[], l: LayerConfig) => census(chain(shape, l)).layers[1]!;
const infoOf = (shape: number[], l: LayerConfig) => census(chain(shape, l)).infos[1]!;

const cellOf = (cell: RnnCell['cell'], units: number, o: Partial<RnnCell> = {}): RnnCell => ({
  cell,
  units,
  bias: true,
  ...(cell === 'gru' ? { resetAfter: true } : {}),
  ...o,
});
const rnn = (cells: RnnCell[], o: Partial<RnnConfig> = {}): RnnConfig => ({
  kind: 'rnn',
  cells,
  returnSequences: false,
  returnState: false,
  goBackwards: false,
  ...o,
});
const convLstm = (kind: ConvLstmConfig['kind'], filters: number, kernel: number[], o: Partial<ConvLstmConfig> = {}) =>
  ({
    kind,
    filters,
    kernel,
    strides: kernel.map(() => 1),
    dilation: kernel.map(() => 1),
    padding: 'valid',
    bias: true,
    returnSequences: false,
    returnState: false,
    goBackwards: false,
    ...o,
  }) as ConvLstmConfig;
const bidi = (
  forward: RecurrentLayerConfig,
  mergeMode: BidirectionalConfig['mergeMode'] = 'concat',
  backward: RecurrentLayerConfig = { ...forward, goBackwards: true },
): BidirectionalConfig => ({ kind: 'bidirectional', forward, backward, mergeMode });

/** A Keras 3 Functional config: InputLayers, then layers each called on named tensors (positional or keyword). */
function functional(
  inputs: Array<[string, number[]]>,
  layers: Array<{
    cls: string;
    name: string;
    config: Record<string, unknown>;
    args?: string[];
    kwargs?: Record<string, string | string[]>;
  }>,
) {
  const tensor = (ref: string) => {
    const [layer, index] = ref.split(':');
    return { class_name: '__keras_tensor__', config: { keras_history: [layer, 0, Number(index ?? 0)] } };
  };
  return {
    module: 'keras',
    class_name: 'Functional',
    config: {
      name: 'm',
      layers: [
        ...inputs.map(([name, shape]) => ({
          class_name: 'InputLayer',
          name,
          config: { name, batch_shape: [null, ...shape] },
          inbound_nodes: [],
        })),
        ...layers.map((l) => ({
          module: 'keras.layers',
          class_name: l.cls,
          name: l.name,
          config: { name: l.name, trainable: true, dtype: 'float32', ...l.config },
          inbound_nodes: [
            {
              args: (l.args ?? []).map(tensor),
              kwargs: Object.fromEntries(
                Object.entries(l.kwargs ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.map(tensor) : tensor(v)]),
              ),
            },
          ],
        })),
      ],
      input_layers: inputs.map(([n]) => [n, 0, 0]),
      output_layers: [[layers.at(-1)!.name, 0, 0]],
    },
  };
}
const kerasLayer = (cls: string, config: Record<string, unknown>, shape: number[] = [6, 8]) =>
  importKerasJson(functional([['x', shape]], [{ cls, name: 'l', config, args: ['x'] }])).graph.nodes[1]!.config;

describe('embedding', () => {
  it('appends output_dim to the input shape; its table is input_dim x output_dim; a lookup has no MACs', () => {
    for (const shape of [[7], [3, 5]]) {
      const l = layer(shape, embedding(100, 8));
      expect(l.outputShape).toEqual([1, ...shape, 8]);
      expect(l.params).toBe(100 * 8);
      expect(l.macs).toBe(0);
    }
    expect(infoOf([7], embedding(10, 4)).weights.map((w) => [w.name, w.shape])).toEqual([['embeddings', [10, 4]]]);
  });

  it("reads Keras' Embedding (mask_zero changes no count) and refuses LoRA and quantized weights", () => {
    expect(kerasLayer('Embedding', { input_dim: 50, output_dim: 16, mask_zero: true }, [9])).toEqual({
      kind: 'embedding',
      inputDim: 50,
      outputDim: 16,
      maskZero: true,
    });
    expect(() => kerasLayer('Embedding', { input_dim: 50, output_dim: 16, lora_rank: 4 }, [9])).toThrow(
      /layer "l" \(Embedding\): lora_rank is not supported/,
    );
    expect(() => layer([4], embedding(0, 2))).toThrow(/layer "l0" \(embedding\): input_dim and output_dim must be/);
  });

  it('ReversibleEmbedding: a second (output_dim x input_dim) matrix unless the weights are tied', () => {
    const untied = kerasLayer('ReversibleEmbedding', { input_dim: 30, output_dim: 4, tie_weights: false }, [5]);
    const tied = kerasLayer('ReversibleEmbedding', { input_dim: 30, output_dim: 4 }, [5]);
    expect(infoOf([5], untied).weights.map((w) => w.shape)).toEqual([
      [30, 4],
      [4, 30],
    ]);
    expect(layer([5], tied).params).toBe(30 * 4);
    expect(layer([5], untied).outputShape).toEqual([1, 5, 4]);
  });

  it('verifies by execution (inputs in [0, 1) look up row 0)', async () => {
    expect(await verifies(chain([7], embedding(20, 3), recurrent('lstm', 2)))).toEqual([
      [1, 7, 3],
      [1, 2],
    ]);
    for (const tieWeights of [true, false]) {
      expect(
        await verifies(chain([2, 5], { kind: 'reversibleEmbedding', inputDim: 9, outputDim: 4, tieWeights })),
      ).toEqual([[1, 2, 5, 4]]);
    }
  });
});

describe('SimpleRNN, LSTM, GRU and RNN over cells', () => {
  // Keras' documented weights: kernel [input, gates x units], recurrent_kernel [units, gates x units], bias.
  const params = (gates: number, units: number, input: number, biasSize: number) =>
    gates * units * input + gates * units * units + biasSize;

  it('count kernel, recurrent kernel and bias as Keras does (GRU reset_after: a (2, 3 units) bias)', () => {
    for (const [units, features] of [
      [1, 1],
      [4, 5],
      [6, 8],
    ] as const) {
      const at = (c: LayerConfig) => layer([7, features], c).params;
      expect(at(recurrent('simpleRnn', units))).toBe(params(1, units, features, units));
      expect(at(recurrent('lstm', units))).toBe(params(4, units, features, 4 * units));
      expect(at(recurrent('gru', units))).toBe(params(3, units, features, 2 * 3 * units));
      expect(at(recurrent('gru', units, { resetAfter: false }))).toBe(params(3, units, features, 3 * units));
      expect(at(recurrent('lstm', units, { bias: false }))).toBe(params(4, units, features, 0));
    }
    expect(infoOf([7, 5], recurrent('gru', 4)).weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [5, 12]],
      ['recurrent_kernel', [4, 12]],
      ['bias', [2, 12]],
    ]);
  });

  it('MACs: per step gates x units x (input + units), at every step, returned or not', () => {
    for (const returnSequences of [false, true]) {
      expect(layer([20, 5], recurrent('simpleRnn', 4, { returnSequences })).macs).toBe(20 * 4 * (5 + 4));
      expect(layer([20, 5], recurrent('lstm', 4, { returnSequences })).macs).toBe(20 * 4 * 4 * (5 + 4));
      expect(layer([20, 5], recurrent('gru', 4, { returnSequences })).macs).toBe(20 * 3 * 4 * (5 + 4));
    }
  });

  it('outputs: the last step or the sequence, then with return_state each state (LSTM: h and c)', () => {
    const outs = (c: LayerConfig) => census(chain([6, 8], c)).infos[1]!.outputShapes;
    expect(outs(recurrent('lstm', 3))).toEqual([[3]]);
    expect(outs(recurrent('lstm', 3, { returnSequences: true }))).toEqual([[6, 3]]);
    expect(outs(recurrent('lstm', 3, { returnState: true }))).toEqual([[3], [3], [3]]);
    expect(outs(recurrent('gru', 3, { returnState: true, returnSequences: true }))).toEqual([[6, 3], [3]]);
    expect(outs(recurrent('simpleRnn', 2, { returnState: true }))).toEqual([[2], [2]]);
  });

  it('stacked cells: each fed by the one before; states of every cell, in order', () => {
    const c = rnn([cellOf('lstm', 3), cellOf('gru', 2), cellOf('simple', 5)], { returnState: true });
    const info = infoOf([6, 8], c);
    expect(info.outputShapes).toEqual([[5], [3], [3], [2], [5]]);
    expect(census(chain([6, 8], c)).layers[1]!.params).toBe(
      params(4, 3, 8, 12) + params(3, 2, 3, 12) + params(1, 5, 2, 5),
    );
    expect(info.macs).toBe(6 * (4 * 3 * (8 + 3) + 3 * 2 * (3 + 2) + 5 * (2 + 5)));
  });

  it("reads Keras' layers and cells, defaults included, and refuses what it cannot honour", () => {
    expect(kerasLayer('GRU', { units: 5, return_sequences: true })).toEqual(
      recurrent('gru', 5, { returnSequences: true }),
    );
    expect(kerasLayer('GRU', { units: 5, reset_after: false, go_backwards: true, stateful: true })).toEqual(
      recurrent('gru', 5, { resetAfter: false, goBackwards: true, stateful: true }),
    );
    expect(kerasLayer('LSTM', { units: 2, activation: 'relu', recurrent_activation: 'hard_sigmoid' })).toEqual(
      recurrent('lstm', 2, { activation: 'relu', recurrentActivation: 'hard_sigmoid' }),
    );
    const cell = (cls: string, config: Record<string, unknown>) => ({ class_name: cls, config });
    expect(
      kerasLayer('RNN', {
        cell: cell('StackedRNNCells', {
          cells: [
            cell('GRUCell', { units: 3, reset_after: false }),
            cell('SimpleRNNCell', { units: 2, use_bias: false }),
          ],
        }),
        return_sequences: true,
      }),
    ).toEqual(
      rnn([cellOf('gru', 3, { resetAfter: false }), cellOf('simple', 2, { bias: false })], { returnSequences: true }),
    );
    expect(() => kerasLayer('RNN', { cell: cell('MinimalRNNCell', { units: 3 }) })).toThrow(
      /layer "l" \(RNN\): cell MinimalRNNCell is not a supported cell/,
    );
    expect(() => kerasLayer('RNN', { cell: cell('LSTMCell', { units: 0 }) })).toThrow(
      /cell.units must be an integer >= 1/,
    );
    expect(() => kerasLayer('LSTM', { units: 3, time_major: true })).toThrow(/time_major true is not supported/);
    expect(() => layer([6, 8, 2], recurrent('lstm', 3))).toThrow(/layer "l0" \(lstm\): expects a \[time, features\]/);
  });

  it('initial states passed as a keyword are inputs, and must match the states', async () => {
    const m = functional(
      [
        ['x', [6, 8]],
        ['h', [3]],
        ['c', [3]],
      ],
      [{ cls: 'LSTM', name: 'l', config: { units: 3 }, args: ['x'], kwargs: { initial_state: ['h', 'c'], mask: 'x' } }],
    );
    const { graph } = importKerasJson(m);
    expect(graph.nodes.at(-1)!.inputs).toEqual(['x', 'h', 'c']);
    expect(await verifies(graph)).toEqual([[1, 3]]);
    // Stacked cells take (and return) the states first cell first, as Keras does; tfjs orders them last cell first.
    const cell = (cls: string, units: number) => ({ class_name: cls, config: { units } });
    const stacked = functional(
      [
        ['x', [6, 8]],
        ['h1', [3]],
        ['c1', [3]],
        ['h2', [2]],
      ],
      [
        {
          cls: 'RNN',
          name: 'l',
          config: {
            cell: { class_name: 'StackedRNNCells', config: { cells: [cell('LSTMCell', 3), cell('GRUCell', 2)] } },
            return_state: true,
          },
          args: ['x'],
          kwargs: { initial_state: ['h1', 'c1', 'h2'] },
        },
      ],
    );
    const s = importKerasJson(stacked).graph;
    expect(census(s).infos.at(-1)!.outputShapes).toEqual([[2], [3], [3], [2]]);
    await verifies(s);
    const wrong = functional(
      [
        ['x', [6, 8]],
        ['h', [4]],
      ],
      [{ cls: 'GRU', name: 'l', config: { units: 3 }, args: ['x'], kwargs: { initial_state: ['h'] } }],
    );
    expect(() => census(importKerasJson(wrong).graph)).toThrow(
      /layer "l" \(gru\): initial states \[4\] do not match its states \[3\]/,
    );
  });

  it('verifies by execution: every cell, both GRU biases, sequences, states, backwards, stacks', async () => {
    const configs: LayerConfig[] = [];
    for (const kind of ['simpleRnn', 'lstm', 'gru'] as const)
      for (const o of [{}, { returnSequences: true, goBackwards: true }, { returnState: true }, { bias: false }]) {
        configs.push(recurrent(kind, 3, o));
        if (kind === 'gru') configs.push(recurrent(kind, 3, { ...o, resetAfter: false }));
      }
    configs.push(rnn([cellOf('lstm', 4)]));
    configs.push(
      rnn([cellOf('gru', 3), cellOf('simple', 2), cellOf('lstm', 2)], { returnState: true, returnSequences: true }),
    );
    for (const c of configs) await verifies(chain([5, 4], c));
  });

  it("GRU with reset_after computes Keras' cell: the reset gate multiplies (h W_h + b_rh)", () => {
    const Cell = customLayer(gruResetAfterCell);
    const cell = new Cell({
      units: 2,
      useBias: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      kernelInitializer: 'glorotUniform',
      recurrentInitializer: 'glorotUniform',
    });
    const x = tf.tensor2d([[0.3, -0.7, 0.2]]);
    const h = tf.tensor2d([[0.5, -0.25]]);
    cell.build([1, 3]);
    const bias = tf.tensor2d([
      [0.1, -0.2, 0.3, 0.05, 0.4, -0.1],
      [-0.3, 0.2, 0.1, -0.15, 0.25, 0.35],
    ]);
    cell.weights[2]!.write(bias);
    const [k, rk] = [cell.weights[0]!.read(), cell.weights[1]!.read()];
    const got = (cell.call([x, h], {}) as tf.Tensor[])[0]!;
    // Keras' GRUCell.call, reset_after=True, written out.
    const [mx, mh] = [
      tf.add(tf.matMul(x, k), bias.slice([0, 0], [1, 6])),
      tf.add(tf.matMul(h, rk), bias.slice([1, 0], [1, 6])),
    ];
    const part = (t: tf.Tensor, i: number) => t.slice([0, 2 * i], [1, 2]);
    const z = tf.sigmoid(tf.add(part(mx, 0), part(mh, 0)));
    const r = tf.sigmoid(tf.add(part(mx, 1), part(mh, 1)));
    const hh = tf.tanh(tf.add(part(mx, 2), tf.mul(r, part(mh, 2))));
    const want = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()).map((v) => expect.closeTo(v, 6)));
    tf.dispose([x, h, bias, got, mx, mh, z, r, hh, want]);
    for (const w of cell.weights) w.dispose();
  });
});

describe("LSTM with PyTorch's second bias (recurrentBias)", () => {
  const lstm2: LayerConfig = {
    kind: 'lstm',
    units: 3,
    bias: true,
    recurrentBias: true,
    returnSequences: true,
    returnState: false,
    goBackwards: false,
  };
  it('counts kernel, recurrent kernel, bias and recurrent_bias: 4 units x (input + units + 2), as nn.LSTM', () => {
    const c = census(chain([5, 4], lstm2));
    const l = c.infos[1]!;
    expect(l.weights.map((w) => [w.name, w.shape])).toEqual([
      ['kernel', [4, 12]],
      ['recurrent_kernel', [3, 12]],
      ['bias', [12]],
      ['recurrent_bias', [12]],
    ]);
    expect(c.layers[1]!.params).toBe(4 * 3 * (4 + 3 + 2));
  });

  it("computes Keras' LSTM cell with the two biases added (gates i, f, c, o)", () => {
    const Cell = customLayer(lstmTwoBiasCell);
    const cell = new Cell({ units: 2, useBias: true, activation: 'tanh', recurrentActivation: 'sigmoid' });
    cell.build([1, 3]);
    const [x, h, c] = [tf.tensor2d([[0.3, -0.7, 0.2]]), tf.tensor2d([[0.5, -0.25]]), tf.tensor2d([[0.1, 0.4]])];
    const [b1, b2] = [tf.linspace(-0.4, 0.3, 8), tf.linspace(0.2, -0.5, 8)];
    cell.weights[2]!.write(b1);
    cell.weights[3]!.write(b2);
    const [k, rk] = [cell.weights[0]!.read(), cell.weights[1]!.read()];
    const [gotH, , gotC] = cell.call([x, h, c], {}) as tf.Tensor[];
    const z = tf.add(tf.add(tf.matMul(x, k), tf.matMul(h, rk)), tf.add(b1, b2));
    const part = (i: number) => z.slice([0, 2 * i], [1, 2]);
    const cell2 = tf.add(tf.mul(tf.sigmoid(part(1)), c), tf.mul(tf.sigmoid(part(0)), tf.tanh(part(2))));
    const h2 = tf.mul(tf.sigmoid(part(3)), tf.tanh(cell2));
    expect(Array.from(gotH!.dataSync())).toEqual(Array.from(h2.dataSync()).map((v) => expect.closeTo(v, 6)));
    expect(Array.from(gotC!.dataSync())).toEqual(Array.from(cell2.dataSync()).map((v) => expect.closeTo(v, 6)));
    tf.dispose([x, h, c, b1, b2, gotH!, gotC!, z, cell2, h2]);
    for (const w of cell.weights) w.dispose();
  });

  it('verifies by execution', async () => {
    await verifies(chain([5, 4], lstm2));
  });
});

describe('ConvLSTM1D, 2D, 3D', () => {
  it('slide their input convolution over the axes after time; weights kernel + recurrent kernel + 4 filters bias', () => {
    const l = layer([4, 10, 2], convLstm('convLstm1d', 2, [3]));
    expect(l.outputShape).toEqual([1, 8, 2]);
    expect(l.params).toBe(3 * 2 * 8 + 3 * 2 * 8 + 8);
    expect(layer([4, 8, 8, 2], convLstm('convLstm2d', 3, [3, 3], { padding: 'same' })).params).toBe(
      9 * 2 * 12 + 9 * 3 * 12 + 12,
    );
    const l3 = layer([3, 4, 4, 4, 1], convLstm('convLstm3d', 2, [2, 2, 2], { returnSequences: true }));
    expect(l3.outputShape).toEqual([1, 3, 3, 3, 3, 2]);
    expect(l3.params).toBe(8 * 1 * 8 + 8 * 2 * 8 + 8);
    // Strides and dilation as a convolution's: floor((n - d (k - 1) - 1) / s) + 1, SAME ceil(n / s).
    expect(layer([2, 9, 9, 1], convLstm('convLstm2d', 1, [3, 3], { strides: [2, 2] })).outputShape).toEqual([
      1, 4, 4, 1,
    ]);
    expect(
      layer([2, 9, 9, 1], convLstm('convLstm2d', 1, [3, 3], { strides: [2, 2], padding: 'same' })).outputShape,
    ).toEqual([1, 5, 5, 1]);
    expect(layer([2, 9, 1], convLstm('convLstm1d', 1, [3], { dilation: [2] })).outputShape).toEqual([1, 5, 1]);
  });

  it('MACs: input and recurrent convolutions at every output position, every step', () => {
    const l = layer([4, 8, 8, 2], convLstm('convLstm2d', 3, [3, 3], { padding: 'same' }));
    expect(l.macs).toBe(4 * 8 * 8 * 12 * 9 * (2 + 3));
    const s = layer([5, 9, 2], convLstm('convLstm1d', 2, [3], { strides: [2], returnSequences: true }));
    expect(s.macs).toBe(5 * 4 * 8 * 3 * (2 + 2));
  });

  it("reads Keras' ConvLSTM configs and refuses strides with dilation, as Keras does", () => {
    expect(
      kerasLayer(
        'ConvLSTM2D',
        { filters: 3, kernel_size: [3, 3], padding: 'same', return_sequences: true },
        [4, 8, 8, 2],
      ),
    ).toEqual(convLstm('convLstm2d', 3, [3, 3], { padding: 'same', returnSequences: true }));
    expect(() =>
      kerasLayer('ConvLSTM1D', { filters: 2, kernel_size: 3, strides: 2, dilation_rate: 2 }, [4, 10, 2]),
    ).toThrow(/strides greater than 1 cannot be combined with dilation_rate/);
    expect(() => layer([4, 10, 2], convLstm('convLstm2d', 2, [3, 3]))).toThrow(
      /layer "l0" \(convLstm2d\): expects a rank-4/,
    );
  });

  it('verifies by execution: 1-D and 3-D as our layer, 2-D as tfjs-layers', async () => {
    const cases: Array<[number[], ConvLstmConfig]> = [
      [[4, 10, 2], convLstm('convLstm1d', 2, [3])],
      [
        [4, 10, 2],
        convLstm('convLstm1d', 2, [3], { strides: [2], padding: 'same', returnSequences: true, returnState: true }),
      ],
      [[3, 9, 1], convLstm('convLstm1d', 1, [2], { dilation: [3], goBackwards: true })],
      [[3, 7, 6, 2], convLstm('convLstm2d', 3, [3, 2], { strides: [2, 1], returnState: true })],
      [[3, 7, 6, 2], convLstm('convLstm2d', 3, [3, 3], { dilation: [2, 2], padding: 'same', bias: false })],
      [[3, 4, 4, 4, 1], convLstm('convLstm3d', 2, [2, 2, 2], { returnSequences: true })],
      [
        [2, 5, 4, 6, 2],
        convLstm('convLstm3d', 2, [3, 1, 2], { strides: [2, 1, 2], padding: 'same', returnState: true }),
      ],
    ];
    for (const [shape, c] of cases) await verifies(chain(shape, c));
  });

  it('our ConvLSTM layer computes what tfjs-layers computes for 2-D', () => {
    const c = convLstm('convLstm2d', 3, [3, 2], { padding: 'same', returnSequences: true });
    const Ours = customLayer(convLstmLayerClass);
    const ours = new Ours({ config: c, kernelInitializer: 'glorotUniform' });
    const theirs = tf.layers.convLstm2d({
      filters: 3,
      kernelSize: [3, 2],
      padding: 'same',
      returnSequences: true,
      recurrentActivation: 'sigmoid',
    });
    const x = tf.randomUniform([2, 4, 5, 6, 2], -1, 1, 'float32', 7);
    const a = ours.apply(x) as tf.Tensor;
    const b = theirs.apply(x) as tf.Tensor;
    theirs.setWeights(ours.getWeights().map((w, i) => (i === 2 ? tf.randomUniform(w.shape, -1, 1, 'float32', 3) : w)));
    ours.setWeights(theirs.getWeights());
    const [y1, y2] = [ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor];
    expect(y1.shape).toEqual([2, 4, 5, 6, 3]);
    const diff = tf.max(tf.abs(tf.sub(y1, y2))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([x, a, b, y1, y2]);
    ours.dispose();
    theirs.dispose();
  });
});

describe('Bidirectional', () => {
  it('merges the two directions: concat joins the last axes, sum/mul/ave keep them, None returns both', () => {
    const outs = (c: BidirectionalConfig) => infoOf([6, 8], c).outputShapes;
    const seq = recurrent('gru', 3, { returnSequences: true });
    expect(outs(bidi(seq))).toEqual([[6, 6]]);
    for (const mode of ['sum', 'mul', 'ave'] as const) expect(outs(bidi(seq, mode))).toEqual([[6, 3]]);
    expect(outs(bidi(seq, null))).toEqual([
      [6, 3],
      [6, 3],
    ]);
    // return_state: the merged output, then the forward states, then the backward ones (Keras' order).
    expect(outs(bidi(recurrent('lstm', 3, { returnState: true })))).toEqual([[6], [3], [3], [3], [3]]);
  });

  it('counts both directions, weights and MACs (named forward and backward)', () => {
    const lstm = recurrent('lstm', 6, { returnSequences: true });
    const l = layer([20, 8], bidi(lstm));
    expect(l.params).toBe(2 * layer([20, 8], lstm).params);
    expect(l.macs).toBe(2 * layer([20, 8], lstm).macs);
    expect(l.macParts).toEqual({ forward: layer([20, 8], lstm).macs, backward: layer([20, 8], lstm).macs });
    // An explicit backward layer of another kind is counted as itself.
    const mixed = bidi(recurrent('lstm', 3), 'concat', recurrent('gru', 2, { goBackwards: true }));
    expect(layer([6, 8], mixed).params).toBe(
      layer([6, 8], recurrent('lstm', 3)).params + layer([6, 8], recurrent('gru', 2)).params,
    );
    expect(layer([6, 8], mixed).outputShape).toEqual([1, 5]);
    expect(() => layer([6, 8], bidi(recurrent('lstm', 3), 'sum', recurrent('gru', 2, { goBackwards: true })))).toThrow(
      /layer "l0" \(bidirectional\): merge mode sum needs equal outputs/,
    );
  });

  it("reads Keras' Bidirectional: the layer, backward_layer or its mirror, merge_mode, a frozen inner layer", () => {
    const gru = { class_name: 'GRU', config: { name: 'forward_gru', units: 3, return_sequences: true } };
    const back = {
      class_name: 'GRU',
      config: { name: 'backward_gru', units: 3, return_sequences: true, go_backwards: true },
    };
    const c = kerasLayer('Bidirectional', {
      layer: gru,
      backward_layer: back,
      merge_mode: 'sum',
    }) as BidirectionalConfig;
    expect(c).toEqual(bidi(recurrent('gru', 3, { returnSequences: true }), 'sum'));
    // Keras 2 and TensorFlow.js write no backward_layer: the mirror, reading the other way.
    expect(kerasLayer('Bidirectional', { layer: gru, merge_mode: null })).toEqual(c && { ...c, mergeMode: null });
    const frozen = { class_name: 'LSTM', config: { units: 2, trainable: false } };
    const f = layer([6, 8], kerasLayer('Bidirectional', { layer: frozen }));
    expect([f.params, f.trainableParams]).toEqual([2 * (8 * 8 + 2 * 8 + 8), 0]);
    expect(() => kerasLayer('Bidirectional', { layer: { class_name: 'Dense', config: { units: 2 } } })).toThrow(
      /layer "l" \(Bidirectional\): layer must be a recurrent layer/,
    );
    expect(() => kerasLayer('Bidirectional', { layer: gru, backward_layer: gru })).toThrow(
      /backward_layer must read in the other direction/,
    );
    expect(() => kerasLayer('Bidirectional', { layer: gru, merge_mode: 'max' })).toThrow(
      /merge_mode "max" is not supported/,
    );
  });

  it("verifies by execution: tfjs' Bidirectional where it can copy the layer, both directions built apart otherwise", async () => {
    const cases: Array<[number[], BidirectionalConfig]> = [];
    for (const mode of ['concat', 'sum', 'mul', 'ave', null] as const) {
      cases.push([[6, 8], bidi(recurrent('lstm', 3, { returnSequences: true }), mode)]);
      cases.push([[6, 8], bidi(recurrent('gru', 3, { returnSequences: true }), mode)]); // reset_after: our cell
    }
    cases.push([[6, 8], bidi(recurrent('gru', 3, { resetAfter: false, returnState: true }))]);
    cases.push([[6, 8], bidi(recurrent('lstm', 2, { returnState: true, returnSequences: true }), null)]);
    cases.push([[6, 8], bidi(recurrent('lstm', 3), 'concat', recurrent('gru', 2, { goBackwards: true }))]);
    // Built apart, with states: the merged output(s), then each direction's states in Keras' order.
    cases.push([[6, 8], bidi(recurrent('gru', 3, { returnState: true, returnSequences: true }), null)]);
    cases.push([[6, 8], bidi(rnn([cellOf('lstm', 3), cellOf('gru', 2)], { returnState: true }), 'mul')]);
    cases.push([[6, 8], bidi(rnn([cellOf('simple', 2), cellOf('lstm', 3)], { returnSequences: true }), 'ave')]);
    cases.push([[4, 10, 2], bidi(convLstm('convLstm1d', 2, [3], { returnSequences: true }), 'sum')]);
    cases.push([[3, 6, 6, 2], bidi(convLstm('convLstm2d', 2, [3, 3], { padding: 'same' }))]);
    for (const [shape, c] of cases) await verifies(chain(shape, c));
    const frozen = { ...bidi(recurrent('simpleRnn', 2)), forwardTrainable: false, backwardTrainable: false } as const;
    await verifies(chain([6, 8], frozen));
  });
});

describe('TimeDistributed', () => {
  const td = (l: LayerConfig, o: { layerTrainable?: false } = {}): LayerConfig => ({
    kind: 'timeDistributed',
    layer: l,
    ...o,
  });

  it('applies the wrapped layer at every step: its shape rule, its weights once, its MACs x steps', () => {
    const d = layer([6, 8], td(dense(5)));
    expect(d.outputShape).toEqual([1, 6, 5]);
    expect(d.params).toBe(8 * 5 + 5);
    expect(d.macs).toBe(6 * 8 * 5);
    const c = layer([4, 8, 8, 2], td(conv(3, 3, { pad: 'same' })));
    expect(c.outputShape).toEqual([1, 4, 8, 8, 3]);
    expect(c.params).toBe(3 * 3 * 2 * 3 + 3);
    expect(c.macs).toBe(4 * 8 * 8 * 3 * 2 * 9);
    expect(layer([4, 8, 8, 3], td({ kind: 'flatten' })).outputShape).toEqual([1, 4, 192]);
    expect(() => layer([5], td(dense(2)))).toThrow(/layer "l0" \(timeDistributed\): expects a \[time, \.\.\.\] input/);
  });

  it("reads Keras' TimeDistributed through the registry, any kind inside, a frozen inner layer non-trainable", () => {
    const inner = { class_name: 'Dense', config: { units: 4, trainable: false } };
    const c = kerasLayer('TimeDistributed', { layer: inner });
    expect(c).toEqual(td(dense(4), { layerTrainable: false }));
    const l = layer([6, 8], c);
    expect([l.params, l.trainableParams]).toEqual([36, 0]);
  });

  it('verifies by execution: one tfjs layer wrapped, or a small model of several (a padded convolution)', async () => {
    await verifies(chain([6, 8], td(dense(5)), td(dense(2), { layerTrainable: false })));
    await verifies(chain([4, 8, 8, 2], td(conv(3, 3, { pad: 'same' })), td({ kind: 'flatten' })));
    await verifies(chain([4, 9, 9, 2], td(conv(3, 3, { pad: [2, 1], stride: 2 })), td(embedding(4, 2))));
    await verifies(chain([3, 6, 4], td(recurrent('gru', 2))));
  });
});

describe('frozen layers of these kinds (Keras trainable=False)', () => {
  it('count every weight as non-trainable, and tfjs agrees by execution', async () => {
    const cases: Array<[number[], LayerConfig]> = [
      [[7], embedding(20, 3)],
      [[6, 8], recurrent('gru', 3)],
      [[6, 8], rnn([cellOf('gru', 3), cellOf('lstm', 2)])],
      [[6, 8], bidi(recurrent('lstm', 3))],
      [[6, 8], bidi(recurrent('gru', 3))],
      [[3, 4, 4, 4, 1], convLstm('convLstm3d', 2, [2, 2, 2])],
      [[6, 8], { kind: 'timeDistributed', layer: dense(4) }],
    ];
    for (const [shape, c] of cases) {
      const g = chain(shape, c);
      const frozen = { ...g, nodes: g.nodes.map((n) => (n.name === 'l0' ? { ...n, trainable: false } : n)) };
      const l = census(frozen).layers[1]!;
      expect([l.trainableParams, l.nonTrainableParams]).toEqual([0, l.params]);
      await verifies(frozen);
    }
  });
});

describeKerasFigures({
  kinds: [
    'embedding',
    'reversibleEmbedding',
    'simpleRnn',
    'lstm',
    'gru',
    'rnn',
    'convLstm1d',
    'convLstm2d',
    'convLstm3d',
    'bidirectional',
    'timeDistributed',
  ],
  fixtures: ['breadth_sequence', 'text_classifier', 'tiny_transformer'],
  wholeModels: ['text_classifier', 'tiny_transformer'],
  // Keras' figures for the layers inside: each direction of a Bidirectional, a TimeDistributed's layer, an RNN's cell.
  inner: (l, info, children) => {
    if (l.class_name === 'Bidirectional') {
      expect([paramsUnder(info, 'forward/'), paramsUnder(info, 'backward/')]).toEqual(
        children.map((x) => x.count_params),
      );
    } else if (!l.class_name.endsWith('Embedding')) {
      expect(
        children.map((x) => x.count_params),
        l.path,
      ).toEqual([l.count_params]);
    }
  },
});

describe('a TensorFlow.js model of these layers, as its own toJSON writes it', () => {
  it("imports, counts and verifies, and tfjs' own deserializer counts the same", async () => {
    const x = tf.input({ shape: [7] });
    let y = tf.layers.embedding({ inputDim: 30, outputDim: 6 }).apply(x) as tf.SymbolicTensor;
    y = tf.layers
      .bidirectional({ layer: tf.layers.lstm({ units: 3, returnSequences: true }) as tf.RNN, mergeMode: 'ave' })
      .apply(y) as tf.SymbolicTensor;
    y = tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4 }) }).apply(y) as tf.SymbolicTensor;
    y = tf.layers.gru({ units: 2 }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: x, outputs: y });
    const json = { modelTopology: model.toJSON(null, false), format: 'layers-model' };
    const { graph, format } = importKerasJson(json);
    expect(format).toBe('tfjs');
    const c = census(graph);
    expect(c.totals.params).toBe(model.countParams());
    graph.file = { path: 'model.json', container: 'json', format, tfjsTopology: json.modelTopology };
    const r = await verifyGraph(graph);
    expect(r.mismatches).toEqual([]);
    expect(r.witnesses.loader?.ok).toBe(true);
    model.dispose();
  });
});
