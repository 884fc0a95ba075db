import { createServer, type Server, type Socket } from "node:net";
import { type Logger, type Quality, silentLogger } from "@lifeline/contracts";
import type { ReadingSink, StreamingAdapter } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";
import { COMMANDS, OTHER_COMMANDS } from "./commands.ts";
import type { Hj212ReceiverConfig, Hj212StationConfig } from "./config.ts";
import { DEFAULT_FLAG_QUALITY } from "./data-flags.ts";
import { utcOffsetMinutes } from "./data-time.ts";
import { buildDataResponse, type Hj212Frame, parseFrame } from "./frame-codec.ts";
import { type FrameEvent, FrameReader } from "./frame-reader.ts";
import { frameReadings, type MappingOptions } from "./frame-readings.ts";
import { type Hj212ErrorCode, Hj212FrameError } from "./hj212-frame-error.ts";
import { ownValue } from "./own-value.ts";

export interface Hj212ReceiverStats {
  connections: { open: number; accepted: number; refused: number };
  /** Frames accepted from a configured station and handled (data or heartbeat). */
  frames: number;
  readings: number;
  heartbeats: number;
  /** Data responses (9014) sent. */
  replies: number;
  /** Everything refused or skipped, by error code. */
  errors: Record<string, number>;
}

export interface Hj212ReceiverOptions {
  log?: Logger;
}

/** Where a report comes from: the peer, and what of the frame could be read. */
interface Origin {
  peer: string;
  mn?: string | undefined;
  qn?: string | undefined;
}

/**
 * A TCP server that HJ 212 data loggers connect to (they are the clients, HJ 212-2017 §5): one
 * receiver serves many stations, each known by its MN and published as its own device. Data
 * commands become readings stamped with their DataTime; a frame whose Flag asks for an answer
 * gets a data response (9014) once it has been handled. Whatever is refused is reported with a
 * stable code and counted, and the connection stays up.
 */
export class Hj212Receiver implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: Hj212ReceiverConfig;
  readonly #stations: ReadonlyMap<string, Hj212StationConfig>;
  readonly #mapping: MappingOptions;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  readonly #stats: Hj212ReceiverStats = {
    connections: { open: 0, accepted: 0, refused: 0 },
    frames: 0,
    readings: 0,
    heartbeats: 0,
    replies: 0,
    errors: {},
  };
  #server: Server | undefined;
  #sink: ReadingSink | undefined;

  constructor(config: Hj212ReceiverConfig, options: Hj212ReceiverOptions = {}) {
    this.#config = config;
    this.id = config.id;
    this.#stations = new Map(config.stations.map((s) => [s.mn, s]));
    this.#mapping = {
      offsetMinutes: utcOffsetMinutes(config.timezone),
      statSuffix: config.statSuffix,
      flagQuality: { ...DEFAULT_FLAG_QUALITY, ...config.flagQuality } as Record<string, Quality>,
    };
    this.#log = options.log ?? silentLogger;
  }

  async start(sink: ReadingSink): Promise<void> {
    if (this.#server !== undefined) throw new Error(`HJ 212 receiver ${this.id} is already started`);
    this.#sink = sink;
    const server = createServer((socket) => this.#accept(socket));
    server.maxConnections = this.#config.maxConnections;
    server.on("drop", (data) => this.#refused(`${data?.remoteAddress}:${data?.remotePort}`));
    this.#server = server;
    const { host, port } = this.#config.listen;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve();
        });
      });
    } catch (cause) {
      this.#server = undefined;
      const message = `cannot listen on ${host}:${port}: ${(cause as Error).message}`;
      throw new AdapterError("EDGE_HJ212_LISTEN_FAILED", message, { device: this.id }, cause);
    }
    server.on("error", (cause) => this.#log.error("HJ 212 receiver error", { id: this.id, error: cause.message }));
    this.#log.info("HJ 212 receiver listening", { id: this.id, ...this.address() });
  }

  /** Where the receiver listens (the port the system chose when the profile says 0). */
  address(): { host: string; port: number } | undefined {
    const address = this.#server?.address();
    return address !== null && typeof address === "object" ? { host: address.address, port: address.port } : undefined;
  }

  stats(): Hj212ReceiverStats {
    const s = this.#stats;
    return { ...s, connections: { ...s.connections }, errors: { ...s.errors } };
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #accept(socket: Socket): void {
    const peer =
      socket.remoteFamily === "IPv6"
        ? `[${socket.remoteAddress}]:${socket.remotePort}`
        : `${socket.remoteAddress}:${socket.remotePort}`;
    this.#sockets.add(socket);
    this.#stats.connections.open++;
    this.#stats.connections.accepted++;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000); // a logger behind a dead 4G link leaves no FIN
    const reader = new FrameReader();
    let ended = false;
    const finish = () => {
      if (ended) return;
      ended = true;
      this.#handle(reader.end(), socket, peer);
    };
    socket.on("data", (chunk: Buffer) => this.#handle(reader.push(chunk), socket, peer));
    socket.on("end", finish);
    socket.on("error", (cause) =>
      this.#log.warn("HJ 212 connection error", { id: this.id, peer, error: cause.message }),
    );
    socket.on("close", () => {
      finish();
      this.#sockets.delete(socket);
      this.#stats.connections.open--;
      this.#log.info("HJ 212 logger disconnected", { id: this.id, peer });
    });
    this.#log.info("HJ 212 logger connected", { id: this.id, peer });
  }

  #refused(peer: string): void {
    this.#stats.connections.refused++;
    const message = `refused a connection from ${peer}: ${this.#config.maxConnections} connections are open (maxConnections)`;
    this.#report(new AdapterError("EDGE_HJ212_TOO_MANY_CONNECTIONS", message, { device: this.id }));
  }

  #handle(events: FrameEvent[], socket: Socket, peer: string): void {
    for (const event of events) {
      try {
        if (event.kind === "error") this.#frameError(event.error, peer);
        else this.#frame(event.bytes, socket, peer);
      } catch (cause) {
        // A bug here or in the sink must not take the agent, and every other station, down with it.
        this.#log.error("HJ 212 frame handling failed", { id: this.id, peer, error: String(cause) });
      }
    }
  }

  #frame(bytes: Buffer, socket: Socket, peer: string): void {
    let frame: Hj212Frame;
    try {
      frame = parseFrame(bytes, this.#config.crc);
    } catch (error) {
      if (!(error instanceof Hj212FrameError)) throw error;
      this.#frameError(error, peer);
      return;
    }
    const origin: Origin = { peer, mn: frame.mn, qn: frame.qn };
    const station = this.#stations.get(frame.mn);
    if (station === undefined) {
      const message = `MN ${frame.mn} is not a configured station (ST=${frame.st}, CN=${frame.cn}); add it under stations`;
      this.#error("EDGE_HJ212_UNKNOWN_STATION", message, this.id, { peer });
      return;
    }
    if (station.password !== undefined && frame.pw !== station.password) {
      this.#error(
        "EDGE_HJ212_BAD_PASSWORD",
        "PW does not match the station's password; frame refused",
        station.device,
        origin,
      );
      return;
    }
    const command = ownValue(COMMANDS, frame.cn);
    if (command === undefined) {
      const name = ownValue(OTHER_COMMANDS, frame.cn);
      const message = `CN=${frame.cn}${name === undefined ? "" : ` (${name})`} is not handled by this receiver; frame ignored`;
      this.#error("EDGE_HJ212_UNSUPPORTED_COMMAND", message, station.device, origin);
      return;
    }
    if (command.kind === "heartbeat") {
      this.#stats.heartbeats++;
    } else {
      const { readings, problems, accepted } = frameReadings(frame, command, station, this.#mapping);
      for (const p of problems) this.#error(p.code, p.message, station.device, origin, p.point);
      if (!accepted) return;
      if (readings.length > 0) {
        this.#stats.readings += readings.length;
        this.#sink?.readings(station.device, readings);
      }
    }
    this.#stats.frames++;
    if (frame.flag.replyRequested && !socket.destroyed) {
      // HJ 212-2017 §6.3.2 (Flag, A bit): the logger waits for this, and sends again without it.
      socket.write(buildDataResponse(frame));
      this.#stats.replies++;
    }
  }

  #frameError(error: Hj212FrameError, peer: string): void {
    const station = error.mn === undefined ? undefined : this.#stations.get(error.mn);
    this.#error(error.code, error.message, station?.device ?? this.id, { peer, mn: error.mn }, undefined, error);
  }

  #error(code: Hj212ErrorCode, message: string, device: string, origin: Origin, point?: string, cause?: unknown): void {
    const known = [origin.mn && `MN ${origin.mn}`, origin.qn && `QN ${origin.qn}`].filter(Boolean).join(", ");
    const from = known === "" ? `from ${origin.peer}` : `from ${origin.peer} (${known})`;
    this.#report(new AdapterError(code, `${from}: ${message}`, { device, point }, cause));
  }

  #report(error: AdapterError): void {
    this.#stats.errors[error.code] = (this.#stats.errors[error.code] ?? 0) + 1;
    this.#sink?.error(error);
  }
}
