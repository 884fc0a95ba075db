import { deviceConfigSchema, idSchema } from "@lifeline/contracts";
import { z } from "zod";

/** Template names: lower-case words joined by '-', as their file names. */
export const TEMPLATE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

const SHAPES = deviceConfigSchema.options.map((s) => s.shape);

/** Which device types have a top-level key, for messages: `listen` → sl651, hj212. */
export function deviceTypesWithKey(key: string): string[] {
  return SHAPES.filter((shape) => Object.hasOwn(shape, key)).map((shape) => shape.type.value);
}

/** Keys of any device type that a templated device may override, besides points and stations. */
const OVERRIDE_KEYS = [...new Set(SHAPES.flatMap((shape) => Object.keys(shape)))].filter(
  (key) => !["id", "type", "points", "stations"].includes(key),
);

const overrides = Object.fromEntries(
  OVERRIDE_KEYS.map((key) => [
    key,
    z
      .unknown()
      .optional()
      .describe(
        `Overrides the template's ${key} (${deviceTypesWithKey(key).join(", ")}); checked against the device type's schema after merging`,
      ),
  ]),
);

/**
 * A device described by a template plus what differs on this site. Values merge over the
 * template's (mappings key by key, lists replaced); `points` patch the template's points by
 * `name` or add new ones, after `remove` has dropped some; `stations` of a receiver each get the
 * template's station defaults under them; `null` deletes a key the template sets.
 */
const templatedDeviceSchema = z
  .strictObject({
    id: idSchema.describe("Device id (adapter id): unique on the gateway, part of every reading's subject"),
    template: z
      .string()
      .regex(TEMPLATE_NAME_PATTERN, "expected a template name such as dust-monitor-modbus")
      .describe("Name of the device template this device starts from"),
    remove: z
      .array(z.string().min(1).max(128))
      .max(1_000)
      .optional()
      .describe("Names of template points this device does not have; applied before points"),
    points: z
      .array(
        z.looseObject({
          name: z.string().min(1).max(128).describe("Name of the template point to patch, or of a new point"),
        }),
      )
      .max(100_000)
      .optional()
      .describe("Patches of template points (by name: only the keys given change) and new points (all keys)"),
    stations: z
      .array(z.looseObject({}))
      .max(100_000)
      .optional()
      .describe("The receiver's stations; each is merged over the template's station defaults"),
    ...overrides,
  })
  .meta({ id: "TemplatedDevice", title: "Device from a template" });

/** A device in a profile: a complete adapter configuration, or a template and its overrides. */
export const deviceEntrySchema = z
  .union([templatedDeviceSchema, deviceConfigSchema])
  .describe("A complete device configuration (by type), or `template:` plus overrides");
