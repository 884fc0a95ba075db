import { z } from "zod";
import { hj212ReceiverSchema } from "./hj212.ts";
import { modbusDeviceSchema } from "./modbus.ts";
import { opcuaDeviceSchema } from "./opcua.ts";
import { sl651ReceiverSchema } from "./sl651.ts";
import { mavlinkDroneSchema, onvifCameraSchema } from "./video.ts";

/**
 * The configuration of one adapter on a gateway, by `type`. Shared by gateway profiles
 * (firmware-profiles, which validate it) and the edge agent (which runs it).
 */
export const deviceConfigSchema = z.discriminatedUnion("type", [
  modbusDeviceSchema,
  sl651ReceiverSchema,
  hj212ReceiverSchema,
  opcuaDeviceSchema,
  onvifCameraSchema,
  mavlinkDroneSchema,
]);

export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
export type DeviceConfigInput = z.input<typeof deviceConfigSchema>;
export type DeviceType = DeviceConfig["type"];
/** Every adapter type, in the union's order: read from the union, so that a new type is added in one place. */
export const DEVICE_TYPES: readonly DeviceType[] = deviceConfigSchema.options.map((o) => o.shape.type.value);

/**
 * The ids an adapter config introduces, with the key path of each: its own id, and the device ids
 * its readings carry (a receiver names one per station; an OPC UA point may name its own device).
 */
export function deviceIdsOf(d: DeviceConfig): Array<[string, PropertyKey[]]> {
  switch (d.type) {
    case "modbus":
    case "onvif":
    case "mavlink":
      return [[d.id, ["id"]]];
    case "opcua": {
      const names: Array<[string, PropertyKey[]]> = [[d.id, ["id"]]];
      const seen = new Set([d.id]);
      d.points.forEach((p, j) => {
        if (p.device === undefined || seen.has(p.device)) return;
        seen.add(p.device);
        names.push([p.device, ["points", j, "device"]]);
      });
      return names;
    }
    case "sl651":
    case "hj212":
      return [
        [d.id, ["id"]],
        ...d.stations.map((s, j): [string, PropertyKey[]] => [s.device, ["stations", j, "device"]]),
      ];
  }
}
