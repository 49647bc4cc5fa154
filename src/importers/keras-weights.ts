/**
 * The weight tensors a Keras or TensorFlow.js file stores, as shapes per graph node, read from metadata
 * only (dataset shapes, never their data). `verify` compares them with the census' weight specs:
 *  - `.keras`: model.weights.h5 in the zip; each layer's variables sit in `layers/<saveable>/vars/<i>`,
 *    the group `vars` carrying the layer's own name (nested models nest `layers/.../layers/...`, and a
 *    layer's sublayers, such as an LSTM's cell, hang below it);
 *  - legacy `.h5`: `model_weights/<layer>/`, whose attribute `weight_names` lists the layer's datasets;
 *  - TensorFlow.js model.json: `weightsManifest[].weights[]` with each tensor's name and shape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredWeights } from '../graph.js';
import { openHdf5, readZipEntry } from './containers.js';

type H5Group = { keys(): string[]; get(k: string): unknown; attrs: Record<string, { value: unknown } | undefined> };
type H5Dataset = { shape: number[] | null; type: string };

const isDataset = (x: unknown): x is H5Dataset => (x as { type?: string })?.type === 'Dataset';
const isGroup = (x: unknown): x is H5Group => (x as { type?: string })?.type === 'Group';

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
function walkKeras3(group: H5Group, path: string, names: string[], out: StoredWeights): void {
  for (const key of group.keys()) {
    const child = group.get(key);
    const childPath = `${path}/${key}`;
    if (isDataset(child)) {
      if (NOT_A_WEIGHT.test(childPath)) continue;
      if (names.length === 0) out.unmatched.push(childPath);
      else add(out, names.join('/'), child.shape ?? []);
    } else if (isGroup(child)) {
      if (key === 'layers') {
        for (const saveable of child.keys()) {
          const layer = child.get(saveable);
          if (!isGroup(layer)) continue;
          const own = isGroup(layer.get('vars')) ? attrText(layer.get('vars') as H5Group, 'name') : undefined;
          const node = [...names, own ?? saveable].join('/');
          const before = out.byNode.get(node)?.length ?? 0;
          walkKeras3(layer, `${childPath}/${saveable}`, [...names, own ?? saveable], out);
          dropTrackedTwice(layer, out, node, before);
        }
      } else if (key !== 'optimizer' && !(names.length === 0 && key !== 'vars')) {
        walkKeras3(child, childPath, names, out);
      }
    }
  }
}

/**
 * A wrapper (SpectralNormalization) tracks its wrapped layer's kernel as its own variable too, and Keras
 * saves it under both: in the wrapper's `vars` and in its `layer/vars`. The copy in the wrapper's own
 * `vars` with the shape of one of its sublayer's variables is that same variable, counted once by Keras.
 */
function dropTrackedTwice(layer: H5Group, out: StoredWeights, node: string, from: number): void {
  const vars = layer.get('vars');
  if (!isGroup(vars)) return;
  const key = (s: readonly number[]) => s.join('x');
  const own = vars
    .keys()
    .map((k) => vars.get(k))
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
function walkLegacy(root: H5Group, nodes: ReadonlySet<string>, out: StoredWeights): void {
  for (const layer of root.keys()) {
    const group = root.get(layer);
    if (!isGroup(group)) continue;
    const raw = group.attrs['weight_names']?.value;
    const names = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? [raw] : [];
    for (const name of names) {
      const ds = group.get(name);
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

/** A reader of the stored shapes for a .keras file (model.weights.h5 extracted to a temporary file). */
export function kerasZipWeights(path: string): () => Promise<StoredWeights> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netcensus-keras-'));
    try {
      const h5 = await readZipEntry(path, 'model.weights.h5', Number.MAX_SAFE_INTEGER);
      const out: StoredWeights = { byNode: new Map(), unmatched: [], where: 'model.weights.h5 in the .keras zip' };
      if (!h5) return out;
      const file = join(dir, 'model.weights.h5');
      writeFileSync(file, h5);
      const f = await openHdf5(file);
      try {
        walkKeras3(f as unknown as H5Group, '', [], out);
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
      const root = (f as unknown as H5Group).get('model_weights');
      if (isGroup(root)) walkLegacy(root, nodes, out);
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
