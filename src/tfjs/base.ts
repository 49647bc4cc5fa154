/**
 * What every custom tfjs layer of the kinds shares: its arguments kept as given and written back by
 * `getConfig`, and the helpers between tfjs' batched shapes and the census' per-example ones. The families
 * define their layers beside their specs (src/kinds/), each on this base, made per TensorFlow.js instance.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Tf } from '../kinds/spec.js';

/** Every custom layer's arguments carry its (tfjs-valid) name. */
export interface LayerArgs {
  name?: string;
}

/** A layer on the base: tfjs' Layer plus the arguments it was made with. */
export type CustomLayer<A extends LayerArgs> = TF.layers.Layer & {
  readonly args: A;
  /** The per-example shape of the one input. */
  inShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape;
};

/** The base class: construct with the arguments; `getConfig` writes them back. */
export type CustomBase = abstract new <A extends LayerArgs>(args: A) => CustomLayer<A>;

/** Arguments that are not part of the layer's meaning, so never written into its config. */
const UNSAVED = new Set(['name', 'kernelInitializer']);

const bases = new WeakMap<Tf, CustomBase>();

/** The base of this TensorFlow.js' custom layers (one class per instance, as each instance has its own Layer). */
export function customBase(tf: Tf): CustomBase {
  let base = bases.get(tf);
  if (!base) {
    abstract class Custom<A extends LayerArgs> extends tf.layers.Layer {
      readonly args: A;

      constructor(args: A) {
        super({ name: args.name });
        // A copy: builders reuse one config object for several layers.
        this.args = structuredClone(args);
      }

      inShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
        return singleShape(inputShape);
      }

      override getConfig(): TF.serialization.ConfigDict {
        const saved = Object.entries(this.args).filter(([k]) => !UNSAVED.has(k));
        return { ...super.getConfig(), ...(Object.fromEntries(saved) as TF.serialization.ConfigDict) };
      }
    }
    base = Custom as CustomBase;
    bases.set(tf, base);
  }
  return base;
}

/** Census shapes have no batch dimension; tfjs shapes start with it. */
export const perExample = (s: TF.Shape): number[] => s.slice(1).map((d) => d ?? -1);
/** A census shape with tfjs' batch dimension in front. */
export const batched = (like: TF.Shape, s: readonly number[]): TF.Shape => [like[0]!, ...s];
export const shapesOf = (s: TF.Shape | TF.Shape[]): TF.Shape[] =>
  Array.isArray(s[0]) ? (s as TF.Shape[]) : [s as TF.Shape];
export const singleShape = (s: TF.Shape | TF.Shape[]): TF.Shape => shapesOf(s)[0]!;
export const tensorsOf = (x: TF.Tensor | TF.Tensor[]): TF.Tensor[] => (Array.isArray(x) ? x : [x]);
export const singleInput = (inputs: TF.Tensor | TF.Tensor[]): TF.Tensor => tensorsOf(inputs)[0]!;

export type Initializer = 'glorotUniform' | 'zeros' | 'ones';
export const initializer = (tf: Tf, name: Initializer | undefined) =>
  name === 'zeros'
    ? tf.initializers.zeros()
    : name === 'ones'
      ? tf.initializers.ones()
      : tf.initializers.glorotUniform({});
