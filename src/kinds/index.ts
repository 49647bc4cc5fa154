/**
 * The registry of layer kinds. Each family file defines its kinds' specs; this file only collects them.
 * `KINDS` is typed so that the compiler names any kind that lacks a part, and importers dispatch through
 * `kerasClasses()` instead of switching on class names.
 */
import { activationKinds, type ActivationConfig } from './activation.js';
import { convKinds, type Conv2dConfig, type DepthwiseConv2dConfig, type SeparableConv2dConfig } from './conv.js';
import {
  coreKinds,
  type FlattenConfig,
  type DropoutConfig,
  type InputConfig,
  type RescalingConfig,
  type ReshapeConfig,
  type ZeroPad2dConfig,
} from './core.js';
import { denseKinds, type DenseConfig } from './dense.js';
import { mergeKinds, type ConcatConfig, type MergeConfig } from './merge.js';
import { normalizationKinds, type BatchNormConfig, type LrnConfig, type NormalizationConfig } from './normalization.js';
import { poolingKinds, type AdaptiveAvgPoolConfig, type GlobalPoolConfig, type Pool2dConfig } from './pooling.js';
import type { ConfigReader, KindSpec, Tf } from './spec.js';

export type LayerConfig =
  | InputConfig
  | Conv2dConfig
  | DepthwiseConv2dConfig
  | SeparableConv2dConfig
  | DenseConfig
  | Pool2dConfig
  | GlobalPoolConfig
  | AdaptiveAvgPoolConfig
  | FlattenConfig
  | ReshapeConfig
  | BatchNormConfig
  | ActivationConfig
  | LrnConfig
  | DropoutConfig
  | ZeroPad2dConfig
  | MergeConfig
  | ConcatConfig
  | RescalingConfig
  | NormalizationConfig;

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
