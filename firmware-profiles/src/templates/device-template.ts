import { DEVICE_TYPES, type DeviceType } from "@lifeline/contracts";
import { z } from "zod";
import { TEMPLATE_NAME_PATTERN } from "../device-entry-schema.ts";
import { SITE_KINDS, type SiteKind } from "../profile-schema.ts";

/** A template file (`templates/<name>.yaml`): a partial device configuration and how to use it. */
export const templateFileSchema = z.strictObject({
  template: z
    .string()
    .regex(TEMPLATE_NAME_PATTERN, "expected a template name of a-z, 0-9 and '-'")
    .describe("The template's name; the file is <name>.yaml"),
  title: z.string().min(1).max(120).describe("What the device is, in one line"),
  description: z.string().min(1).max(2_000).describe("Register map or node source, units, and what to override"),
  siteKinds: z.array(z.enum(SITE_KINDS)).min(1).describe("Site kinds where the device is found"),
  simulator: z.string().max(200).optional().describe("The simulator model that serves this register map"),
  device: z
    .looseObject({ type: z.enum(DEVICE_TYPES) })
    .describe("The device configuration the template gives; a profile's device entry is merged over it"),
  station: z
    .looseObject({})
    .optional()
    .describe("Receivers only: defaults merged under every station of a device that uses the template"),
  example: z
    .looseObject({})
    .describe("The keys a profile adds to make a complete device (the template is tested with them)"),
});

export interface DeviceTemplate {
  name: string;
  title: string;
  description: string;
  siteKinds: readonly SiteKind[];
  type: DeviceType;
  simulator?: string;
  device: Readonly<Record<string, unknown>> & { type: DeviceType };
  station?: Readonly<Record<string, unknown>>;
  example: Readonly<Record<string, unknown>>;
  /** Where the template was read from. */
  file: string;
}

export type TemplateLibrary = ReadonlyMap<string, DeviceTemplate>;
