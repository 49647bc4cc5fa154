import { ZOO, ZOO_NAMES } from '../models/index.js';
import { NetcensusError } from './errors.js';
import type { Graph } from './graph.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { importKerasJson, type ImportOptions, type Imported } from './importers/keras.js';

/** Levenshtein distance, for "did you mean" on unknown model names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
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
    throw new NetcensusError(
      `unknown model "${name}"; did you mean "${closestModel(name)}"? (netcensus list shows all)`,
    );
  }
  return build();
}

/** Reads and imports a model file; every failure is one line naming the file. */
export function loadModelFile(path: string, options: ImportOptions = {}): Imported {
  let text: string;
  try {
    if (!statSync(path).isFile()) throw new NetcensusError(`${path}: not a file`);
    // Far larger than any architecture JSON (DenseNet-201 is under 1 MB); weights do not belong here.
    if (statSync(path).size > 64 * 2 ** 20)
      throw new NetcensusError(
        `${path}: ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB is too large for a model architecture JSON`,
      );
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof NetcensusError) throw e;
    throw new NetcensusError(
      `${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  if (text.trim() === '') throw new NetcensusError(`${path}: the file is empty`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new NetcensusError(`${path}: malformed JSON (${(e as Error).message.split('\n')[0]})`);
  }
  return importKerasJson(json, { ...options, origin: options.origin ?? path });
}

const looksLikeFile = (arg: string): boolean => /\.json$/i.test(arg) || arg.includes('/') || existsSync(arg);

/** A zoo name or a Keras / TensorFlow.js JSON file. */
export function resolveModel(arg: string, options: ImportOptions = {}): Graph {
  return looksLikeFile(arg) && !(arg in ZOO) ? loadModelFile(arg, options).graph : zooModel(arg);
}
