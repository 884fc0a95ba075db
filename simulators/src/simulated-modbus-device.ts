import type { SimulatedDeviceModel, SimulatedPoint } from "./device-models.ts";
import { ModbusTcpServer } from "./modbus/modbus-tcp-server.ts";
import type { RegisterBank } from "./modbus/register-bank.ts";
import { type Random, seededRandom } from "./random.ts";

export interface SimulatedModbusDeviceOptions {
  id: string;
  model: SimulatedDeviceModel;
  unitId?: number;
  port?: number;
  host?: string;
  /** How often the registers take new values. */
  updateIntervalMs?: number;
  seed?: number;
  now?: () => number;
}

/** A Modbus TCP device whose holding registers follow its model's signals over time. */
export class SimulatedModbusDevice {
  readonly id: string;
  readonly model: SimulatedDeviceModel;
  readonly unitId: number;
  readonly server: ModbusTcpServer;
  readonly #random: Random;
  readonly #now: () => number;
  readonly #interval: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: SimulatedModbusDeviceOptions) {
    this.id = options.id;
    this.model = options.model;
    this.unitId = options.unitId ?? 1;
    this.server = new ModbusTcpServer({
      port: options.port ?? 0,
      host: options.host ?? "127.0.0.1",
      unitIds: [this.unitId],
    });
    this.#random = seededRandom(options.seed ?? 1);
    this.#now = options.now ?? Date.now;
    this.#interval = options.updateIntervalMs ?? 1_000;
  }

  get port(): number {
    return this.server.port;
  }

  async start(): Promise<void> {
    this.update();
    await this.server.listen();
    this.#timer = setInterval(() => this.update(), this.#interval);
    this.#timer.unref();
  }

  /** Writes every point's current value into the registers. */
  update(): void {
    const t = this.#now();
    for (const p of this.model.points) writePoint(this.server.bank(this.unitId), p, p.signal(t, this.#random));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.server.close();
  }
}

/** Stores a physical value as the device would: divided by the point's scale, in its type and order. */
export function writePoint(bank: RegisterBank, p: SimulatedPoint, physical: number): void {
  const raw = physical / p.scale;
  if (p.datatype === "float32") bank.setFloat32("holding", p.address, raw, p.byteOrder);
  else if (p.datatype === "uint32") bank.setUint32("holding", p.address, Math.round(raw), p.byteOrder);
  else if (p.datatype === "int16") bank.setInt16("holding", p.address, Math.round(raw));
  else bank.setUint16("holding", p.address, Math.round(raw));
}
