/**
 * What makes a GPU verification one: before it runs, no tensor larger than the adapter's largest storage
 * binding (Dawn would leave it zeros and say so only in a log); after it runs, no device error; and the
 * network's output, with random weights, equal to the same network's on a CPU backend, layer by layer,
 * within GPU_RTOL. Shapes and countParams() alone pass a GPU that computed nothing.
 */
import type * as TF from '@tensorflow/tfjs';
import { onReferenceBackend } from './backend.js';
import type { Census } from './census.js';
import { EXIT, NetcensusError } from './errors.js';
import { int, shape } from './format/numbers.js';
import { gap } from './gap.js';
import { parseRef, type Witness } from './graph.js';
import { buildTfjs, disposeBuilt, type BuiltModel } from './tfjs/builder.js';
import { tf } from './tfjs/tf.js';
import { deviceErrors, overLimit, type AdapterInfo } from './webgpu.js';

/**
 * The agreement asked of a GPU, per layer: max |gpu - cpu| <= GPU_RTOL x max |cpu|. float32 sums in another
 * order and GPU transcendental functions differ by a few ulp per op, growing with depth (ResNet-50 on lavapipe:
 * about 1e-6); a GPU that skipped an op differs by the whole output.
 */
export const GPU_RTOL = 1e-3;

/** Refuses, in one line, a census with a tensor the adapter cannot bind. */
export function refuseOverLimit(c: Census, adapter: AdapterInfo): void {
  const over = overLimit(c, adapter);
  if (!over) return;
  throw new NetcensusError(
    `verify: layer "${over.layer}": its ${over.tensor} ${shape(over.shape)} is ${int(over.bytes)} bytes of float32, ` +
      `above this adapter's largest storage-buffer binding (${int(over.limit)} bytes): refused before running, ` +
      'as the GPU would return zeros for it (a CPU backend, or a GPU with a larger binding, runs it)',
    EXIT.backendUnavailable,
  );
}

/** The forward pass on the GPU; an op the WebGPU backend cannot run fails in one line, not with a stack. */
export function predictOnGpu(built: BuiltModel, xs: readonly TF.Tensor[], model: string): TF.Tensor | TF.Tensor[] {
  try {
    return built.model.predict(xs.length === 1 ? xs[0]! : [...xs]);
  } catch (e) {
    throw new NetcensusError(
      `verify: "${model}" does not run on TensorFlow.js' WebGPU backend: ${String((e as Error).message).split('\n')[0]}`,
      EXIT.backendUnavailable,
    );
  }
}

/** Fails, in one line, a run during which the device reported an error. */
export async function refuseDeviceErrors(model: string): Promise<void> {
  const errors = await deviceErrors();
  if (!errors.length) return;
  throw new NetcensusError(
    `verify: the GPU reported ${errors.length} error(s) while running "${model}", so its output is not the network's: ${errors[0]}`,
    EXIT.backendUnavailable,
  );
}

/** Layers whose output depends on a random draw (torch.randn_like in a forward): no two runs agree on them. */
function randomDescendants(c: Census): Set<string> {
  const out = new Set<string>();
  const names = new Set(c.infos.map((i) => i.node.name));
  for (const { node } of c.infos)
    if (node.config.kind === 'random' || node.inputs.some((r) => out.has(parseRef(r, (n) => names.has(n)).node)))
      out.add(node.name);
  return out;
}

const read = async (ts: readonly TF.Tensor[]): Promise<Float32Array[]> =>
  Promise.all(ts.map(async (t) => (await t.data()) as Float32Array));

/**
 * The same network, built again on the reference backend with the GPU run's weights and input: each
 * layer's output against the GPU's. `built`'s outputs are every layer's, in `built.nodes` order.
 */
export async function referenceWitness(
  c: Census,
  built: BuiltModel,
  xs: readonly TF.Tensor[],
  executed: readonly TF.Tensor[],
): Promise<Witness> {
  const gpu = await read(executed);
  const weights = built.model.getWeights();
  const values = await read(weights);
  const inputs = await read(xs);
  return onReferenceBackend(async (backend, device) => {
    const name = `the same network with random weights on ${backend} (${device})`;
    const again = buildTfjs(c.graph, c.infos, { init: 'zeros', backendConstants: false });
    const made: TF.Tensor[] = [];
    try {
      made.push(...weights.map((w, i) => tf.tensor(values[i]!, w.shape, w.dtype)));
      again.model.setWeights(made);
      const ins = xs.map((x, i) => tf.tensor(inputs[i]!, x.shape, x.dtype));
      made.push(...ins);
      const out = again.model.predict(ins.length === 1 ? ins[0]! : ins);
      const outs = Array.isArray(out) ? out : [out];
      made.push(...outs);
      const cpu = await read(outs);
      type Gap = { layer: string; relative: number; diff: number; scale: number };
      let worst: Gap | undefined;
      let first: Gap | undefined;
      const names = built.nodes.flatMap((n) => n.outputs.map(() => n.name));
      const drawn = randomDescendants(c);
      for (const [k, ref] of cpu.entries()) {
        if (drawn.has(names[k]!)) continue;
        const { worst: diff, scale } = gap(gpu[k]!, ref);
        const at = { layer: names[k]!, relative: scale > 0 ? diff / scale : diff, diff, scale };
        // The first layer past the tolerance is the one that went wrong; those after it inherit its error.
        if (!first && !(at.relative <= GPU_RTOL)) first = at;
        if (!worst || at.relative > worst.relative) worst = at;
      }
      const shown = first ?? worst ?? { layer: '', relative: 0, diff: 0, scale: 0 };
      const ok = first === undefined;
      const figure = `max |gpu - ${backend}| ${shown.diff.toExponential(2)} of max |${backend}| ${shown.scale.toExponential(2)}`;
      const unseen = drawn.size ? `; ${drawn.size} layer(s) that draw random numbers or read them, by shape only` : '';
      const note = ok
        ? `every layer's output agrees within ${GPU_RTOL} of its largest value (closest to it: "${shown.layer}", ${figure})${unseen}`
        : `layer "${shown.layer}" is the first to differ: ${figure}, ${shown.relative.toExponential(2)} relative, above ${GPU_RTOL}`;
      return { name, ok, note, tolerance: GPU_RTOL, layer: shown.layer, relative: shown.relative };
    } finally {
      tf.dispose(made);
      disposeBuilt(again);
    }
  });
}
