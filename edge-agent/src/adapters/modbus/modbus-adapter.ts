import type { Reading } from "@lifeline/contracts";
import ModbusSerial from "modbus-serial";
import type { Clock, PolledAdapter, ReadingSink } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";
import { type ModbusDeviceConfig, REGISTER_COUNT } from "./config.ts";
import { planReads, type ReadRequest } from "./read-plan.ts";
import { decodeRegisters } from "./register-codec.ts";

// modbus-serial is CommonJS; under NodeNext its class is the `default` of the module object.
type ModbusRTU = InstanceType<typeof ModbusSerial.default>;

/**
 * Polls one Modbus TCP device. Each gather reads the coalesced requests in turn; a failed request
 * is reported with the device and its points and the others are still read. A closed connection
 * (device restarted, cable pulled) is opened again on the next gather, without operator action.
 */
export class ModbusAdapter implements PolledAdapter {
  readonly kind = "polled";
  readonly device: string;
  readonly intervalMs: number;
  readonly #config: ModbusDeviceConfig;
  readonly #plan: ReadRequest[];
  readonly #clock: Clock;
  #client: ModbusRTU | undefined;

  constructor(config: ModbusDeviceConfig, clock: Clock = Date.now) {
    this.#config = config;
    this.device = config.id;
    this.intervalMs = config.pollIntervalMs;
    this.#plan = planReads(config.points, config.maxGap);
    this.#clock = clock;
  }

  async gather(sink: ReadingSink): Promise<void> {
    let client: ModbusRTU;
    try {
      client = await this.#connect();
    } catch (error) {
      sink.error(error as AdapterError);
      return;
    }
    const readings: Reading[] = [];
    for (const request of this.#plan) {
      try {
        const result =
          request.register === "holding"
            ? await client.readHoldingRegisters(request.address, request.count)
            : await client.readInputRegisters(request.address, request.count);
        const ts = this.#clock(); // Modbus carries no time: the source time is when the answer came
        for (const p of request.points) {
          const offset = p.address - request.address;
          const raw = decodeRegisters(
            result.data.slice(offset, offset + REGISTER_COUNT[p.datatype]),
            p.datatype,
            p.byteOrder,
          );
          if (!Number.isFinite(raw)) {
            sink.error(
              new AdapterError("EDGE_MODBUS_BAD_VALUE", `registers ${p.address}+ decode to ${raw}`, {
                device: this.device,
                point: p.name,
              }),
            );
            continue;
          }
          readings.push({ metric: p.metric, ts, value: raw * p.scale + p.offset, unit: p.unit, quality: "good" });
        }
      } catch (cause) {
        sink.error(this.#requestError(request, cause));
        if (!client.isOpen) break; // the connection is gone; the next gather reconnects
      }
    }
    if (readings.length > 0) sink.readings(this.device, readings);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  async #connect(): Promise<ModbusRTU> {
    if (this.#client?.isOpen) return this.#client;
    const { host, port, unitId, timeoutMs } = this.#config.connection;
    const client = new ModbusSerial.default();
    try {
      await client.connectTCP(host, { port });
    } catch (cause) {
      throw new AdapterError(
        "EDGE_MODBUS_CONNECT_FAILED",
        `cannot connect to ${host}:${port}: ${(cause as Error).message}`,
        { device: this.device },
        cause,
      );
    }
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    this.#client = client;
    return client;
  }

  #requestError(request: ReadRequest, cause: unknown): AdapterError {
    const where = {
      device: this.device,
      point: request.points.map((p) => p.name).join(", "),
    };
    const what = `${request.register} registers ${request.address}..${request.address + request.count - 1}`;
    const err = cause as { name?: string; message?: string; modbusCode?: number };
    if (typeof err.modbusCode === "number") {
      return new AdapterError(
        "EDGE_MODBUS_EXCEPTION",
        `reading ${what}: the device answered with exception ${err.modbusCode} (${exceptionName(err.modbusCode)})`,
        where,
        cause,
      );
    }
    if (err.name === "TransactionTimedOutError") {
      return new AdapterError(
        "EDGE_MODBUS_TIMEOUT",
        `reading ${what}: no answer within ${this.#config.connection.timeoutMs} ms`,
        where,
        cause,
      );
    }
    return new AdapterError("EDGE_MODBUS_IO", `reading ${what}: ${err.message ?? String(cause)}`, where, cause);
  }
}

/** Modbus Application Protocol V1.1b3 §7. */
function exceptionName(code: number): string {
  const names: Record<number, string> = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
  };
  return names[code] ?? "unknown exception";
}
