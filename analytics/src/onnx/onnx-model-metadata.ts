// onnxruntime-node exposes a session's inputs and outputs but not ModelProto.metadata_props (nor the
// producer or model version), so they are read from the bytes: only ModelProto's own fields and the
// graph's name are decoded; nodes and initializers are skipped by their length.
import { AnalyticsError } from "./analytics-error.ts";
import { GraphProtoField, ModelProtoField, OperatorSetIdField, StringStringEntryField } from "./onnx-proto-fields.ts";
import { fieldBytes, fieldInt, fieldText, protobufFields } from "./protobuf-reader.ts";

export interface OnnxOpsetImport {
  /** "" for the default ai.onnx domain. */
  domain: string;
  version: number;
}

/** What a ModelProto says about itself; absent strings read as "", absent numbers as 0. */
export interface OnnxModelMetadata {
  irVersion: number;
  opsetImports: OnnxOpsetImport[];
  producerName: string;
  producerVersion: string;
  domain: string;
  modelVersion: number;
  docString: string;
  graphName: string;
  /** ModelProto.metadata_props; keys "should be distinct", so a repeated key is refused. */
  metadata: Record<string, string>;
}

/** Reads a model's header and metadata_props; throws ANALYTICS_MODEL_INVALID for bytes that are not a ModelProto. */
export function readModelMetadata(bytes: Uint8Array): OnnxModelMetadata {
  const out: OnnxModelMetadata = {
    irVersion: 0,
    opsetImports: [],
    producerName: "",
    producerVersion: "",
    domain: "",
    modelVersion: 0,
    docString: "",
    graphName: "",
    metadata: {},
  };
  let sawGraph = false;
  for (const f of protobufFields(bytes)) {
    switch (f.field) {
      case ModelProtoField.irVersion:
        out.irVersion = fieldInt(f);
        break;
      case ModelProtoField.producerName:
        out.producerName = fieldText(f);
        break;
      case ModelProtoField.producerVersion:
        out.producerVersion = fieldText(f);
        break;
      case ModelProtoField.domain:
        out.domain = fieldText(f);
        break;
      case ModelProtoField.modelVersion:
        out.modelVersion = fieldInt(f);
        break;
      case ModelProtoField.docString:
        out.docString = fieldText(f);
        break;
      case ModelProtoField.graph:
        out.graphName = readGraphName(fieldBytes(f));
        sawGraph = true;
        break;
      case ModelProtoField.opsetImport:
        out.opsetImports.push(readOpsetImport(fieldBytes(f)));
        break;
      case ModelProtoField.metadataProps:
        addEntry(out.metadata, fieldBytes(f));
        break;
    }
  }
  if (out.irVersion === 0 || !sawGraph) {
    throw new AnalyticsError("ANALYTICS_MODEL_INVALID", "not an ONNX model: no ir_version or no graph", {
      irVersion: out.irVersion,
      graph: sawGraph,
    });
  }
  return out;
}

function readGraphName(graph: Uint8Array): string {
  let name = "";
  for (const f of protobufFields(graph)) if (f.field === GraphProtoField.name) name = fieldText(f);
  return name;
}

function readOpsetImport(bytes: Uint8Array): OnnxOpsetImport {
  const opset: OnnxOpsetImport = { domain: "", version: 0 };
  for (const f of protobufFields(bytes)) {
    if (f.field === OperatorSetIdField.domain) opset.domain = fieldText(f);
    else if (f.field === OperatorSetIdField.version) opset.version = fieldInt(f);
  }
  return opset;
}

function addEntry(into: Record<string, string>, bytes: Uint8Array): void {
  let key = "";
  let value = "";
  for (const f of protobufFields(bytes)) {
    if (f.field === StringStringEntryField.key) key = fieldText(f);
    else if (f.field === StringStringEntryField.value) value = fieldText(f);
  }
  if (Object.hasOwn(into, key)) {
    throw new AnalyticsError("ANALYTICS_MODEL_INVALID", `metadata_props has the key ${JSON.stringify(key)} twice`, {
      key,
    });
  }
  // defineProperty, not assignment: a key such as "__proto__" must stay a plain entry.
  Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
}
