/**
 * Fills src/tfjs/types.ts in with TensorFlow.js' own types. Part of netcensus' build; a program that writes
 * a kind imports it as 'netcensus/tfjs-types' (and then needs tfjs' types to type-check, skipLibCheck on).
 */
import type * as TF from '@tensorflow/tfjs';

declare module './types.js' {
  interface TfjsTypes {
    tf: typeof TF;
    Tensor: TF.Tensor;
    DataType: TF.DataType;
    SymbolicTensor: TF.SymbolicTensor;
    Layer: TF.layers.Layer;
    RNNCell: TF.layers.RNNCell;
  }
}
