// Writes an OnnxGraph as an ONNX ModelProto (onnx/onnx.proto; field numbers in onnx-proto-fields.ts).
import type { OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from "./onnx-graph.ts";
import {
  AttributeProtoField,
  AttributeType,
  DimensionField,
  GraphProtoField,
  ModelProtoField,
  NodeProtoField,
  OperatorSetIdField,
  StringStringEntryField,
  TensorDataType,
  TensorProtoField,
  TensorShapeProtoField,
  TypeProtoField,
  TypeProtoTensorField,
  ValueInfoProtoField,
} from "./onnx-proto-fields.ts";
import { ProtobufWriter } from "./protobuf-writer.ts";

/** IR version 8 with opset 17 is what ONNX 1.12 writes; onnxruntime 1.30 reads both (and newer). */
export const DEFAULT_IR_VERSION = 8;
export const DEFAULT_OPSET = 17;

export interface OnnxModelOptions {
  /** ModelProto.ir_version; default 8. */
  irVersion?: number;
  /** Version of the default (ai.onnx) operator set; default 17. Operator signatures depend on it. */
  opset?: number;
  /** Default "lifeline". */
  producerName?: string;
  producerVersion?: string;
  /** Reverse-DNS namespace of the model, e.g. "org.lifeline.analytics". */
  domain?: string;
  /** ModelProto.model_version, an int64. */
  modelVersion?: number;
  docString?: string;
  /** ModelProto.metadata_props, written in the object's key order; `readModelMetadata` reads them back. */
  metadata?: Readonly<Record<string, string>>;
}

/** The ModelProto bytes of `graph`, after `graph.validate()`. */
export function encodeModel(graph: OnnxGraph, options: OnnxModelOptions = {}): Uint8Array {
  graph.validate();
  const w = new ProtobufWriter();
  w.int64(ModelProtoField.irVersion, options.irVersion ?? DEFAULT_IR_VERSION);
  w.string(ModelProtoField.producerName, options.producerName ?? "lifeline");
  if (options.producerVersion !== undefined) w.string(ModelProtoField.producerVersion, options.producerVersion);
  if (options.domain !== undefined) w.string(ModelProtoField.domain, options.domain);
  if (options.modelVersion !== undefined) w.int64(ModelProtoField.modelVersion, options.modelVersion);
  if (options.docString !== undefined) w.string(ModelProtoField.docString, options.docString);
  w.message(ModelProtoField.graph, (g) => writeGraph(g, graph));
  w.message(ModelProtoField.opsetImport, (o) => {
    o.string(OperatorSetIdField.domain, "");
    o.int64(OperatorSetIdField.version, options.opset ?? DEFAULT_OPSET);
  });
  for (const [key, value] of Object.entries(options.metadata ?? {})) {
    w.message(ModelProtoField.metadataProps, (e) => {
      e.string(StringStringEntryField.key, key);
      e.string(StringStringEntryField.value, value);
    });
  }
  return w.finish();
}

function writeGraph(w: ProtobufWriter, graph: OnnxGraph): void {
  for (const node of graph.nodes) w.message(GraphProtoField.node, (n) => writeNode(n, node));
  w.string(GraphProtoField.name, graph.name);
  for (const t of graph.initializers) w.message(GraphProtoField.initializer, (m) => writeTensor(m, t, t.name));
  if (graph.docString !== "") w.string(GraphProtoField.docString, graph.docString);
  for (const v of graph.inputs) w.message(GraphProtoField.input, (m) => writeValueInfo(m, v));
  for (const v of graph.outputs) w.message(GraphProtoField.output, (m) => writeValueInfo(m, v));
}

function writeNode(w: ProtobufWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(NodeProtoField.input, input);
  for (const output of node.outputs) w.string(NodeProtoField.output, output);
  w.string(NodeProtoField.name, node.name);
  w.string(NodeProtoField.opType, node.opType);
  for (const [name, value] of Object.entries(node.attributes)) {
    w.message(NodeProtoField.attribute, (a) => writeAttribute(a, name, value));
  }
  if (node.domain !== "") w.string(NodeProtoField.domain, node.domain);
}

function writeAttribute(w: ProtobufWriter, name: string, attr: OnnxAttribute): void {
  w.string(AttributeProtoField.name, name);
  w.int64(AttributeProtoField.type, AttributeType[attr.kind]);
  switch (attr.kind) {
    case "int":
      w.int64(AttributeProtoField.i, attr.value);
      break;
    case "float":
      w.float(AttributeProtoField.f, attr.value);
      break;
    // proto2 repeated scalars without [packed = true]: one record per element.
    case "ints":
      for (const v of attr.value) w.int64(AttributeProtoField.ints, v);
      break;
    case "floats":
      for (const v of attr.value) w.float(AttributeProtoField.floats, v);
      break;
    case "string":
      w.string(AttributeProtoField.s, attr.value);
      break;
    case "tensor":
      w.message(AttributeProtoField.t, (t) => writeTensor(t, attr.value));
      break;
  }
}

function writeTensor(w: ProtobufWriter, tensor: OnnxTensor, name?: string): void {
  for (const d of tensor.dims) w.int64(TensorProtoField.dims, d);
  const float = tensor.data instanceof Float32Array;
  w.int64(TensorProtoField.dataType, float ? TensorDataType.float : TensorDataType.int64);
  if (name !== undefined) w.string(TensorProtoField.name, name);
  w.bytes(TensorProtoField.rawData, rawData(tensor.data));
}

/** TensorProto.raw_data: "fixed-width, little-endian order", written so on any host. */
function rawData(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.length * data.BYTES_PER_ELEMENT);
  const view = new DataView(bytes.buffer);
  if (data instanceof Float32Array) {
    for (const [i, v] of data.entries()) view.setFloat32(i * 4, v, true);
  } else {
    for (const [i, v] of data.entries()) view.setBigInt64(i * 8, v, true);
  }
  return bytes;
}

function writeValueInfo(w: ProtobufWriter, value: OnnxValueInfo): void {
  w.string(ValueInfoProtoField.name, value.name);
  w.message(ValueInfoProtoField.type, (type) =>
    type.message(TypeProtoField.tensorType, (tensor) => {
      tensor.int64(TypeProtoTensorField.elemType, TensorDataType[value.elemType]);
      tensor.message(TypeProtoTensorField.shape, (shape) => {
        for (const d of value.dims) {
          shape.message(TensorShapeProtoField.dim, (dim) => {
            if (typeof d === "string") dim.string(DimensionField.dimParam, d);
            else dim.int64(DimensionField.dimValue, d);
          });
        }
      });
    }),
  );
  if (value.docString !== undefined) w.string(ValueInfoProtoField.docString, value.docString);
}
