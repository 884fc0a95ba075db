import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

/** The key a receiver knows a station by: the logger's MN (HJ 212 §6.3.2) or the RTU's address (SL 651 §6.5.2). */
const STATION_KEY: Readonly<Record<string, string>> = { hj212: "mn", sl651: "address" };
const LABEL: Readonly<Record<string, string>> = { mn: "an MN", address: "an address" };

/** Two stations of one receiver with one MN or address: the receiver could not tell their frames apart. */
export function checkStationAddresses(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const { index, resolved } of context.devices) {
    const key = STATION_KEY[String(resolved.raw?.type)];
    const stations = resolved.raw?.stations;
    if (key === undefined || !Array.isArray(stations)) continue;
    const first = new Map<string, number>();
    stations.forEach((station, k) => {
      const value = isRecord(station) ? station[key] : undefined;
      if (typeof value !== "string") return;
      // SL 651 addresses are hex: 00307458AB and 00307458ab are one station.
      const normal = key === "address" ? value.toUpperCase() : value;
      const earlier = first.get(normal);
      if (earlier === undefined) {
        first.set(normal, k);
        return;
      }
      findings.push({
        severity: "error",
        code: "PROFILE_DUPLICATE_STATION",
        path: ["devices", index, "stations", k, key],
        message: `expected ${LABEL[key]} no other station of this receiver has, found ${JSON.stringify(value)} again (first at ${formatKeyPath(["devices", index, "stations", earlier])})`,
      });
    });
  }
  return findings;
}
