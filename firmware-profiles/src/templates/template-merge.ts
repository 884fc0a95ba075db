import { closestMatch } from "../did-you-mean.ts";
import type { Finding } from "../problem.ts";
import type { DeviceTemplate } from "./device-template.ts";

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `override` over `base`: mappings merge key by key, anything else (lists included) replaces,
 * and `null` deletes what the base sets. Neither input is changed.
 */
export function deepMerge(base: unknown, override: unknown): unknown {
  if (override === undefined) return structuredClone(base);
  if (!isRecord(base) || !isRecord(override)) return structuredClone(override);
  const out: Json = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else out[key] = deepMerge(out[key], value);
  }
  return out;
}

/** A device entry with its template applied, before it is checked against its type's schema. */
export interface TemplateApplication {
  device: Json;
  /** For each point of `device.points`: the index of the entry's point it comes from, if any. */
  pointOrigins: Array<number | undefined>;
  /** Mistakes in using the template (paths relative to the entry). */
  findings: Finding[];
}

const ENTRY_ONLY = new Set(["template", "remove", "points", "stations", "type"]);

/**
 * Applies `template` to a profile's device `entry`: `defaults` (what the site implies), then the
 * template, then the entry's own keys. The entry's `remove` drops template points by name, then
 * its `points` patch template points of the same name (only the keys given) or add new ones; each
 * of its `stations` is merged over the template's station defaults.
 */
export function applyTemplate(template: DeviceTemplate, entry: Json, defaults: Json = {}): TemplateApplication {
  const findings: Finding[] = [];
  const overrides = Object.fromEntries(Object.entries(entry).filter(([key]) => !ENTRY_ONLY.has(key)));
  const device = deepMerge(deepMerge(defaults, template.device), overrides) as Json;
  device.type = template.device.type;
  let pointOrigins: Array<number | undefined> = [];
  const templatePoints = template.device.points;
  if (Array.isArray(templatePoints)) {
    const merged = mergePoints(template, templatePoints as Json[], entry, findings);
    device.points = merged.points;
    pointOrigins = merged.origins;
  } else {
    if (entry.points !== undefined) device.points = structuredClone(entry.points);
    if (Array.isArray(entry.points)) pointOrigins = entry.points.map((_, j) => j);
    if (entry.remove !== undefined) {
      findings.push({
        severity: "error",
        code: "PROFILE_TEMPLATE_REMOVE_UNKNOWN",
        path: ["remove"],
        message: `expected no remove: template ${template.name} has no points, found a list`,
      });
    }
  }
  if (Array.isArray(entry.stations)) {
    device.stations = entry.stations.map((station) => deepMerge(template.station ?? {}, station));
  }
  return { device, pointOrigins, findings };
}

function mergePoints(
  template: DeviceTemplate,
  templatePoints: readonly Json[],
  entry: Json,
  findings: Finding[],
): { points: Json[]; origins: Array<number | undefined> } {
  let points = templatePoints.map((p) => structuredClone(p));
  let origins: Array<number | undefined> = points.map(() => undefined);
  const names = templatePoints.map((p) => String(p.name));
  if (Array.isArray(entry.remove)) {
    entry.remove.forEach((name, k) => {
      const index = points.findIndex((p) => p.name === name);
      if (index >= 0) {
        points = points.filter((_, i) => i !== index);
        origins = origins.filter((_, i) => i !== index);
        return;
      }
      const guess = typeof name === "string" ? closestMatch(name, names) : undefined;
      const finding: Finding = {
        severity: "error",
        code: "PROFILE_TEMPLATE_REMOVE_UNKNOWN",
        path: ["remove", k],
        message: `expected the name of a point of template ${template.name}, found ${JSON.stringify(name)}`,
        hint: guess === undefined ? `its points: ${names.join(", ")}` : `did you mean "${guess}"?`,
      };
      findings.push(finding);
    });
  }
  if (Array.isArray(entry.points)) {
    entry.points.forEach((patch, j) => {
      if (!isRecord(patch)) return;
      const index = points.findIndex((p) => p.name === patch.name);
      const misspelt = typeof patch.name === "string" ? closestMatch(patch.name, names) : undefined;
      if (index >= 0) {
        points[index] = deepMerge(points[index], patch) as Json;
        origins[index] = j;
      } else if (patch.metric === undefined && misspelt !== undefined) {
        // A patch (no metric of its own) whose name is one slip away from a template point.
        findings.push({
          severity: "error",
          code: "PROFILE_TEMPLATE_POINT_UNKNOWN",
          path: ["points", j, "name"],
          message: `expected the name of a point of template ${template.name} to patch, found ${JSON.stringify(patch.name)}`,
          hint: `did you mean "${misspelt}"? A new point needs its metric and address too`,
        });
      } else {
        points.push(structuredClone(patch));
        origins.push(j);
      }
    });
  }
  return { points, origins };
}
