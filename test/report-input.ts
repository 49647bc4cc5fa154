/** Report inputs as the CLI assembles them: census, diagnostics (with the zoo), published figures with verdicts. */
import { readFileSync } from 'node:fs';
import { census, type Census } from '../src/census.js';
import { diagnose } from '../src/diagnose.js';
import type { Graph } from '../src/graph.js';
import { resolveModel, zooModel } from '../src/resolve.js';
import { publishedVerdicts } from '../src/published.js';
import { ZOO } from '../models/index.js';
import type { BenchResult } from '../src/bench.js';
import type { VerifyResult } from '../src/verify.js';
import type { ModelReportInput } from '../src/report/index.js';

export { publishedVerdicts };

/** The report's input for a zoo model. */
export function modelInput(
  model: string,
  extra: { verify?: VerifyResult; bench?: BenchResult } = {},
): { graph: Graph; input: ModelReportInput } {
  return inputFor(zooModel(model), extra);
}

/** The same for a zoo model or a model file. */
export async function modelInputOf(model: string): Promise<{ graph: Graph; input: ModelReportInput }> {
  return inputFor(await resolveModel(model), {});
}

function inputFor(
  graph: Graph,
  extra: { verify?: VerifyResult; bench?: BenchResult },
): { graph: Graph; input: ModelReportInput } {
  const c = census(graph);
  return {
    graph,
    input: {
      census: c,
      diagnostics: diagnose(graph, { zoo: ZOO }),
      published: publishedVerdicts(c, graph.published ?? []),
      generator: 'netcensus 0.1.0',
      ...extra,
    },
  };
}

/** The benchmark the repository records (bench/results), a real run on this project's machine. */
export const recordedBench = (): BenchResult =>
  JSON.parse(readFileSync(new URL('../bench/results/bench.json', import.meta.url), 'utf8')) as BenchResult;
