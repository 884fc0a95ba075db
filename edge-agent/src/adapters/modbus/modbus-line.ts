import ModbusSerial from "modbus-serial";
import type { ModbusConnection } from "./config.ts";

// modbus-serial is CommonJS; under NodeNext its class is the `default` of the module object.
type ModbusClient = InstanceType<typeof ModbusSerial.default>;

/** What a line needs to know to open itself; unit id and timeout are per request. */
export type LineSettings = Omit<ModbusConnection, "unitId" | "timeoutMs">;

/** While a line backs off after failing to open, requests fail at once with this, unreported. */
export class LineBackoffError extends Error {
  constructor(
    readonly endpoint: string,
    readonly retryInMs: number,
  ) {
    super(`${endpoint}: next connection attempt in ${retryInMs} ms`);
  }
}

export interface Backoff {
  initialMs: number;
  maxMs: number;
}

/** A failure to open the line, kept apart from request failures so that backoff applies to it. */
export class LineOpenError extends Error {
  constructor(
    readonly endpoint: string,
    cause: unknown,
  ) {
    super(`cannot connect to ${endpoint}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * One physical line: a TCP connection, or a serial port with its RS-485 bus. Devices behind the
 * same line share it and their requests run one at a time, because a serial bus carries one
 * transaction at a time (Modbus over Serial Line V1.02 §2.1) and many TCP gateways and devices
 * answer only one request at a time too.
 */
export class ModbusLine {
  readonly endpoint: string;
  readonly #settings: LineSettings;
  readonly #backoff: Backoff;
  readonly #now: () => number;
  #client: ModbusClient | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #failures = 0;
  #nextOpenAt = 0;

  constructor(settings: LineSettings, backoff: Backoff, now: () => number = Date.now) {
    this.#settings = settings;
    this.#backoff = backoff;
    this.#now = now;
    this.endpoint = lineKey(settings);
  }

  get isOpen(): boolean {
    return this.#client?.isOpen === true;
  }

  /** Runs `work` alone on the line, opening the line first if needed. */
  exclusive<T>(unitId: number, timeoutMs: number, work: (client: ModbusClient) => Promise<T>): Promise<T> {
    const run = async () => {
      const client = await this.#open();
      client.setID(unitId);
      client.setTimeout(timeoutMs);
      return work(client);
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (client?.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }

  async #open(): Promise<ModbusClient> {
    if (this.#client?.isOpen) return this.#client;
    if (this.#client !== undefined) {
      const stale = this.#client;
      this.#client = undefined;
      stale.destroy(() => undefined);
    }
    const waitMs = this.#nextOpenAt - this.#now();
    if (waitMs > 0) throw new LineBackoffError(this.endpoint, waitMs);
    const s = this.#settings;
    const client = new ModbusSerial.default();
    try {
      if (s.transport === "tcp") await client.connectTCP(s.host ?? "", { port: s.port });
      // modbus-serial's "TcpRTUBuffered" port sends MBAP frames; its Telnet port carries raw RTU frames with CRC.
      else if (s.transport === "rtu-over-tcp") await client.connectTelnet(s.host ?? "", { port: s.port });
      else {
        await client.connectRTUBuffered(s.path ?? "", {
          baudRate: s.baudRate,
          parity: s.parity,
          dataBits: s.dataBits,
          stopBits: s.stopBits,
        });
      }
    } catch (cause) {
      client.destroy(() => undefined);
      // Exponential backoff: a dead device costs one connection attempt per backoff period, not per poll.
      const delay = Math.min(this.#backoff.maxMs, this.#backoff.initialMs * 2 ** this.#failures);
      this.#failures++;
      this.#nextOpenAt = this.#now() + delay;
      throw new LineOpenError(this.endpoint, cause);
    }
    this.#failures = 0;
    this.#nextOpenAt = 0;
    this.#client = client;
    return client;
  }
}

export function lineKey(s: LineSettings): string {
  return s.transport === "rtu" ? `rtu:${s.path}` : `${s.transport}://${s.host}:${s.port}`;
}

/** The lines of one agent, shared by the devices that sit behind them. */
export class ModbusLines {
  readonly #lines = new Map<string, { line: ModbusLine; users: number }>();

  acquire(settings: LineSettings, backoff: Backoff): ModbusLine {
    const key = lineKey(settings);
    let entry = this.#lines.get(key);
    if (entry === undefined) {
      entry = { line: new ModbusLine(settings, backoff), users: 0 };
      this.#lines.set(key, entry);
    }
    entry.users++;
    return entry.line;
  }

  async release(line: ModbusLine): Promise<void> {
    const entry = this.#lines.get(line.endpoint);
    if (entry === undefined || --entry.users > 0) return;
    this.#lines.delete(line.endpoint);
    await line.close();
  }
}
