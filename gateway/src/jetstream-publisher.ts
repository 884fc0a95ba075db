import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { GatewayError } from "./gateway-error.ts";

export interface PubAck {
  seq: number;
  duplicate: boolean;
}

interface Waiting {
  resolve: (ack: PubAck) => void;
  reject: (error: Error) => void;
  deadline: number;
}

/**
 * Publishes to JetStream the way the JetStream client does — a message with `Nats-Msg-Id` and a
 * reply subject, answered by the stream with a PubAck (`{"stream","seq","duplicate"}`) or an
 * `{"error"}` — but on one inbox subscription, with one timer for all publishes in flight.
 * nats.js's request path builds an Error (with its stack) for every request it completes and
 * a timer per request: at thousands of messages per second that was a tenth of the gateway's CPU.
 */
export class JetStreamPublisher {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<string, Waiting>();
  readonly #sub: Subscription;
  readonly #sweeper: NodeJS.Timeout;
  #next = 0;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#prefix = createInbox();
    this.#sub = nc.subscribe(`${this.#prefix}.*`, { callback: (_error, msg) => this.#reply(msg) });
    this.#sweeper = setInterval(() => this.#expire(), Math.min(250, timeoutMs / 4));
    this.#sweeper.unref();
  }

  get inflight(): number {
    return this.#waiting.size;
  }

  publish(subject: string, payload: Uint8Array, msgId: string): Promise<PubAck> {
    const token = (this.#next++).toString(36);
    const h = headers();
    h.set("Nats-Msg-Id", msgId);
    return new Promise<PubAck>((resolve, reject) => {
      this.#waiting.set(token, { resolve, reject, deadline: Date.now() + this.#timeoutMs });
      try {
        this.#nc.publish(subject, payload, { reply: `${this.#prefix}.${token}`, headers: h });
      } catch (error) {
        this.#waiting.delete(token);
        reject(error as Error);
      }
    });
  }

  #reply(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length + 1);
    const waiting = this.#waiting.get(token);
    if (waiting === undefined) return; // answered after it timed out
    this.#waiting.delete(token);
    if (msg.headers?.hasError) {
      // 503: no stream listens on the subject (no responders).
      const why = `${msg.headers.code} ${msg.headers.description}`;
      const code = msg.headers.code === 503 ? "GATEWAY_JETSTREAM_NO_RESPONDERS" : "GATEWAY_JETSTREAM_PUBLISH_FAILED";
      waiting.reject(new GatewayError(code, `JetStream answered ${why}`));
      return;
    }
    let ack: { seq?: number; duplicate?: boolean; error?: { description?: string; code?: number } };
    try {
      ack = msg.json();
    } catch (cause) {
      waiting.reject(new GatewayError("GATEWAY_JETSTREAM_PUBLISH_FAILED", "unreadable PubAck", cause));
      return;
    }
    if (ack.error !== undefined || typeof ack.seq !== "number") {
      const why = ack.error?.description ?? "no sequence in the PubAck";
      waiting.reject(new GatewayError("GATEWAY_JETSTREAM_PUBLISH_FAILED", `JetStream refused: ${why}`));
      return;
    }
    waiting.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  #expire(): void {
    const now = Date.now();
    for (const [token, waiting] of this.#waiting) {
      if (waiting.deadline > now) continue;
      this.#waiting.delete(token);
      waiting.reject(
        new GatewayError("GATEWAY_JETSTREAM_NO_PUBACK", `no PubAck from JetStream in ${this.#timeoutMs} ms`),
      );
    }
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#sub.unsubscribe();
    for (const waiting of this.#waiting.values()) {
      waiting.reject(new GatewayError("GATEWAY_JETSTREAM_PUBLISH_FAILED", "the gateway is closing"));
    }
    this.#waiting.clear();
  }
}
