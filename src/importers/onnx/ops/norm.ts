/** BatchNormalization, InstanceNormalization, LayerNormalization and LRN; affine=False stores no parameters. */
import { prod } from '../../../exact.js';
import type { LayerConfig } from '../../../graph.js';
import { attrFloat, attrInt } from '../attributes.js';
import { channelsLast, identity, type WeightLayout } from '../values.js';
import type { Handler, OpFile } from './def.js';
import { axisAttr, none } from './lift.js';

/** A lifted input (LeViT's bn(x.flatten(0, 1)), [B x N, C]) has its channels on its second real axis. */
const batchNorm: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const rank = x0.perm.length;
  const want = x0.lifted ? [0, ...channelsLast(rank - 1).map((p) => p + 1)] : channelsLast(rank);
  const x = c.layout(n, x0, want, 'channels_last');
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.value(n, i));
  // affine=False exports its ones and zeros as Constant nodes: those are not parameters.
  const stored = (v: typeof scale) => v!.t === 'const' && v!.init !== undefined;
  const { ref, shapes } = c.emit(
    n,
    {
      kind: 'batchNorm',
      epsilon: attrFloat(n, 'epsilon', 1e-5),
      momentum: attrFloat(n, 'momentum', 0.9),
      center: stored(bias),
      scale: stored(scale),
    },
    [x.ref],
  );
  c.weights.set(ref, {
    op: 'BatchNormalization',
    inits: [scale, bias, mean, variance].map((v, i) => (v!.t === 'const' && v!.init ? v!.init.name : n.input[i + 1]!)),
  });
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const instanceNorm: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const x = c.layout(n, x0, channelsLast(x0.perm.length), 'channels_last');
  const scale = c.value(n, 1);
  const affine = scale.t === 'const' && scale.init !== undefined;
  const { ref, shapes } = c.emit(n, { kind: 'instanceNorm', epsilon: attrFloat(n, 'epsilon', 1e-5), affine }, [x.ref]);
  if (affine) c.weights.set(ref, { op: 'InstanceNormalization', inits: n.input.slice(1, 3) });
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const layerNorm: Handler = function (n) {
  const c = this;
  let x = c.tensor(n, 0);
  const rank = x.onnx.length;
  const axis0 = attrInt(n, 'axis', -1);
  const axis = axis0 < 0 ? axis0 + rank : axis0;
  if (axis < 1 || axis >= rank) return c.unknown(n, `a LayerNormalization from axis ${axis0} of a rank-${rank} tensor`);
  if (n.output.slice(1).some(Boolean))
    return c.unknown(n, 'a LayerNormalization whose mean or inverse deviation is used');
  const normalized = x.onnx.slice(axis);
  const [scale, bias] = [1, 2].map((i) => (n.input[i] ? c.value(n, i) : undefined));
  // As with BatchNormalization, affine=False exports ones and zeros as Constant nodes: not parameters.
  const stored = [scale, bias].map((v) => (v?.t === 'const' && v.init ? v : undefined));
  for (const v of stored) {
    if (v && v.dims.join('x') !== normalized.join('x'))
      return c.unknown(
        n,
        `a LayerNormalization weight of shape [${v.dims.join(', ')}] over [${normalized.join(', ')}]`,
      );
  }
  // The weights hold the normalized axes in ONNX order; the graph keeps them in that order or is put in it.
  const order = x.perm.filter((p) => p + 1 >= axis);
  if (stored.some(Boolean) && !order.every((p, i) => i === 0 || order[i - 1]! < p))
    x = c.layout(n, x, identity(x.perm.length), 'onnx_order');
  const config: LayerConfig = {
    kind: 'layerNorm',
    axis: x.perm.flatMap((p, i) => (p + 1 >= axis ? [i] : [])),
    epsilon: attrFloat(n, 'epsilon', 1e-5),
    center: !!stored[1],
    scale: !!stored[0],
    rmsScaling: false,
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  const inits = stored.flatMap((v) => (v ? [v.init!.name] : []));
  if (inits.length) c.weights.set(ref, { op: 'LayerNormalization', inits });
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const lrn: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const x = c.layout(n, x0, channelsLast(x0.perm.length), 'channels_last');
  const config: LayerConfig = {
    kind: 'lrn',
    size: attrInt(n, 'size', 5),
    alpha: attrFloat(n, 'alpha', 1e-4),
    beta: attrFloat(n, 'beta', 0.75),
    k: attrFloat(n, 'bias', 1),
  };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

/** Scale, bias, mean, variance (those stored) as vectors. */
const vectors: WeightLayout = (source, t, has) =>
  source.inits.filter((n) => has(n)).map((n) => ({ data: t(n).data, shape: [prod(t(n).dims)] }));

/** gamma and beta have the normalized axes' shape, which the graph keeps in ONNX order. */
const normalizedShape: WeightLayout = (source, t) => source.inits.map((n) => ({ data: t(n).data, shape: t(n).dims }));

export const { operators, layouts }: OpFile = {
  operators: {
    BatchNormalization: { convert: batchNorm, spatial: true, lift: none },
    InstanceNormalization: { convert: instanceNorm, spatial: true },
    LayerNormalization: { convert: layerNorm, lift: axisAttr(() => -1) },
    LRN: { convert: lrn, spatial: true },
  },
  layouts: {
    BatchNormalization: vectors,
    InstanceNormalization: vectors,
    LayerNormalization: normalizedShape,
  },
};
