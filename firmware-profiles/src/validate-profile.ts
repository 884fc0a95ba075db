import { DEVICE_TYPES, UTC_OFFSET_PATTERN } from "@lifeline/contracts";
import { checkAlertRules } from "./checks/alert-rules.ts";
import type { CheckContext, DeviceView, ProfileCheck } from "./checks/check-context.ts";
import { checkDuplicateDeviceIds } from "./checks/device-ids.ts";
import { checkListenPorts } from "./checks/listen-ports.ts";
import { checkSharedLines } from "./checks/modbus-lines.ts";
import {
  checkAddressRange,
  checkDatatypeFit,
  checkRegisterNotation,
  checkRegisterOverlap,
} from "./checks/modbus-registers.ts";
import { checkJournalSync, checkOpcuaTrust } from "./checks/operational.ts";
import { checkDuplicatePointNames } from "./checks/point-names.ts";
import { checkRules } from "./checks/rules.ts";
import { checkStationAddresses } from "./checks/station-addresses.ts";
import { checkUnits } from "./checks/units.ts";
import { deviceTypesWithKey } from "./device-entry-schema.ts";
import { checkFormatVersion, PROFILE_FORMAT } from "./format-version.ts";
import { type Finding, formatKeyPath, formatProblem, locate, type Problem, sortProblems } from "./problem.ts";
import { profileSchema, type ResolvedProfile, resolvedProfileSchema } from "./profile-schema.ts";
import { resolveDeviceEntry } from "./resolve-device.ts";
import type { TemplateLibrary } from "./templates/device-template.ts";
import { builtinTemplates } from "./templates/template-library.ts";
import { YamlSource } from "./yaml-source.ts";
import { findingsFromIssues } from "./zod-findings.ts";

/** The cross-field rules, in the order their problems are listed at one place. */
export const PROFILE_CHECKS: readonly ProfileCheck[] = [
  checkDuplicateDeviceIds,
  checkDuplicatePointNames,
  checkStationAddresses,
  checkRegisterOverlap,
  checkAddressRange,
  checkDatatypeFit,
  checkRegisterNotation,
  checkUnits,
  checkListenPorts,
  checkSharedLines,
  checkRules,
  checkAlertRules,
  checkJournalSync,
  checkOpcuaTrust,
];

export interface ValidateOptions {
  /** Templates `template:` may name; the built-in library by default. */
  templates?: TemplateLibrary;
}

export interface ValidationResult {
  /** The profile with templates applied and defaults filled in; present when there is no error. */
  profile?: ResolvedProfile;
  /** Every problem found, in file order. */
  problems: Problem[];
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks a profile and reports every problem at once, each with its place in the file: YAML
 * syntax, the format version, the schema (with templates applied), and the cross-field rules.
 */
export function validateProfile(text: string, file: string, options: ValidateOptions = {}): ValidationResult {
  const source = new YamlSource(file, text);
  const syntax = source.problems.map((p) =>
    locate(
      { severity: p.severity, code: "PROFILE_YAML_SYNTAX", path: [], message: `YAML: ${p.message}` },
      file,
      p.position,
    ),
  );
  if (source.value === undefined) return { problems: sortProblems(syntax) };
  if (source.value === null)
    return { problems: sortProblems([...syntax, locate(EMPTY, file, { line: 1, column: 1 })]) };
  const format = formatFinding(isRecord(source.value) ? source.value.format : undefined);
  if (format?.code === "PROFILE_FORMAT_UNSUPPORTED") {
    return { problems: sortProblems([...syntax, locate(format, file, source.positionOf(format.path))]) };
  }
  const templates = options.templates ?? builtinTemplates();
  let run = checkProfile(source.value, templates);
  if (format?.code === "PROFILE_FORMAT_NEWER") run = ignoreNewerKeys(source.value, run, templates);
  const findings = format === undefined ? run.findings : [format, ...run.findings];
  const problems = dedupe(
    sortProblems([...syntax, ...findings.map((f) => locate(f, file, source.positionOf(f.path)))]),
  );
  const result: ValidationResult = { problems };
  if (run.profile !== undefined && problems.every((p) => p.severity !== "error")) result.profile = run.profile;
  return result;
}

const EMPTY: Finding = {
  severity: "error",
  code: "PROFILE_EMPTY",
  path: [],
  message: "expected a mapping with format, site, gateway, uplink and devices, found an empty document",
};

interface CheckRun {
  findings: Finding[];
  profile?: ResolvedProfile;
}

/** Keys a newer minor version added are ignored with a warning, as the format promises: checked again without them. */
function ignoreNewerKeys(value: unknown, run: CheckRun, templates: TemplateLibrary): CheckRun {
  const unknown = run.findings.filter((f) => f.code === "PROFILE_UNKNOWN_KEY" && f.path.length > 0);
  if (unknown.length === 0) return run;
  const again = checkProfile(
    withoutPaths(
      value,
      unknown.map((f) => f.path),
    ),
    templates,
  );
  const format = String((value as Json).format);
  again.findings.push(
    ...unknown.map(
      (f): Finding => ({ ...f, severity: "warning", hint: `format ${format} may define it; this build ignores it` }),
    ),
  );
  return again;
}

function checkProfile(value: unknown, templates: TemplateLibrary): CheckRun {
  const parsed = profileSchema.safeParse(value);
  const schemaFindings = parsed.success
    ? []
    : findingsFromIssues(parsed.error.issues, profileSchema, value).filter((f) => f.path[0] !== "format");
  const profile = isRecord(value) ? value : {};
  const site = isRecord(profile.site) ? profile.site : {};
  const timezone =
    typeof site.timezone === "string" && UTC_OFFSET_PATTERN.test(site.timezone) ? site.timezone : undefined;
  const entries = Array.isArray(profile.devices) ? profile.devices : [];
  const devices: DeviceView[] = entries.map((entry, index) => ({
    index,
    entry: isRecord(entry) ? entry : {},
    resolved: resolveDeviceEntry(entry, templates, timezone),
  }));
  const deviceFindings = devices.flatMap((d) =>
    d.resolved.findings.map((f) => ({ ...f, path: ["devices", d.index, ...f.path] })),
  );
  const context: CheckContext = { profile, devices, templates };
  const checkFindings = PROFILE_CHECKS.flatMap((check) => check(context));
  const all = [...kindless(entries, schemaFindings), ...deviceFindings, ...checkFindings].map((f) =>
    withKeyHint(f, devices),
  );
  // A schema refinement (a contract's superRefine) and a more specific finding about the same key
  // are one mistake: keep the specific words.
  const specific = new Set(all.filter((f) => f.code !== "PROFILE_INVALID").map((f) => formatKeyPath(f.path)));
  const findings = all.filter((f) => f.code !== "PROFILE_INVALID" || !specific.has(formatKeyPath(f.path)));
  if (!parsed.success || devices.some((d) => d.resolved.config === undefined)) return { findings };
  const resolved = resolvedProfileSchema.safeParse({
    ...parsed.data,
    devices: devices.map((d) => d.resolved.config),
  });
  return resolved.success ? { findings, profile: resolved.data } : { findings };
}

function formatFinding(format: unknown): Finding | undefined {
  const check = checkFormatVersion(format);
  if (check.ok) {
    if (check.warning === undefined) return undefined;
    return {
      severity: "warning",
      code: "PROFILE_FORMAT_NEWER",
      path: ["format"],
      message: `expected format ${PROFILE_FORMAT} or older, found ${JSON.stringify(format)}: keys it added are ignored`,
    };
  }
  const found = format === undefined ? "nothing" : JSON.stringify(format);
  if (check.error.code === "PROFILE_FORMAT_UNSUPPORTED") {
    const major = PROFILE_FORMAT.split(".")[0];
    return {
      severity: "error",
      code: "PROFILE_FORMAT_UNSUPPORTED",
      path: ["format"],
      message: `expected format ${major}.x (this build reads up to ${PROFILE_FORMAT}), found ${found}`,
      hint: "a newer Lifeline wrote this profile; validate it with that version",
    };
  }
  return {
    severity: "error",
    code: check.error.code,
    path: ["format"],
    message: `expected "MAJOR.MINOR" such as "${PROFILE_FORMAT}", found ${found}`,
  };
}

/**
 * A device entry with neither `type` nor `template` cannot be checked key by key (it is not known
 * what it is): one finding replaces the schema's guesses.
 */
function kindless(entries: readonly unknown[], findings: Finding[]): Finding[] {
  const untyped = new Set(
    entries.flatMap((e, i) => (isRecord(e) && e.type === undefined && e.template === undefined ? [i] : [])),
  );
  if (untyped.size === 0) return findings;
  return [
    ...findings.filter((f) => !(f.path[0] === "devices" && untyped.has(f.path[1] as number))),
    ...[...untyped].map(
      (i): Finding => ({
        severity: "error",
        code: "PROFILE_DEVICE_KIND_MISSING",
        path: ["devices", i],
        message: `expected type (${DEVICE_TYPES.map((t) => JSON.stringify(t)).join(", ")}) or template, found neither`,
        hint: "start from a template, e.g. template: dust-monitor-modbus, or write a complete configuration with its type",
      }),
    ),
  ];
}

/** An unknown key of a device that belongs to another device type says so. */
function withKeyHint(f: Finding, devices: readonly DeviceView[]): Finding {
  const [root, index, key] = f.path;
  if (f.code !== "PROFILE_UNKNOWN_KEY" || root !== "devices" || f.path.length !== 3 || typeof key !== "string")
    return f;
  const owners = deviceTypesWithKey(key);
  const type = devices[index as number]?.resolved.raw?.type ?? devices[index as number]?.entry.type;
  if (owners.length === 0 || typeof type !== "string" || owners.includes(type)) return f;
  return { ...f, hint: `${key} belongs to ${owners.join(" and ")} devices; this one is ${type}` };
}

function withoutPaths(value: unknown, paths: ReadonlyArray<readonly PropertyKey[]>): unknown {
  const copy = structuredClone(value);
  for (const path of paths) {
    let node: unknown = copy;
    for (const key of path.slice(0, -1)) node = (node as Record<PropertyKey, unknown> | undefined)?.[key as string];
    if (isRecord(node)) delete node[String(path.at(-1))];
  }
  return copy;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const line = formatProblem(p);
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}
