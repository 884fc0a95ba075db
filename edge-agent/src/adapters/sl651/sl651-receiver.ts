import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import {
  type ConnectionLimits,
  ReceiverConnection,
  type ReceiverCounters,
  type ReceiverHandler,
} from "./receiver-connection.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

export interface ReceiverOptions {
  host: string;
  port: number;
  limits: ConnectionLimits & { maxConnections: number };
  handler: ReceiverHandler;
}

export interface ReceiverStats extends ReceiverCounters {
  connections: { open: number; accepted: number; refused: number };
}

/** The TCP side of the centre: RTUs connect, each connection gets its own frame reader. */
export class Sl651Receiver {
  readonly #options: ReceiverOptions;
  readonly #connections = new Set<ReceiverConnection>();
  readonly #counters: ReceiverCounters = {
    bytes: 0,
    frames: 0,
    messages: 0,
    replies: 0,
    discardedBytes: 0,
    idleClosed: 0,
  };
  #accepted = 0;
  #refused = 0;
  #server: Server | undefined;

  constructor(options: ReceiverOptions) {
    this.#options = options;
  }

  /** Resolves with the bound address once listening; rejects with EDGE_SL651_LISTEN_FAILED. */
  async listen(): Promise<AddressInfo> {
    const { host, port } = this.#options;
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (cause) =>
        reject(
          new Sl651CodecError("EDGE_SL651_LISTEN_FAILED", `cannot listen on ${host}:${port}: ${cause.message}`, {
            host,
            port,
          }),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    server.on("error", () => undefined); // after listening, accept errors are per socket
    this.#server = server;
    return server.address() as AddressInfo;
  }

  stats(): ReceiverStats {
    return {
      ...this.#counters,
      connections: { open: this.#connections.size, accepted: this.#accepted, refused: this.#refused },
    };
  }

  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const connection of this.#connections) connection.destroy();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const { limits, handler } = this.#options;
    if (this.#connections.size >= limits.maxConnections) {
      this.#refused++;
      handler.error(
        new Sl651CodecError(
          "EDGE_SL651_TOO_MANY_CONNECTIONS",
          `refused a connection from ${socket.remoteAddress}: ${limits.maxConnections} connections are open`,
          { maxConnections: limits.maxConnections },
        ),
        `${socket.remoteAddress}:${socket.remotePort}`,
      );
      socket.destroy();
      return;
    }
    this.#accepted++;
    const connection = new ReceiverConnection(socket, limits, handler, this.#counters, () =>
      this.#connections.delete(connection),
    );
    this.#connections.add(connection);
  }
}
