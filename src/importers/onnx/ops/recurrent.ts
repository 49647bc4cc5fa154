/** Recurrent layers: nn.LSTM and nn.GRU as torch.onnx.export writes them. */
import type { LayerConfig } from '../../../graph.js';
import type { RecurrentConfig } from '../../../kinds/sequence.js';
import { attr, attrInt, attrString } from '../attributes.js';
import { identity, type Const, type WeightLayout } from '../values.js';
import { each, type Handler, type OpFile } from './def.js';

const RNN_ACTIVATIONS = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] } as const;

/**
 * An LSTM or GRU, forward or bidirectional, over a batch-first sequence: Keras' LSTM with PyTorch's second bias, or
 * Keras' GRU with reset_after (ONNX's linear_before_reset = 1, PyTorch's GRU). A sequence-first input
 * (layout 0) is the lifted transpose of a batch-first tensor; Y keeps ONNX's [steps, directions, batch,
 * hidden] (lifted), Y_h is the last step, Y_c the layer's final cell state.
 */
const recurrent: Handler = function (n) {
  const c = this;
  const op = n.opType as 'LSTM' | 'GRU';
  const hidden = attrInt(n, 'hidden_size', 0);
  const direction = attrString(n, 'direction', 'forward');
  if (direction === 'reverse') return c.unknown(n, `a ${op} in direction reverse`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  if (attr(n, 'clip') || attrInt(n, 'input_forget', 0)) return c.unknown(n, `a ${op} with clip or input_forget`);
  const acts = attr(n, 'activations')?.strings.map((b) => Buffer.from(b).toString('utf8'));
  if (acts && acts.join() !== RNN_ACTIVATIONS[op].join())
    return c.unknown(n, `a ${op} with activations ${acts.join(', ')}`);
  if (op === 'GRU' && attrInt(n, 'linear_before_reset', 0) !== 1)
    return c.unknown(n, 'a GRU with linear_before_reset 0 (one bias per gate: Keras reset_after=False)');
  const stored = [1, 2, 3].map((i) => (n.input[i] ? c.value(n, i) : undefined));
  if (stored.some((v, i) => (i < 2 || v) && (v?.t !== 'const' || !v.init)))
    return c.unknown(n, `a ${op} whose weights are computed, not stored`);
  if (n.input[4] || n.input[7]) return c.unknown(n, `a ${op} with sequence lengths or peepholes`);
  for (const i of [5, 6]) {
    const v = n.input[i] ? c.value(n, i) : undefined;
    if (v && (v.t !== 'const' || c.valuesOf(v).some((x) => x !== 0)))
      return c.unknown(n, `a ${op} with initial states other than zeros`);
  }
  // The final cell state is Keras' return_state; a bidirectional wrapper returns its states otherwise.
  const cellState = op === 'LSTM' && c.used(n, 2);
  if (cellState && dirs === 2) return c.unknown(n, 'a bidirectional LSTM whose final cell state is used');
  const layout = attrInt(n, 'layout', 0);
  const x0 = c.tensor(n, 0);
  const real = x0.lifted ? x0.onnx.slice(1) : x0.onnx;
  // Batch-first [1, steps, features]: layout 1 as it is; layout 0 [steps, 1, features] from its lifted form.
  if (real.length !== 3 || real[layout === 0 ? 1 : 0] !== 1 || (layout === 0) !== Boolean(x0.lifted))
    return c.unknown(n, `a ${op} over [${real.join(', ')}] (layout ${layout})`, true);
  const [steps, features] = layout === 0 ? [real[0]!, real[2]!] : [real[1]!, real[2]!];
  const ordered = c.layout(n, x0, identity(x0.perm.length), 'onnx_order');
  const x =
    layout === 0
      ? c.emit(n, { kind: 'reshape', target: [steps, features] }, [ordered.ref], '__batch_first').ref
      : ordered.ref;
  const flags = { returnSequences: true, returnState: cellState, goBackwards: false };
  const bias = stored[2] !== undefined;
  const cell: RecurrentConfig =
    op === 'LSTM'
      ? { kind: 'lstm', units: hidden, bias, ...(bias ? { recurrentBias: true } : {}), ...flags }
      : { kind: 'gru', units: hidden, bias, resetAfter: true, ...flags };
  // Bidirectional: Keras' wrapper, the backward copy going backwards, the two sequences joined per step
  // (ONNX's Y holds the directions on an axis of their own, in the same element order at batch 1).
  const config: LayerConfig =
    dirs === 2
      ? { kind: 'bidirectional', forward: cell, backward: { ...cell, goBackwards: true }, mergeMode: 'concat' }
      : cell;
  const { ref } = c.emit(n, config, [x]);
  c.weights.set(ref, { op, inits: stored.filter((v): v is Const => v !== undefined).map((v) => v.init!.name) });
  if (c.used(n, 0)) {
    // ONNX's Y: [steps, directions, 1, hidden] (lifted) for layout 0, [1, steps, directions, hidden] for layout 1.
    const target = layout === 0 ? [steps, dirs, 1, hidden] : [steps, dirs, hidden];
    const y = c.emit(n, { kind: 'reshape', target }, [ref], '__onnx_layout').ref;
    c.set(n.output[0]!, {
      t: 'tensor',
      ref: y,
      onnx: [1, ...target],
      perm: identity(target.length),
      // Sequence-first: the examples are on ONNX's batch axis, the third.
      ...(layout === 0 ? { lifted: true, batchAt: 2 } : {}),
    });
  }
  if (c.used(n, 1)) {
    // ONNX's Y_h: each direction's final state: forward's at the last step, backward's at the first.
    const part = (step: number, from: number) =>
      c.emit(
        n,
        { kind: 'slice', axes: [0, 1], starts: [step, from], ends: [step + 1, from + hidden], steps: [1, 1] },
        [ref],
        '__final_state',
      ).ref;
    const parts = dirs === 2 ? [part(steps - 1, 0), part(0, hidden)] : [part(steps - 1, 0)];
    const h = parts.length === 1 ? parts[0]! : c.emit(n, { kind: 'concat', axis: 0 }, parts, '__final_state').ref;
    if (layout === 1 || dirs === 1) {
      c.set(n.output[1]!, { t: 'tensor', ref: h, onnx: [1, dirs, hidden], perm: [0, 1] });
    } else {
      // [directions, 1, hidden]: directions first, lifted.
      const y = c.emit(n, { kind: 'reshape', target: [dirs, 1, hidden] }, [h], '__onnx_layout').ref;
      c.set(n.output[1]!, {
        t: 'tensor',
        ref: y,
        onnx: [1, dirs, 1, hidden],
        perm: identity(3),
        lifted: true,
        batchAt: 1,
      });
    }
  }
  if (cellState) {
    // ONNX's Y_c, [1, 1, hidden] at batch 1 either layout: the layer's last state output (Keras: y, h, c).
    const y = c.emit(n, { kind: 'reshape', target: [1, hidden] }, [`${ref}:2`], '__final_cell').ref;
    c.set(n.output[2]!, { t: 'tensor', ref: y, onnx: [1, 1, hidden], perm: [0, 1] });
  }
};

/**
 * W [1, gates x H, I], R [1, gates x H, H], B [1, 2 x gates x H] -> Keras' kernel [I, gates x H],
 * recurrent kernel [H, gates x H] and biases, gates in Keras' order (ONNX LSTM: i, o, f, c; Keras:
 * i, f, c, o; GRU: z, r, h in both).
 */
const gates: WeightLayout = (source, t) => {
  const order = source.op === 'LSTM' ? [0, 2, 3, 1] : [0, 1, 2];
  const gated = (data: Float32Array, rows: number, cols: number): Float32Array => {
    const h = rows / order.length;
    const out = new Float32Array(rows * cols);
    order.forEach((b, g) => {
      for (let u = 0; u < h; u++)
        for (let j = 0; j < cols; j++) out[j * rows + g * h + u] = data[(b * h + u) * cols + j]!;
    });
    return out;
  };
  // A bidirectional one holds both directions along the first axis: forward's weights, then backward's.
  const [w, r] = [t(source.inits[0]!), t(source.inits[1]!)];
  const b = source.inits[2] ? t(source.inits[2]).data : undefined;
  const [dirs, rows, cols, units] = [w.dims[0]!, w.dims[1]!, w.dims[2]!, r.dims[2]!];
  return Array.from({ length: dirs }, (_, d) => {
    const out = [
      { data: gated(w.data.subarray(d * rows * cols, (d + 1) * rows * cols), rows, cols), shape: [cols, rows] },
      {
        data: gated(r.data.subarray(d * rows * units, (d + 1) * rows * units), rows, units),
        shape: [units, rows],
      },
    ];
    if (b) {
      const [input, recurrent] = [2 * d, 2 * d + 1].map((k) => gated(b.subarray(k * rows, (k + 1) * rows), rows, 1));
      if (source.op === 'GRU') out.push({ data: Float32Array.from([...input!, ...recurrent!]), shape: [2, rows] });
      else out.push({ data: input!, shape: [rows] }, { data: recurrent!, shape: [rows] });
    }
    return out;
  }).flat();
};

export const { operators, layouts }: OpFile = {
  operators: each(['LSTM', 'GRU'], { convert: recurrent, selfLifting: true }),
  layouts: { LSTM: gates, GRU: gates },
};
