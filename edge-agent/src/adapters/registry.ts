import type { Logger } from "@lifeline/contracts";
import type { VideoRuntime } from "@lifeline/video";
import type { Adapter, Clock } from "../adapter.ts";
import { AdapterError } from "../adapter-error.ts";
import type { DeviceConfig } from "../agent-config.ts";
import { Hj212Receiver } from "./hj212/hj212-receiver.ts";
import { MavlinkAdapter } from "./mavlink/mavlink-adapter.ts";
import { ModbusAdapter } from "./modbus/modbus-adapter.ts";
import { ModbusLines } from "./modbus/modbus-line.ts";
import { OnvifAdapter } from "./onvif/onvif-adapter.ts";
import { DeferredOpcuaAdapter } from "./opcua/deferred-opcua-adapter.ts";
import { Sl651Adapter } from "./sl651/sl651-adapter.ts";

/**
 * What adapters of one agent share: the clock, the log, the environment secrets are read from,
 * Modbus lines (one serial bus, many devices), and for cameras and drones the site and the video
 * runtime (one model and batch scheduler per model, one evidence outbox), opened on first use.
 */
export interface AdapterContext {
  clock: Clock;
  log: Logger;
  env: Record<string, string | undefined>;
  modbusLines: ModbusLines;
  video?: { site: string; runtime: () => Promise<VideoRuntime> } | undefined;
}

export function adapterContext(
  clock: Clock,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
  video?: AdapterContext["video"],
): AdapterContext {
  return { clock, log, env, modbusLines: new ModbusLines(), video };
}

function videoOf(context: AdapterContext, device: string): NonNullable<AdapterContext["video"]> {
  if (context.video === undefined) {
    throw new AdapterError("EDGE_VIDEO_UNAVAILABLE", "cameras and drones need the agent's video runtime", { device });
  }
  return context.video;
}

/** Every adapter type the agent knows, listed explicitly: a new protocol is one case here. */
export function createAdapter(device: DeviceConfig, context: AdapterContext): Adapter {
  switch (device.type) {
    case "modbus":
      return new ModbusAdapter(device, { clock: context.clock, lines: context.modbusLines });
    case "sl651":
      return new Sl651Adapter(device, { clock: context.clock });
    case "hj212":
      return new Hj212Receiver(device, { log: context.log });
    case "opcua":
      return new DeferredOpcuaAdapter(device, { log: context.log, env: context.env });
    case "onvif": {
      const video = videoOf(context, device.id);
      return new OnvifAdapter(device, {
        site: video.site,
        video: video.runtime,
        env: context.env,
        clock: context.clock,
        log: context.log,
      });
    }
    case "mavlink": {
      const video = videoOf(context, device.id);
      return new MavlinkAdapter(device, {
        site: video.site,
        video: video.runtime,
        clock: context.clock,
        log: context.log,
      });
    }
  }
}
