/**
 * The part of ONNX's protobuf schema netcensus reads (field numbers as the ONNX specification gives
 * them, onnx.proto, IR version 10), decoded with protobufjs. `raw_data` decodes as a view of the file's
 * buffer, so tensor bytes are never copied; a large tensor's data is only touched when verification
 * loads the file's weights.
 */
import protobuf from 'protobufjs';

const SCHEMA = `
syntax = "proto2";
package onnx;
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  repeated StringStringEntryProto external_data = 13;
  optional int32 data_location = 14;
}
message AttributeProto {
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional int32 type = 20;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string domain = 7;
  repeated StringStringEntryProto metadata_props = 9;
}
message TensorShapeProto {
  message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; }
  optional Tensor tensor_type = 1;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
`;

export interface TensorProto {
  dims: number[];
  dataType: number;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  doubleData: number[];
  name: string;
  rawData?: Uint8Array;
  externalData: Array<{ key: string; value: string }>;
  dataLocation: number;
}
export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  graphs: GraphProto[];
}
export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: AttributeProto[];
  domain: string;
  metadataProps: Array<{ key: string; value: string }>;
}
export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType: number; shape?: { dim: Array<{ dimValue?: number; dimParam?: string }> } } };
}
export interface GraphProto {
  node: NodeProto[];
  name: string;
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  valueInfo: ValueInfoProto[];
}
export interface ModelProto {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  graph?: GraphProto;
  opsetImport: Array<{ domain: string; version: number }>;
}

let root: protobuf.Root | undefined;
const types = (): protobuf.Root => (root ??= protobuf.parse(SCHEMA, { keepCase: false }).root);

/** ONNX's data types, by their TensorProto.DataType number. */
export const DATA_TYPES: Record<number, { name: string; bytes: number }> = {
  1: { name: 'float32', bytes: 4 },
  2: { name: 'uint8', bytes: 1 },
  3: { name: 'int8', bytes: 1 },
  4: { name: 'uint16', bytes: 2 },
  5: { name: 'int16', bytes: 2 },
  6: { name: 'int32', bytes: 4 },
  7: { name: 'int64', bytes: 8 },
  9: { name: 'bool', bytes: 1 },
  10: { name: 'float16', bytes: 2 },
  11: { name: 'float64', bytes: 8 },
  12: { name: 'uint32', bytes: 4 },
  13: { name: 'uint64', bytes: 8 },
  16: { name: 'bfloat16', bytes: 2 },
};

/** Decodes a model; int64 fields become numbers (an INT64 "to the end" slice bound stays a huge number). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = types().lookupType('onnx.ModelProto');
  const message = type.decode(bytes);
  return type.toObject(message, {
    longs: Number,
    defaults: true,
    arrays: true,
    bytes: Uint8Array,
  }) as unknown as ModelProto;
}

/**
 * The model again, with more graph outputs (verification exposes every intermediate value). It is
 * re-encoded from the message as decoded, so fields absent from the file stay absent (an attribute
 * keeps its one value), and the fields this schema does not name are dropped, none of which ONNX Runtime
 * needs to execute the graph.
 */
export function withOutputs(
  bytes: Uint8Array,
  names: readonly string[],
  elemType: (name: string) => number = () => 1,
): Uint8Array {
  const type = types().lookupType('onnx.ModelProto');
  const message = type.decode(bytes) as unknown as { graph: { output: unknown[] } };
  const valueInfo = types().lookupType('onnx.ValueInfoProto');
  for (const name of names) {
    message.graph.output.push(valueInfo.fromObject({ name, type: { tensorType: { elemType: elemType(name) } } }));
  }
  return type.encode(message).finish();
}

/** Encodes a model given as a plain object in this schema's field names (tests write ONNX files with it). */
export function encodeModel(model: object): Uint8Array {
  const type = types().lookupType('onnx.ModelProto');
  return type.encode(type.fromObject(model)).finish();
}
