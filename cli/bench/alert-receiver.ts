import type { Server } from "node:http";
import type { AlertEvent } from "@lifeline/contracts";
// @ts-expect-error -- the receiver example is plain JavaScript, as a command center would copy it.
import { createReceiver } from "../../cloud-api/examples/verify-webhook.mjs";

/** An event as it arrived: verified, first delivery of its Idempotency-Key, when `onEvent` ran. */
export interface ReceivedAlert {
  event: AlertEvent;
  receivedAt: number;
}

/**
 * The command center's side of a bench: the receiver example (signatures checked, one call per
 * Idempotency-Key), listening in this process. It keeps every event with its wall-clock arrival
 * time, and counts every request per Idempotency-Key, so that a repeat the example answers
 * "already processed" is still seen as a duplicate.
 */
export class AlertReceiver {
  readonly subscriberId: string;
  readonly secret: string;
  readonly received: ReceivedAlert[] = [];
  /** Requests per Idempotency-Key (the event id), repeats included. */
  readonly requests = new Map<string, number>();
  readonly refused: string[] = [];
  readonly #server: Server;
  #url = "";

  constructor(subscriberId: string, secret: string) {
    this.subscriberId = subscriberId;
    this.secret = secret;
    this.#server = createReceiver({
      secrets: { [subscriberId]: secret },
      onEvent: (body: { event: AlertEvent }) => {
        this.received.push({ event: body.event, receivedAt: Date.now() });
      },
      log: (line: string) => this.refused.push(line),
    }) as Server;
    this.#server.on("request", (req) => {
      const key = req.headers["idempotency-key"];
      if (typeof key === "string") this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    });
  }

  /** Where Lifeline POSTs (set once listening). */
  get url(): string {
    return this.#url;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", () => resolve()));
    const address = this.#server.address();
    this.#url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
