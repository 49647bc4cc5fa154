/**
 * Small ONNX models built in code (no stored files), imported through the room's public importOnnx, for
 * the per-operator tests. Expected figures in the tests are worked out from the ONNX operator spec.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { census, type LayerCensus } from '../../src/census.js';
import type { LayerConfig } from '../../src/graph.js';
import { importOnnx } from '../../src/importers/onnx/index.js';
import { encodeModel } from '../../src/importers/onnx/proto.js';

export const FLOAT = 1;
export const INT64 = 7;

export interface Node {
  op: string;
  inputs: string[];
  outputs?: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string>;
}

/** An attribute in the schema's field names: ints and strings by their JavaScript type. */
function attribute(name: string, v: number | number[] | string): object {
  if (typeof v === 'string') return { name, type: 3, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

/** A float initializer of these dims (values 0.01 apart: only counts are asserted). */
export const weight = (name: string, dims: number[]) => ({
  name,
  dataType: FLOAT,
  dims,
  floatData: Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => i / 100),
});
export const ints = (name: string, values: number[]) => ({
  name,
  dataType: INT64,
  dims: [values.length],
  int64Data: values,
});

export interface Spec {
  nodes: Node[];
  inits?: object[];
  /** Graph input x by default. */
  input?: number[];
  opset?: number;
  /** The graph's output; the last node's first output by default. */
  output?: string;
}

const dir = mkdtempSync(join(tmpdir(), 'netcensus-onnx-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;

/** Builds, writes and imports a model; its census too. */
export function load(spec: Spec) {
  const nodes = spec.nodes.map((n, i) => ({
    ...n,
    outputs: n.outputs ?? [i === spec.nodes.length - 1 ? 'y' : `t${i}`],
  }));
  const output = spec.output ?? nodes.at(-1)!.outputs[0]!;
  const dims = spec.input ?? [1, 3, 8, 8];
  const bytes = encodeModel({
    irVersion: 8,
    producerName: 'netcensus-test',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: 'g',
      node: nodes.map((n, i) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `/n${i}/${n.op}`,
        opType: n.op,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: spec.inits ?? [],
      input: [
        {
          name: 'x',
          type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
        },
      ],
      output: [{ name: output }],
    },
  });
  const path = join(dir, `m${count++}.onnx`);
  writeFileSync(path, bytes);
  const { graph, file } = importOnnx(path);
  // The op tests state parameters under the Keras convention (a PyTorch export's default is PyTorch's).
  const c = census(graph, { params: 'keras' });
  const layers = c.layers.filter((l) => l.kind !== 'input');
  return { graph, file, census: c, layers };
}

/** The one counted layer of a one-node model (and a check that there is one). */
export function only(spec: Spec): LayerCensus & { config: LayerConfig } {
  const { graph, layers } = load(spec);
  const real = layers.filter((l) => l.kind !== 'transpose');
  if (real.length !== 1) throw new Error(`expected one layer, got ${real.map((l) => l.kind).join(', ')}`);
  const config = graph.nodes.find((n) => n.name === real[0]!.name)!.config;
  return { ...real[0]!, config };
}
