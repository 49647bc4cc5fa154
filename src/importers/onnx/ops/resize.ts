/** Resize and Upsample of a 4-D map: an integer nearest-floor upsampling, or a resize to sizes. */
import type { LayerConfig } from '../../../graph.js';
import { attr, attrString } from '../attributes.js';
import { channelsLast } from '../values.js';
import { each, type Handler, type OpFile } from './def.js';

const resize: Handler = function (n) {
  const c = this;
  const x0 = c.tensor(n, 0);
  if (x0.onnx.length !== 4) return c.unknown(n, `a ${n.opType} of a rank-${x0.onnx.length} tensor`);
  const opset = c.opset;
  // Resize: (X, roi, scales, sizes) from opset 11; Upsample: (X, scales).
  const scalesAt = n.opType === 'Upsample' ? 1 : opset >= 11 ? 2 : 1;
  const sizesAt = n.opType === 'Upsample' ? -1 : 3;
  const sizes = sizesAt > 0 && n.input[sizesAt] ? c.constant(n, sizesAt, 'the sizes') : [];
  const scales = n.input[scalesAt]
    ? c.constant(n, scalesAt, 'the scales')
    : (attr(n, 'scales')?.floats.map(Number) ?? []);
  const out = sizes.length ? sizes : scales.length ? x0.onnx.map((d, i) => Math.floor(d * scales[i]!)) : undefined;
  if (!out) return c.unknown(n, `a ${n.opType} without scales or sizes`);
  if (out[0] !== x0.onnx[0] || out[1] !== x0.onnx[1]) return c.unknown(n, `a ${n.opType} of the batch or channel axis`);
  const mode = attrString(n, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    return c.unknown(n, `a ${n.opType} in mode ${mode}`);
  const coordinates = attrString(
    n,
    'coordinate_transformation_mode',
    n.opType === 'Upsample' ? 'asymmetric' : 'half_pixel',
  );
  const x = c.layout(n, x0, channelsLast(3), 'channels_last');
  const factor = [out[2]! / x.onnx[2]!, out[3]! / x.onnx[3]!];
  const nearestFloor =
    mode === 'nearest' &&
    coordinates === 'asymmetric' &&
    attrString(n, 'nearest_mode', 'round_prefer_floor') === 'floor';
  const config: LayerConfig =
    nearestFloor && factor.every((f) => Number.isInteger(f) && f >= 1)
      ? { kind: 'upSampling2d', size: [factor[0]!, factor[1]!], interpolation: 'nearest' }
      : {
          kind: 'resize',
          size: [out[2]!, out[3]!],
          mode: mode === 'nearest' ? 'nearest' : 'bilinear',
          coordinates:
            coordinates === 'align_corners'
              ? 'align_corners'
              : coordinates === 'asymmetric'
                ? 'asymmetric'
                : 'half_pixel',
        };
  const { ref, shapes } = c.emit(n, config, [x.ref]);
  c.out(n, 0, ref, shapes[0]!, x.perm);
};

export const { operators }: OpFile = {
  operators: each(['Resize', 'Upsample'], { convert: resize, spatial: true }),
};
