import { ZOO, ZOO_NAMES } from '../models/index.js';
import { NetcensusError } from './errors.js';
import type { Graph } from './graph.js';

/** Levenshtein distance, for "did you mean" on unknown model names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

export function closestModel(name: string): string {
  const lower = name.toLowerCase().replace(/_/g, '-');
  return [...ZOO_NAMES].sort((x, y) => distance(lower, x) - distance(lower, y))[0]!;
}

/** A zoo model by name; unknown names get the closest suggestion. */
export function zooModel(name: string): Graph {
  const build = ZOO[name];
  if (build === undefined) {
    throw new NetcensusError(`unknown model "${name}"; did you mean "${closestModel(name)}"? (netcensus list shows all)`);
  }
  return build();
}

export function resolveModel(name: string): Graph {
  return zooModel(name);
}
