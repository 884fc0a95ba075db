import { describe, expect, it } from "vitest";
import { agentConfigSchema } from "../src/agent-config.ts";

const base = { site: "mine-7", gateway: "gw-01", uplink: { mqtt: { url: "mqtt://127.0.0.1:1883" } } };
const modbus = {
  id: "dust-01",
  type: "modbus",
  connection: { host: "127.0.0.1" },
  points: [{ name: "PM10", metric: "pm10", address: 0, datatype: "float32" }],
};

describe("agentConfigSchema", () => {
  it("accepts Modbus, HJ 212 and SL 651 devices side by side", () => {
    const config = agentConfigSchema.parse({
      ...base,
      devices: [
        modbus,
        {
          id: "hj212-rx",
          type: "hj212",
          listen: { port: 9212 },
          stations: [{ mn: "0101390000DUST0000000002", device: "dust-02" }],
        },
        {
          id: "sl651-rx",
          type: "sl651",
          listen: { port: 5001 },
          stations: [{ address: "0030700300", device: "river-03" }],
        },
      ],
    });
    expect(config.devices.map((d) => d.type)).toEqual(["modbus", "hj212", "sl651"]);
  });

  it("refuses a station device id that another adapter already uses, naming where", () => {
    const result = agentConfigSchema.safeParse({
      ...base,
      devices: [
        modbus,
        {
          id: "hj212-rx",
          type: "hj212",
          listen: { port: 9212 },
          stations: [{ mn: "0101390000DUST0000000002", device: "dust-01" }],
        },
      ],
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["devices.1.stations.0.device", "duplicate device id dust-01"],
    ]);
  });

  it("refuses an unknown adapter type", () => {
    const result = agentConfigSchema.safeParse({ ...base, devices: [{ ...modbus, type: "bacnet" }] });
    expect(result.error?.issues[0]?.path).toEqual(["devices", 0, "type"]);
  });
});
