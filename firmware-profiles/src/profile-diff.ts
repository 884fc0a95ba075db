import type { DeviceConfig } from "@lifeline/contracts";
import { canonicalJson } from "./canonical-json.ts";
import type { ResolvedProfile } from "./profile-schema.ts";
import type { EdgeRule } from "./rule-schema.ts";

export type ChangeKind = "added" | "removed" | "changed";

/**
 * One difference between two resolved profiles. `subject` names what changed: a section (`uplink`),
 * a device (`dust-01`), a point (`dust-01.PM10`), a receiver's station (`hj212-rx.dust-03`) or a
 * rule (`range dust-01/pm10`); `field` the key inside it (`scale`, `connection.port`).
 */
export interface ProfileChange {
  kind: ChangeKind;
  scope: "profile" | "device" | "point" | "station" | "rule" | "alert";
  subject: string;
  field?: string;
  from?: unknown;
  to?: unknown;
}

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Leaves of a value by dotted path; lists are leaves (compared whole). */
function leaves(value: unknown, prefix = "", out = new Map<string, unknown>()): Map<string, unknown> {
  if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix === "" ? key : `${prefix}.${key}`, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

function fieldChanges(scope: ProfileChange["scope"], subject: string, a: unknown, b: unknown): ProfileChange[] {
  const before = leaves(a);
  const after = leaves(b);
  const fields = [...new Set([...before.keys(), ...after.keys()])];
  return fields.flatMap((field) => {
    const from = before.get(field);
    const to = after.get(field);
    if (from !== undefined && to !== undefined && canonicalJson(from) === canonicalJson(to)) return [];
    const change: ProfileChange = { kind: "changed", scope, subject };
    if (field !== "") change.field = field;
    if (from !== undefined) change.from = from;
    if (to !== undefined) change.to = to;
    return [change];
  });
}

/** Items of two lists matched by key: in `b`'s order, then those only `a` has. */
function matchBy<T>(
  a: readonly T[],
  b: readonly T[],
  key: (item: T) => string,
): Array<[string, T | undefined, T | undefined]> {
  const before = new Map(a.map((item) => [key(item), item]));
  const after = new Map(b.map((item) => [key(item), item]));
  return [
    ...[...after].map(([k, item]): [string, T | undefined, T | undefined] => [k, before.get(k), item]),
    ...[...before]
      .filter(([k]) => !after.has(k))
      .map(([k, item]): [string, T | undefined, T | undefined] => [k, item, undefined]),
  ];
}

const without = (value: object, ...keys: string[]) =>
  Object.fromEntries(Object.entries(value).filter(([k]) => !keys.includes(k)));

/** The items of a device that are diffed one by one: points by name, or stations by device id. */
function itemsOf(device: DeviceConfig): { scope: "point" | "station"; items: Json[]; key: (item: Json) => string } {
  if (device.type === "modbus" || device.type === "opcua") {
    return { scope: "point", items: device.points as Json[], key: (p) => String(p.name) };
  }
  if (device.type === "sl651" || device.type === "hj212") {
    return { scope: "station", items: device.stations as Json[], key: (s) => String(s.device) };
  }
  // Cameras and drones have neither: their whole entry is diffed as settings.
  return { scope: "point", items: [], key: (p) => String(p.name) };
}

function deviceChanges(a: DeviceConfig | undefined, b: DeviceConfig | undefined, id: string): ProfileChange[] {
  if (a === undefined || b === undefined || a.type !== b.type) {
    return [
      ...(a === undefined ? [] : [{ kind: "removed" as const, scope: "device" as const, subject: id, from: a }]),
      ...(b === undefined ? [] : [{ kind: "added" as const, scope: "device" as const, subject: id, to: b }]),
    ];
  }
  const changes = fieldChanges("device", id, without(a, "points", "stations"), without(b, "points", "stations"));
  const before = itemsOf(a);
  const after = itemsOf(b);
  for (const [key, x, y] of matchBy(before.items, after.items, after.key)) {
    const subject = `${id}.${key}`;
    if (x === undefined) changes.push({ kind: "added", scope: after.scope, subject, to: y });
    else if (y === undefined) changes.push({ kind: "removed", scope: after.scope, subject, from: x });
    else changes.push(...fieldChanges(after.scope, subject, x, y));
  }
  return changes;
}

const ruleKey = (r: EdgeRule) => `${r.kind} ${r.device}/${r.metric}`;

/**
 * What changed from `a` to `b`, by meaning rather than by line: sections field by field, devices
 * by id, their points by name (or stations by device), rules by kind, device and metric. Both
 * are resolved profiles, so a change in a template shows as the point changes it makes.
 */
export function diffProfiles(a: ResolvedProfile, b: ResolvedProfile): ProfileChange[] {
  const changes: ProfileChange[] = [];
  for (const section of ["format", "site", "gateway", "uplink"] as const) {
    changes.push(...fieldChanges("profile", section, a[section], b[section]));
  }
  for (const [id, x, y] of matchBy(a.devices, b.devices, (d) => d.id)) changes.push(...deviceChanges(x, y, id));
  for (const [key, x, y] of matchBy(a.rules, b.rules, ruleKey)) {
    if (x === undefined) changes.push({ kind: "added", scope: "rule", subject: key, to: y });
    else if (y === undefined) changes.push({ kind: "removed", scope: "rule", subject: key, from: x });
    else
      changes.push(
        ...fieldChanges("rule", key, without(x, "kind", "device", "metric"), without(y, "kind", "device", "metric")),
      );
  }
  for (const [id, x, y] of matchBy(a.alerts, b.alerts, (r) => r.id)) {
    if (x === undefined) changes.push({ kind: "added", scope: "alert", subject: id, to: y });
    else if (y === undefined) changes.push({ kind: "removed", scope: "alert", subject: id, from: x });
    else changes.push(...fieldChanges("alert", id, without(x, "id"), without(y, "id")));
  }
  changes.push(...fieldChanges("profile", "journal", a.journal, b.journal));
  return changes;
}

function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "number") return String(value);
  return canonicalJson(value);
}

function summary(change: ProfileChange): string {
  const item = (change.to ?? change.from) as Json;
  if (change.scope === "device") {
    const d = item as unknown as DeviceConfig;
    const { scope, items } = itemsOf(d);
    return ` (${d.type}, ${items.length} ${scope}${items.length === 1 ? "" : "s"})`;
  }
  if (change.scope === "point") return ` (${String(item.metric)}${item.unit ? `, ${String(item.unit)}` : ""})`;
  return "";
}

/**
 * One line per change:
 *   ~ dust-01.PM10: scale 1 → 0.001
 *   + point dust-02.Wind direction (wind_direction, deg)
 *   - device radar-02
 */
export function formatDiff(changes: readonly ProfileChange[]): string {
  return changes
    .map((c) => {
      if (c.kind === "changed") {
        const field = c.field === undefined ? "" : `${c.field} `;
        const what = c.scope === "rule" || c.scope === "alert" ? `${c.scope} ${c.subject}` : c.subject;
        return `~ ${what}: ${field}${formatValue(c.from)} → ${formatValue(c.to)}`;
      }
      const sign = c.kind === "added" ? "+" : "-";
      return `${sign} ${c.scope} ${c.subject}${c.kind === "added" ? summary(c) : ""}`;
    })
    .join("\n");
}
