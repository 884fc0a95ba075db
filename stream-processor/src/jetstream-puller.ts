import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";

/** A message delivered by a pull consumer, with the acknowledgements the processor uses. */
export interface StreamMessage {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** Stream sequence. */
  seq: number;
  /** Delivered before (JetStream's delivery count > 1). */
  redelivered: boolean;
  ack(): void;
  /** Negative ack: JetStream delivers it again after `delayMs`. */
  nak(delayMs: number): void;
  /** In progress: JetStream restarts the ack wait. */
  working(): void;
}

export interface PullOptions {
  /** Most messages in this pull. */
  batch: number;
  /** Most payload bytes in this pull (the server stops before a message that would pass it). */
  maxBytes: number;
  /** How long the server keeps the pull open waiting for messages. */
  expiresMs: number;
}

/** How a pull ended: `received` messages, and the status that ended it (408 expired, 409 max bytes, …). */
export interface PullResult {
  received: number;
  status: number | undefined;
}

interface OpenPull {
  id: string;
  batch: number;
  received: number;
  done: (result: PullResult) => void;
  timer: NodeJS.Timeout;
}

/**
 * Pull requests on the JetStream wire protocol (NATS ADR-13): one request at a time, with a
 * message count *and* a byte budget, so that what the server sends never exceeds what this
 * process asked for. (nats.js's `fetch` takes a count or bytes, not both, and a fetch by bytes
 * caps itself at 100 messages and then waits out its expiry.) Messages are handed to `onMessage`
 * as they arrive; `pull` resolves when the request is complete — its count reached, its bytes
 * used up (409), or it expired (408) — or, when nobody answers (a consumer that does not exist,
 * a reconnect), on our side a second after its expiry.
 */
export class JetStreamPuller {
  readonly #nc: NatsConnection;
  readonly #api: string;
  readonly #inbox = createInbox();
  readonly #sub: Subscription;
  readonly #onMessage: (m: StreamMessage) => void;
  #open: OpenPull | undefined;
  #next = 0;

  constructor(nc: NatsConnection, stream: string, durable: string, onMessage: (m: StreamMessage) => void) {
    this.#nc = nc;
    this.#api = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`;
    this.#onMessage = onMessage;
    this.#sub = nc.subscribe(`${this.#inbox}.*`, { callback: (_error, msg) => this.#receive(msg) });
  }

  pull(options: PullOptions): Promise<PullResult> {
    this.#finish();
    const id = (this.#next++).toString(36);
    return new Promise<PullResult>((resolve) => {
      // A pull whose end never arrives (a reconnect, a leader change — and nats-server 2.9 sometimes
      // drops an expired pull without its 408) ends on our side soon after its expiry: waiting a
      // second more stalled every consumer for that second under load (bench:alerts, 10 % load:
      // p99 940 → 97 ms). Messages of an old pull that still arrive count against the next one.
      const timer = setTimeout(() => this.#finish(), options.expiresMs + 200);
      this.#open = { id, batch: options.batch, received: 0, done: resolve, timer };
      const request = {
        batch: options.batch,
        max_bytes: options.maxBytes,
        expires: options.expiresMs * 1_000_000,
      };
      try {
        this.#nc.publish(this.#api, JSON.stringify(request), { reply: `${this.#inbox}.${id}` });
      } catch {
        this.#finish(); // disconnected or closed: the caller pulls again later
      }
    });
  }

  /** Ends the open pull on our side (the server's copy expires by itself). */
  cancel(): void {
    this.#finish();
  }

  close(): void {
    this.#finish();
    this.#sub.unsubscribe();
  }

  #finish(status?: number): void {
    const open = this.#open;
    if (open === undefined) return;
    this.#open = undefined;
    clearTimeout(open.timer);
    open.done({ received: open.received, status });
  }

  #receive(msg: Msg): void {
    const reply = msg.reply;
    if (reply === undefined || !reply.startsWith("$JS.ACK.")) {
      // A status for a pull, on its own reply subject: 404/408 (nothing more, expired), 409 (max
      // bytes reached, or a limit). 100 is an idle heartbeat (not asked for).
      const id = msg.subject.slice(this.#inbox.length + 1);
      const code = msg.headers?.code;
      if (this.#open?.id === id && code !== 100) this.#finish(code);
      return;
    }
    // A delivered message carries its original subject; it belongs to the one open pull (one
    // that ended on our side may still deliver: it then counts against the next, which ends early).
    const info = parseAckSubject(reply);
    const nc = this.#nc;
    this.#onMessage({
      subject: msg.subject,
      data: msg.data,
      headers: msg.headers,
      seq: info.streamSeq,
      redelivered: info.deliveryCount > 1,
      ack: () => nc.publish(reply, "+ACK"),
      nak: (delayMs) => nc.publish(reply, `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`),
      working: () => nc.publish(reply, "+WPI"),
    });
    const open = this.#open;
    if (open === undefined) return;
    if (++open.received >= open.batch) this.#finish();
  }
}

/**
 * The delivery facts in a JetStream ack subject (ADR-15):
 * `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>` or, with domain and
 * account hash, `$JS.ACK.<domain>.<hash>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<token>]`.
 */
export function parseAckSubject(subject: string): { deliveryCount: number; streamSeq: number } {
  const t = subject.split(".");
  const base = t.length === 9 ? 4 : 6;
  return { deliveryCount: Number(t[base]), streamSeq: Number(t[base + 1]) };
}
