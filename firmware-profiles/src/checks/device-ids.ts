import { deviceIdsOf } from "@lifeline/contracts";
import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, type DeviceView, deviceFinding, isRecord } from "./check-context.ts";

/** Every id a device introduces (its own, its stations', its points' devices), with the key path of each. */
function idsOf(device: DeviceView): Array<[string, PropertyKey[]]> {
  const { config, raw } = device.resolved;
  if (config !== undefined) return deviceIdsOf(config);
  return typeof raw?.id === "string" ? [[raw.id, ["id"]]] : [];
}

/**
 * Device ids are subject tokens: two devices (or stations, or OPC UA points naming a device) with
 * one id would mix their readings — a station named like its own receiver included. The gateway's
 * own id is taken too: the agent reports on itself (journal loss) under it.
 */
export function checkDuplicateDeviceIds(context: CheckContext): Finding[] {
  const firstSeen = new Map<string, { device: DeviceView; path: PropertyKey[] }>();
  const findings: Finding[] = [];
  const gateway = isRecord(context.profile.gateway) ? context.profile.gateway.id : undefined;
  for (const device of context.devices) {
    for (const [id, path] of idsOf(device)) {
      if (id === gateway) {
        findings.push(
          deviceFinding(device, {
            severity: "error",
            code: "PROFILE_DEVICE_ID_IS_GATEWAY",
            path,
            message: `expected a device id other than the gateway's, found ${JSON.stringify(id)} (the agent reports on itself under the gateway id)`,
          }),
        );
        continue;
      }
      const first = firstSeen.get(id);
      if (first === undefined) {
        firstSeen.set(id, { device, path });
      } else {
        const where = deviceFinding(first.device, { severity: "error", code: "", path: first.path, message: "" });
        findings.push(
          deviceFinding(device, {
            severity: "error",
            code: "PROFILE_DUPLICATE_DEVICE_ID",
            path,
            message: `expected a device id not used before on this gateway, found ${JSON.stringify(id)} again (first at ${formatKeyPath(where.path)})`,
          }),
        );
      }
    }
  }
  return findings;
}
