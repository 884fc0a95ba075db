import { z } from "zod";
import { PROFILE_FORMAT } from "./format-version.ts";
import { profileSchema } from "./profile-schema.ts";
import type { TemplateLibrary } from "./templates/device-template.ts";

export const PROFILE_SCHEMA_ID = `urn:lifeline:schema:gateway-profile:${PROFILE_FORMAT}`;

type JsonSchema = Record<string, unknown>;

/**
 * The profile's JSON Schema (draft 2020-12) for editors and other tools, generated from the zod
 * schema as the input side (what a file may contain, before defaults and size units are applied).
 * Template names are offered as examples; the cross-field rules are validateProfile's alone.
 */
export function profileJsonSchema(templates: TemplateLibrary): JsonSchema {
  const generated = z.toJSONSchema(profileSchema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const { $schema, title: _title, ...rest } = generated;
  const defs = rest.$defs as Record<string, JsonSchema> | undefined;
  const templated = defs?.TemplatedDevice?.properties as Record<string, JsonSchema> | undefined;
  if (templated?.template !== undefined) templated.template.examples = [...templates.keys()].sort();
  return {
    $schema,
    $id: PROFILE_SCHEMA_ID,
    title: `Lifeline gateway profile, format ${PROFILE_FORMAT}`,
    description:
      "Every device and point of one gateway, its uplink, edge rules and journal. Check a file with validateProfile (lifeline profile validate): it adds templates and the cross-field rules.",
    ...rest,
  };
}
