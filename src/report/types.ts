/** Inputs of the HTML reports. The report presents these figures; it never computes a count itself. */
import type { BenchResult } from '../bench.js';
import type { Census, LayerCensus } from '../census.js';
import type { Diagnostic } from '../diagnose.js';
import type { DiffResult } from '../diff.js';
import type { VerifyResult } from '../verify.js';

export type { PublishedVerdict } from '../published.js';
import type { PublishedVerdict } from '../published.js';

export interface ModelReportInput {
  census: Census;
  diagnostics: Diagnostic[];
  published: PublishedVerdict[];
  verify?: VerifyResult;
  bench?: BenchResult;
  /** Who wrote the page, e.g. 'netcensus 0.1.0'. */
  generator: string;
}

export interface DiffReportInput {
  diff: DiffResult;
  a: Census;
  b: Census;
  /** Who wrote the page; 'netcensus' when absent. */
  generator?: string;
}

/**
 * Fields a census layer may gain (nesting, layers that could not be counted). The report reads them
 * when present; "not counted" is shown as such, never as 0.
 */
export type ReportLayer = LayerCensus & { path?: string | readonly string[]; depth?: number; counted?: boolean };
