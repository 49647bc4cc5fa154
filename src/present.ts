/**
 * The library's two views of a census, as the CLI prints and writes them: the text summary and the HTML
 * report. Each gathers what its view shows (diagnostics, the published figures checked) and hands it to
 * the formatter; the CLI's `summary` and `report` go through here too.
 */
import { ZOO } from '../models/index.js';
import type { BenchResult } from './bench.js';
import type { Census } from './census.js';
import { diagnose } from './diagnose.js';
import { formatSummary, type SummaryStyle } from './format/summary.js';
import { fitTablesTo, tableColumns } from './format/table.js';
import { version } from './paths.js';
import { publishedVerdicts } from './published.js';
import { renderModelReport } from './report/model.js';
import type { VerifyResult } from './verify.js';

export interface SummaryTextOptions {
  /** torchinfo's depth: N levels of rows (1: the top level), deeper layers summed into their container. */
  depth?: number;
  /** Fit the tables to this many columns (at least 40), as on an 80-column terminal; default: every column whole. */
  width?: number;
  /** Keras' table or torchinfo's; default: the model's own framework's (torchinfo's for PyTorch). */
  style?: SummaryStyle;
}

/**
 * What `netcensus summary` prints: the per-layer table, totals, every total under every convention, the
 * published figures checked, diagnostics. Names from a model file arrive escaped for a terminal.
 */
export function summaryText(c: Census, options: SummaryTextOptions = {}): string {
  const before = tableColumns();
  fitTablesTo(options.width);
  try {
    return formatSummary(c, publishedVerdicts(c, c.graph.published ?? []), diagnose(c, { zoo: ZOO }), options.depth, {
      style: options.style,
      width: options.width,
    });
  } finally {
    fitTablesTo(before);
  }
}

export interface ReportHtmlOptions {
  /** A verification of this census (verifyCensus), shown layer by layer. */
  verify?: VerifyResult;
  /** A benchmark of its graph (runBench), shown as a chart. */
  bench?: BenchResult;
}

/** What `netcensus report` writes: one self-contained HTML page, every name from the file escaped. */
export function reportHtml(c: Census, options: ReportHtmlOptions = {}): string {
  return renderModelReport({
    census: c,
    diagnostics: diagnose(c, { zoo: ZOO }),
    published: publishedVerdicts(c, c.graph.published ?? []),
    ...options,
    generator: `netcensus ${version()}`,
  });
}
