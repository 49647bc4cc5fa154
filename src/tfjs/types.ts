/**
 * TensorFlow.js' types as netcensus' public declarations name them (the kinds' builds). A program that only
 * counts must type-check without loading tfjs' own .d.ts files, which fail under `skipLibCheck: false`
 * (tfjs-layers' configs against their own index types, tfjs-core's `Long`). So these are TensorFlow.js'
 * types only where `TfjsTypes` is filled in: in netcensus' own build (src/tfjs/tfjs-types.ts), and for a
 * program that imports 'netcensus/tfjs-types' (one that writes a kind). Elsewhere they are `unknown`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TfjsTypes {}

type Of<K extends string> = TfjsTypes extends Record<K, infer T> ? T : unknown;

/** The TensorFlow.js namespace a build receives. */
export type Tf = Of<'tf'>;
export type Tensor = Of<'Tensor'>;
export type DataType = Of<'DataType'>;
export type SymbolicTensor = Of<'SymbolicTensor'>;
export type TfLayer = Of<'Layer'>;
export type TfRnnCell = Of<'RNNCell'>;
