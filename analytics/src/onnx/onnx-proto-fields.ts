// Field numbers and enums of onnx/onnx.proto (github.com/onnx/onnx, file onnx/onnx.proto; read at
// commit 004aa57f). Protobuf field numbers never change once published, so these hold for every IR
// version; only the messages and fields this package writes or reads are listed.

/** `message ModelProto` */
export const ModelProtoField = {
  irVersion: 1, // optional int64 ir_version = 1
  producerName: 2, // optional string producer_name = 2
  producerVersion: 3, // optional string producer_version = 3
  domain: 4, // optional string domain = 4
  modelVersion: 5, // optional int64 model_version = 5
  docString: 6, // optional string doc_string = 6
  graph: 7, // optional GraphProto graph = 7
  opsetImport: 8, // repeated OperatorSetIdProto opset_import = 8
  metadataProps: 14, // repeated StringStringEntryProto metadata_props = 14
} as const;

/** `message OperatorSetIdProto` */
export const OperatorSetIdField = {
  domain: 1, // optional string domain = 1 ("" is the default ai.onnx domain)
  version: 2, // optional int64 version = 2
} as const;

/** `message StringStringEntryProto` */
export const StringStringEntryField = {
  key: 1, // optional string key = 1
  value: 2, // optional string value = 2
} as const;

/** `message GraphProto` */
export const GraphProtoField = {
  node: 1, // repeated NodeProto node = 1 (sorted topologically)
  name: 2, // optional string name = 2
  initializer: 5, // repeated TensorProto initializer = 5
  docString: 10, // optional string doc_string = 10
  input: 11, // repeated ValueInfoProto input = 11
  output: 12, // repeated ValueInfoProto output = 12
} as const;

/** `message NodeProto` */
export const NodeProtoField = {
  input: 1, // repeated string input = 1
  output: 2, // repeated string output = 2
  name: 3, // optional string name = 3
  opType: 4, // optional string op_type = 4
  attribute: 5, // repeated AttributeProto attribute = 5
  docString: 6, // optional string doc_string = 6
  domain: 7, // optional string domain = 7
} as const;

/** `message AttributeProto` */
export const AttributeProtoField = {
  name: 1, // optional string name = 1
  f: 2, // optional float f = 2
  i: 3, // optional int64 i = 3
  s: 4, // optional bytes s = 4 (UTF-8)
  t: 5, // optional TensorProto t = 5
  floats: 7, // repeated float floats = 7 (proto2, not packed)
  ints: 8, // repeated int64 ints = 8 (proto2, not packed)
  type: 20, // optional AttributeType type = 20 (MUST be set since IR version 2)
} as const;

/** `enum AttributeProto.AttributeType` */
export const AttributeType = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** `message TensorProto` */
export const TensorProtoField = {
  dims: 1, // repeated int64 dims = 1 (proto2, not packed)
  dataType: 2, // optional int32 data_type = 2
  name: 8, // optional string name = 8
  rawData: 9, // optional bytes raw_data = 9 (fixed-width, little-endian; bool one byte each)
} as const;

/** `enum TensorProto.DataType` (the ones used here) */
export const TensorDataType = { float: 1, int64: 7, bool: 9 } as const;

/** `message ValueInfoProto` */
export const ValueInfoProtoField = {
  name: 1, // optional string name = 1
  type: 2, // optional TypeProto type = 2
  docString: 3, // optional string doc_string = 3
} as const;

/** `message TypeProto` (oneof value) and its nested `message Tensor` */
export const TypeProtoField = { tensorType: 1 } as const; // Tensor tensor_type = 1
export const TypeProtoTensorField = {
  elemType: 1, // optional int32 elem_type = 1 (a TensorProto.DataType)
  shape: 2, // optional TensorShapeProto shape = 2
} as const;

/** `message TensorShapeProto` and its nested `message Dimension` (oneof value) */
export const TensorShapeProtoField = { dim: 1 } as const; // repeated Dimension dim = 1
export const DimensionField = {
  dimValue: 1, // int64 dim_value = 1
  dimParam: 2, // string dim_param = 2 (a symbolic dimension such as "batch")
} as const;
