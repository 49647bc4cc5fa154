/** The typed library API. */
export * from './graph.js';
export * from './census.js';
export { LAYERS, layerDef, type WeightSpec, type LayerDef } from './layers.js';
export { NetcensusError, ShapeError, EXIT } from './errors.js';
export { ZOO, ZOO_NAMES } from '../models/index.js';
export { resolveModel } from './resolve.js';
