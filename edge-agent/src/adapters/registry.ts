import type { Adapter, Clock } from "../adapter.ts";
import type { DeviceConfig } from "../agent-config.ts";
import { ModbusAdapter } from "./modbus/modbus-adapter.ts";
import { ModbusLines } from "./modbus/modbus-line.ts";

/** What adapters of one agent share: the clock, and Modbus lines (one serial bus, many devices). */
export interface AdapterContext {
  clock: Clock;
  modbusLines: ModbusLines;
}

export function adapterContext(clock: Clock): AdapterContext {
  return { clock, modbusLines: new ModbusLines() };
}

/** Every adapter type the agent knows, listed explicitly: a new protocol is one case here. */
export function createAdapter(device: DeviceConfig, context: AdapterContext): Adapter {
  switch (device.type) {
    case "modbus":
      return new ModbusAdapter(device, { clock: context.clock, lines: context.modbusLines });
  }
}
