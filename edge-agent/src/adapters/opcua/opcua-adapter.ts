import { type Logger, silentLogger } from "@lifeline/contracts";
import type { ClientSubscription, DataValue } from "node-opcua-client";
import type { ReadingSink, StreamingAdapter } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";
import { connectionError, type OpcuaSession, openSession } from "./client-session.ts";
import type { OpcuaDeviceConfig, OpcuaPoint } from "./config.ts";
import { readingFromDataValue } from "./data-value-reading.ts";
import { monitorPoints, type RefusedPoint } from "./monitored-points.ts";
import { PublishWatchdog } from "./publish-watchdog.ts";
import { ReadingBatcher } from "./reading-batcher.ts";

/** Publishing cycles without data before the server sends a keep-alive (IEC 62541-4 §5.13.1.1). */
const MAX_KEEP_ALIVE_COUNT = 10;
/** At least three keep-alive periods, as IEC 62541-4 §5.13.2.2 requires. */
const LIFETIME_COUNT = 60;

export interface OpcuaAdapterOptions {
  /** Where `auth.passwordEnv` is looked up; process.env by default. */
  env?: Record<string, string | undefined>;
  log?: Logger;
}

interface Live {
  connection: OpcuaSession;
  subscription: ClientSubscription | undefined;
  watchdog: PublishWatchdog | undefined;
}

/**
 * One OPC UA server: one session, one subscription, one monitored item per point. Readings carry
 * the source timestamp and the quality of each data change and go to the sink per device (the
 * adapter's id, or a point's own `device`). A lost connection is re-opened and the subscription
 * restored by node-opcua (TransferSubscriptions, or re-created on a restarted server); when that
 * is not possible the adapter starts over. Every failure goes to the sink; nothing throws.
 */
export class OpcuaAdapter implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: OpcuaDeviceConfig;
  readonly #env: Record<string, string | undefined>;
  readonly #log: Logger;
  readonly #batcher = new ReadingBatcher((device, readings) => this.#sink?.readings(device, readings));
  #sink: ReadingSink | undefined;
  #live: Live | undefined;
  /** Bumped whenever a connection is given up, so that its late events are ignored. */
  #generation = 0;
  #delayMs: number;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #refused: OpcuaPoint[] = [];
  #closed = false;

  constructor(config: OpcuaDeviceConfig, options: OpcuaAdapterOptions = {}) {
    this.#config = config;
    this.id = config.id;
    this.#env = options.env ?? process.env;
    this.#log = options.log ?? silentLogger;
    this.#delayMs = config.reconnect.initialDelayMs;
  }

  /** Resolves after the first attempt: subscribed, or failed with the error in the sink and a retry planned. */
  async start(sink: ReadingSink): Promise<void> {
    if (this.#sink) throw new Error(`OPC UA adapter ${this.id} is already started`);
    this.#sink = sink;
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    await this.#teardown();
  }

  async #connect(): Promise<void> {
    const generation = ++this.#generation;
    try {
      const connection = await openSession(this.#config, {
        device: this.id,
        env: this.#env,
        log: this.#log,
        reconnect: this.#config.reconnect,
      });
      if (this.#isStale(generation)) {
        await connection.close();
        return;
      }
      const live: Live = { connection, subscription: undefined, watchdog: undefined };
      this.#live = live;
      this.#watch(connection, generation);
      await this.#subscribe(live, generation);
      this.#delayMs = this.#config.reconnect.initialDelayMs;
    } catch (error) {
      if (this.#isStale(generation)) return;
      this.#report(
        error instanceof AdapterError
          ? error
          : new AdapterError("EDGE_OPCUA_CONNECT_FAILED", String(error), { device: this.id }, error),
      );
      await this.#teardown();
      this.#scheduleReconnect();
    }
  }

  async #subscribe(live: Live, generation: number): Promise<void> {
    const { session } = live.connection;
    try {
      const subscription = await session.createSubscription2({
        requestedPublishingInterval: this.#config.publishingIntervalMs,
        requestedMaxKeepAliveCount: MAX_KEEP_ALIVE_COUNT,
        requestedLifetimeCount: LIFETIME_COUNT,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      });
      live.subscription = subscription;
      subscription.on("terminated", () => this.#restart(generation, "the subscription was terminated"));
      live.watchdog = new PublishWatchdog(
        subscription,
        (silentMs) => this.#restart(generation, `no publish response nor keep-alive for ${silentMs} ms`),
        () => live.connection.client.isReconnecting,
      );
      live.watchdog.start();
      const refused = await monitorPoints(subscription, this.#config.points, this.#onChange);
      this.#handleRefused(refused, generation);
      this.#log.info("OPC UA subscribed", {
        device: this.id,
        endpointUrl: this.#config.endpointUrl,
        points: this.#config.points.length,
        refused: this.#refused.length,
        publishingIntervalMs: subscription.publishingInterval,
      });
    } catch (cause) {
      if (cause instanceof AdapterError) throw cause;
      throw new AdapterError(
        "EDGE_OPCUA_SUBSCRIBE_FAILED",
        `cannot subscribe on ${this.#config.endpointUrl}: ${(cause as Error).message}`,
        { device: this.id },
        cause,
      );
    }
  }

  readonly #onChange = (point: OpcuaPoint, dataValue: DataValue): void => {
    const device = point.device ?? this.id;
    const result = readingFromDataValue(point, dataValue);
    if (result.ok) this.#batcher.add(device, result.reading);
    else this.#report(new AdapterError(result.code, result.message, { device, point: point.name }));
  };

  /** Refused points are reported, and asked for again later: a node may appear after a server update. */
  #handleRefused(refused: RefusedPoint[], generation: number): void {
    for (const r of refused) {
      this.#report(new AdapterError(r.code, r.message, { device: r.point.device ?? this.id, point: r.point.name }));
    }
    this.#refused.push(...refused.filter((r) => !r.monitoredWithoutDeadband).map((r) => r.point));
    if (this.#refused.length === 0 || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#retryRefused(generation);
    }, this.#config.retryRefusedPointsMs);
  }

  async #retryRefused(generation: number): Promise<void> {
    const subscription = this.#live?.subscription;
    if (this.#isStale(generation) || !subscription) return;
    const points = this.#refused;
    this.#refused = [];
    try {
      this.#handleRefused(await monitorPoints(subscription, points, this.#onChange), generation);
    } catch {
      // the connection is going down; the next subscription asks for every point again
    }
  }

  /** node-opcua's reconnection events, turned into errors while the server cannot be reached. */
  #watch(connection: OpcuaSession, generation: number): void {
    const { client, session } = connection;
    const url = this.#config.endpointUrl;
    client.on("connection_lost", () => {
      if (this.#isStale(generation)) return;
      this.#report(
        new AdapterError("EDGE_OPCUA_DISCONNECTED", `lost the connection to ${url}; reconnecting`, this.#at),
      );
    });
    // While node-opcua re-opens the channel it retries inside one attempt and only says "backoff".
    client.on("backoff", () => {
      if (this.#isStale(generation)) return;
      this.#report(new AdapterError("EDGE_OPCUA_DISCONNECTED", `still cannot reach ${url}; retrying`, this.#at));
    });
    client.on("reconnection_attempt_has_failed", (cause: Error) => {
      if (this.#isStale(generation)) return;
      const error = connectionError(cause, this.#config, this.id, connection.certificates);
      this.#report(
        error.code === "EDGE_OPCUA_CONNECT_FAILED"
          ? new AdapterError("EDGE_OPCUA_DISCONNECTED", `still cannot reach ${url}: ${cause.message}`, this.#at, cause)
          : error,
      );
    });
    client.on("connection_reestablished", () => {
      if (!this.#isStale(generation)) this.#log.info("OPC UA connection re-established", { device: this.id, url });
    });
    client.on("after_reconnection", (cause?: Error | null) => {
      if (cause) this.#restart(generation, `the session could not be restored: ${cause.message}`);
    });
    session.on("session_closed", () => this.#restart(generation, "the server closed the session"));
  }

  get #at() {
    return { device: this.id };
  }

  /** Gives up the current connection and builds a new one from scratch. */
  #restart(generation: number, reason: string): void {
    if (this.#isStale(generation)) return;
    this.#report(
      new AdapterError(
        "EDGE_OPCUA_DISCONNECTED",
        `${this.#config.endpointUrl}: ${reason}; subscribing again`,
        this.#at,
      ),
    );
    void this.#teardown().then(() => this.#scheduleReconnect());
  }

  #scheduleReconnect(): void {
    if (this.#closed) return;
    const delay = this.#delayMs;
    this.#delayMs = Math.min(delay * 2, this.#config.reconnect.maxDelayMs);
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
  }

  async #teardown(): Promise<void> {
    this.#generation++;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#refused = [];
    const live = this.#live;
    this.#live = undefined;
    live?.watchdog?.stop();
    if (live) await live.connection.close();
  }

  #isStale(generation: number): boolean {
    return this.#closed || generation !== this.#generation;
  }

  #report(error: AdapterError): void {
    this.#sink?.error(error);
  }
}
