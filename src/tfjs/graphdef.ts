/**
 * A TensorFlow GraphDef, wrapped in a SavedModel, written as protobuf without TensorFlow's Python: what
 * native TensorFlow loads as a session (tfjs-node's loadSavedModel) to run a network as a graph, where
 * Grappler and oneDNN fuse and cache what eager execution runs op by op. Only the fields that loading needs:
 * nodes with their attributes, the graph's version, one meta graph tagged "serve" with one signature.
 * Weights are Const nodes (a frozen graph), so the SavedModel has no variables folder.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A protobuf message under construction: its encoded pieces, never copied into one buffer. */
export class Proto {
  readonly chunks: Uint8Array[] = [];
  length = 0;

  private push(u8: Uint8Array): this {
    this.chunks.push(u8);
    this.length += u8.length;
    return this;
  }

  private static varint(n: number | bigint): Uint8Array {
    const out: number[] = [];
    // Negative int64 fields (a -1 dimension) are ten-byte two's complement varints.
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    return Uint8Array.from(out);
  }

  private tag(field: number, wire: 0 | 2 | 5): this {
    return this.push(Proto.varint((field << 3) | wire));
  }

  int(field: number, n: number): this {
    return this.tag(field, 0).push(Proto.varint(n));
  }

  bool(field: number, b: boolean): this {
    return this.int(field, b ? 1 : 0);
  }

  float(field: number, f: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, f, true);
    return this.tag(field, 5).push(b);
  }

  bytes(field: number, u8: Uint8Array): this {
    return this.tag(field, 2).push(Proto.varint(u8.length)).push(u8);
  }

  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  msg(field: number, m: Proto): this {
    this.tag(field, 2).push(Proto.varint(m.length));
    for (const c of m.chunks) this.push(c);
    return this;
  }

  packedInts(field: number, ns: readonly number[]): this {
    const m = new Proto();
    for (const n of ns) m.push(Proto.varint(n));
    return this.msg(field, m);
  }
}

/** TensorFlow's DataType enum, for the types these graphs use. */
const DT = { float32: 1, int32: 3 } as const;
export type GraphDtype = keyof typeof DT;

const shapeProto = (dims: readonly number[]): Proto => {
  const m = new Proto();
  for (const d of dims) m.msg(2, new Proto().int(1, d));
  return m;
};

/** A TensorProto: dtype, shape, and the values as little-endian bytes (tensor_content). */
export function tensorProto(dtype: GraphDtype, dims: readonly number[], data: Float32Array | Int32Array): Proto {
  return new Proto()
    .int(1, DT[dtype])
    .msg(2, shapeProto(dims))
    .bytes(4, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** AttrValue constructors, by the kind of value. */
export const attr = {
  type: (t: GraphDtype): Proto => new Proto().int(6, DT[t]),
  s: (s: string): Proto => new Proto().str(2, s),
  i: (n: number): Proto => new Proto().int(3, n),
  f: (x: number): Proto => new Proto().float(4, x),
  b: (x: boolean): Proto => new Proto().bool(5, x),
  ints: (ns: readonly number[]): Proto => new Proto().msg(1, new Proto().packedInts(3, ns)),
  shape: (dims: readonly number[]): Proto => new Proto().msg(7, shapeProto(dims)),
  tensor: (t: Proto): Proto => new Proto().msg(8, t),
};

/** A NodeDef: name, op, inputs ("node" or "node:i"), attributes. */
export function nodeDef(name: string, op: string, inputs: readonly string[], attrs: Record<string, Proto> = {}): Proto {
  const m = new Proto().str(1, name).str(2, op);
  for (const i of inputs) m.str(3, i);
  for (const [k, v] of Object.entries(attrs)) m.msg(5, new Proto().str(1, k).msg(2, v));
  return m;
}

export interface SignatureTensor {
  /** "node:0" */
  name: string;
  dims: readonly number[];
}

/** The GraphDef producer version: TensorFlow 2.x reads any recent one; ops' defaults apply as of it. */
const PRODUCER = 1808;

/**
 * Writes DIR/saved_model.pb: one meta graph tagged "serve" holding the nodes, with a "serving_default"
 * signature naming the float32 inputs and outputs, written piece by piece (a VGG's weights are half a GB).
 */
export function writeSavedModel(
  dir: string,
  nodes: readonly Proto[],
  inputs: Record<string, SignatureTensor>,
  outputs: Record<string, SignatureTensor>,
): void {
  const graph = new Proto();
  for (const n of nodes) graph.msg(1, n);
  graph.msg(4, new Proto().int(1, PRODUCER));
  const info = (t: SignatureTensor): Proto => new Proto().str(1, t.name).int(2, DT.float32).msg(3, shapeProto(t.dims));
  const sig = new Proto();
  for (const [k, t] of Object.entries(inputs)) sig.msg(1, new Proto().str(1, k).msg(2, info(t)));
  for (const [k, t] of Object.entries(outputs)) sig.msg(2, new Proto().str(1, k).msg(2, info(t)));
  sig.str(3, 'tensorflow/serving/predict');
  const meta = new Proto()
    .msg(1, new Proto().str(4, 'serve'))
    .msg(2, graph)
    .msg(5, new Proto().str(1, 'serving_default').msg(2, sig));
  const saved = new Proto().int(1, 1).msg(2, meta);
  mkdirSync(dir, { recursive: true });
  const fd = openSync(join(dir, 'saved_model.pb'), 'w');
  try {
    for (const c of saved.chunks) writeSync(fd, c);
  } finally {
    closeSync(fd);
  }
}
