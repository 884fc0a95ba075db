import type { EndCharacterName } from "./control-characters.ts";
import type { Sl651Frame } from "./frame-codec.ts";
import { hex2 } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

/** One message: a single STX frame, or the packets of a SYN message put back together. */
export interface Sl651Message {
  centre: number;
  station: string;
  password: string;
  functionCode: number;
  body: Buffer;
  /** End character of the (last) frame. */
  end: EndCharacterName;
  packets: number;
}

export interface AssemblerLimits {
  messageTimeoutMs: number;
  maxMessageBytes: number;
}

/** Messages one connection may have in progress at once; the oldest is given up past this. */
export const MAX_PENDING_MESSAGES = 4;

interface Pending {
  total: number;
  parts: Map<number, Buffer>;
  bytes: number;
  first: Sl651Frame;
  last: Sl651Frame;
  timer: NodeJS.Timeout;
}

/**
 * Puts multi-packet messages back together (transfer mode M3, §6.3; table 22): each packet is a
 * SYN frame with the packet count and its sequence number; the body of the message is the
 * packets' bodies in sequence order, the first starting with the serial number and send time.
 * A message whose packets do not all arrive within `messageTimeoutMs` is reported with the
 * numbers of the missing packets. Messages are keyed by station and function code.
 */
export class PacketAssembler {
  readonly #pending = new Map<string, Pending>();

  constructor(
    private readonly limits: AssemblerLimits,
    private readonly onTimeout: (error: Sl651CodecError) => void,
  ) {}

  /** Adds a frame; returns the message when it is complete, and what had to be given up. */
  add(frame: Sl651Frame): { message?: Sl651Message; errors: Sl651CodecError[] } {
    if (frame.packet === undefined) return { message: toMessage(frame, frame, frame.body, 1), errors: [] };
    const errors: Sl651CodecError[] = [];
    const key = `${frame.station}/${hex2(frame.functionCode)}`;
    let pending = this.#pending.get(key);
    if (pending !== undefined && pending.total !== frame.packet.total) {
      errors.push(this.#giveUp(key, pending, `a new message of ${frame.packet.total} packets began`));
      pending = undefined;
    }
    if (pending === undefined && this.#pending.size >= MAX_PENDING_MESSAGES) {
      const [oldestKey, oldest] = this.#pending.entries().next().value as [string, Pending];
      errors.push(this.#giveUp(oldestKey, oldest, `${MAX_PENDING_MESSAGES} other messages were in progress`));
    }
    if (pending === undefined) {
      pending = {
        total: frame.packet.total,
        parts: new Map(),
        bytes: 0,
        first: frame,
        last: frame,
        timer: setTimeout(() => {
          const stale = this.#pending.get(key);
          if (stale !== undefined)
            this.onTimeout(this.#giveUp(key, stale, `${this.limits.messageTimeoutMs} ms passed`));
        }, this.limits.messageTimeoutMs),
      };
      pending.timer.unref();
      this.#pending.set(key, pending);
    }
    pending.bytes += frame.body.length - (pending.parts.get(frame.packet.seq)?.length ?? 0);
    pending.parts.set(frame.packet.seq, frame.body);
    if (frame.packet.seq === 1) pending.first = frame;
    pending.last = frame;
    if (pending.bytes > this.limits.maxMessageBytes) {
      clearTimeout(pending.timer);
      this.#pending.delete(key);
      errors.push(
        new Sl651CodecError(
          "EDGE_SL651_MESSAGE_TOO_LARGE",
          `${describe(frame)}: multi-packet message passed ${this.limits.maxMessageBytes} bytes at packet ${frame.packet.seq} of ${pending.total}; dropped`,
          { bytes: pending.bytes },
        ),
      );
      return { errors };
    }
    if (pending.parts.size < pending.total) return { errors };
    clearTimeout(pending.timer);
    this.#pending.delete(key);
    const body = Buffer.concat(Array.from({ length: pending.total }, (_, i) => pending.parts.get(i + 1) as Buffer));
    return { message: toMessage(pending.first, pending.last, body, pending.total), errors };
  }

  /** Gives up every message still waiting for packets (the connection closed). */
  flush(why: string): Sl651CodecError[] {
    return [...this.#pending].map(([key, pending]) => this.#giveUp(key, pending, why));
  }

  #giveUp(key: string, pending: Pending, why: string): Sl651CodecError {
    clearTimeout(pending.timer);
    this.#pending.delete(key);
    const missing: number[] = [];
    for (let seq = 1; seq <= pending.total; seq++) if (!pending.parts.has(seq)) missing.push(seq);
    return new Sl651CodecError(
      "EDGE_SL651_INCOMPLETE_MESSAGE",
      `${describe(pending.last)}: multi-packet message incomplete when ${why}: missing packet${missing.length === 1 ? "" : "s"} ${missing.join(", ")} of ${pending.total}`,
      { missing, total: pending.total },
    );
  }
}

function toMessage(first: Sl651Frame, last: Sl651Frame, body: Buffer, packets: number): Sl651Message {
  return {
    centre: first.centre,
    station: first.station,
    password: first.password,
    functionCode: first.functionCode,
    body,
    end: last.end,
    packets,
  };
}

function describe(frame: Sl651Frame): string {
  return `frame from station ${frame.station}, function ${hex2(frame.functionCode)}`;
}
