/**
 * The weight tensors a Keras or TensorFlow.js file stores, as shapes per graph node, read from metadata
 * only (dataset shapes, never their data). `verify` compares them with the census' weight specs:
 *  - `.keras`: model.weights.h5 in the zip; each layer's variables sit in `layers/<saveable>/vars/<i>`,
 *    the group `vars` carrying the layer's own name (nested models nest `layers/.../layers/...`, and a
 *    layer's sublayers, such as an LSTM's cell, hang below it);
 *  - legacy `.h5`: `model_weights/<layer>/`, whose attribute `weight_names` lists the layer's datasets;
 *  - TensorFlow.js model.json: `weightsManifest[].weights[]` with each tensor's name and shape.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredWeights } from '../graph.js';
import type { Census } from '../census.js';
import { NetcensusError } from '../errors.js';
import { extractZipEntry, openHdf5 } from './containers.js';

type H5Group = {
  path: string;
  keys(): string[];
  get(k: string): unknown;
  get_link(path: string): string | null;
  get_external_link(path: string): { filename?: string };
  attrs: Record<string, { value: unknown } | undefined>;
};
type H5Dataset = { shape: number[] | null; type: string };

const isDataset = (x: unknown): x is H5Dataset => (x as { type?: string })?.type === 'Dataset';
const isGroup = (x: unknown): x is H5Group => (x as { type?: string })?.type === 'Group';

/** Bounds on a weights file's tree, which comes from the file: hard links can even make it a cycle. */
export const MAX_H5_DEPTH = 64;
export const MAX_H5_OBJECTS = 1_000_000;

/**
 * A walk over a weights file's tree, which comes from the file: bounded in depth and objects (hard links
 * can make the tree a cycle), and never through a soft or an external link, which Keras does not write
 * and which may point into another file or back up the tree.
 */
class H5Walk {
  private objects = 0;
  constructor(private readonly file: string) {}

  visit(depth: number): void {
    if (++this.objects > MAX_H5_OBJECTS || depth > MAX_H5_DEPTH)
      throw new NetcensusError(
        `${this.file}: the weights file's tree is more than ${depth > MAX_H5_DEPTH ? `${MAX_H5_DEPTH} groups deep` : `${MAX_H5_OBJECTS} objects`} (a link cycle?); netcensus stops there`,
      );
  }

  /** A group's member by a path relative to it, one component at a time; undefined where there is none. */
  child(group: H5Group, rel: string): unknown {
    let at: unknown = group;
    for (const part of rel.split('/')) {
      if (!isGroup(at) || part === '' || part === '.' || part === '..') return undefined;
      const full = `${at.path === '/' ? '' : at.path}/${part}`;
      const soft = at.get_link(full);
      const external = at.get_external_link(full).filename;
      if (soft !== null || external !== undefined)
        throw new NetcensusError(
          `${this.file}: "${full}" is ${soft !== null ? `a soft link to "${soft}"` : `an external link into "${external}"`}; netcensus follows no link in a weights file`,
        );
      at = at.get(part);
    }
    return at;
  }
}

/** Random-number generator state (Dropout's, GaussianNoise's): stored with the layer, not a weight Keras counts. */
const NOT_A_WEIGHT = /(^|\/)seed_generator(\/|$)/;

function attrText(g: H5Group, name: string): string | undefined {
  const v = g.attrs[name]?.value;
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return undefined;
}

function add(out: StoredWeights, node: string, shape: number[]): void {
  const list = out.byNode.get(node) ?? [];
  list.push(shape);
  out.byNode.set(node, list);
}

/** Keras 3's weights file: the node a dataset belongs to is the chain of `layers/<x>` groups' own names. */
function walkKeras3(group: H5Group, path: string, names: string[], out: StoredWeights, walk: H5Walk, depth = 0): void {
  for (const key of group.keys()) {
    walk.visit(depth);
    const member = walk.child(group, key);
    const childPath = `${path}/${key}`;
    if (isDataset(member)) {
      if (NOT_A_WEIGHT.test(childPath)) continue;
      if (names.length === 0) out.unmatched.push(childPath);
      else add(out, names.join('/'), member.shape ?? []);
    } else if (isGroup(member)) {
      if (key === 'layers') {
        for (const saveable of member.keys()) {
          walk.visit(depth + 1);
          const layer = walk.child(member, saveable);
          if (!isGroup(layer)) continue;
          const vars = walk.child(layer, 'vars');
          const own = isGroup(vars) ? attrText(vars, 'name') : undefined;
          const node = [...names, own ?? saveable].join('/');
          const before = out.byNode.get(node)?.length ?? 0;
          walkKeras3(layer, `${childPath}/${saveable}`, [...names, own ?? saveable], out, walk, depth + 2);
          dropTrackedTwice(layer, out, node, before, walk);
        }
      } else if (key !== 'optimizer' && !(names.length === 0 && key !== 'vars')) {
        walkKeras3(member, childPath, names, out, walk, depth + 1);
      }
    }
  }
}

/**
 * A wrapper (SpectralNormalization) tracks its wrapped layer's kernel as its own variable too, and Keras
 * saves it under both: in the wrapper's `vars` and in its `layer/vars`. The copy in the wrapper's own
 * `vars` with the shape of one of its sublayer's variables is that same variable, counted once by Keras.
 */
function dropTrackedTwice(layer: H5Group, out: StoredWeights, node: string, from: number, walk: H5Walk): void {
  const vars = walk.child(layer, 'vars');
  if (!isGroup(vars)) return;
  const key = (s: readonly number[]) => s.join('x');
  const own = vars
    .keys()
    .map((k) => walk.child(vars, k))
    .filter(isDataset)
    .map((d) => key(d.shape ?? []));
  const all = out.byNode.get(node)?.slice(from) ?? [];
  // The sublayers' shapes: everything walked for this node less its own variables (a multiset difference).
  const inner = all.map(key);
  for (const k of own) inner.splice(inner.indexOf(k), 1);
  const kept = [...all];
  for (const k of own) {
    const j = inner.indexOf(k);
    if (j < 0) continue;
    inner.splice(j, 1);
    kept.splice(
      kept.findIndex((s) => key(s) === k),
      1,
    );
  }
  if (kept.length !== all.length) out.byNode.set(node, [...(out.byNode.get(node)?.slice(0, from) ?? []), ...kept]);
}

/** Legacy HDF5: `model_weights/<layer>/<weight name>`; inside a nested model, the longest name that is a node. */
function walkLegacy(root: H5Group, nodes: ReadonlySet<string>, out: StoredWeights, walk: H5Walk): void {
  for (const layer of root.keys()) {
    walk.visit(1);
    const group = walk.child(root, layer);
    if (!isGroup(group)) continue;
    const raw = group.attrs['weight_names']?.value;
    const names = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? [raw] : [];
    for (const name of names) {
      walk.visit(2);
      const ds = walk.child(group, name);
      const path = `model_weights/${layer}/${name}`;
      if (!isDataset(ds)) {
        out.unmatched.push(path);
        continue;
      }
      if (NOT_A_WEIGHT.test(name)) continue;
      // Inside a nested model the names start with the inner layer, or (a nested Sequential) the model again.
      const parts = name.split('/');
      const inner = parts[0] === layer ? [parts.slice(1), parts] : [parts];
      let node: string | undefined = nodes.has(layer) ? layer : undefined;
      for (const p of inner) {
        for (let k = p.length - 1; !node && k >= 1; k--) {
          if (nodes.has([layer, ...p.slice(0, k)].join('/'))) node = [layer, ...p.slice(0, k)].join('/');
        }
      }
      if (node) add(out, node, ds.shape ?? []);
      else out.unmatched.push(path);
    }
  }
}

/**
 * The most a .keras' model.weights.h5 may inflate to: every parameter in float64 with three optimizer
 * slots beside it (Adam keeps two), plus room for HDF5's own structure. More is a bomb, stopped while it
 * inflates, and never held in memory: it is streamed to a temporary file.
 */
export const weightsFileBound = (params: number): number => 64 * 2 ** 20 + 32 * params;

/** A reader of the stored shapes for a .keras file (model.weights.h5 extracted to a temporary file). */
export function kerasZipWeights(path: string): (c: Census) => Promise<StoredWeights> {
  return async (c) => {
    const dir = mkdtempSync(join(tmpdir(), 'netcensus-keras-'));
    try {
      const out: StoredWeights = { byNode: new Map(), unmatched: [], where: 'model.weights.h5 in the .keras zip' };
      const file = join(dir, 'model.weights.h5');
      const max = weightsFileBound(c.totals.params);
      let found: boolean;
      try {
        found = await extractZipEntry(path, 'model.weights.h5', max, file);
      } catch (e) {
        if (e instanceof NetcensusError) throw e;
        throw new NetcensusError(
          `${path}: model.weights.h5 cannot be extracted (${(e as Error).message.split('\n')[0]})`,
        );
      }
      if (!found) return out;
      const f = await openHdf5(file);
      try {
        walkKeras3(f, '', [], out, new H5Walk(`${path}: model.weights.h5`));
      } finally {
        f.close();
      }
      return out;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** A reader of the stored shapes for a legacy Keras HDF5 file. */
export function hdf5Weights(path: string, nodes: ReadonlySet<string>): () => Promise<StoredWeights> {
  return async () => {
    const out: StoredWeights = { byNode: new Map(), unmatched: [], where: "the HDF5 file's model_weights" };
    const f = await openHdf5(path);
    try {
      const walk = new H5Walk(path);
      const root = walk.child(f, 'model_weights');
      if (isGroup(root)) walkLegacy(root, nodes, out, walk);
    } finally {
      f.close();
    }
    return out;
  };
}

/** A reader of the shapes a TensorFlow.js weights manifest declares ("layer/weight" names). */
export function manifestWeights(
  manifest: unknown,
  nodes: ReadonlySet<string>,
): (() => Promise<StoredWeights>) | undefined {
  if (!Array.isArray(manifest) || manifest.length === 0) return undefined;
  return async () => {
    const out: StoredWeights = { byNode: new Map(), unmatched: [], where: "the model.json's weightsManifest" };
    for (const group of manifest as Array<{ weights?: Array<{ name?: unknown; shape?: unknown }> }>) {
      for (const w of group.weights ?? []) {
        const name = String(w.name);
        const parts = name.split('/');
        let node: string | undefined;
        for (let k = parts.length - 1; !node && k >= 1; k--) {
          if (nodes.has(parts.slice(0, k).join('/'))) node = parts.slice(0, k).join('/');
        }
        if (node && Array.isArray(w.shape)) add(out, node, w.shape as number[]);
        else out.unmatched.push(name);
      }
    }
    return out;
  };
}
