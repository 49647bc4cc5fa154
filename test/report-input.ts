/**
 * Report inputs as the CLI will assemble them: census, diagnostics (with the zoo), and published figures
 * with verdicts computed the way `summary` computes them (formatPublished's logic, restated here while
 * that logic moves to its own module).
 */
import { readFileSync } from 'node:fs';
import { census, type Census } from '../src/census.js';
import { diagnose } from '../src/diagnose.js';
import type { Graph, PublishedFigure } from '../src/graph.js';
import { resolveModel } from '../src/resolve.js';
import { ZOO } from '../models/index.js';
import type { BenchResult } from '../src/bench.js';
import type { VerifyResult } from '../src/verify.js';
import type { ModelReportInput, PublishedVerdict } from '../src/report/index.js';

function publishedValue(c: Census, f: PublishedFigure): number | undefined {
  const m = f.measure;
  switch (m.kind) {
    case 'total':
      return m.key === 'macs' ? c.totals.macs : c.byConvention.params[m.convention ?? c.conventions.params];
    case 'layerParams':
      return c.layers.find((l) => l.name === m.layer)?.params;
    case 'layerNeurons':
      return c.layers.find((l) => l.name === m.layer)?.neurons;
    case 'neurons':
      return c.byConvention.neurons[m.convention];
    case 'macs':
      return c.byConvention.macs[m.convention];
  }
}

const si0 = (n: number): string =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(0)}G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(0)}M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(0)}K`
        : `${n}`;

export function publishedVerdicts(c: Census, figures: readonly PublishedFigure[]): PublishedVerdict[] {
  return figures.map((f) => {
    const actual = publishedValue(c, f);
    const rounded =
      f.precision !== undefined && actual !== undefined && Math.round(actual / f.precision) * f.precision === f.value;
    const verdict =
      actual === undefined
        ? 'n/a'
        : actual === f.value
          ? 'agrees'
          : rounded
            ? `agrees, rounded to ${si0(f.precision!)}`
            : `differs by ${(actual - f.value).toLocaleString('en-US')}`;
    return {
      source: f.source,
      text: f.text,
      value: f.value,
      actual: actual ?? null,
      verdict,
      agrees: verdict.startsWith('agrees'),
      why: f.why,
    };
  });
}

export function modelInput(
  model: string,
  extra: { verify?: VerifyResult; bench?: BenchResult } = {},
): { graph: Graph; input: ModelReportInput } {
  const graph = resolveModel(model);
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
