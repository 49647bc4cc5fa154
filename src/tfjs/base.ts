/**
 * What every custom tfjs layer of the kinds shares: its arguments kept as given and written back by
 * `getConfig`, and the helpers between tfjs' batched shapes and the census' per-example ones. The families
 * define their layers beside their specs (src/kinds/), each on this base, made per TensorFlow.js instance.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Shape, Tf } from '../kinds/spec.js';

import type { Initializer, LayerArgs, WeightedArgs } from './args.js';
export type { ConfigArgs, Initializer, LayerArgs, WeightedArgs } from './args.js';

/** How a weight starts: the layer's kernel initializer, or a constant. */
export type WeightStart = 'kernel' | 'zeros' | 'ones';

/** A layer on the base: tfjs' Layer plus the arguments it was made with. */
export type CustomLayer<A extends LayerArgs> = TF.layers.Layer & {
  readonly args: A;
  /** The per-example shape of the one input. */
  inShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape;
  /** The census' shape rule for this layer, per example; where a layer has one, tfjs' output shape comes from it. */
  censusShape?(inputs: Shape[]): Shape;
  /** A float32 weight; frozen ones are the non-trainable state (moving statistics, buffers). */
  weight(name: string, shape: number[], start?: WeightStart, trainable?: boolean): TF.LayerVariable;
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

      censusShape?(inputs: Shape[]): Shape;

      override computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape | TF.Shape[] {
        if (!this.censusShape) return super.computeOutputShape(inputShape);
        const shapes = shapesOf(inputShape);
        return batched(shapes[0]!, this.censusShape(shapes.map(perExample)));
      }

      weight(name: string, shape: number[], start: WeightStart = 'kernel', trainable = true): TF.LayerVariable {
        const init =
          start === 'kernel' ? initializer(tf, (this.args as WeightedArgs).kernelInitializer) : initializer(tf, start);
        return this.addWeight(name, shape, 'float32', init, undefined, trainable);
      }

      override getConfig(): TF.serialization.ConfigDict {
        const saved = Object.entries(this.args).filter(([k]) => !UNSAVED.has(k));
        return { ...super.getConfig(), ...(Object.fromEntries(saved) as TF.serialization.ConfigDict) };
      }
    }
    base = Custom;
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

// Typed through tfjs' public namespace: a declaration naming tfjs-layers' dist paths breaks users' tsc.
export const initializer = (tf: Tf, name: Initializer | undefined): ReturnType<Tf['initializers']['zeros']> =>
  name === 'zeros'
    ? tf.initializers.zeros()
    : name === 'ones'
      ? tf.initializers.ones()
      : tf.initializers.glorotUniform({});
