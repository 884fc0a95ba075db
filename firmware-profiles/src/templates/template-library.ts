import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LifelineError } from "@lifeline/contracts";
import { type Finding, formatProblem, locate, type Problem } from "../problem.ts";
import { resolveDeviceEntry } from "../resolve-device.ts";
import { YamlSource } from "../yaml-source.ts";
import { findingsFromIssues } from "../zod-findings.ts";
import { type DeviceTemplate, type TemplateLibrary, templateFileSchema } from "./device-template.ts";

/** The templates that come with this package (`firmware-profiles/templates/*.yaml`). */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/**
 * Reads every `*.yaml` in `dir` as a template. Each must match its file name and, merged with its
 * own `example`, be a valid device: a library that loads is one whose templates work.
 */
export function loadTemplateLibrary(dir: string): { templates: TemplateLibrary; problems: Problem[] } {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  const templates = new Map<string, DeviceTemplate>();
  const problems: Problem[] = [];
  const sources = new Map<string, YamlSource>();
  for (const file of files) {
    const path = join(dir, file);
    const source = new YamlSource(path, readFileSync(path, "utf8"));
    sources.set(path, source);
    const fileProblems = readTemplate(source, basename(file, ".yaml"), templates);
    problems.push(...fileProblems);
  }
  // Checked once all are read, against the library they belong to.
  for (const template of templates.values()) {
    const source = sources.get(template.file) as YamlSource;
    const entry = { id: "example", template: template.name, ...template.example };
    const resolved = resolveDeviceEntry(entry, templates);
    for (const finding of resolved.findings) {
      const path = finding.path[0] === "template" ? ["device"] : ["example", ...finding.path];
      problems.push(locate({ ...finding, path }, template.file, source.positionOf(path)));
    }
  }
  return { templates, problems };
}

function readTemplate(source: YamlSource, expectedName: string, into: Map<string, DeviceTemplate>): Problem[] {
  const problems = source.problems.map((p) =>
    locate(
      { severity: p.severity, code: "PROFILE_YAML_SYNTAX", path: [], message: p.message },
      source.file,
      p.position,
    ),
  );
  if (source.value === undefined) return problems;
  const parsed = templateFileSchema.safeParse(source.value);
  const findings: Finding[] = parsed.success
    ? []
    : findingsFromIssues(parsed.error.issues, templateFileSchema, source.value);
  if (parsed.success) {
    const t = parsed.data;
    if (t.template !== expectedName) {
      findings.push({
        severity: "error",
        code: "PROFILE_TEMPLATE_NAME",
        path: ["template"],
        message: `expected ${JSON.stringify(expectedName)} (the file's name), found ${JSON.stringify(t.template)}`,
      });
    } else if (t.station !== undefined && t.device.type !== "hj212" && t.device.type !== "sl651") {
      findings.push({
        severity: "error",
        code: "PROFILE_TEMPLATE_STATION",
        path: ["station"],
        message: `expected station defaults only for receivers (hj212, sl651), found them for type ${t.device.type}`,
      });
    } else {
      const template: DeviceTemplate = {
        name: t.template,
        title: t.title,
        description: t.description.trim(),
        siteKinds: t.siteKinds,
        type: t.device.type,
        device: t.device,
        example: t.example,
        file: source.file,
      };
      if (t.simulator !== undefined) template.simulator = t.simulator;
      if (t.station !== undefined) template.station = t.station;
      into.set(template.name, template);
    }
  }
  return [...problems, ...findings.map((f) => locate(f, source.file, source.positionOf(f.path)))];
}

let builtin: TemplateLibrary | undefined;

/** The built-in templates, read once. A broken built-in library is a bug of this package: it throws. */
export function builtinTemplates(): TemplateLibrary {
  if (builtin === undefined) {
    const { templates, problems } = loadTemplateLibrary(BUILTIN_TEMPLATES_DIR);
    const errors = problems.filter((p) => p.severity === "error");
    if (errors.length > 0) {
      throw new LifelineError(
        "PROFILE_TEMPLATES_INVALID",
        `the built-in templates have problems:\n${errors.map(formatProblem).join("\n")}`,
      );
    }
    builtin = templates;
  }
  return builtin;
}
