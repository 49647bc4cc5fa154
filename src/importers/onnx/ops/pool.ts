/** MaxPool and AveragePool (1-D to 3-D, explicit or auto_pad padding, ceil mode) and the global pools. */
import type { LayerConfig } from '../../../graph.js';
import { attrInt, attrInts, windowPads } from '../attributes.js';
import { channelsLast } from '../values.js';
import { each, type Handler, type OpFile } from './def.js';

/** The kind config of a MaxPool or AveragePool (kept apart so that the config types can change in one place). */
function poolConfig(
  max: boolean,
  s: number,
  kernel: number[],
  strides: number[],
  pads: 'same' | Array<[number, number]>,
  ceilMode: boolean,
  countIncludePad: boolean,
): LayerConfig {
  return {
    kind: `${max ? 'max' : 'avg'}Pool${s as 1 | 2 | 3}d`,
    pool: kernel,
    strides,
    padding: pads,
    ceilMode,
    ...(max ? {} : { countIncludePad }),
  };
}

const pool: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D ${n.opType}`);
  if (n.output.length > 1 && n.output[1]) return c.unknown(n, 'a MaxPool whose indices are used');
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const kernel = attrInts(n, 'kernel_shape')!;
  const strides = attrInts(n, 'strides') ?? kernel.map(() => 1);
  const dilations = attrInts(n, 'dilations') ?? kernel.map(() => 1);
  if (dilations.some((d) => d !== 1)) return c.unknown(n, `a dilated ${n.opType}`);
  const pads = windowPads(n, x.onnx.slice(2), kernel, strides, dilations);
  // ONNX's count_include_pad defaults to 0: padding is left out of an average's divisor.
  const countIncludePad = attrInt(n, 'count_include_pad', 0) === 1;
  const ceilMode = attrInt(n, 'ceil_mode', 0) === 1;
  const config = poolConfig(n.opType === 'MaxPool', s, kernel, strides, pads, ceilMode, countIncludePad);
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

const globalPool: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  const s = x0.onnx.length - 2;
  if (s < 1 || s > 3) return c.unknown(n, `a ${s}-D ${n.opType}`);
  const x = c.layout(n, x0, channelsLast(s + 1), 'channels_last');
  const avg = n.opType === 'GlobalAveragePool';
  const kind = (
    avg
      ? ['globalAvgPool1d', 'globalAvgPool2d', 'globalAvgPool3d']
      : ['globalMaxPool1d', 'globalMaxPool2d', 'globalMaxPool3d']
  )[s - 1] as 'globalAvgPool2d';
  const { ref, shapes } = c.emit(n, { kind, keepDims: true }, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

export const { operators }: OpFile = {
  operators: {
    ...each(['MaxPool', 'AveragePool'], { convert: pool, spatial: true }),
    ...each(['GlobalAveragePool', 'GlobalMaxPool'], { convert: globalPool, spatial: true }),
  },
};
