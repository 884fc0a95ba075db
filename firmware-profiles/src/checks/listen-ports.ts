import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

const ANY_HOST = new Set(["0.0.0.0", "::", ""]);

/** Two receivers cannot listen on one port of one address; 0.0.0.0 takes the port on every address. Port 0 is any free port. */
export function checkListenPorts(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  const taken: Array<{ host: string; port: number; path: PropertyKey[] }> = [];
  for (const device of context.devices) {
    const listen = device.resolved.raw?.listen;
    if (!isRecord(listen) || typeof listen.port !== "number" || listen.port === 0) continue;
    const host = typeof listen.host === "string" ? listen.host : "0.0.0.0";
    const path = ["devices", device.index, "listen", "port"];
    const clash = taken.find(
      (t) => t.port === listen.port && (t.host === host || ANY_HOST.has(t.host) || ANY_HOST.has(host)),
    );
    if (clash !== undefined) {
      findings.push({
        severity: "error",
        code: "PROFILE_DUPLICATE_LISTEN_PORT",
        path,
        message: `expected a port no other receiver listens on, found ${host}:${listen.port} (taken by ${formatKeyPath(clash.path.slice(0, 2))} on ${clash.host}:${clash.port})`,
      });
    }
    taken.push({ host, port: listen.port, path });
  }
  return findings;
}
