import { envelopeId, type Logger, telemetrySubject } from "@lifeline/contracts";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import {
  type Authenticator,
  connect,
  credsAuthenticator,
  type NatsConnection,
  tokenAuthenticator,
} from "@nats-io/transport-node";
import { type EnvelopeRoute, emptyUplinkStats, type Uplink, type UplinkStats } from "./uplink.ts";

export interface NatsUplinkOptions {
  url: string;
  /** The secret the credentials reference resolved to: a .creds file's text or a token. */
  credentials?: string | undefined;
  /** How long a JetStream ack may take before the publish counts as failed and is retried. */
  ackTimeoutMs?: number;
  log: Logger;
}

/**
 * Publishes envelopes straight to JetStream, each with its identity as the message id
 * (`Nats-Msg-Id`), so that a resend after a lost ack is dropped by the stream's duplicate window.
 * A publish resolves on the stream's ack, i.e. once the envelope is stored.
 */
export class NatsUplink implements Uplink {
  readonly kind = "nats";
  readonly #stats: UplinkStats = emptyUplinkStats();
  readonly #listeners: Array<() => void> = [];
  readonly #o: NatsUplinkOptions;
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;
  #connected = false;
  #closed = false;
  #connecting: Promise<void>;

  constructor(options: NatsUplinkOptions) {
    this.#o = options;
    this.#connecting = this.#connect();
  }

  async #connect(): Promise<void> {
    // The first connection is retried forever too: a gateway boots before its uplink is reachable.
    let delay = 250;
    while (!this.#closed) {
      try {
        const nc = await connect({
          servers: this.#o.url,
          name: "lifeline-edge-agent",
          noAsyncTraces: true, // no Error captured per publish: measured, a fifth of the CPU
          reconnect: true,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          ...authOf(this.#o.credentials),
        });
        if (this.#closed) return void (await nc.close());
        this.#nc = nc;
        this.#js = jetstream(nc, { timeout: this.#o.ackTimeoutMs ?? 5_000 });
        this.#setConnected(true);
        void this.#watch(nc);
        return;
      } catch (error) {
        this.#o.log.warn("nats uplink cannot connect; retrying", {
          url: this.#o.url,
          error: error instanceof Error ? error.message : String(error),
        });
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") this.#setConnected(false);
      else if (s.type === "reconnect") this.#setConnected(true);
    }
  }

  #setConnected(connected: boolean): void {
    const was = this.#connected;
    this.#connected = connected;
    if (connected && !was) for (const listener of this.#listeners) listener();
  }

  isConnected(): boolean {
    return this.#connected && this.#nc !== undefined && !this.#nc.isClosed();
  }

  onConnect(listener: () => void): void {
    this.#listeners.push(listener);
  }

  stats(): UplinkStats {
    return { ...this.#stats };
  }

  async publish(route: EnvelopeRoute, payload: Uint8Array): Promise<void> {
    const js = this.#js;
    this.#stats.sent++;
    this.#stats.inflight++;
    try {
      if (js === undefined) throw new Error(`not connected to ${this.#o.url}`);
      const ack = await js.publish(telemetrySubject(route), payload, { msgID: envelopeId(route) });
      this.#stats.acked++;
      if (ack.duplicate) this.#stats.duplicates++;
    } catch (error) {
      this.#stats.failed++;
      throw error;
    } finally {
      this.#stats.inflight--;
    }
  }

  async close(timeoutMs = 5_000): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + timeoutMs;
    while (this.#stats.inflight > 0 && this.isConnected() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.race([this.#connecting, new Promise((r) => setTimeout(r, 100))]);
    await this.#nc?.close();
  }
}

/** A `.creds` file (JWT + seed, as `nsc` writes it) or, otherwise, a token. */
function authOf(credentials: string | undefined): { authenticator?: Authenticator } {
  if (credentials === undefined) return {};
  if (credentials.includes("BEGIN NATS USER JWT")) {
    return { authenticator: credsAuthenticator(new TextEncoder().encode(credentials)) };
  }
  return { authenticator: tokenAuthenticator(credentials) };
}
