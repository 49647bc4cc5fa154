/** What every importer room takes and returns, so that no room imports its types from another. */
import type { Graph } from '../graph.js';

export interface ImportOptions {
  /** Fills unknown (None) input dimensions: [H, W] or [H, W, C]. */
  input?: readonly number[];
  /** Where the JSON came from, for messages and the graph's source. */
  origin?: string;
  /** Count what can be counted: a user's class or a Lambda becomes a "not counted" layer instead of an error. */
  skipUnknown?: boolean;
}

/** The config's dialect: Keras 2 (tf.keras, and tfjs' toJSON), Keras 3, or a TensorFlow.js model.json. */
export type ModelFormat = 'keras2' | 'keras3' | 'tfjs' | 'onnx';

export interface Imported {
  graph: Graph;
  format: ModelFormat;
  /** The file that held it: a .keras zip, an HDF5 file, gzip-compressed JSON, or plain JSON. */
  container?: 'keras' | 'h5' | 'json.gz' | 'json' | 'onnx';
}
