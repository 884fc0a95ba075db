import type { Socket } from "node:net";
import { FrameReader, type ReaderEvent } from "./frame-reader.ts";
import { type AssemblerLimits, PacketAssembler, type Sl651Message } from "./packet-assembler.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

/** What the receiver does with what arrives; `message` returns the bytes to answer with, if any. */
export interface ReceiverHandler {
  message(message: Sl651Message, peer: string): Buffer | undefined;
  error(error: Sl651CodecError, peer: string): void;
}

export interface ConnectionLimits extends AssemblerLimits {
  /** A frame whose rest does not arrive within this is reported truncated and skipped. */
  frameTimeoutMs: number;
  /** A connection silent this long is closed (0: never). */
  idleTimeoutMs: number;
}

/** Counters shared by all connections of one receiver. */
export interface ReceiverCounters {
  bytes: number;
  frames: number;
  messages: number;
  replies: number;
  discardedBytes: number;
  idleClosed: number;
}

/**
 * One RTU connection: bytes → frames → messages → handler, and the handler's answer back on the
 * same socket. Nothing that arrives closes the connection; only silence (idle timeout) does.
 */
export class ReceiverConnection {
  readonly peer: string;
  readonly #socket: Socket;
  readonly #reader = new FrameReader();
  readonly #assembler: PacketAssembler;
  #frameTimer: NodeJS.Timeout | undefined;
  #discarded = 0;
  #quiet = false;

  constructor(
    socket: Socket,
    private readonly limits: ConnectionLimits,
    private readonly handler: ReceiverHandler,
    private readonly counters: ReceiverCounters,
    onClosed: () => void,
  ) {
    this.#socket = socket;
    this.peer = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
    this.#assembler = new PacketAssembler(limits, (error) => this.#report(error));
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 60_000);
    if (limits.idleTimeoutMs > 0) {
      socket.setTimeout(limits.idleTimeoutMs, () => {
        counters.idleClosed++;
        socket.destroy();
      });
    }
    socket.on("data", (chunk: Buffer) => this.#data(chunk));
    socket.on("error", () => undefined); // a reset peer: 'close' follows and cleans up
    socket.on("close", () => {
      this.#closed();
      onClosed();
    });
  }

  /** Closes without reporting what is left half-received (the receiver is shutting down). */
  destroy(): void {
    this.#quiet = true;
    this.#socket.destroy();
  }

  #data(chunk: Buffer): void {
    this.counters.bytes += chunk.length;
    this.#handle(this.#reader.push(chunk));
    clearTimeout(this.#frameTimer);
    this.#frameTimer = undefined;
    if (this.#reader.pending > 0) {
      this.#frameTimer = setTimeout(() => {
        this.#frameTimer = undefined;
        this.#handle(this.#reader.flush(`nothing more arrived for ${this.limits.frameTimeoutMs} ms`));
      }, this.limits.frameTimeoutMs);
      this.#frameTimer.unref();
    }
  }

  #handle(events: ReaderEvent[]): void {
    for (const event of events) {
      if (event.kind === "error") {
        this.#report(event.error);
        continue;
      }
      const frame = event.frame;
      this.counters.frames++;
      if (frame.direction === "down") {
        this.#report(
          new Sl651CodecError(
            "EDGE_SL651_BAD_FRAME",
            `frame from station ${frame.station}: a downlink frame (direction 8) was sent to the centre`,
          ),
        );
        continue;
      }
      const { message, errors } = this.#assembler.add(frame);
      for (const error of errors) this.#report(error);
      if (message === undefined) continue;
      this.counters.messages++;
      const reply = this.handler.message(message, this.peer);
      if (reply !== undefined && this.#socket.writable) {
        this.#socket.write(reply);
        this.counters.replies++;
      }
    }
    this.counters.discardedBytes += this.#reader.discardedBytes - this.#discarded;
    this.#discarded = this.#reader.discardedBytes;
  }

  #closed(): void {
    clearTimeout(this.#frameTimer);
    const events = this.#reader.flush("the connection closed");
    const incomplete = this.#assembler.flush("the connection closed");
    if (this.#quiet) return;
    this.#handle(events);
    for (const error of incomplete) this.#report(error);
  }

  #report(error: Sl651CodecError): void {
    if (!this.#quiet) this.handler.error(error, this.peer);
  }
}
