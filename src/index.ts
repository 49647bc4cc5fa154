/** The typed library API. */
export * from './graph.js';
export * from './census.js';
export { LAYERS, layerDef, type WeightSpec, type LayerDef } from './layers.js';
export { NetcensusError, ShapeError, EXIT } from './errors.js';
export { ZOO, ZOO_NAMES } from '../models/index.js';
export { resolveModel } from './resolve.js';
export { importKerasJson, type ImportOptions, type Imported, type ModelFormat } from './importers/keras.js';
export { loadModelFile, zooModel } from './resolve.js';
export { diffGraphs, CAUSES, type Cause, type DiffResult, type PairDiff } from './diff.js';
export { diagnose, type Diagnostic } from './diagnose.js';
