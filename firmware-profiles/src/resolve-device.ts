import { type DeviceConfig, deviceConfigSchema } from "@lifeline/contracts";
import { closestMatch } from "./did-you-mean.ts";
import type { Finding } from "./problem.ts";
import type { TemplateLibrary } from "./templates/device-template.ts";
import { applyTemplate, deepMerge } from "./templates/template-merge.ts";
import { findingsFromIssues } from "./zod-findings.ts";

type Json = Record<string, unknown>;

/** One device entry of a profile, with its template applied and checked against its type's schema. */
export interface ResolvedDevice {
  /** The merged configuration before parsing (what the cross-field checks read); undefined if it cannot be built. */
  raw?: Json;
  /** The parsed configuration, when it is valid. */
  config?: DeviceConfig;
  /** For each point of `raw.points`, the index of the entry's own point it comes from (templates patch by name). */
  pointOrigins: Array<number | undefined>;
  template?: string;
  /** Problems of templated entries, with paths relative to the entry (a plain entry's are the profile schema's). */
  findings: Finding[];
}

const RECEIVER_TYPES = new Set(["hj212", "sl651"]);

/**
 * Resolves a device entry: a plain configuration is taken as it is, a templated one is merged
 * (see applyTemplate). Receivers without a timezone of their own get `siteTimezone`.
 */
export function resolveDeviceEntry(entry: unknown, templates: TemplateLibrary, siteTimezone?: string): ResolvedDevice {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return { pointOrigins: [], findings: [] };
  const e = entry as Json;
  if (e.template === undefined) {
    const defaults = siteTimezone !== undefined && RECEIVER_TYPES.has(String(e.type)) ? { timezone: siteTimezone } : {};
    const raw = deepMerge(defaults, e) as Json;
    const parsed = deviceConfigSchema.safeParse(raw);
    const origins = Array.isArray(e.points) ? e.points.map((_, j) => j) : [];
    return parsed.success
      ? { raw, config: parsed.data, pointOrigins: origins, findings: [] }
      : { raw, pointOrigins: origins, findings: [] };
  }
  if (typeof e.template !== "string") return { pointOrigins: [], findings: [] };
  const template = templates.get(e.template);
  if (template === undefined) return { pointOrigins: [], findings: [unknownTemplate(e.template, templates)] };
  const defaults = siteTimezone !== undefined && RECEIVER_TYPES.has(template.type) ? { timezone: siteTimezone } : {};
  const applied = applyTemplate(template, e, defaults);
  const parsed = deviceConfigSchema.safeParse(applied.device);
  const findings = [...applied.findings];
  if (!parsed.success) {
    for (const finding of findingsFromIssues(parsed.error.issues, deviceConfigSchema, applied.device)) {
      findings.push(toEntryPath(finding, applied.device, applied.pointOrigins, template.name));
    }
  }
  const resolved: ResolvedDevice = {
    raw: applied.device,
    pointOrigins: applied.pointOrigins,
    template: template.name,
    findings,
  };
  if (parsed.success) resolved.config = parsed.data;
  return resolved;
}

function unknownTemplate(name: string, templates: TemplateLibrary): Finding {
  const guess = closestMatch(name, templates.keys());
  return {
    severity: "error",
    code: "PROFILE_UNKNOWN_TEMPLATE",
    path: ["template"],
    message: `expected the name of a template, found ${JSON.stringify(name)}`,
    hint: guess === undefined ? `templates: ${[...templates.keys()].join(", ")}` : `did you mean template "${guess}"?`,
  };
}

/**
 * Where a path of the merged device is written in the entry: points are matched through their
 * origin; a point only the template has is reported at `template`, with a note naming the point.
 */
export function entryPathOf(
  path: readonly PropertyKey[],
  device: Json,
  origins: ReadonlyArray<number | undefined>,
  template: string | undefined,
): { path: PropertyKey[]; note?: string } {
  const [head, index, ...rest] = path;
  if (template === undefined || head !== "points" || typeof index !== "number") return { path: [...path] };
  const origin = origins[index];
  if (origin !== undefined) return { path: ["points", origin, ...rest] };
  const point = (device.points as Json[] | undefined)?.[index];
  const key = rest.length > 0 ? ` ${rest.join(".")}` : "";
  return { path: ["template"], note: `template ${template} point ${JSON.stringify(point?.name)}${key}` };
}

function toEntryPath(
  finding: Finding,
  device: Json,
  origins: ReadonlyArray<number | undefined>,
  template: string,
): Finding {
  const { path, note } = entryPathOf(finding.path, device, origins, template);
  return note === undefined ? { ...finding, path } : { ...finding, path, message: `${note}: ${finding.message}` };
}
