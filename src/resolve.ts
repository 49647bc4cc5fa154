import { ZOO, ZOO_NAMES } from '../models/index.js';
import { NetcensusError } from './errors.js';
import type { Graph } from './graph.js';
import { existsSync } from 'node:fs';
import { loadFile, loadModelFile } from './importers/files.js';
import type { ImportOptions } from './importers/types.js';
import type { TensorInventory } from './inventory.js';

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
  // Names are matched ignoring case (ResNet18 is resnet18); an own property only: "constructor" or
  // "__proto__" is an unknown model, not Object.prototype's.
  const key = Object.hasOwn(ZOO, name) ? name : ZOO_NAMES.find((z) => z.toLowerCase() === name.toLowerCase());
  const build = key !== undefined && Object.hasOwn(ZOO, key) ? ZOO[key] : undefined;
  if (build === undefined) {
    throw new NetcensusError(
      `unknown model "${name}"; did you mean "${closestModel(name)}"? (netcensus list shows all)`,
    );
  }
  return build();
}

export { loadModelFile } from './importers/files.js';

const looksLikeFile = (arg: string): boolean =>
  /\.(json|json\.gz|keras|h5|hdf5|onnx|safetensors|pt|pth|bin|ckpt|pkl)$/i.test(arg) ||
  arg.includes('/') ||
  existsSync(arg);

const isFileArg = (arg: string): boolean =>
  looksLikeFile(arg) && !(Object.hasOwn(ZOO, arg) || ZOO_NAMES.some((z) => z.toLowerCase() === arg.toLowerCase()));

/** A zoo name or a model file (Keras .keras / .h5 / JSON, TensorFlow.js model.json, ONNX). */
export async function resolveModel(arg: string, options: ImportOptions = {}): Promise<Graph> {
  return isFileArg(arg) ? (await loadModelFile(arg, options)).graph : zooModel(arg);
}

/** A zoo name, a model file, or a weights-only file (safetensors, a sharded index, a torch.save state dict). */
export async function resolveInput(
  arg: string,
  options: ImportOptions = {},
): Promise<{ graph: Graph } | { weights: TensorInventory }> {
  if (!isFileArg(arg)) return { graph: zooModel(arg) };
  const file = await loadFile(arg, options);
  return 'model' in file ? { graph: file.model.graph } : file;
}
