import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GENERATE_COMMAND, generatedFiles } from "../src/generated-files.ts";
import { PROFILE_SCHEMA_ID } from "../src/profile-json-schema.ts";
import { builtinTemplates } from "../src/templates/template-library.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const files = generatedFiles(builtinTemplates());
const fresh = (path: string) => files.find((f) => f.path === path)?.content ?? "";

type Schema = Record<string, unknown>;

/** Markdown table rows with their cells trimmed and separator dashes shortened: the formatter pads them. */
function withoutTablePadding(markdown: string): string {
  return markdown
    .split("\n")
    .map((line) =>
      line.startsWith("|")
        ? line
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim().replace(/^-{3,}$/, "---"))
            .join("|")
        : line,
    )
    .join("\n");
}

describe("generated files", () => {
  it.each(files.map((f) => f.path))("%s is up to date", (path) => {
    const committed = readFileSync(join(root, path), "utf8");
    const stale = `firmware-profiles/${path} is stale: run \`${GENERATE_COMMAND}\` and commit the result`;
    // The repository's formatter lays the files out after generation: compare what they say.
    if (path.endsWith(".json")) expect(JSON.parse(committed), stale).toEqual(JSON.parse(fresh(path)));
    else expect(withoutTablePadding(committed), stale).toBe(withoutTablePadding(fresh(path)));
  });

  it("the JSON Schema is one an editor can use: draft 2020-12, an $id, a title, template names offered", () => {
    const schema = JSON.parse(fresh("generated/profile.schema.json")) as Schema;
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(PROFILE_SCHEMA_ID);
    expect(schema.title).toBe("Lifeline gateway profile, format 1.0");
    expect(schema.required).toEqual(["format", "site", "gateway", "uplink", "devices"]);
    expect(schema.additionalProperties).toBe(false);
    const templated = (schema.$defs as Record<string, Schema>).TemplatedDevice as Schema;
    const template = (templated.properties as Record<string, Schema>).template as Schema;
    expect(template.examples).toEqual([...builtinTemplates().keys()].sort());
  });

  it("every key of the profile's own sections has a description and every number bounds", () => {
    const schema = JSON.parse(fresh("generated/profile.schema.json")) as Schema;
    const missing: string[] = [];
    const visit = (node: Schema, path: string) => {
      if (path !== "" && typeof node.description !== "string") missing.push(`${path}: description`);
      if (
        (node.type === "integer" || node.type === "number") &&
        node.maximum === undefined &&
        node.exclusiveMaximum === undefined
      ) {
        // min/max of a range rule are any finite numbers by design.
        if (!/\.(min|max)$/.test(path)) missing.push(`${path}: bounds`);
      }
      for (const [key, child] of Object.entries((node.properties ?? {}) as Record<string, Schema>))
        visit(child, path === "" ? key : `${path}.${key}`);
      for (const option of (node.oneOf ?? node.anyOf ?? []) as Schema[]) {
        if (option.type === "object") visit({ description: "", ...option }, path);
      }
      if (typeof node.items === "object") visit({ description: "", ...(node.items as Schema) }, `${path}[]`);
    };
    const props = schema.properties as Record<string, Schema>;
    for (const section of ["format", "site", "gateway", "uplink", "rules", "journal"])
      visit(props[section] as Schema, section);
    expect(missing).toEqual([]);
  });

  it("REFERENCE.md lists every key with its bounds, and the templates with their points", () => {
    const reference = fresh("generated/REFERENCE.md");
    expect(reference).toContain(
      "| `devices[](type=modbus).points[].address` | integer, required |  | 0..65535 | 0-based protocol address |",
    );
    expect(reference).toContain(
      "| `journal.fsyncIntervalMs` | integer | `1000` | 10..60000 | With fsync interval: how often the journal is synced to disk |",
    );
    expect(reference).toContain("| PM10 | `pm10` | mg/m3 | holding | 2 | float32 | ABCD | 1 |");
    expect(reference).toContain("| Low alarm | `alarm_low` |  | holding | 1 | bit 0 | ABCD | 1 |");
  });
});
