/**
 * HTML reports: one self-contained file per model (`netcensus report`) or per pair of models
 * (`netcensus diff --out`). Every script and style is inlined and the page makes no network request.
 */
export { renderModelReport } from './model.js';
export { renderDiffReport } from './diff.js';
export { writeReport } from './write.js';
export type { ModelReportInput, DiffReportInput, PublishedVerdict, ReportLayer } from './types.js';
