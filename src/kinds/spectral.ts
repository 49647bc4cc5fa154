/**
 * Keras' SpectralNormalization, a wrapper: the layer it wraps counts as that layer's kind counts it, plus
 * the power iteration's vector u. Its own family file because it looks the wrapped layer's kind up in the
 * registry (`index.ts`), which only `index.ts` may import this file for: the normalization family is
 * imported directly elsewhere (graph.ts), and a registry lookup from it would close an import cycle.
 */
import type * as TF from '@tensorflow/tfjs';
import { customBase, singleInput, singleShape } from '../tfjs/base.js';
import { NetcensusError } from '../errors.js';
import { kindSpec } from './index.js';
import { otherFactors, stat } from './spec.js';
import type { Kinds, LayerClass, LayerConfigOf, LayerInfo, Tf, WeightSpec } from './spec.js';

/**
 * Keras' SpectralNormalization wrapper: the wrapped layer (Dense, a convolution, an Embedding), counted as
 * it is, plus the power iteration's vector u, (1, the kernel's last axis), non-trainable (a buffer in
 * PyTorch's spectral_norm).
 */
export interface SpectralNormConfig {
  kind: 'spectralNorm';
  layer: LayerConfigOf;
  powerIterations: number;
}

/** Every config this family defines. */
export type SpectralFamily = SpectralNormConfig;

export const spectralKinds: Kinds<SpectralFamily> = {
  spectralNorm: {
    title: 'SpectralNormalization',
    outputShape: (c, inputs, name) => kindSpec(c.layer).outputShape(c.layer, inputs, name),
    weights: (c, inputs) => {
      const own = kindSpec(c.layer).weights(c.layer, inputs);
      return [...own, stat('vector_u', [1, spectralUnits(own)])];
    },
    macs: (c, inputs, out) => kindSpec(c.layer).macs(c.layer, inputs, out),
    describe: (c) => {
      const inner = kindSpec(c.layer);
      return [inner.titleOf?.(c.layer) ?? inner.title, inner.describe(c.layer)].filter((t) => t !== '').join(' ');
    },
    keras: {
      SpectralNormalization: (r) => ({
        kind: 'spectralNorm',
        layer: r.nested('layer'),
        powerIterations: r.int('power_iterations', 1),
      }),
    },
    custom: [spectralVectorLayer],
    // The wrapped layer as it builds itself, then a pass-through layer that holds vector u: at inference the
    // kernel is used as it is stored.
    tfjs: (c, ctx) => {
      const y = kindSpec(c.layer).tfjs(c.layer, ctx);
      const units = spectralUnits(kindSpec(c.layer).weights(c.layer, ctx.info.inputShapes));
      return ctx.use(new (ctx.custom(spectralVectorLayer))({ name: `${ctx.name}__vector_u`, units }), y);
    },
    factors: (_c, info, convention) => otherFactors(info, convention),
    window: (c, info) => windowOf(c.layer, info),
  },
};

/** The last axis of the wrapped layer's kernel (or embeddings), which SpectralNormalization's vector u spans. */
function spectralUnits(weights: readonly WeightSpec[]): number {
  const kernel = weights.find((w) => w.role === 'weight' && (/kernel$/.test(w.name) || w.name === 'embeddings'));
  if (!kernel) throw new NetcensusError('SpectralNormalization: the wrapped layer has no kernel nor embeddings');
  return kernel.shape.at(-1)!;
}

const windowOf = (layer: LayerConfigOf, info: LayerInfo) => {
  const w = kindSpec(layer).window;
  return w ? w(layer, info) : { kernel: [], strides: [], dilation: [], pads: [], coversAll: true };
};

/** SpectralNormalization's vector u: a non-trainable (1, units) weight; the values pass through unchanged. */
export function spectralVectorLayer(tf: Tf): LayerClass<{ name?: string; units: number }> {
  return class SpectralVector extends customBase(tf)<{ name?: string; units: number }> {
    static className = 'SpectralVector';

    override build(): void {
      this.weight('vector_u', [1, this.args.units], 'zeros', false);
      this.built = true;
    }

    override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
      return singleShape(inputShape);
    }

    override call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
      return tf.clone(singleInput(inputs));
    }
  };
}
