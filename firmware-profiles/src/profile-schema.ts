import { alertRulesSchema, deviceConfigSchema, idSchema, UTC_OFFSET_PATTERN } from "@lifeline/contracts";
import { z } from "zod";
import { deviceEntrySchema } from "./device-entry-schema.ts";
import { journalSchema } from "./journal-schema.ts";
import { ruleSchema } from "./rule-schema.ts";
import { uplinkSchema } from "./uplink-schema.ts";

export const SITE_KINDS = ["coal-mine", "flood-station", "heating-substation", "pipeline"] as const;
export type SiteKind = (typeof SITE_KINDS)[number];

export const siteSchema = z
  .strictObject({
    id: idSchema.describe("Site id: the first token of every reading's subject (tlm.<site>.<gateway>.<device>)"),
    name: z.string().min(1).max(128).describe("The site's name as people call it"),
    kind: z
      .enum(SITE_KINDS)
      .describe("coal-mine, flood-station (flood and waterlogging), heating-substation or pipeline (water or gas)"),
    timezone: z
      .string()
      .regex(UTC_OFFSET_PATTERN, "expected a UTC offset such as +08:00")
      .default("+08:00")
      .describe("UTC offset of the site's clocks; receivers (HJ 212, SL 651) without their own timezone use it"),
    location: z
      .strictObject({
        lat: z.number().min(-90).max(90).describe("Latitude, decimal degrees (WGS 84), north positive"),
        lon: z.number().min(-180).max(180).describe("Longitude, decimal degrees (WGS 84), east positive"),
      })
      .optional()
      .describe("Where the site is, for maps"),
  })
  .describe("The site this gateway belongs to");

export const gatewaySchema = z
  .strictObject({
    id: idSchema.describe("Gateway id, unique within the site: the second token of every reading's subject"),
    description: z.string().max(256).optional().describe("Where the gateway is and what it serves"),
  })
  .describe("The gateway (edge computer) this profile configures");

const FORMAT_PATTERN = /^\d+\.\d+$/;

const common = {
  format: z
    .string()
    .regex(FORMAT_PATTERN, 'expected "MAJOR.MINOR" such as "1.0"')
    .describe('Profile format version, "MAJOR.MINOR": an unknown major version is refused, a newer minor warned about'),
  site: siteSchema,
  gateway: gatewaySchema,
  uplink: uplinkSchema,
  rules: z.array(ruleSchema).max(10_000).default([]).describe("Edge rules, applied per device and metric"),
  alerts: alertRulesSchema
    .max(10_000)
    .default([])
    .describe("Alert rules of this site, evaluated by the stream processor (site must be the profile's site)"),
  journal: journalSchema,
};

/** The gateway profile file: one YAML document, validated by this one schema (and the cross-field checks). */
export const profileSchema = z
  .strictObject({
    format: common.format,
    site: common.site,
    gateway: common.gateway,
    uplink: common.uplink,
    devices: z
      .array(deviceEntrySchema)
      .min(1)
      .max(10_000)
      .describe("Every device the gateway reads or receives: complete configurations or templates with overrides"),
    rules: common.rules,
    alerts: common.alerts,
    journal: common.journal,
  })
  .meta({ title: "Lifeline gateway profile" });

/** A profile with its templates applied and defaults filled in: what is diffed, signed and flashed. */
export const resolvedProfileSchema = z.strictObject({
  format: common.format,
  site: common.site,
  gateway: common.gateway,
  uplink: common.uplink,
  devices: z.array(deviceConfigSchema).min(1).max(10_000),
  rules: common.rules,
  alerts: common.alerts,
  journal: common.journal,
});

export type ProfileInput = z.input<typeof profileSchema>;
export type Site = z.infer<typeof siteSchema>;
export type Gateway = z.infer<typeof gatewaySchema>;
export type ResolvedProfile = z.output<typeof resolvedProfileSchema>;
