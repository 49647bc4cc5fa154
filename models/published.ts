/** Figures the zoo's sources publish, in the shape `summary` checks them. */
import type { PublishedFigure } from '../src/graph.js';

const GMACS_WHY = 'torchvision\'s "GFLOPS" are weight multiply-accumulates (GMACs)';

/** torchvision's documentation: parameters (PyTorch convention) and "GFLOPS" to two decimals. */
export function torchvisionDocs(params: number, gflops: number): PublishedFigure[] {
  return [
    {
      source: 'torchvision docs',
      text: `${params.toLocaleString('en-US')} params`,
      value: params,
      measure: { kind: 'total', key: 'params', convention: 'pytorch' },
      why: 'PyTorch convention: BatchNorm running statistics are buffers',
    },
    {
      source: 'torchvision docs',
      text: `${gflops} GFLOPS`,
      value: Math.round(gflops * 1e9),
      precision: 1e7,
      measure: { kind: 'macs', convention: 'weights' },
      why: GMACS_WHY,
    },
  ];
}

/** A "Total mult-adds" line of the legacy torch-summary 1.3 tables in seed 002. */
export function torchSummaryLegacy(printed: string, value: number, why: string): PublishedFigure {
  return {
    source: 'seed 002 (torch-summary 1.3)',
    text: `Total mult-adds ${printed}`,
    value,
    precision: 1e7,
    measure: { kind: 'macs', convention: 'torch-summary-1.3' },
    why,
  };
}
