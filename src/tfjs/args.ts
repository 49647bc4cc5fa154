/**
 * The arguments of the kinds' custom tfjs layers: plain data, in a module of their own so that the kinds'
 * public declarations name them without loading TensorFlow.js' types (src/tfjs/types.ts says why).
 */

/** Every custom layer's arguments carry its (tfjs-valid) name. */
export interface LayerArgs {
  name?: string;
}

/** How a kernel starts. */
export type Initializer = 'glorotUniform' | 'zeros' | 'ones';

/** The arguments of a layer with weights: a test can choose how its kernels start. */
export interface WeightedArgs extends LayerArgs {
  kernelInitializer?: Initializer;
}

/** The arguments of a layer that takes its kind's whole config (EinsumDense, the embeddings, ConvLSTM). */
export type ConfigArgs<C> = WeightedArgs & { config: C };
