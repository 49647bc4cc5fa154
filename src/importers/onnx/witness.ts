/**
 * Two witnesses only an ONNX file offers, for `verify`:
 *  - ONNX Runtime (onnxruntime-node, CPU) executes the file itself with every node's output exposed as a
 *    graph output, and each executed shape is compared with the census' shape of the same tensor (put
 *    back in ONNX's channels-first order);
 *  - the TensorFlow.js rebuild is given the file's own weights (converted to its layouts), and every node's
 *    output is compared numerically with ONNX Runtime's on the same input: the rebuild is the same network,
 *    not only the same shapes.
 * The input is fixed, not random: element i is float32(((i * 37) % 101) / 50 - 1), as the fixtures' figures use.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { native } from '../../native.js';
import { gap } from '../../gap.js';
import { GPU_RTOL } from '../../verify-gpu.js';
import type { Census } from '../../census.js';
import { prod } from '../../exact.js';
import type { Witness } from '../../graph.js';
import { buildTfjs, disposeBuilt, type BuiltModel } from '../../tfjs/builder.js';
import type { OnnxFile } from './index.js';
import { weightLayout } from './ops/index.js';
import { withOutputs, type TensorProto } from './proto.js';
import { checkExternal, floatsOf } from './tensors.js';
import { identity, splitRef, transpose, type Tensor, type WeightSource } from './values.js';

// onnxruntime-node is onnxruntime-common's API with a native binding; the types are common's.
type Ort = typeof import('onnxruntime-common');

/** The least tolerance of the numeric comparison: max |tfjs - ORT| <= RTOL x max |ORT| of the same tensor. */
export const RTOL = 1e-4;
/** float32's unit roundoff, and the margin for two independent runtimes and the largest of a tensor's errors. */
const EPS32 = 2 ** -23;
const MARGIN = 8;
/** The smallest max |ORT| a tensor is held to: a tensor of zeros (a dead ReLU) may differ by float noise. */
const FLOOR = 1e-6;

const fixedInput = (n: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(((i * 37) % 101) / 50 - 1));

/** Integer inputs (token ids) in [0, rows), as floats: TensorFlow.js' Embedding casts them. */
const fixedIds = (n: number, rows: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (i * 37) % rows);

let ortVersion = '';
async function loadOrt(): Promise<Ort> {
  const mod = native().requireNative('onnxruntime-node') as Ort;
  ortVersion = (mod.env as { versions?: { node?: string } }).versions?.node ?? '';
  if (!ortVersion) {
    try {
      const dir = native().packageDir('onnxruntime-node')!;
      ortVersion = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      ortVersion = 'unknown version';
    }
  }
  return mod;
}

interface OrtRun {
  /** Every exposed output's dims and, where it is float32, values (the graph's outputs and every node's). */
  dims: Map<string, number[]>;
  outputs: Map<string, Float32Array>;
  inputs: Map<string, { data: Float32Array; dims: number[] }>;
}

/** Operators whose output is bool. */
const LOGICAL_OPS = new Set([
  'IsNaN',
  'IsInf',
  'Not',
  'And',
  'Or',
  'Xor',
  'Equal',
  'Less',
  'Greater',
  'LessOrEqual',
  'GreaterOrEqual',
]);

/** Runs the file in ONNX Runtime with every tensor the conversion knows exposed as an output. */
async function runOrt(path: string, file: OnnxFile, provider: 'cpu' | 'webgpu' = 'cpu'): Promise<OrtRun> {
  const ort = await loadOrt();
  // ONNX Runtime opens the external data itself: the same containment and size checks come first.
  checkExternal(file.model.graph!.initializer, path);
  const g = file.model.graph!;
  const declared = new Set(g.output.map((o) => o.name));
  const produced = new Set(g.node.flatMap((n) => n.output));
  const exposed = [...file.imported.tensors.keys()].filter((name) => !declared.has(name) && produced.has(name));
  // The model with every tensor exposed runs from memory; its external data is read from the model's own
  // folder (ONNX Runtime refuses a linked copy that resolves outside a temporary one).
  // Each exposed output with its element type: the file's value_info, else bool for a logical op's, else float.
  const declaredType = new Map(g.valueInfo.map((v) => [v.name, v.type?.tensorType?.elemType]));
  const logical = new Set(g.node.filter((n) => LOGICAL_OPS.has(n.opType)).flatMap((n) => n.output));
  const elemType = (name: string): number => Number(declaredType.get(name) ?? 0) || (logical.has(name) ? 9 : 1);
  const session = await ort.InferenceSession.create(withOutputs(file.bytes, exposed, elemType), {
    executionProviders: [provider],
    graphOptimizationLevel: 'disabled',
    intraOpNumThreads: 1,
    extra: { session: { model_external_initializers_file_folder_path: resolve(dirname(path)) } },
  });
  try {
    const inputs = new Map<string, { data: Float32Array; dims: number[] }>();
    const feeds: Record<string, InstanceType<Ort['Tensor']>> = {};
    for (const i of file.imported.inputs) {
      if (i.int) {
        // Token ids: valid rows of every table they index.
        const rows = g.node
          .filter((n) => n.opType === 'Gather' && n.input[1] === i.name)
          .map((n) => Number(g.initializer.find((t) => t.name === n.input[0])?.dims[0] ?? 2));
        const data = fixedIds(prod(i.shape), Math.min(101, ...rows));
        inputs.set(i.name, { data, dims: i.shape });
        feeds[i.name] =
          i.int === 7
            ? new ort.Tensor(
                'int64',
                BigInt64Array.from(data, (x) => BigInt(x)),
                i.shape,
              )
            : new ort.Tensor('int32', Int32Array.from(data), i.shape);
        continue;
      }
      const data = fixedInput(prod(i.shape));
      inputs.set(i.name, { data, dims: i.shape });
      feeds[i.name] = new ort.Tensor('float32', data, i.shape);
    }
    const results = await session.run(feeds);
    const dims = new Map<string, number[]>();
    const outputs = new Map<string, Float32Array>();
    for (const [name, t] of Object.entries(results)) {
      dims.set(name, [...t.dims].map(Number));
      if (t.type === 'float32') outputs.set(name, t.data as Float32Array);
    }
    return { dims, outputs, inputs };
  } finally {
    await session.release();
  }
}

/** The census' shape of a tensor, batch first, in ONNX's axis order. */
function censusOnnxShape(c: Census, t: Tensor, batch: number, runBatch: number): number[] | undefined {
  const { node, output } = splitRef(t.ref, (x) => c.infos.some((i) => i.node.name === x));
  const info = c.infos.find((i) => i.node.name === node);
  if (!info) return undefined;
  const g = info.outputShapes[output];
  if (!g) return undefined;
  const onnx = [batch, ...Array(g.length).fill(0)];
  t.perm.forEach((p, i) => (onnx[p + 1] = g[i]!));
  // A lifted tensor's per-example shape is the file's whole shape (counted at batch 1), with the run's
  // examples on its first axis where they stand in order there.
  if (!t.lifted) return onnx;
  const whole = onnx.slice(1);
  if (t.batchAt !== undefined) whole[t.batchAt]! *= runBatch;
  return whole;
}

function ortShapes(c: Census, file: OnnxFile, run: OrtRun): Witness {
  const mismatches: string[] = [];
  let compared = 0;
  const first = file.imported.inputs[0];
  const runBatch = (first && run.inputs.get(first.name)?.dims[first.batchAxis ?? 0]) ?? 1;
  for (const [name, t] of file.imported.tensors) {
    const executed = run.dims.get(name);
    if (!executed) continue;
    const mine = censusOnnxShape(c, t, executed[0] ?? 1, runBatch);
    if (!mine) continue;
    compared++;
    if (mine.join('x') !== executed.join('x'))
      mismatches.push(`${name}: census [${mine.join(', ')}], ONNX Runtime [${executed.join(', ')}]`);
  }
  const ok = mismatches.length === 0 && compared > 0;
  return {
    name: `ONNX Runtime ${ortVersion} (onnxruntime-node, CPU) executing the file`,
    runtime: { name: 'onnxruntime-node', version: ortVersion },
    ok,
    note: ok
      ? `every one of ${compared} node outputs has the census' shape`
      : compared === 0
        ? 'no node output could be matched to the census'
        : `${mismatches.length} of ${compared} shapes differ: ${mismatches.slice(0, 3).join('; ')}`,
    compared,
    mismatches,
  };
}

// ---- the file's weights in the rebuild ----

const init = (file: OnnxFile, name: string): TensorProto | undefined =>
  file.model.graph!.initializer.find((t) => t.name === name) ?? file.imported.derived.get(name);

/** The tfjs weights of one node, in its layer's order, from the file's initializers. */
function tfjsWeights(
  file: OnnxFile,
  path: string,
  source: WeightSource,
): Array<{ data: Float32Array; shape: number[] }> {
  const t = (name: string) => {
    const proto = init(file, name);
    if (!proto) throw new Error(`initializer ${name} is not in the file`);
    return { data: floatsOf(proto, path), dims: proto.dims.map(Number) };
  };
  const layout = weightLayout(source.op);
  if (!layout) throw new Error(`no weight conversion for ${source.op}`);
  return layout(source, t, (name) => init(file, name) !== undefined);
}

/** Gives each rebuilt node the file's weights; a line saying why not where they do not fit. */
function loadWeights(built: BuiltModel, path: string, file: OnnxFile): string | undefined {
  for (const node of built.nodes) {
    const source = file.imported.weights.get(node.name);
    // A node may be built as several layers with weights (a bidirectional RNN's two directions), in order.
    const layers = node.layers.filter((l) => l.getWeights().length > 0);
    if (!source || !layers.length) continue;
    const ws = tfjsWeights(file, path, source);
    const have = layers.flatMap((l) => l.getWeights());
    if (have.length !== ws.length || have.some((h, i) => h.shape.join('x') !== ws[i]!.shape.join('x')))
      return `${node.name}: the file's weights [${ws.map((w) => w.shape.join('x')).join(', ')}] do not fit the rebuild's [${have.map((h) => h.shape.join('x')).join(', ')}]`;
    let k = 0;
    for (const layer of layers) {
      const n = layer.getWeights().length;
      const tensors = ws.slice(k, k + n).map((w) => tf.tensor(w.data, w.shape));
      layer.setWeights(tensors);
      tf.dispose(tensors);
      k += n;
    }
  }
  return undefined;
}

/** The run's input in the graph's layout: batch, then the ONNX axes in the order perm names. */
function graphInputs(file: OnnxFile, run: OrtRun): tf.Tensor[] {
  return file.imported.inputs.map((i) => {
    const t = file.imported.tensors.get(i.name)!;
    const { data, dims } = run.inputs.get(i.name)!;
    if (i.batchAxis === 1) {
      // Sequence-first [steps, batch, features]: each example's [steps, 1, features] behind the batch.
      const [steps, batch, features] = dims as [number, number, number];
      return tf.tensor(transpose(data, dims, [1, 0, 2]), [batch, steps, 1, features]);
    }
    const order = [0, ...t.perm.map((p) => p + 1)];
    return tf.tensor(
      transpose(data, dims, order),
      order.map((o) => dims[o]!),
    );
  });
}

/** Largest |tfjs - ORT| of one tensor, and ORT's largest magnitude, with the tfjs value put back in ONNX order. */
async function difference(
  mine: tf.Tensor,
  t: Tensor,
  expected: Float32Array,
): Promise<{ worst: number; scale: number }> {
  const inverse = [0, ...t.perm.map((_, j) => t.perm.indexOf(j) + 1)];
  let got = transpose((await mine.data()) as Float32Array, mine.shape, inverse);
  if (t.lifted && t.batchAt) {
    // The run's examples in front of the file's axis that holds them (Tensor.batchAt), as the file has them.
    const dims = inverse.map((i) => mine.shape[i]!);
    const order = [...identity(t.batchAt + 1).slice(1), 0, ...identity(dims.length).slice(t.batchAt + 1)];
    got = transpose(got, dims, order);
  }
  return gap(got, expected);
}

/** Operators that sum over one axis of their input: softmax and the normalisations (n = the last axis). */
const LAST_AXIS_SUMS = new Set(['Softmax', 'LogSoftmax', 'LayerNormalization', 'ReduceMean', 'ReduceSum', 'ReduceL2']);
/** Operators whose values are random draws: nothing computed from them can be compared. */
const RANDOM_OPS = new Set(['RandomNormalLike', 'RandomUniformLike', 'RandomNormal', 'RandomUniform', 'Bernoulli']);

/**
 * Float32 error grows with the sums a value went through: a sum of n rounded products is off by about
 * sqrt(n) x eps relative (rounding errors add like a random walk), and those errors add up from layer to
 * layer. So each tensor t is held to max(RTOL, MARGIN x eps x S(t)), S(t) the largest sum of sqrt(n) over
 * the nodes of any path from the input to t: n is a Conv's C/group x kernel, a MatMul's or Gemm's inner
 * axis, a pool's or reduction's window, 1 for an elementwise op. A one-layer net stays at RTOL; ResNet-152
 * with its BatchNorms kept reaches S of about 5,000 (tolerance about 5e-3, where a wrong weight layout
 * differs by the tensor's own size). Tensors computed from a random draw get no tolerance (undefined).
 */
export function errorBudget(
  file: OnnxFile,
  dims: (name: string) => number[] | undefined,
): Map<string, number | undefined> {
  const g = file.model.graph!;
  const inits = new Map(g.initializer.map((t) => [t.name, t.dims.map(Number)]));
  const shape = (name: string) => inits.get(name) ?? dims(name);
  const sums = new Map<string, number | undefined>();
  for (const n of g.node) {
    const w = n.input[1] ? shape(n.input[1]) : undefined;
    const x = n.input[0] ? shape(n.input[0]) : undefined;
    const y = n.output[0] ? dims(n.output[0]) : undefined;
    let terms = 1;
    if (n.opType === 'Conv' && w) terms = prod(w.slice(1));
    else if (n.opType === 'ConvTranspose' && w) terms = prod([w[0]!, ...w.slice(2)]);
    else if (n.opType === 'MatMul' && x) terms = x.at(-1) ?? 1;
    else if (n.opType === 'Gemm' && x) terms = x.at(-1) ?? 1;
    else if (LAST_AXIS_SUMS.has(n.opType) && x) terms = x.at(-1) ?? 1;
    else if (/Pool$/.test(n.opType) && x && y) terms = Math.max(1, prod(x) / prod(y));
    const before = n.input.map((i) => (i ? sums.get(i) : 0));
    const random =
      RANDOM_OPS.has(n.opType) || before.some((b, i) => b === undefined && n.input[i] && sums.has(n.input[i]!));
    const s = random ? undefined : Math.sqrt(terms) + Math.max(0, ...before.map((b) => b ?? 0));
    for (const o of n.output) if (o) sums.set(o, s);
  }
  const out = new Map<string, number | undefined>();
  for (const [name, s] of sums) out.set(name, s === undefined ? undefined : Math.max(RTOL, MARGIN * EPS32 * s));
  return out;
}

/**
 * The rebuild with the file's weights runs with every node's output kept, and each output that is a tensor
 * of the file is compared with ONNX Runtime's, in the file's node order: within its error budget
 * (errorBudget) of that tensor's own largest magnitude (at least FLOOR), so that a tensor of small values is
 * held to its own scale.
 */
async function fileWeights(c: Census, path: string, file: OnnxFile, run: OrtRun): Promise<Witness> {
  const name = `the TensorFlow.js rebuild with the file's own weights, against ONNX Runtime, node by node (max |diff| <= tol x max |ORT| of each tensor, tol from ${RTOL} up with float32 error growth)`;
  const before = tf.memory().numTensors;
  const built = buildTfjs(c.graph, c.infos, { outputs: 'all' });
  let inputs: tf.Tensor[] = [];
  let outList: tf.Tensor[] = [];
  try {
    try {
      const misfit = loadWeights(built, path, file);
      if (misfit) return { name, ok: false, note: misfit };
    } catch (e) {
      return { name, ok: null, note: `the file's weights cannot be read: ${(e as Error).message.split('\n')[0]}` };
    }
    inputs = graphInputs(file, run);
    const outs = built.model.predict(inputs.length === 1 ? inputs[0]! : inputs);
    outList = Array.isArray(outs) ? outs : [outs];
    const refs = built.nodes.flatMap((n) => n.outputs.map((_, k) => (k === 0 ? n.name : `${n.name}:${k}`)));
    const finals = new Set(file.model.graph!.output.map((o) => o.name));
    const budget = errorBudget(file, (o) => run.dims.get(o) ?? run.inputs.get(o)?.dims);
    let compared = 0;
    let random = 0;
    let first: string | undefined;
    let worstRelative = 0;
    let worstAt = '';
    let finalDiff = 0;
    let loosest = RTOL;
    for (const n of file.model.graph!.node) {
      for (const o of n.output) {
        const t = file.imported.tensors.get(o);
        const expected = run.outputs.get(o);
        const k = t ? refs.indexOf(t.ref) : -1;
        // A flattened channels-last map holds its elements in another order than ONNX's (see `flatRows`);
        // a MatMul's output is compared after its absorbed bias, as the Add's.
        if (!t || t.flat || t.biasAfter || !expected || k < 0 || prod(outList[k]!.shape) !== expected.length) continue;
        const tol = budget.has(o) ? budget.get(o) : RTOL;
        if (tol === undefined) {
          random++;
          continue;
        }
        const { worst, scale } = await difference(outList[k]!, t, expected);
        compared++;
        loosest = Math.max(loosest, tol);
        const relative = worst / Math.max(scale, FLOOR);
        if (relative > worstRelative) [worstRelative, worstAt] = [relative, o];
        if (finals.has(o)) finalDiff = Math.max(finalDiff, worst);
        if (relative > tol && !first)
          first = `first at "${o}", the output of node "${n.name}" (${n.opType}): max |diff| ${worst.toExponential(2)}, max |ORT| ${scale.toExponential(2)}, tolerance ${tol.toExponential(2)}`;
      }
    }
    const skipped = random ? `; ${random} outputs computed from random draws not compared` : '';
    if (!compared) return { name, ok: null, note: `no node output could be compared${skipped}` };
    const worstText = `largest |diff| / max |ORT| ${worstRelative.toExponential(2)}${worstAt ? ` (at "${worstAt}")` : ''}`;
    return {
      name,
      ok: !first,
      note: first
        ? `${first}; ${compared} node outputs compared${skipped}`
        : `all ${compared} node outputs agree (tolerance up to ${loosest.toExponential(2)}); ${worstText}; final output max |diff| ${finalDiff.toExponential(2)}${skipped}`,
      compared,
      maxRelativeDiff: worstRelative,
      maxAbsDiffOutput: finalDiff,
      tolerance: loosest,
    };
  } finally {
    tf.dispose([...outList, ...inputs]);
    disposeBuilt(built);
    const leaked = tf.memory().numTensors - before;
    if (leaked > 0) process.stderr.write(`netcensus: ${leaked} tensors left by the ONNX weight check\n`);
  }
}

/** Both ONNX witnesses for one census. */
export async function onnxWitnesses(c: Census, path: string, file: OnnxFile): Promise<Record<string, Witness>> {
  let run: OrtRun;
  try {
    run = await runOrt(path, file);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    const note = `ONNX Runtime could not run the file: ${why}`;
    return { onnxruntime: { name: 'ONNX Runtime (onnxruntime-node, CPU)', ok: null, note } };
  }
  return {
    onnxruntime: ortShapes(c, file, run),
    fileWeights: await fileWeights(c, path, file, run),
    // On a GPU, ONNX Runtime's own WebGPU execution provider is a second GPU witness.
    ...(tf.getBackend() === 'webgpu' ? { onnxruntimeWebgpu: await ortWebgpu(path, file, run) } : {}),
  };
}

/**
 * ONNX Runtime's WebGPU execution provider runs the file on the same input: every float tensor both runs
 * expose against the CPU run's, within GPU_RTOL of its largest value. ONNX Runtime gives an op its WebGPU
 * kernels where it has them and its CPU ones elsewhere, so this witnesses the GPU kernels ONNX Runtime has.
 */
async function ortWebgpu(path: string, file: OnnxFile, cpu: OrtRun): Promise<Witness> {
  const name = `ONNX Runtime ${ortVersion} (onnxruntime-node, WebGPU execution provider) executing the file`;
  let gpu: OrtRun;
  try {
    gpu = await runOrt(path, file, 'webgpu');
  } catch (e) {
    return {
      name,
      ok: null,
      note: `ONNX Runtime's WebGPU provider could not run the file: ${(e as Error).message.split('\n')[0]}`,
    };
  }
  // errorBudget marks what is computed from a random draw (no budget): no two runs agree on it.
  const budget = errorBudget(file, (o) => cpu.dims.get(o) ?? cpu.inputs.get(o)?.dims);
  let first: { tensor: string; relative: number } | undefined;
  let compared = 0;
  for (const [tensor, ref] of cpu.outputs) {
    const got = gpu.outputs.get(tensor);
    if (!got || got.length !== ref.length || (budget.has(tensor) && budget.get(tensor) === undefined)) continue;
    const { worst, scale } = gap(got, ref);
    compared++;
    const relative = worst / Math.max(scale, FLOOR);
    if (!first && !(relative <= GPU_RTOL)) first = { tensor, relative };
  }
  if (!compared) return { name, ok: null, note: 'no float tensor of both runs to compare' };
  return first
    ? {
        name,
        ok: false,
        note: `tensor "${first.tensor}" differs from the CPU run: ${first.relative.toExponential(2)} relative, above ${GPU_RTOL}`,
      }
    : { name, ok: true, note: `${compared} tensors equal the CPU run's within ${GPU_RTOL} of their largest value` };
}
