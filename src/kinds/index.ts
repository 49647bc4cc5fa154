/**
 * The registry of layer kinds. Each family file defines its kinds' specs; this file only collects them.
 * `KINDS` is typed so that the compiler names any kind that lacks a part, and importers dispatch through
 * `kerasClasses()` instead of switching on class names.
 */
import { activationKinds, type ActivationFamily } from './activation.js';
import { attentionKinds, type AttentionFamily } from './attention.js';
import { convKinds, type ConvFamily } from './conv.js';
import { coreKinds, type CoreFamily } from './core.js';
import { denseKinds, type DenseFamily } from './dense.js';
import { mergeKinds, type MergeFamily } from './merge.js';
import { normalizationKinds, type NormalizationFamily } from './normalization.js';
import { opsKinds, type OpsFamily } from './ops.js';
import { poolingKinds, type PoolingFamily } from './pooling.js';
import { spectralKinds, type SpectralFamily } from './spectral.js';
import { sequenceKinds, type SequenceFamily } from './sequence.js';
import { tensorKinds, type TensorFamily } from './tensor.js';
import type { ConfigReader, KindSpec, Tf } from './spec.js';

/** Every layer config: the union of the families' own unions, so a new kind touches its family file only. */
export type LayerConfig =
  | CoreFamily
  | ActivationFamily
  | ConvFamily
  | DenseFamily
  | PoolingFamily
  | NormalizationFamily
  | MergeFamily
  | OpsFamily
  | SpectralFamily
  | TensorFamily
  | SequenceFamily
  | AttentionFamily;

export type LayerKind = LayerConfig['kind'];

/** The config type of one kind; unlike Extract, it also finds configs that several kinds share (pools). */
export type ConfigOf<K extends LayerKind> = LayerConfig extends infer C
  ? C extends { kind: infer CK }
    ? K extends CK
      ? C
      : never
    : never
  : never;

export type KindRegistry = { [K in LayerKind]: KindSpec<ConfigOf<K>> };

export const KINDS: KindRegistry = {
  ...coreKinds,
  ...activationKinds,
  ...convKinds,
  ...denseKinds,
  ...poolingKinds,
  ...normalizationKinds,
  ...mergeKinds,
  ...opsKinds,
  ...spectralKinds,
  ...tensorKinds,
  ...sequenceKinds,
  ...attentionKinds,
};

/** The spec of a config's kind. */
export function kindSpec(config: LayerConfig): KindSpec<LayerConfig> {
  return KINDS[config.kind] as unknown as KindSpec<LayerConfig>;
}

let classes: ReadonlyMap<string, (r: ConfigReader) => LayerConfig> | undefined;

/** Every Keras class name a kind reads, with its reader; a class claimed twice is a bug found at first use. */
export function kerasClasses(): ReadonlyMap<string, (r: ConfigReader) => LayerConfig> {
  if (classes) return classes;
  const map = new Map<string, (r: ConfigReader) => LayerConfig>();
  for (const [kind, spec] of Object.entries(KINDS)) {
    for (const [cls, read] of Object.entries(spec.keras)) {
      if (map.has(cls)) throw new Error(`Keras class ${cls} is claimed by two kinds (the second: ${kind})`);
      map.set(cls, read);
    }
  }
  classes = map;
  return map;
}

/** Every custom tfjs layer class factory the kinds define, for registration before deserializing. */
export function customLayerFactories(): Array<(tf: Tf) => unknown> {
  return [...new Set(Object.values(KINDS).flatMap((spec) => spec.custom ?? []))];
}
