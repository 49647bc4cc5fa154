/** Activations: the plain and parametrised functions, PRelu, Gelu, Clip, Softmax, LogSoftmax and Dropout. */
import type { LayerConfig } from '../../../graph.js';
import type { ActivationConfig, ActivationFn } from '../../../kinds/activation.js';
import { attr, attrFloat, attrInt, attrString } from '../attributes.js';
import type { NodeProto } from '../proto.js';
import { broadcastShape, flatOf, graphShape, identity } from '../values.js';
import type { Handler, OpDef, OpFile } from './def.js';
import { axisAttr, none } from './lift.js';

const ACTIVATIONS: Record<string, ActivationFn> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
  Selu: 'selu',
};
const activation = (op: string, fn: ActivationFn): Handler =>
  function (n) {
    const c = this;
    const x = c.tensor(n, 0, true);
    // SELU and ELU with other than their defaults are other functions; they are refused rather than approximated.
    if (op === 'Selu' && (attr(n, 'alpha') || attr(n, 'gamma'))) {
      const alpha = attrFloat(n, 'alpha', 1.6732632423543772);
      const gamma = attrFloat(n, 'gamma', 1.0507009873554805);
      if (Math.abs(alpha - 1.6732632) > 1e-5 || Math.abs(gamma - 1.0507009) > 1e-5)
        return c.unknown(n, 'a Selu with other constants');
    }
    const { ref, shapes } = c.emit(n, { kind: 'activation', fn }, [x.ref]);
    c.out(n, 0, ref, shapes[0]!, x.perm, flatOf(x));
  };

// Parametrised activations: their ONNX attributes are the kind's options, defaults ONNX's own.
const PARAMETRISED: Record<string, (n: NodeProto) => ActivationConfig> = {
  Elu: (n) => ({
    kind: 'activation',
    fn: 'elu',
    ...(attrFloat(n, 'alpha', 1) === 1 ? {} : { alpha: attrFloat(n, 'alpha', 1) }),
  }),
  Celu: (n) => ({ kind: 'activation', fn: 'celu', alpha: attrFloat(n, 'alpha', 1) }),
  LeakyRelu: (n) => ({ kind: 'activation', fn: 'leaky_relu', negativeSlope: attrFloat(n, 'alpha', 0.01) }),
  ThresholdedRelu: (n) => ({ kind: 'activation', fn: 'relu', threshold: attrFloat(n, 'alpha', 1) }),
  HardSigmoid: (n) => ({
    kind: 'activation',
    fn: 'hard_sigmoid',
    alpha: attrFloat(n, 'alpha', 0.2),
    beta: attrFloat(n, 'beta', 0.5),
  }),
  // ONNX's HardSwish is x * HardSigmoid(x) with alpha 1/6 and beta 0.5: Keras' hard_silu exactly.
  HardSwish: () => ({ kind: 'activation', fn: 'hard_silu' }),
  Softsign: () => ({ kind: 'activation', fn: 'softsign' }),
  Mish: () => ({ kind: 'activation', fn: 'mish' }),
};
const parametrised = (config: (n: NodeProto) => ActivationConfig): Handler =>
  function (n) {
    const c = this;
    const x = c.tensor(n, 0, true);
    const { ref, shapes } = c.emit(n, config(n), [x.ref]);
    c.out(n, 0, ref, shapes[0]!, x.perm, flatOf(x));
  };

const prelu: Handler = function (n) {
  const c = this;
  let x = c.tensor(n, 0);
  const slope = c.value(n, 1);
  if (slope.t !== 'const' || !slope.init) return c.unknown(n, 'a PRelu whose slope is not a stored tensor');
  let shape = broadcastShape(slope, x);
  if (!shape) {
    x = c.layout(n, x, identity(x.perm.length), 'onnx_order');
    shape = broadcastShape(slope, x);
  }
  const g = graphShape(x);
  if (!shape || shape.some((d, i) => d !== 1 && d !== g[i]))
    return c.unknown(n, `a PRelu slope of shape [${slope.dims.join(', ')}] against [${x.onnx.join(', ')}]`);
  // The slope's size-1 axes are shared; an axis of size 1 in the input is the same either way.
  const sharedAxes = shape.flatMap((d, i) => (d === 1 && g[i] !== 1 ? [i] : []));
  const { ref, shapes } = c.emit(n, { kind: 'prelu', sharedAxes }, [x.ref]);
  c.weights.set(ref, { op: 'paramOp', inits: [slope.init.name], perm: x.perm });
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const gelu: Handler = function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  if (attrString(n, 'approximate', 'none') !== 'none') return c.unknown(n, 'a Gelu with the tanh approximation');
  const { ref, shapes } = c.emit(n, { kind: 'activation', fn: 'gelu' }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, flatOf(x));
};

const clip: Handler = function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  const min = n.input[1] ? c.constant(n, 1, 'min')[0]! : attrFloat(n, 'min', -Infinity);
  const max = n.input[2] ? c.constant(n, 2, 'max')[0]! : attrFloat(n, 'max', Infinity);
  const config: LayerConfig =
    min === 0 && max === 6
      ? { kind: 'activation', fn: 'relu6' }
      : min === 0 && max === Infinity
        ? { kind: 'activation', fn: 'relu' }
        : { kind: 'clip', min, max };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, flatOf(x));
};

const softmax: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const rank = x0.onnx.length;
  const axis0 = attrInt(n, 'axis', c.opset >= 13 ? -1 : 1);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  // Before opset 13 Softmax flattens from its axis on; over the last axis both are the same.
  if (c.opset < 13 && axis !== rank - 1)
    return c.unknown(n, `a ${n.opType} (opset ${c.opset}) over axes ${axis} to ${rank - 1}`);
  const x = x0.perm[x0.perm.length - 1] === axis - 1 ? x0 : c.layout(n, x0, identity(x0.perm.length), 'onnx_order');
  if (x.perm[x.perm.length - 1] !== axis - 1) return c.unknown(n, `a ${n.opType} over axis ${axis}`);
  const { ref, shapes } = c.emit(n, { kind: 'activation', fn: n.opType === 'Softmax' ? 'softmax' : 'log_softmax' }, [
    x.ref,
  ]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const dropout: Handler = function (n) {
  const c = this;
  const x = c.tensor(n, 0, true);
  if (c.used(n, 1)) return c.unknown(n, 'a Dropout whose mask is used');
  const ratio = n.input[1] ? (c.constant(n, 1, 'the ratio')[0] ?? 0.5) : attrFloat(n, 'ratio', 0.5);
  const { ref, shapes } = c.emit(n, { kind: 'dropout', rate: ratio }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm, flatOf(x));
};

const table = <T>(from: Record<string, T>, def: (op: string, x: T) => OpDef): Record<string, OpDef> =>
  Object.fromEntries(Object.entries(from).map(([op, x]) => [op, def(op, x)]));

export const { operators }: OpFile = {
  operators: {
    ...table(ACTIVATIONS, (op, fn) => ({ convert: activation(op, fn), lift: none })),
    ...table(PARAMETRISED, (_, config) => ({ convert: parametrised(config), lift: none })),
    PRelu: { convert: prelu, spatial: true },
    Gelu: { convert: gelu, lift: none },
    Clip: { convert: clip, lift: none },
    Softmax: { convert: softmax, lift: axisAttr((c) => (c.opset >= 13 ? -1 : 1)) },
    LogSoftmax: { convert: softmax, lift: axisAttr((c) => (c.opset >= 13 ? -1 : 1)) },
    Dropout: { convert: dropout, lift: none },
  },
};
