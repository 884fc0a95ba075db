import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, type DeviceView, isRecord, type Json } from "./check-context.ts";

const SERIAL_DEFAULTS: Readonly<Record<string, unknown>> = {
  baudRate: 9_600,
  parity: "none",
  dataBits: 8,
  stopBits: 1,
};

/** The line a Modbus device is on: a serial port, or a TCP endpoint (the agent shares one connection per line). */
function lineOf(connection: Json): string | undefined {
  const transport = connection.transport ?? "tcp";
  if (transport === "rtu") return typeof connection.path === "string" ? `serial ${connection.path}` : undefined;
  if (typeof connection.host !== "string") return undefined;
  return `${connection.host}:${typeof connection.port === "number" ? connection.port : 502}`;
}

/**
 * Devices on one line: a serial line has one speed and framing for all of them, one TCP endpoint
 * one transport; two devices answering as the same unit are usually one device entered twice.
 */
export function checkSharedLines(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const lines = new Map<string, Array<{ device: DeviceView; connection: Json }>>();
  for (const device of context.devices) {
    const connection = device.resolved.raw?.type === "modbus" ? device.resolved.raw.connection : undefined;
    if (!isRecord(connection)) continue;
    const line = lineOf(connection);
    if (line === undefined) continue;
    const earlier = lines.get(line) ?? [];
    const at = (key: string) => ["devices", device.index, "connection", key];
    const where = (d: DeviceView) => formatKeyPath(["devices", d.index]);
    const first = earlier[0];
    if (first !== undefined) {
      const keys = line.startsWith("serial ") ? Object.keys(SERIAL_DEFAULTS) : ["transport"];
      for (const key of keys) {
        const want = first.connection[key] ?? SERIAL_DEFAULTS[key] ?? "tcp";
        const got = connection[key] ?? SERIAL_DEFAULTS[key] ?? "tcp";
        if (want === got) continue;
        findings.push({
          severity: "error",
          code: "PROFILE_SHARED_LINE",
          path: at(key),
          message: `expected ${key} ${JSON.stringify(want)} like ${where(first.device)} on ${line}, found ${JSON.stringify(got)}`,
          hint: line.startsWith("serial ")
            ? "all devices on one serial line use its speed and framing"
            : "one TCP endpoint speaks one transport",
        });
      }
      const unit = connection.unitId ?? 1;
      const twin = earlier.find((e) => (e.connection.unitId ?? 1) === unit);
      if (twin !== undefined) {
        findings.push({
          severity: "warning",
          code: "PROFILE_DUPLICATE_UNIT",
          path: at("unitId"),
          message: `expected a unit id no other device on ${line} uses, found ${JSON.stringify(unit)} (also ${where(twin.device)})`,
          hint: "if both are one device, merge their points into one entry",
        });
      }
    }
    lines.set(line, [...earlier, { device, connection }]);
  }
  return findings;
}
