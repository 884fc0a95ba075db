import type { Finding } from "../problem.ts";
import { entryPathOf, type ResolvedDevice } from "../resolve-device.ts";
import type { TemplateLibrary } from "../templates/device-template.ts";

export type Json = Record<string, unknown>;

/** One device of the profile: as written, and resolved (template applied). */
export interface DeviceView {
  /** Index in the profile's `devices`. */
  index: number;
  entry: Json;
  resolved: ResolvedDevice;
}

/** What every cross-field check reads; checks tolerate values of the wrong type (the schema reports those). */
export interface CheckContext {
  profile: Json;
  devices: readonly DeviceView[];
  templates: TemplateLibrary;
}

export type ProfileCheck = (context: CheckContext) => Finding[];

export const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A finding about a path of a device's resolved configuration, placed where the profile writes it. */
export function deviceFinding(device: DeviceView, finding: Finding): Finding {
  const { raw, pointOrigins, template } = device.resolved;
  const mapped = entryPathOf(finding.path, raw ?? {}, pointOrigins, template);
  const message = mapped.note === undefined ? finding.message : `${mapped.note}: ${finding.message}`;
  return { ...finding, path: ["devices", device.index, ...mapped.path], message };
}

/** The resolved points of a device, each with its index, as far as they are mappings. */
export function pointsOf(device: DeviceView): Array<{ index: number; point: Json }> {
  const points = device.resolved.raw?.points;
  if (!Array.isArray(points)) return [];
  return points.flatMap((point, index) => (isRecord(point) ? [{ index, point }] : []));
}
