import { connect, type Socket } from "node:net";

/**
 * The benchmark's MQTT 3.1.1 publisher: QoS 1 PUBLISH out, PUBACK in, nothing else.
 *
 * Why not mqtt.js: on the 2-core benchmark machine the load generator shares the cores with what it
 * measures. mqtt.js costs ~28 µs of CPU per QoS 1 message (its packet objects, outgoing store and
 * stream writes); this writes prebuilt frames, several per socket write, and reads PUBACKs as four
 * bytes. Real meters are other machines, so the less the generator takes, the truer the figure.
 *
 * Deliberately small: clean session, keep-alive off, no reconnect. A dropped connection fails every
 * message in flight (the benchmark then reports the step as not acknowledged), and nothing is resent.
 */
export class MqttPublisher {
  readonly #socket: Socket;
  /** Acknowledgement callbacks by packet identifier (1…65535; 0 is not a valid identifier, §2.3.1). */
  readonly #inflight = new Map<number, (error?: Error) => void>();
  #nextId = 1;
  #pending: Buffer[] = [];
  #flushScheduled = false;
  #rest: Buffer = Buffer.alloc(0);
  #closed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Opens a TCP connection to `mqtt://host:port` and completes CONNECT/CONNACK (§3.1, §3.2). */
  static connect(url: string, clientId: string, timeoutMs = 10_000): Promise<MqttPublisher> {
    const { hostname, port, protocol } = new URL(url);
    if (protocol !== "mqtt:") return Promise.reject(new Error(`MqttPublisher: ${url}: only mqtt:// is supported`));
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port || 1883), noDelay: true });
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`MqttPublisher: ${url}: no CONNACK in ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.once("error", (cause) => fail(new Error(`MqttPublisher: ${url}: ${cause.message}`, { cause })));
      socket.once("close", () => fail(new Error(`MqttPublisher: ${url}: closed before CONNACK`)));
      socket.once("connect", () => socket.write(connectFrame(clientId)));
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        if (head.length < 4) return;
        socket.off("data", onData);
        socket.removeAllListeners("error");
        socket.removeAllListeners("close");
        clearTimeout(timer);
        // CONNACK: 0x20, remaining length 2, acknowledge flags, return code (§3.2.2.3: 0 = accepted).
        if (head[0] !== 0x20 || head[1] !== 0x02) return fail(new Error(`MqttPublisher: ${url}: expected CONNACK`));
        if (head[3] !== 0) return fail(new Error(`MqttPublisher: ${url}: connection refused, return code ${head[3]}`));
        const publisher = new MqttPublisher(socket);
        publisher.#listen(head.subarray(4));
        resolve(publisher);
      };
      socket.on("data", onData);
    });
  }

  /** Messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Sends `payload` to `topic` with QoS 1 (§3.3); `onAck` runs once: without an argument when the
   * PUBACK arrives, with an error if the connection ends first.
   */
  publish(topic: string, payload: string | Uint8Array, onAck: (error?: Error) => void): void {
    if (this.#closed !== undefined) {
      onAck(this.#closed);
      return;
    }
    const id = this.#takeId();
    this.#inflight.set(id, onAck);
    const topicBytes = Buffer.byteLength(topic);
    const payloadBytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
    const remaining = 2 + topicBytes + 2 + payloadBytes;
    const lengthBytes = varintSize(remaining);
    const frame = Buffer.allocUnsafe(1 + lengthBytes + remaining);
    frame[0] = 0x32; // PUBLISH, DUP 0, QoS 1, RETAIN 0 (§3.3.1)
    let at = writeVarint(frame, 1, remaining);
    frame.writeUInt16BE(topicBytes, at);
    at += 2 + frame.write(topic, at + 2, "utf8");
    frame.writeUInt16BE(id, at);
    if (typeof payload === "string") frame.write(payload, at + 2, "utf8");
    else frame.set(payload, at + 2);
    this.#pending.push(frame);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Sends DISCONNECT (§3.14) after what is queued, and waits for the socket to close. */
  async close(): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#flush();
    await new Promise<void>((resolve) => {
      this.#socket.once("close", () => resolve());
      this.#socket.end(Buffer.from([0xe0, 0x00]));
    });
  }

  #takeId(): number {
    for (let tries = 0; tries < 65535; tries++) {
      const id = this.#nextId;
      this.#nextId = id === 65535 ? 1 : id + 1;
      if (!this.#inflight.has(id)) return id;
    }
    throw new Error("MqttPublisher: 65,535 messages in flight, no packet identifier left");
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0 || this.#closed !== undefined) return;
    const frames = this.#pending;
    this.#pending = [];
    this.#socket.write(frames.length === 1 ? (frames[0] as Buffer) : Buffer.concat(frames));
  }

  #listen(first: Buffer): void {
    this.#socket.on("data", (chunk: Buffer) => this.#read(chunk));
    this.#socket.on("error", (cause) => this.#fail(new Error(`MqttPublisher: ${cause.message}`, { cause })));
    this.#socket.on("close", () => this.#fail(new Error("MqttPublisher: connection closed")));
    if (first.length > 0) this.#read(first);
  }

  #read(chunk: Buffer): void {
    let buf = this.#rest.length === 0 ? chunk : Buffer.concat([this.#rest, chunk]);
    while (buf.length >= 2) {
      const length = readVarint(buf, 1);
      if (length === undefined) break;
      if (length === null) {
        this.#socket.destroy(new Error("MqttPublisher: malformed Remaining Length from the broker"));
        return;
      }
      const end = length.next + length.value;
      if (buf.length < end) break;
      const type = (buf[0] as number) >> 4;
      if (type === 4 && length.value === 2) {
        // PUBACK (§3.4): the packet identifier of the PUBLISH it acknowledges.
        const id = buf.readUInt16BE(length.next);
        const onAck = this.#inflight.get(id);
        if (onAck !== undefined) {
          this.#inflight.delete(id);
          onAck();
        }
      } else if (type !== 13) {
        // Anything but PUBACK or PINGRESP is a protocol error for a publisher that never subscribes.
        this.#socket.destroy(new Error(`MqttPublisher: unexpected packet type ${type} from the broker`));
        return;
      }
      buf = buf.subarray(end);
    }
    this.#rest = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  #fail(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#pending = [];
    const waiting = [...this.#inflight.values()];
    this.#inflight.clear();
    for (const onAck of waiting) onAck(error);
  }
}

/** CONNECT (§3.1): protocol "MQTT" level 4, clean session, keep-alive 0 (off, §3.1.2.10). */
function connectFrame(clientId: string): Buffer {
  const id = Buffer.from(clientId, "utf8");
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x00]);
  const remaining = variable.length + 2 + id.length;
  const frame = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  frame[0] = 0x10;
  let at = writeVarint(frame, 1, remaining);
  at += variable.copy(frame, at);
  frame.writeUInt16BE(id.length, at);
  id.copy(frame, at + 2);
  return frame;
}

/** Remaining Length (§2.2.3): 7 bits per byte, low group first, at most four bytes. */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let rest = n;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (rest > 0);
  return at;
}

/** The value and where the packet's variable part starts; undefined: not all here yet; null: malformed. */
function readVarint(buf: Buffer, at: number): { value: number; next: number } | undefined | null {
  let value = 0;
  let factor = 1;
  for (let i = at; i < at + 4; i++) {
    if (i >= buf.length) return undefined;
    const byte = buf[i] as number;
    value += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    factor *= 128;
  }
  return null;
}
