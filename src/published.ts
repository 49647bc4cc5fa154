/**
 * Figures somebody published for a model, and the census' verdict on each: agrees, agrees once rounded,
 * or differs (with the reason the publication's figure differs). Presentation prints these verdicts.
 */
import type { Census } from './census.js';
import { int, si } from './format/numbers.js';

/** Which census figure a published number claims to be. */
export type PublishedMeasure =
  | { kind: 'total'; key: 'params' | 'macs'; convention?: 'keras' | 'pytorch' }
  | { kind: 'layerParams'; layer: string }
  | { kind: 'layerNeurons'; layer: string }
  | { kind: 'neurons'; convention: 'seed002' | 'seed002WithInput' }
  | { kind: 'macs'; convention: 'weights' | 'torchinfo-1.8' | 'torch-summary-1.3' };

/**
 * A number somebody published for this model. The census recomputes the figure from the architecture and
 * shows both; `why` explains a difference. `precision` marks a rounded figure (60 million: 1e6).
 */
export interface PublishedFigure {
  source: string;
  text: string;
  value: number;
  precision?: number;
  measure: PublishedMeasure;
  why: string;
}

export interface PublishedVerdict {
  source: string;
  text: string;
  value: number;
  /** The census' figure for the same measure; null where the model has no such figure. */
  actual: number | null;
  verdict: string;
  agrees: boolean;
  why: string;
}

/** The census' figure for what a publication claims to measure. */
export function publishedValue(c: Census, f: PublishedFigure): number | undefined {
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

export function publishedVerdicts(c: Census, published: readonly PublishedFigure[]): PublishedVerdict[] {
  return published.map((f) => {
    const actual = publishedValue(c, f);
    const rounded =
      f.precision !== undefined && actual !== undefined && Math.round(actual / f.precision) * f.precision === f.value;
    const agrees = actual === f.value || rounded;
    const verdict =
      actual === undefined
        ? 'n/a'
        : actual === f.value
          ? 'agrees'
          : rounded
            ? `agrees, rounded to ${si(f.precision!, 0)}`
            : `differs by ${int(actual - f.value)}`;
    return { source: f.source, text: f.text, value: f.value, actual: actual ?? null, verdict, agrees, why: f.why };
  });
}
