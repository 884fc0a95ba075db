import { metricsOf } from "../device-metrics.ts";
import { closestMatch } from "../did-you-mean.ts";
import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

/** Devices and their metrics, from the devices that resolved; ids of broken ones are known without metrics. */
function knownDevices(context: CheckContext): Map<string, Set<string> | undefined> {
  const known = new Map<string, Set<string> | undefined>();
  for (const { resolved } of context.devices) {
    if (resolved.config !== undefined) {
      for (const [device, metrics] of metricsOf(resolved.config)) {
        known.set(device, new Set([...(known.get(device) ?? []), ...metrics]));
      }
    } else if (typeof resolved.raw?.id === "string" && !known.has(resolved.raw.id)) {
      known.set(resolved.raw.id, undefined);
    }
  }
  return known;
}

/** Receivers (HJ 212, SL 651) by id, with the device ids of their stations. */
function receiverStations(context: CheckContext): Map<string, string[]> {
  const receivers = new Map<string, string[]>();
  for (const { resolved } of context.devices) {
    const config = resolved.config;
    if (config?.type === "hj212" || config?.type === "sl651") {
      receivers.set(
        config.id,
        config.stations.map((s) => s.device),
      );
    }
  }
  return receivers;
}

function listed(names: Iterable<string>, max = 8): string {
  const all = [...names];
  return all.length <= max ? all.join(", ") : `${all.slice(0, max).join(", ")}, … (${all.length} in all)`;
}

/** A rule must name a device of this profile and a metric that device produces; one rule of a kind per metric. */
export function checkRules(context: CheckContext): Finding[] {
  const rules = context.profile.rules;
  if (!Array.isArray(rules)) return [];
  const known = knownDevices(context);
  const receivers = receiverStations(context);
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  rules.forEach((rule, j) => {
    if (!isRecord(rule) || typeof rule.device !== "string" || typeof rule.metric !== "string") return;
    const stations = receivers.get(rule.device);
    if (!known.has(rule.device) && stations !== undefined) {
      findings.push({
        severity: "error",
        code: "PROFILE_RULE_UNKNOWN_DEVICE",
        path: ["rules", j, "device"],
        message: `expected a device with readings, found receiver ${JSON.stringify(rule.device)} (its readings carry its stations' device ids)`,
        hint: `its stations: ${listed(stations)}`,
      });
      return;
    }
    if (!known.has(rule.device)) {
      const guess = closestMatch(rule.device, known.keys());
      findings.push({
        severity: "error",
        code: "PROFILE_RULE_UNKNOWN_DEVICE",
        path: ["rules", j, "device"],
        message: `expected the id of a device of this profile, found ${JSON.stringify(rule.device)}`,
        hint: guess === undefined ? `devices: ${listed(known.keys())}` : `did you mean "${guess}"?`,
      });
      return;
    }
    const metrics = known.get(rule.device);
    if (metrics !== undefined && !metrics.has(rule.metric)) {
      const guess = closestMatch(rule.metric, metrics);
      findings.push({
        severity: "error",
        code: "PROFILE_RULE_UNKNOWN_METRIC",
        path: ["rules", j, "metric"],
        message: `expected a metric of device ${rule.device}, found ${JSON.stringify(rule.metric)}`,
        hint: guess === undefined ? `its metrics: ${listed(metrics)}` : `did you mean "${guess}"?`,
      });
    }
    const key = `${String(rule.kind)} ${rule.device} ${rule.metric}`;
    const first = seen.get(key);
    if (first !== undefined) {
      findings.push({
        severity: "error",
        code: "PROFILE_RULE_DUPLICATE",
        path: ["rules", j],
        message: `expected one ${String(rule.kind)} rule for ${rule.device}/${rule.metric}, found another (first at ${formatKeyPath(["rules", first])})`,
      });
    } else {
      seen.set(key, j);
    }
  });
  return findings;
}
