import type { Reading } from "@lifeline/contracts";
import type { Clock, PolledAdapter, ReadingSink } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";
import { type ModbusDeviceConfig, type ModbusPoint, pointWidth } from "./config.ts";
import { LineBackoffError, LineOpenError, type ModbusLine, ModbusLines } from "./modbus-line.ts";
import { planReads, type ReadRequest } from "./read-plan.ts";
import { decodeRegisters, encodeRegisters } from "./register-codec.ts";
import { isModbusException, requestError } from "./request-error.ts";

export interface ModbusAdapterOptions {
  /** Source of reading timestamps. */
  clock?: Clock;
  /** Lines shared with the agent's other Modbus devices (one serial bus, one TCP gateway). */
  lines?: ModbusLines;
}

type Client = Parameters<Parameters<ModbusLine["exclusive"]>[2]>[0];

/**
 * Polls one Modbus device. Each gather reads the coalesced requests in turn; a failed request is
 * reported with the device and its points, and the others are still read. A lost connection
 * (device restarted, cable pulled) is opened again by the next request; a device that cannot be
 * reached is retried with exponential backoff, so it never slows the poll of the others.
 */
export class ModbusAdapter implements PolledAdapter {
  readonly kind = "polled";
  readonly device: string;
  readonly intervalMs: number;
  readonly #config: ModbusDeviceConfig;
  readonly #plan: ReadRequest[];
  readonly #clock: Clock;
  readonly #lines: ModbusLines;
  readonly #line: ModbusLine;
  readonly #attributes = new Map<string, string>();

  constructor(config: ModbusDeviceConfig, options: ModbusAdapterOptions = {}) {
    this.#config = config;
    this.device = config.id;
    this.intervalMs = config.pollIntervalMs;
    this.#plan = planReads(config.points, config.maxGap, config.maxRegistersPerRead);
    this.#clock = options.clock ?? Date.now;
    this.#lines = options.lines ?? new ModbusLines();
    this.#line = this.#lines.acquire(config.connection, config.backoff);
  }

  /** Text points (serial numbers, firmware versions) as last read; they are not readings. */
  attributes(): ReadonlyMap<string, string> {
    return this.#attributes;
  }

  async gather(sink: ReadingSink): Promise<void> {
    const readings: Reading[] = [];
    try {
      for (const [i, request] of this.#plan.entries()) {
        if (i > 0 && this.#config.interRequestDelayMs > 0) await sleep(this.#config.interRequestDelayMs);
        let data: number[];
        try {
          data = await this.#withRetries((client) => readTable(client, request));
        } catch (cause) {
          if (cause instanceof LineBackoffError) return; // reported when the backoff began
          sink.error(requestError(cause, describe(request), this.#where(request.points), this.#timeout));
          if (cause instanceof LineOpenError) return;
          continue;
        }
        const ts = this.#clock(); // Modbus carries no time: the source time is when the answer came
        for (const p of request.points) this.#decode(p, data.slice(p.address - request.address), ts, readings, sink);
      }
    } finally {
      if (readings.length > 0) sink.readings(this.device, readings);
      if (this.#config.closeAfterPoll) await this.#line.close();
    }
  }

  /**
   * Writes an engineering value to a writable point (FC 5 for a coil, FC 6 for one register,
   * FC 16 for several, FC 15/16 always with preferMultipleWrite), then reads it back and returns
   * what the device holds. A device that keeps a different value is an error, not a success.
   */
  async write(pointName: string, value: number): Promise<number> {
    const p = this.#config.points.find((q) => q.name === pointName);
    const where = { device: this.device, point: pointName };
    if (p === undefined) throw new AdapterError("EDGE_MODBUS_UNKNOWN_POINT", "no such point", where);
    if (!p.writable) throw new AdapterError("EDGE_MODBUS_NOT_WRITABLE", "the point is not marked writable", where);
    const raw = (value - p.offset) / p.scale;
    const what = `writing ${p.register} ${p.address}`;
    let expected: number[];
    try {
      expected = await this.#withRetries((client) => this.#writeRaw(client, p, raw));
    } catch (cause) {
      if (cause instanceof AdapterError) throw cause;
      throw requestError(cause, what, where, this.#timeout);
    }
    const request: ReadRequest = { register: p.register, address: p.address, count: pointWidth(p), points: [p] };
    let actual: number[];
    try {
      actual = await this.#withRetries((client) => readTable(client, request));
    } catch (cause) {
      throw requestError(cause, `reading back ${p.register} ${p.address}`, where, this.#timeout);
    }
    if (actual.some((r, i) => r !== expected[i])) {
      throw new AdapterError(
        "EDGE_MODBUS_READBACK_MISMATCH",
        `wrote [${expected.join(", ")}] to ${p.register} ${p.address} but read back [${actual.join(", ")}]`,
        where,
      );
    }
    return Number(decodeRegisters(actual, p.datatype, p.byteOrder, { bit: p.bit })) * p.scale + p.offset;
  }

  async close(): Promise<void> {
    await this.#lines.release(this.#line);
  }

  get #timeout(): number {
    return this.#config.connection.timeoutMs;
  }

  #where(points: readonly ModbusPoint[]) {
    return { device: this.device, point: points.map((p) => p.name).join(", ") };
  }

  /** Timeouts and broken connections are tried again; an exception answer or a dead line is not. */
  async #withRetries<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const { unitId, timeoutMs } = this.#config.connection;
    let last: unknown;
    for (let attempt = 0; attempt <= this.#config.retries; attempt++) {
      try {
        return await this.#line.exclusive(unitId, timeoutMs, work);
      } catch (cause) {
        if (isModbusException(cause) || cause instanceof LineOpenError || cause instanceof LineBackoffError)
          throw cause;
        last = cause;
      }
    }
    throw last;
  }

  async #writeRaw(client: Client, p: ModbusPoint, raw: number): Promise<number[]> {
    const multiple = this.#config.preferMultipleWrite;
    if (p.register === "coil") {
      const on = raw !== 0;
      if (multiple) await client.writeCoils(p.address, [on]);
      else await client.writeCoil(p.address, on);
      return [on ? 1 : 0];
    }
    let registers: number[];
    if (p.datatype === "bit") {
      // Read-modify-write: only the point's bit changes, its neighbours keep their values.
      const current = (await client.readHoldingRegisters(p.address, 1)).data[0] ?? 0;
      const mask = 1 << (p.bit ?? 0);
      registers = [raw !== 0 ? current | mask : current & ~mask & 0xffff];
    } else if (p.datatype === "bool") {
      throw new AdapterError("EDGE_MODBUS_NOT_WRITABLE", "bool points live in coils", {
        device: this.device,
        point: p.name,
      });
    } else {
      try {
        registers = encodeRegisters(raw, p.datatype, p.byteOrder, p.length);
      } catch (cause) {
        throw new AdapterError("EDGE_MODBUS_BAD_VALUE", (cause as Error).message, {
          device: this.device,
          point: p.name,
        });
      }
    }
    if (registers.length === 1 && !multiple) await client.writeRegister(p.address, registers[0] ?? 0);
    else await client.writeRegisters(p.address, registers);
    return registers;
  }

  #decode(p: ModbusPoint, registers: number[], ts: number, readings: Reading[], sink: ReadingSink): void {
    const raw = decodeRegisters(registers.slice(0, pointWidth(p)), p.datatype, p.byteOrder, { bit: p.bit });
    if (typeof raw === "string") {
      this.#attributes.set(p.name, raw);
      return;
    }
    if (!Number.isFinite(raw)) {
      sink.error(
        new AdapterError("EDGE_MODBUS_BAD_VALUE", `${p.register} ${p.address} decodes to ${raw}`, {
          device: this.device,
          point: p.name,
        }),
      );
      return;
    }
    readings.push({ metric: p.metric, ts, value: raw * p.scale + p.offset, unit: p.unit, quality: "good" });
  }
}

async function readTable(client: Client, r: ReadRequest): Promise<number[]> {
  switch (r.register) {
    case "coil":
      return (await client.readCoils(r.address, r.count)).data.slice(0, r.count).map(Number);
    case "discrete":
      return (await client.readDiscreteInputs(r.address, r.count)).data.slice(0, r.count).map(Number);
    case "holding":
      return (await client.readHoldingRegisters(r.address, r.count)).data;
    case "input":
      return (await client.readInputRegisters(r.address, r.count)).data;
  }
}

function describe(r: ReadRequest): string {
  const unit = r.register === "coil" || r.register === "discrete" ? "" : " registers";
  return `reading ${r.register}${unit} ${r.address}..${r.address + r.count - 1}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
