import { metricsOf } from "../device-metrics.ts";
import { closestMatch } from "../did-you-mean.ts";
import type { Finding } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

/** Metrics a rule reads from the device itself (a model's score is produced by the stream processor). */
function deviceMetrics(rule: Record<string, unknown>): Array<{ path: (string | number)[]; metric: string }> {
  if (rule.kind === "model") return [];
  if (rule.kind === "combined") {
    const terms = Array.isArray(rule.all) ? ["all", rule.all] : Array.isArray(rule.any) ? ["any", rule.any] : [];
    const [list, items] = terms as [string, unknown[]];
    return (items ?? []).flatMap((t, i) =>
      isRecord(t) && typeof t.metric === "string" ? [{ path: [list, i, "metric"], metric: t.metric }] : [],
    );
  }
  return typeof rule.metric === "string" ? [{ path: ["metric"], metric: rule.metric }] : [];
}

/**
 * An alert rule of a profile is about this profile's site, names one of its devices (or `*`), and
 * reads metrics that device produces — a typo would otherwise be a rule that never fires.
 */
export function checkAlertRules(context: CheckContext): Finding[] {
  const alerts = context.profile.alerts;
  const site = isRecord(context.profile.site) ? context.profile.site.id : undefined;
  if (!Array.isArray(alerts)) return [];
  const known = new Map<string, Set<string>>();
  // Devices that did not resolve are known by id, without metrics (their own problems are reported).
  const broken = new Set<string>();
  for (const { resolved } of context.devices) {
    if (resolved.config === undefined) {
      if (typeof resolved.raw?.id === "string") broken.add(resolved.raw.id);
      continue;
    }
    for (const [device, metrics] of metricsOf(resolved.config)) {
      known.set(device, new Set([...(known.get(device) ?? []), ...metrics]));
    }
  }
  const findings: Finding[] = [];
  alerts.forEach((rule, j) => {
    if (!isRecord(rule)) return;
    if (typeof rule.site === "string" && typeof site === "string" && rule.site !== site) {
      findings.push({
        severity: "error",
        code: "PROFILE_ALERT_SITE",
        path: ["alerts", j, "site"],
        message: `expected the profile's site ${JSON.stringify(site)}, found ${JSON.stringify(rule.site)}`,
      });
    }
    if (typeof rule.device !== "string" || rule.device === "*" || broken.has(rule.device)) return;
    const metrics = known.get(rule.device);
    if (metrics === undefined) {
      const guess = closestMatch(rule.device, known.keys());
      findings.push({
        severity: "error",
        code: "PROFILE_ALERT_UNKNOWN_DEVICE",
        path: ["alerts", j, "device"],
        message: `expected the id of a device of this profile or "*", found ${JSON.stringify(rule.device)}`,
        ...(guess === undefined ? {} : { hint: `did you mean "${guess}"?` }),
      });
      return;
    }
    for (const { path, metric } of deviceMetrics(rule)) {
      if (metrics.has(metric)) continue;
      const guess = closestMatch(metric, metrics);
      findings.push({
        severity: "error",
        code: "PROFILE_ALERT_UNKNOWN_METRIC",
        path: ["alerts", j, ...path],
        message: `expected a metric of device ${rule.device}, found ${JSON.stringify(metric)}`,
        hint: guess === undefined ? `its metrics: ${[...metrics].join(", ")}` : `did you mean "${guess}"?`,
      });
    }
  });
  return findings;
}
