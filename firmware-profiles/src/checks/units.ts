import { HJ212_BUILTIN_FACTORS } from "@lifeline/contracts";
import { closestMatch } from "../did-you-mean.ts";
import type { Finding } from "../problem.ts";
import { SL651_ELEMENT_METRICS } from "../sl651-elements.ts";
import { conversion, UNITS, unitsOf } from "../unit-table.ts";
import { type CheckContext, type DeviceView, deviceFinding, isRecord, type Json, pointsOf } from "./check-context.ts";

interface Scaled {
  unit: string;
  scale: number;
  offset: number;
}

const num = (v: unknown, fallback: number) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const article = (dimension: string) => (/^[aeiou]/.test(dimension) ? "an" : "a");

/**
 * A unit that contradicts the reference (the template's, or the protocol table's):
 * - another dimension (pm10 in "m") is an error;
 * - a unit the table does not know is a warning (a typo such as "mg/m³" would otherwise pass);
 * - the same dimension (mg/m3 → ug/m3) is fine when `scales` is false (HJ 212 labels values, the
 *   logger decides the unit) or when scale and offset convert; otherwise a warning: the agent
 *   never converts, so the label would be off by the factor unless the device itself changed.
 */
function compareUnits(
  reference: Scaled,
  actual: Scaled,
  source: string,
  scales: boolean,
): Omit<Finding, "path"> | undefined {
  if (reference.unit === actual.unit || reference.unit === "") return undefined;
  const ref = UNITS.get(reference.unit);
  if (ref === undefined) return undefined;
  const known = unitsOf(ref.dimension);
  const got = UNITS.get(actual.unit);
  if (got === undefined) {
    const guess = closestMatch(actual.unit, known);
    return {
      severity: "warning",
      code: "PROFILE_UNIT_UNKNOWN",
      message: `expected a unit of ${ref.dimension} (${known.join(", ")}) like ${source} ${JSON.stringify(reference.unit)}, found ${JSON.stringify(actual.unit)}, which the checker does not know`,
      ...(guess === undefined ? {} : { hint: `did you mean "${guess}"?` }),
    };
  }
  if (got.dimension !== ref.dimension) {
    return {
      severity: "error",
      code: "PROFILE_UNIT_DIMENSION",
      message: `expected a unit of ${ref.dimension} like ${source} ${JSON.stringify(reference.unit)}, found ${JSON.stringify(actual.unit)} (${article(got.dimension)} ${got.dimension})`,
      hint: `units of ${ref.dimension}: ${known.join(", ")}`,
    };
  }
  if (!scales) return undefined;
  const c = conversion(reference.unit, actual.unit) as { scale: number; offset: number };
  const scale = reference.scale * c.scale;
  const offset = reference.offset * c.scale + c.offset;
  if (close(scale, actual.scale) && close(offset, actual.offset)) return undefined;
  const needs =
    c.offset === 0
      ? `scale: ${+scale.toPrecision(12)}`
      : `scale: ${+scale.toPrecision(12)} and offset: ${+offset.toPrecision(12)}`;
  return {
    severity: "warning",
    code: "PROFILE_UNIT_NOT_CONVERTED",
    message: `expected ${needs} to convert ${JSON.stringify(reference.unit)} (${source}) to ${JSON.stringify(actual.unit)}, found scale: ${actual.scale}${c.offset === 0 ? "" : ` and offset: ${actual.offset}`}`,
    hint: `the agent does not convert units; keep ${JSON.stringify(actual.unit)} only if the device itself was set to send it`,
  };
}

const scaled = (p: Json | undefined, fallbackUnit = ""): Scaled => ({
  unit: typeof p?.unit === "string" ? p.unit : fallbackUnit,
  scale: num(p?.scale, 1),
  offset: num(p?.offset, 0),
});

/** Units of template points, HJ 212 factors and SL 651 elements that a profile changed, checked against what they were. */
export function checkUnits(context: CheckContext): Finding[] {
  return context.devices.flatMap((device) => {
    const type = device.resolved.raw?.type;
    if (type === "modbus" || type === "opcua") return pointUnits(context, device);
    if (type === "hj212") return stationUnits(context, device, "factors", false);
    if (type === "sl651") return stationUnits(context, device, "elements", true);
    return [];
  });
}

function pointUnits(context: CheckContext, device: DeviceView): Finding[] {
  const template = device.resolved.template === undefined ? undefined : context.templates.get(device.resolved.template);
  const patches = device.entry.points;
  if (template === undefined || !Array.isArray(patches)) return [];
  const removed = new Set(Array.isArray(device.entry.remove) ? device.entry.remove : []);
  const templatePoints = (template.device.points as Json[] | undefined) ?? [];
  return pointsOf(device).flatMap(({ index, point }) => {
    const origin = device.resolved.pointOrigins[index];
    const patch = origin === undefined ? undefined : patches[origin];
    if (!isRecord(patch) || typeof patch.unit !== "string" || removed.has(point.name)) return [];
    const reference = templatePoints.find((p) => p.name === point.name);
    if (reference === undefined) return [];
    const problem = compareUnits(scaled(reference), scaled(point), `the template's`, true);
    return problem === undefined ? [] : [deviceFinding(device, { ...problem, path: ["points", index, "unit"] })];
  });
}

function stationUnits(
  context: CheckContext,
  device: DeviceView,
  key: "factors" | "elements",
  scales: boolean,
): Finding[] {
  const template = device.resolved.template === undefined ? undefined : context.templates.get(device.resolved.template);
  const templateMap = isRecord(template?.station?.[key]) ? (template.station[key] as Json) : {};
  const stations = device.resolved.raw?.stations;
  if (!Array.isArray(stations)) return [];
  return stations.flatMap((station, k) => {
    const map = isRecord(station) ? station[key] : undefined;
    if (!isRecord(map)) return [];
    return Object.entries(map).flatMap(([id, mapping]) => {
      if (!isRecord(mapping) || typeof mapping.unit !== "string") return [];
      const fromTemplate = isRecord(templateMap[id]) ? (templateMap[id] as Json) : undefined;
      const table = key === "factors" ? HJ212_BUILTIN_FACTORS[id] : SL651_ELEMENT_METRICS[id.toUpperCase()];
      const reference = fromTemplate?.unit !== undefined ? fromTemplate : table;
      if (reference === undefined) return [];
      const source =
        reference === table ? (key === "factors" ? "the HJ 212 table's" : "the SL 651 table's") : "the template's";
      const problem = compareUnits(scaled(reference as Json), scaled(mapping), source, scales);
      return problem === undefined
        ? []
        : [deviceFinding(device, { ...problem, path: ["stations", k, key, id, "unit"] })];
    });
  });
}
