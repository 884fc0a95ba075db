import type { Logger } from "@lifeline/contracts";
import type { Adapter, Clock } from "../adapter.ts";
import type { DeviceConfig } from "../agent-config.ts";
import { Hj212Receiver } from "./hj212/hj212-receiver.ts";
import { ModbusAdapter } from "./modbus/modbus-adapter.ts";
import { ModbusLines } from "./modbus/modbus-line.ts";
import { OpcuaAdapter } from "./opcua/opcua-adapter.ts";
import { Sl651Adapter } from "./sl651/sl651-adapter.ts";

/**
 * What adapters of one agent share: the clock, the log, the environment secrets are read from,
 * and Modbus lines (one serial bus, many devices).
 */
export interface AdapterContext {
  clock: Clock;
  log: Logger;
  env: Record<string, string | undefined>;
  modbusLines: ModbusLines;
}

export function adapterContext(
  clock: Clock,
  log: Logger,
  env: Record<string, string | undefined> = process.env,
): AdapterContext {
  return { clock, log, env, modbusLines: new ModbusLines() };
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
      return new OpcuaAdapter(device, { log: context.log, env: context.env });
  }
}
