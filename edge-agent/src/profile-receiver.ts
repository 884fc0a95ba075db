import {
  LifelineError,
  type Logger,
  type ProfileDelivery,
  type ProfileState,
  type ProfileStatus,
  profileStatusTopic,
  profileTopic,
  silentLogger,
} from "@lifeline/contracts";
import mqtt, { type MqttClient } from "mqtt";
import type { AgentConfigInput } from "./agent-config.ts";
import { type EdgeAgent, type EdgeAgentOptions, startEdgeAgent } from "./edge-agent.ts";

export interface ProfileReceiverOptions {
  /** This gateway's id: the key of its profile. */
  gateway: string;
  /** The gateway's MQTT endpoint, where profiles arrive and statuses go. */
  mqttUrl: string;
  username?: string | undefined;
  password?: string | undefined;
  /**
   * Verifies a delivered signed profile against the trusted keys and turns it into the agent's
   * configuration; throws a LifelineError (code and reason go into the `rejected` status).
   */
  accept: (signed: unknown) => AgentConfigInput;
  /** A new profile that leaves the uplink acknowledging nothing this long is rolled back. */
  autoRollbackAfterMs?: number;
  /** How often the status (with point health) is published again while nothing changes. */
  healthIntervalMs?: number;
  /** How the agent runs (its data folder for the journal, log, …). */
  agentOptions: EdgeAgentOptions;
  log?: Logger;
  now?: () => number;
}

interface Running {
  version: number;
  config: AgentConfigInput;
}

/**
 * The agent's side of profile delivery: takes each new version, verifies and applies it, and says
 * `applied` or `rejected` (with the reason) on a retained status message, followed by the health of
 * every point. A new version whose uplink acknowledges nothing for `autoRollbackAfterMs` is rolled
 * back to the version that ran before it. A rejected version changes nothing.
 */
export class ProfileReceiver {
  readonly #o: ProfileReceiverOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #client: MqttClient | undefined;
  #agent: EdgeAgent | undefined;
  #current: Running | undefined;
  #previous: Running | undefined;
  #last: Omit<ProfileStatus, "health" | "at" | "applied"> | undefined;
  readonly #applied: number[] = [];
  #queue: Promise<void> = Promise.resolve();
  #healthTimer: NodeJS.Timeout | undefined;
  #watchTimer: NodeJS.Timeout | undefined;

  constructor(options: ProfileReceiverOptions) {
    this.#o = options;
    this.#log = options.log ?? silentLogger;
    this.#now = options.now ?? Date.now;
  }

  agent(): EdgeAgent | undefined {
    return this.#agent;
  }

  /** The version running now, if any. */
  running(): number | undefined {
    return this.#current?.version;
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.#o.mqttUrl, {
      clientId: `lifeline-profile-${this.#o.gateway}`,
      clean: true,
      reconnectPeriod: 1_000,
      ...(this.#o.username === undefined ? {} : { username: this.#o.username }),
      ...(this.#o.password === undefined ? {} : { password: this.#o.password }),
    });
    this.#client = client;
    client.on("error", (error) => this.#log.warn("profile channel error", { error: error.message }));
    client.on("message", (_topic, payload) => {
      this.#queue = this.#queue
        .then(() => this.#receive(payload))
        .catch((error: unknown) => this.#log.error("profile handling failed", { error: (error as Error).message }));
    });
    // Subscribing again after every reconnect brings the retained latest version (MQTT 3.1.1 §3.3.1.3).
    client.on(
      "connect",
      () => void client.subscribeAsync(profileTopic(this.#o.gateway), { qos: 1 }).catch(() => undefined),
    );
    this.#healthTimer = setInterval(() => void this.#publishStatus(), this.#o.healthIntervalMs ?? 10_000);
    this.#healthTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#healthTimer);
    clearInterval(this.#watchTimer);
    await this.#queue;
    await this.#agent?.stop();
    await this.#client?.endAsync();
  }

  async #receive(payload: Buffer): Promise<void> {
    let delivery: ProfileDelivery;
    try {
      delivery = JSON.parse(payload.toString()) as ProfileDelivery;
      if (!Number.isInteger(delivery.version)) throw new Error("no version");
    } catch {
      this.#log.warn("profile delivery is not readable JSON; ignored");
      return;
    }
    if (delivery.version === this.#current?.version || delivery.version === this.#last?.version) {
      await this.#publishStatus(); // a redelivery (reconnect, retained copy): say again where we are
      return;
    }
    let config: AgentConfigInput;
    try {
      config = this.#o.accept(delivery.signed);
      await this.#run(config);
    } catch (error) {
      const code = error instanceof LifelineError ? error.code : "PROFILE_APPLY_FAILED";
      const reason = error instanceof Error ? error.message : String(error);
      this.#log.warn("profile rejected; the running one stays", { version: delivery.version, code, reason });
      await this.#setStatus(delivery.version, "rejected", { code, reason });
      return;
    }
    this.#previous = this.#current;
    this.#current = { version: delivery.version, config };
    this.#applied.push(delivery.version);
    if (this.#applied.length > 16) this.#applied.shift();
    this.#log.info("profile applied", { version: delivery.version });
    await this.#setStatus(delivery.version, "applied");
    this.#watchUplink(delivery.version);
  }

  async #run(config: AgentConfigInput): Promise<void> {
    if (this.#agent === undefined) this.#agent = await startEdgeAgent(config, this.#o.agentOptions);
    else await this.#agent.apply(config);
  }

  /** Rolls back when the new version's uplink acknowledges nothing while readings wait. */
  #watchUplink(version: number): void {
    clearInterval(this.#watchTimer);
    const previous = this.#previous;
    const agent = this.#agent;
    if (previous === undefined || agent === undefined) return;
    const limit = this.#o.autoRollbackAfterMs ?? 120_000;
    const since = this.#now();
    const ackedAtApply = agent.stats().uplink.acked;
    this.#watchTimer = setInterval(
      () => {
        if (agent.stats().uplink.acked > ackedAtApply) return clearInterval(this.#watchTimer);
        if (this.#now() - since < limit) return;
        clearInterval(this.#watchTimer);
        this.#queue = this.#queue.then(async () => {
          if (this.#current?.version !== version) return;
          this.#log.warn("the uplink acknowledged nothing since the profile changed; rolling back", {
            version,
            back: previous.version,
          });
          await agent.apply(previous.config);
          this.#current = previous;
          this.#previous = undefined;
          await this.#setStatus(version, "rolled-back", {
            code: "PROFILE_UPLINK_DEAD",
            reason: `the uplink acknowledged nothing for ${Math.round(limit / 1000)} s after version ${version} was applied; back to version ${previous.version}`,
          });
        });
      },
      Math.min(1_000, limit),
    );
    this.#watchTimer.unref();
  }

  async #setStatus(version: number, state: ProfileState, why: { code?: string; reason?: string } = {}): Promise<void> {
    this.#last = { gateway: this.#o.gateway, version, state, running: this.#current?.version, ...why };
    await this.#publishStatus();
  }

  async #publishStatus(): Promise<void> {
    if (this.#last === undefined || this.#client === undefined) return;
    const status: ProfileStatus = {
      ...this.#last,
      running: this.#current?.version,
      applied: [...this.#applied],
      at: this.#now(),
      health: this.#agent?.health() ?? [],
    };
    await this.#client
      .publishAsync(profileStatusTopic(this.#o.gateway), JSON.stringify(status), { qos: 1, retain: true })
      .catch((error: unknown) => this.#log.warn("status not published", { error: (error as Error).message }));
  }
}
