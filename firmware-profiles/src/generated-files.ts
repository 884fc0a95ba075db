import { profileJsonSchema } from "./profile-json-schema.ts";
import { renderReference } from "./profile-reference.ts";
import type { TemplateLibrary } from "./templates/device-template.ts";

export interface GeneratedFile {
  /** Path inside the firmware-profiles package. */
  path: string;
  content: string;
}

export const GENERATE_COMMAND = "npm run generate -w @lifeline/firmware-profiles";

/** The files `npm run generate` writes, from the schema and templates of this build. */
export function generatedFiles(templates: TemplateLibrary): GeneratedFile[] {
  const schema = profileJsonSchema(templates);
  return [
    { path: "generated/profile.schema.json", content: `${JSON.stringify(schema, null, 2)}\n` },
    { path: "generated/REFERENCE.md", content: renderReference(schema, templates) },
  ];
}
