/**
 * The custom tfjs layer classes the kinds define (grouped convolution, LRN, PyTorch-style pooling,
 * adaptive average pooling, Keras' Normalization), made for this process' TensorFlow.js and registered for
 * serialization, once each. Their shape rules are the census' own, in the kinds' family files.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tf.js';
import { customLayerFactories } from '../kinds/index.js';
import { adaptiveAvgPool2D, pool2DExplicit } from '../kinds/pooling.js';
import { groupedConv2D } from '../kinds/conv.js';
import { kerasNormalization, lrnLayer } from '../kinds/normalization.js';
import type { Tf } from '../kinds/spec.js';

const made = new Map<(tf: Tf) => unknown, unknown>();

/** The class a factory makes, made and registered on first use. */
export function customLayer<T>(factory: (tf: Tf) => T): T {
  if (!made.has(factory)) {
    const cls = factory(tf);
    tf.serialization.registerClass(
      cls as unknown as TF.serialization.SerializableConstructor<TF.serialization.Serializable>,
    );
    made.set(factory, cls);
  }
  return made.get(factory) as T;
}

/** Registers every kind's custom class, as tfjs' own deserializer needs before it reads our layers. */
export function registerCustomLayers(): void {
  for (const factory of customLayerFactories()) customLayer(factory);
}

export const GroupedConv2D = customLayer(groupedConv2D);
export const LRN = customLayer(lrnLayer);
export const Pool2DExplicit = customLayer(pool2DExplicit);
export const AdaptiveAvgPool2D = customLayer(adaptiveAvgPool2D);
export const KerasNormalization = customLayer(kerasNormalization);
