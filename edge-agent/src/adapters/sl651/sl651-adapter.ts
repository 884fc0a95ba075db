import type { AddressInfo } from "node:net";
import type { Clock, ReadingSink, StreamingAdapter } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";
import { type DecodedBody, decodeBody } from "./body-decoder.ts";
import type { Sl651ReceiverConfig, Sl651StationConfig } from "./config.ts";
import { buildConfirmation } from "./confirmation.ts";
import { parseUtcOffset } from "./device-time.ts";
import { encodingFor, toReadings } from "./element-mapping.ts";
import { functionName, isKnownFunction, KEEP_ALIVE, needsConfirmation } from "./function-codes.ts";
import { hex2 } from "./hex.ts";
import type { Sl651Message } from "./packet-assembler.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";
import { type ReceiverStats, Sl651Receiver } from "./sl651-receiver.ts";

export interface Sl651AdapterOptions {
  /** The centre's clock, for confirmations sent with `reply.time: "clock"`. */
  clock?: Clock;
}

export interface Sl651Stats extends ReceiverStats {
  readings: number;
  keepAlives: number;
  images: number;
  /** Messages by function code (hex), whether or not they decoded. */
  functions: Record<string, number>;
  /** Errors reported to the sink, by code. */
  errors: Record<string, number>;
}

/**
 * The centre side of SL 651-2014 over TCP: RTUs connect to it, report in HEX/BCD frames, and get
 * their reports confirmed. One receiver serves many stations; each station's address maps to a
 * device id. Readings carry the observation time the RTU reports, never the arrival time.
 */
export class Sl651Adapter implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: Sl651ReceiverConfig;
  readonly #clock: Clock;
  readonly #offsetMinutes: number;
  readonly #stations: ReadonlyMap<string, Sl651StationConfig>;
  readonly #unknownElementsReported = new Set<string>();
  readonly #counts = { readings: 0, keepAlives: 0, images: 0 };
  readonly #functions: Record<string, number> = {};
  readonly #errors: Record<string, number> = {};
  #receiver: Sl651Receiver | undefined;
  #started = false;
  #address: AddressInfo | undefined;
  #sink: ReadingSink | undefined;

  constructor(config: Sl651ReceiverConfig, options: Sl651AdapterOptions = {}) {
    this.#config = config;
    this.id = config.id;
    this.#clock = options.clock ?? Date.now;
    this.#offsetMinutes = parseUtcOffset(config.timezone);
    this.#stations = new Map(config.stations.map((s) => [s.address, s]));
  }

  /** Where the receiver listens, once started (the port is chosen by the OS when configured 0). */
  get address(): AddressInfo | undefined {
    return this.#address;
  }

  async start(sink: ReadingSink): Promise<void> {
    if (this.#started) throw new Error(`SL 651 receiver ${this.id} is already started`);
    this.#started = true;
    this.#sink = sink;
    const receiver = new Sl651Receiver({
      host: this.#config.listen.host,
      port: this.#config.listen.port,
      limits: this.#config.limits,
      handler: { message: (message) => this.#message(message), error: (error) => this.#report(error, this.id) },
    });
    try {
      this.#address = await receiver.listen();
    } catch (cause) {
      const error = cause as Sl651CodecError;
      throw new AdapterError(error.code, error.message, { device: this.id }, cause);
    }
    this.#receiver = receiver;
  }

  /** Stops listening and drops the connections; `stats()` keeps the last counts. */
  async close(): Promise<void> {
    await this.#receiver?.close();
  }

  stats(): Sl651Stats {
    const receiver = this.#receiver?.stats() ?? {
      bytes: 0,
      frames: 0,
      messages: 0,
      replies: 0,
      discardedBytes: 0,
      idleClosed: 0,
      connections: { open: 0, accepted: 0, refused: 0 },
    };
    return { ...receiver, ...this.#counts, functions: { ...this.#functions }, errors: { ...this.#errors } };
  }

  /** A complete message from a station: check who sent it, decode, record, confirm. */
  #message(message: Sl651Message): Buffer | undefined {
    const code = hex2(message.functionCode);
    this.#functions[code] = (this.#functions[code] ?? 0) + 1;
    const what = `station ${message.station}, ${functionName(message.functionCode)} (${code})`;
    const station = this.#stations.get(message.station);
    if (station === undefined) {
      this.#fail(
        "EDGE_SL651_UNKNOWN_STATION",
        `station ${message.station} is not configured (${functionName(message.functionCode)}, function ${code})`,
        this.id,
      );
      return undefined;
    }
    if (station.password !== undefined && station.password !== message.password) {
      this.#fail(
        "EDGE_SL651_BAD_PASSWORD",
        `${what}: password ${message.password} is not the configured one`,
        station.device,
      );
      return undefined;
    }
    if (!isKnownFunction(message.functionCode)) {
      this.#fail(
        "EDGE_SL651_UNSUPPORTED_FUNCTION",
        `${what}: function code ${code} is not in SL 651-2014 table B.1`,
        station.device,
      );
      return undefined;
    }
    let decoded: DecodedBody;
    try {
      decoded = decodeBody(message.functionCode, message.body, {
        offsetMinutes: this.#offsetMinutes,
        seriesAnchor: station.seriesAnchor,
        encodingOf: (id) => encodingFor(id, station.elements),
      });
    } catch (cause) {
      this.#report(cause as Sl651CodecError, station.device, `${what}: `);
      return undefined;
    }
    this.#record(message, station, decoded, what);
    if (!needsConfirmation(message.functionCode)) return undefined;
    return buildConfirmation(message, decoded, {
      ...this.#config.reply,
      clock: this.#clock,
      offsetMinutes: this.#offsetMinutes,
    });
  }

  #record(message: Sl651Message, station: Sl651StationConfig, decoded: DecodedBody, what: string): void {
    if (message.functionCode === KEEP_ALIVE) this.#counts.keepAlives++;
    if (decoded.imageBytes !== undefined) this.#counts.images++;
    for (const problem of decoded.problems) this.#report(problem, station.device, `${what}: `);
    const { readings, unmapped } = toReadings(decoded, station.elements);
    for (const id of unmapped) {
      const key = `${station.address}/${id}`;
      if (this.#unknownElementsReported.has(key)) continue;
      this.#unknownElementsReported.add(key);
      this.#fail(
        "EDGE_SL651_UNKNOWN_ELEMENT",
        `${what}: element ${id} has no metric (reported once); map it under stations[].elements to record it`,
        station.device,
      );
    }
    if (readings.length === 0) return;
    this.#counts.readings += readings.length;
    this.#sink?.readings(station.device, readings);
  }

  #fail(code: Sl651CodecError["code"], message: string, device: string): void {
    this.#report(new Sl651CodecError(code, message), device);
  }

  #report(error: Sl651CodecError, device: string, prefix = ""): void {
    this.#errors[error.code] = (this.#errors[error.code] ?? 0) + 1;
    this.#sink?.error(new AdapterError(error.code, `${prefix}${error.message}`, { device }, error));
  }
}
