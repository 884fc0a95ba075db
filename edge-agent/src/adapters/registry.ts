import type { Adapter, Clock } from "../adapter.ts";
import type { DeviceConfig } from "../agent-config.ts";
import { ModbusAdapter } from "./modbus/modbus-adapter.ts";

/** Every adapter type the agent knows, listed explicitly: a new protocol is one line here. */
export function createAdapter(device: DeviceConfig, clock: Clock): Adapter {
  switch (device.type) {
    case "modbus":
      return new ModbusAdapter(device, clock);
  }
}
