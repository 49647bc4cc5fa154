/**
 * LSTM and GRU built in code over a batch-first sequence (layout 1: [batch, steps, features]). ONNX's
 * weights: W [directions, gates x hidden, input], R [directions, gates x hidden, hidden], B [directions,
 * 2 x gates x hidden]; LSTM has 4 gates, GRU 3. Parameters: directions x gates x hidden x (input + hidden + 2).
 */
import { describe, expect, it } from 'vitest';
import { load, weight } from './build.js';

const rnn = (op: 'LSTM' | 'GRU', dirs: number, attrs: Record<string, number | string> = {}) => {
  const gates = op === 'LSTM' ? 4 : 3;
  return load({
    input: [1, 5, 4],
    nodes: [
      {
        op,
        inputs: ['x', 'w', 'r', 'b'],
        attrs: { hidden_size: 3, layout: 1, ...(dirs === 2 ? { direction: 'bidirectional' } : {}), ...attrs },
      },
    ],
    inits: [weight('w', [dirs, gates * 3, 4]), weight('r', [dirs, gates * 3, 3]), weight('b', [dirs, 2 * gates * 3])],
  }).layers;
};

describe('ONNX LSTM and GRU', () => {
  it('LSTM: 4 x 3 x (4 + 3 + 2) parameters; Y [1, steps, directions, hidden]', () => {
    const layers = rnn('LSTM', 1);
    const cell = layers.find((l) => l.kind === 'lstm')!;
    expect(cell.params).toBe(4 * 3 * (4 + 3 + 2));
    expect(cell.outputShape).toEqual([1, 5, 3]);
    expect(layers.at(-1)!.outputShape).toEqual([1, 5, 1, 3]);
  });

  it('GRU with linear_before_reset: 3 x 3 x (4 + 3 + 2)', () => {
    const cell = rnn('GRU', 1, { linear_before_reset: 1 }).find((l) => l.kind === 'gru')!;
    expect(cell.params).toBe(3 * 3 * (4 + 3 + 2));
  });

  it('GRU without linear_before_reset is refused', () => {
    expect(() => rnn('GRU', 1)).toThrow(/a GRU with linear_before_reset 0/);
  });

  it('bidirectional: both directions, the sequences joined per step', () => {
    const layers = rnn('LSTM', 2);
    const cell = layers.find((l) => l.kind === 'bidirectional')!;
    expect(cell.params).toBe(2 * 4 * 3 * (4 + 3 + 2));
    expect(cell.outputShape).toEqual([1, 5, 6]);
    expect(layers.at(-1)!.outputShape).toEqual([1, 5, 2, 3]);
  });

  it('direction reverse is refused', () => {
    expect(() => rnn('LSTM', 1, { direction: 'reverse' })).toThrow(/a LSTM in direction reverse is not supported/);
  });
});
