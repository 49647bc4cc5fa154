/**
 * Dense (fully connected). Keras' Dense acts on the last axis only, so a Dense on a feature map keeps the
 * map's positions: seed 000's surprise, which this kind diagnoses.
 */
import { mul, prod } from '../exact.js';
import { int } from '../format/numbers.js';
import { fused, tfjsActivation, withFused, withFusedShape, type ActivationFn } from './activation.js';
import { bias, checkPositive, fail, fusedText, one, weight } from './spec.js';
import type { Diagnostic, Kinds, LayerInfo, DiagnoseCtx } from './spec.js';

export interface DenseConfig {
  kind: 'dense';
  units: number;
  bias: boolean;
  activation?: ActivationFn;
}

export const dense = (units: number, o: { bias?: boolean; activation?: ActivationFn } = {}): DenseConfig => ({
  kind: 'dense',
  units,
  bias: o.bias ?? true,
  ...(o.activation ? { activation: o.activation } : {}),
});

/**
 * Seed 000's mistake: a Dense on an H x W x C map sees C inputs per position, not H x W x C, and the
 * model's output is still a map. A Dense on tokens (T x C) is how transformers and text models are
 * built, and one on a map that is later pooled (ConvNeXt's pointwise layers) is a 1x1 convolution.
 */
function denseOnFeatureMap(c: DenseConfig, info: LayerInfo, ctx: DiagnoseCtx): Diagnostic[] {
  const inShape = info.inputShapes[0];
  if (!inShape || inShape.length < 3) return [];
  // Report where the feature map enters the Dense stack, not every Dense after it.
  if (ctx.producer(info.node.inputs[0]!)?.node.config.kind === 'dense') return [];
  const positions = inShape.slice(0, -1).join('x');
  if (!ctx.outputs.some((s) => s.length === inShape.length && s.slice(0, -1).join('x') === positions)) return [];
  const fanIn = inShape.at(-1)!;
  const flat = prod(inShape);
  const withFlatten = flat * c.units + (c.bias ? c.units : 0);
  const following = ctx.infos.filter(
    (i) =>
      i !== info &&
      i.node.config.kind === 'dense' &&
      i.inputShapes[0]!.length > 1 &&
      i.inputShapes[0]!.slice(0, -1).join('x') === positions,
  ).length;
  return [
    {
      code: 'dense-on-feature-map',
      layer: info.node.name,
      message:
        `Dense "${info.node.name}" is applied to a ${inShape.join('x')} input, so it acts on the last axis only: it sees ${int(fanIn)} inputs, not ${inShape.join(' x ')} = ${int(flat)}, ` +
        `and its output is ${[...inShape.slice(0, -1), c.units].join('x')}` +
        (following ? ` (as are the ${following} Dense layers after it)` : '') +
        `. A Flatten is probably missing before it; with one it would have ${int(withFlatten)} parameters ` +
        `instead of ${int(fanIn * c.units + (c.bias ? c.units : 0))}.`,
    },
  ];
}

/** Every config this family defines. */
export type DenseFamily = DenseConfig;

export const denseKinds: Kinds<DenseFamily> = {
  dense: {
    torch: 'Linear',
    title: 'Dense',
    outputShape: withFusedShape((c, inputs, name) => {
      const s = one(name, c.kind, inputs);
      checkPositive(name, c.kind, 'units', [c.units]);
      if (s.length < 1) fail(name, c.kind, 'needs an input of rank >= 1');
      return [...s.slice(0, -1), c.units];
    }),
    weights: (c, inputs) => {
      const fanIn = inputs[0]![inputs[0]!.length - 1]!;
      const specs = [weight('kernel', [fanIn, c.units])];
      if (c.bias) specs.push(bias('bias', [c.units]));
      return specs;
    },
    macs: (c, inputs) => mul('MACs', prod(inputs[0]!), c.units),
    describe: (c) => `${c.units}${c.bias ? '' : ' nobias'}${fusedText(c.activation)}`,
    keras: { Dense: (r) => ({ kind: 'dense', units: r.int('units'), bias: r.bool('use_bias', true), ...fused(r) }) },
    tfjs: withFused((c, ctx) =>
      ctx.use(
        ctx.tf.layers.dense({
          name: ctx.name,
          units: c.units,
          useBias: c.bias,
          activation: tfjsActivation(c.activation),
          kernelInitializer: ctx.kernelInitializer,
        }),
        ctx.inputs[0]!,
      ),
    ),
    factors: (c, info) => ({
      kind: 'dense',
      k: 1,
      cin: info.inputShapes[0]!.at(-1)!,
      cout: c.units,
      groups: 1,
      bias: c.bias ? 1 : 0,
      positions: prod(info.outputShape.slice(0, -1)),
      bnTrainable: 0,
      bnStats: 0,
    }),
    window: null,
    diagnose: denseOnFeatureMap,
  },
};
