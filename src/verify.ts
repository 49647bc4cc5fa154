/**
 * Verification by execution: build the census graph as real tfjs layers, run a forward pass, and compare
 * every layer's executed output shape and countParams() with the census (Keras convention, which is
 * what tfjs counts). Runs on whatever backend is active; backend.ts chooses it.
 */
import type * as TF from '@tensorflow/tfjs';
import { tf } from './tfjs/tf.js';
import { census, type Census } from './census.js';
import { NetcensusError } from './errors.js';
import type { Graph, StoredWeights, Witness } from './graph.js';
import { registerCustomLayers } from './tfjs/custom.js';
import { ensureBackend } from './backend.js';
import { predictOnGpu, referenceWitness, refuseDeviceErrors, refuseOverLimit } from './verify-gpu.js';
import { activeAdapter } from './webgpu.js';
import { buildTfjs, disposeBuilt } from './tfjs/builder.js';
import type { ConstantPool, WeightInit } from './tfjs/constants.js';
import { assertFitsInMemory } from './resources.js';

export interface LayerCheck {
  name: string;
  type: string;
  censusShape: number[];
  executedShape: number[];
  censusParams: number;
  frameworkParams: number;
  censusTrainable: number;
  frameworkTrainable: number;
  ok: boolean;
}

export interface VerifyResult {
  model: string;
  /** tfjs' own name for the backend: tensorflow, wasm, cpu. */
  backend: string;
  device: string;
  ok: boolean;
  input: number[];
  params: { census: number; framework: number };
  trainableParams: { census: number; framework: number };
  nonTrainableParams: { census: number; framework: number };
  layers: LayerCheck[];
  mismatches: string[];
  timings: { censusMs: number; buildMs: number; forwardMs: number };
  /** Witnesses beyond the rebuild, where the model's file offers them. */
  witnesses: Witnesses;
  /** Tensors alive after the run minus before; anything but 0 is a leak. */
  leakedTensors: number;
}

export interface Witnesses {
  /** TensorFlow.js' own deserializer reading the file's config (Keras 2 JSON, tfjs model.json): its countParams(). */
  loader?: Witness & { params?: number; trainableParams?: number };
  /** The weight tensors stored in the file: their shapes against the census' weight specs, layer by layer. */
  storedWeights?: Witness & { tensors: number; layers: number; mismatches: string[] };
  /** ONNX: ONNX Runtime executing the file itself, every node's output shape against the census'. */
  onnxruntime?: Witness;
  /** On a GPU: every layer's output, with random weights, against the same network's on a CPU backend. */
  reference?: Witness;
  /** ONNX: the rebuild with the file's own weights, its output against ONNX Runtime's, within a stated tolerance. */
  fileWeights?: Witness;
  [other: string]: Witness | undefined;
}

export interface VerifyOptions {
  /** For verifyGraph; a census passed to verifyCensus is verified at its own input and batch. */
  input?: readonly number[];
  batch?: number;
  init?: WeightInit;
  device?: string;
  /** Constant weights shared by shape across verifications (verify --all); excluded from the leak count. */
  constants?: ConstantPool;
}

const sizeOf = (vars: readonly TF.LayerVariable[]): number =>
  vars.reduce((s, v) => s + v.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

async function runVerification(c: Census, censusMs: number, options: VerifyOptions): Promise<VerifyResult> {
  const { graph, batch } = c;
  assertFitsInMemory(c, 'verify');
  if (c.partial) {
    const first = c.notCounted[0]!;
    throw new NetcensusError(
      `verify: layer "${first.layer}" (${first.className}) is not counted, so the model cannot be built and compared` +
        (c.notCounted.length > 1 ? ` (nor ${c.notCounted.length - 1} other layer(s))` : ''),
    );
  }

  // On a GPU the output is compared with a CPU's, so the weights must be other than zeros.
  const gpu = tf.getBackend() === 'webgpu' ? activeAdapter() : undefined;
  if (gpu) refuseOverLimit(c, gpu);
  const t1 = performance.now();
  const built = buildTfjs(graph, c.infos, {
    init: gpu ? 'random' : (options.init ?? 'zeros'),
    constants: gpu ? undefined : options.constants,
  });
  const buildMs = performance.now() - t1;

  let executed: TF.Tensor[] = [];
  let forwardMs = 0;
  // Values in [0, 1): valid for every layer, an Embedding's indices included (they truncate to 0).
  const xs = c.inputs.map((shape) => tf.randomUniform(shape));
  try {
    const t2 = performance.now();
    const out = gpu ? predictOnGpu(built, xs, graph.name) : built.model.predict(xs.length === 1 ? xs[0]! : xs);
    executed = Array.isArray(out) ? out : [out];
    // The timed region ends when the result is back in JS memory, not when the op is queued.
    await executed.at(-1)!.data();
    forwardMs = performance.now() - t2;
    if (gpu) await refuseDeviceErrors(graph.name);
    const reference = gpu ? await referenceWitness(c, built, xs, executed) : undefined;

    const byName = new Map(c.layers.map((l) => [l.name, l]));
    const infoByName = new Map(c.infos.map((i) => [i.node.name, i]));
    let next = 0;
    const layers: LayerCheck[] = built.nodes.map((n) => {
      const l = byName.get(n.name)!;
      const frameworkParams = n.layers.reduce((s, layer) => s + layer.countParams(), 0);
      const frameworkTrainable = n.layers.reduce((s, layer) => s + sizeOf(layer.trainableWeights), 0);
      // Every output of the node, in order (several for an RNN returning its states).
      const shapes = n.outputs.map(() => executed[next++]!.shape);
      const executedShape = shapes[0]!;
      const ok =
        shapes.length === infoByName.get(n.name)!.outputShapes.length &&
        shapes.every((s, k) => sameShape(s, [batch, ...infoByName.get(n.name)!.outputShapes[k]!])) &&
        frameworkParams === l.params &&
        frameworkTrainable === l.trainableParams;
      return {
        name: n.name,
        type: l.type,
        censusShape: l.outputShape,
        executedShape,
        censusParams: l.params,
        frameworkParams,
        censusTrainable: l.trainableParams,
        frameworkTrainable,
        ok,
      };
    });
    const frameworkParams = built.model.countParams();
    const frameworkTrainable = sizeOf(built.model.trainableWeights);
    const frameworkNonTrainable = sizeOf(built.model.nonTrainableWeights);
    const mismatches = layers
      .filter((l) => !l.ok)
      .map(
        (l) =>
          `${l.name}: census ${JSON.stringify(l.censusShape)} / ${l.censusParams} params (${l.censusTrainable} trainable), ` +
          `executed ${JSON.stringify(l.executedShape)} / ${l.frameworkParams} params (${l.frameworkTrainable} trainable)`,
      );
    if (frameworkParams !== c.totals.params)
      mismatches.push(`total params: census ${c.totals.params}, framework ${frameworkParams}`);
    if (frameworkTrainable !== c.totals.trainableParams)
      mismatches.push(`trainable params: census ${c.totals.trainableParams}, framework ${frameworkTrainable}`);
    if (frameworkNonTrainable !== c.totals.nonTrainableParams)
      mismatches.push(
        `non-trainable params: census ${c.totals.nonTrainableParams}, framework ${frameworkNonTrainable}`,
      );
    return {
      model: graph.name,
      backend: tf.getBackend(),
      device: options.device ?? tf.getBackend(),
      ok: mismatches.length === 0,
      input: c.input,
      params: { census: c.totals.params, framework: frameworkParams },
      trainableParams: { census: c.totals.trainableParams, framework: frameworkTrainable },
      nonTrainableParams: { census: c.totals.nonTrainableParams, framework: frameworkNonTrainable },
      layers,
      mismatches,
      timings: { censusMs, buildMs, forwardMs },
      witnesses: reference ? { reference } : {},
      leakedTensors: 0,
    };
  } finally {
    tf.dispose(executed);
    tf.dispose(xs);
    disposeBuilt(built);
  }
}

/** The witnesses the model's file offers, each asked independently of the rebuild. */
async function witnesses(c: Census): Promise<Witnesses> {
  const file = c.graph.file;
  const out: Witnesses = {};
  if (file?.tfjsTopology !== undefined) out.loader = await loaderWitness(c, file.tfjsTopology);
  if (file?.storedWeights) out.storedWeights = storedWeightsWitness(c, await file.storedWeights(c));
  if (file?.witnesses) Object.assign(out, await file.witnesses(c));
  return out;
}

/** tf.models.modelFromJSON reads the user's own config; its countParams() must equal the census. */
async function loaderWitness(c: Census, topology: unknown): Promise<NonNullable<Witnesses['loader']>> {
  const name = 'tf.models.modelFromJSON';
  registerCustomLayers();
  let model: TF.LayersModel;
  try {
    model = await tf.models.modelFromJSON(topology as TF.serialization.ConfigDict);
  } catch (e) {
    return { name, ok: null, note: `TensorFlow.js cannot read this config: ${(e as Error).message.split('\n')[0]}` };
  }
  try {
    const params = model.countParams();
    const trainableParams = sizeOf(model.trainableWeights);
    const ok = params === c.totals.params && trainableParams === c.totals.trainableParams;
    const note = ok
      ? `countParams() ${params} (${trainableParams} trainable) equals the census`
      : `countParams() ${params} (${trainableParams} trainable), census ${c.totals.params} (${c.totals.trainableParams} trainable)`;
    return { name, ok, note, params, trainableParams };
  } finally {
    model.dispose();
  }
}

/** Every weight tensor the file stores, by shape, against the census' weight specs of the same layer. */
function storedWeightsWitness(c: Census, stored: StoredWeights): NonNullable<Witnesses['storedWeights']> {
  const name = `weight shapes stored in ${stored.where}`;
  const key = (s: readonly number[]): string => `[${s.join(',')}]`;
  const mismatches: string[] = [];
  let tensors = 0;
  for (const info of c.infos) {
    const mine = info.weights.map((w) => key(w.shape)).sort();
    const theirs = (stored.byNode.get(info.node.name) ?? []).map(key).sort();
    tensors += theirs.length;
    if (mine.join(' ') !== theirs.join(' ')) {
      mismatches.push(`${info.node.name}: census ${mine.join(' ') || 'none'}, file ${theirs.join(' ') || 'none'}`);
    }
  }
  for (const [node] of stored.byNode) {
    if (!c.infos.some((i) => i.node.name === node))
      mismatches.push(`${node}: stored in the file, not a layer of the graph`);
  }
  for (const path of stored.unmatched)
    mismatches.push(`${path}: stored in the file, belongs to no layer netcensus knows`);
  const layers = [...stored.byNode.keys()].length;
  const ok = mismatches.length === 0;
  const note = ok
    ? `${tensors} tensors of ${layers} layers match the census' weight shapes`
    : `${mismatches.length} difference(s): ${mismatches.slice(0, 3).join('; ')}${mismatches.length > 3 ? '; ...' : ''}`;
  return { name, ok, note, tensors, layers, mismatches };
}

/**
 * Verifies one graph on the backend chosen (useBackend), else the best available (`auto`); a tensor left
 * alive afterwards counts as a failure.
 */
export async function verifyGraph(graph: Graph, options: VerifyOptions = {}): Promise<VerifyResult> {
  const t0 = performance.now();
  const c = census(graph, { input: options.input, batch: options.batch ?? 1 });
  return verifyCensus(c, options, performance.now() - t0);
}

/**
 * Verifies a census on the backend chosen, else the best available, against the Keras convention that tfjs counts; a tensor left
 * alive afterwards counts as a failure.
 */
export async function verifyCensus(c: Census, options: VerifyOptions = {}, censusMs = 0): Promise<VerifyResult> {
  const backend = await ensureBackend();
  options = { ...options, device: options.device ?? backend.device };
  if (c.conventions.params !== 'keras') c = census(c.graph, { ...c.options, params: 'keras' });
  const before = tf.memory().numTensors;
  const pooled = options.constants?.size ?? 0;
  const result = await runVerification(c, censusMs, options);
  Object.assign(result.witnesses, await witnesses(c));
  for (const w of Object.values(result.witnesses).filter((x) => x !== undefined)) {
    if (w.ok === false) {
      result.ok = false;
      result.mismatches.push(`${w.name}: ${w.note}`);
    }
  }
  // Tensors the constant pool took on for this model stay for the next ones: they are not left behind.
  result.leakedTensors = tf.memory().numTensors - before - ((options.constants?.size ?? 0) - pooled);
  if (result.leakedTensors !== 0) {
    result.ok = false;
    result.mismatches.push(`${result.leakedTensors} tensors left alive after the run`);
  }
  return result;
}
