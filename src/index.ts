/** The typed library API. */
export * from './graph.js';
export * from './census.js';
export { KINDS, kindSpec, kerasClasses, type KindRegistry, type ConfigOf } from './kinds/index.js';
export type { KindSpec, WeightSpec, Factors, WindowSpec, BuildCtx, ConfigReader } from './kinds/spec.js';
export { NetcensusError, ShapeError, EXIT } from './errors.js';
export { ZOO, ZOO_NAMES } from '../models/index.js';
export { resolveModel } from './resolve.js';
export { importKerasJson } from './importers/keras.js';
export type { ImportOptions, Imported, ModelFormat } from './importers/types.js';
export { loadModelFile, zooModel, resolveInput } from './resolve.js';
export { loadFile, type LoadedFile } from './importers/files.js';
export {
  censusInventory,
  groupTensors,
  BUFFER_NAMES,
  DTYPE_BITS,
  type TensorInventory,
  type TensorEntry,
  type InventoryTotals,
  type InventoryFormat,
} from './inventory.js';
export {
  diffInventories,
  TENSOR_CAUSES,
  type TensorCause,
  type TensorDiffResult,
  type TensorPair,
} from './tensor-diff.js';
export { diffGraphs, diffCensuses, CAUSES, type Cause, type DiffResult, type PairDiff } from './diff.js';
export { diagnose, type Diagnostic } from './diagnose.js';
export { publishedVerdicts, type PublishedVerdict } from './published.js';
export { summaryText, reportHtml, type SummaryTextOptions, type ReportHtmlOptions } from './present.js';
