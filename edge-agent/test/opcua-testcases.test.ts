import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BinaryStream, DataType, DataValue, StatusCode, StatusCodes, Variant, VariantArrayType } from "node-opcua";
import { describe, expect, it } from "vitest";
import { opcuaPointSchema, readingFromDataValue } from "../src/adapters/opcua/index.ts";

const root = join(import.meta.dirname, "../src/adapters/opcua/testcases");
const cases = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
const read = (name: string, file: string) => JSON.parse(readFileSync(join(root, name, file), "utf8"));

interface DataValueSpec {
  dataType: keyof typeof DataType;
  arrayType?: keyof typeof VariantArrayType;
  value?: unknown;
  status?: string;
  infoBits?: number;
  sourceTimestamp?: string;
  serverTimestamp?: string;
}

/** The DataValue as node-opcua decodes it from its binary encoding (IEC 62541-6 §5.2.2.17). */
function onTheWire(spec: DataValueSpec): DataValue {
  const base = (StatusCodes as unknown as Record<string, StatusCode>)[spec.status ?? "Good"];
  if (!base) throw new Error(`unknown status ${spec.status}`);
  const sent = new DataValue({
    value: new Variant({
      dataType: DataType[spec.dataType],
      arrayType: VariantArrayType[spec.arrayType ?? "Scalar"],
      value: spec.value === "NaN" ? Number.NaN : spec.value,
    }),
    statusCode: spec.infoBits ? StatusCode.makeStatusCode(base, spec.infoBits) : base,
    sourceTimestamp: spec.sourceTimestamp ? new Date(spec.sourceTimestamp) : null,
    serverTimestamp: spec.serverTimestamp ? new Date(spec.serverTimestamp) : null,
  });
  const stream = new BinaryStream(sent.binaryStoreSize());
  sent.encode(stream);
  const received = new DataValue();
  received.decode(new BinaryStream(stream.buffer));
  return received;
}

describe("opcua data-value test cases", () => {
  it("has cases", () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases)("%s", (name) => {
    const overrides = existsSync(join(root, name, "point.json")) ? read(name, "point.json") : {};
    const point = opcuaPointSchema.parse({ name: "P", metric: "m", nodeId: "ns=1;s=P", ...overrides });
    const result = readingFromDataValue(point, onTheWire(read(name, "data-value.json")));
    const expected = read(name, "expected.json");
    if ("reading" in expected) expect(result).toEqual({ ok: true, reading: expected.reading });
    else expect(result).toEqual({ ok: false, ...expected.error });
  });
});
