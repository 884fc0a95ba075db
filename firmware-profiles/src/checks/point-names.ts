import { type Finding, formatKeyPath } from "../problem.ts";
import { type CheckContext, isRecord } from "./check-context.ts";

/**
 * Point names identify points in errors, diffs and template patches, so they are unique per device.
 * Read from the entry as written: with a template, two patches of one name are the mistake.
 */
export function checkDuplicatePointNames(context: CheckContext): Finding[] {
  const findings: Finding[] = [];
  for (const { index, entry } of context.devices) {
    if (!Array.isArray(entry.points)) continue;
    const first = new Map<string, number>();
    entry.points.forEach((point, j) => {
      if (!isRecord(point) || typeof point.name !== "string") return;
      const earlier = first.get(point.name);
      if (earlier === undefined) {
        first.set(point.name, j);
        return;
      }
      findings.push({
        severity: "error",
        code: "PROFILE_DUPLICATE_POINT_NAME",
        path: ["devices", index, "points", j, "name"],
        message: `expected a point name not used before in this device, found ${JSON.stringify(point.name)} again (first at ${formatKeyPath(["devices", index, "points", earlier])})`,
      });
    });
  }
  return findings;
}
