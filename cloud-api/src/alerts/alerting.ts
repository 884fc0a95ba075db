import { type Logger, silentLogger } from "@lifeline/contracts";
import { AlertStore, ChdbDriver, type ClickHouseDriver } from "@lifeline/store";
import { type AlertRuleSource, openAlertRuleBucket, watchAlertRules } from "@lifeline/stream-processor";
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { DeadLetters } from "../webhooks/dead-letters.ts";
import { SubscriberRegistry } from "../webhooks/subscriber-registry.ts";
import { WebhookDispatcher } from "../webhooks/webhook-dispatcher.ts";
import type { LifecyclePolicy } from "./alert-lifecycle.ts";
import { AlertService } from "./alert-service.ts";

export interface AlertingOptions {
  nats: NatsConnection;
  driver: ClickHouseDriver;
  /** The rules in force, when this process runs the rule engine; otherwise they are watched here. */
  rules?: AlertRuleSource | undefined;
  policy?: Partial<LifecyclePolicy>;
  /** Where receivers reach this API, for links in Alertmanager payloads. */
  externalUrl?: string | undefined;
  log?: Logger;
  now?: () => number;
}

/**
 * Everything the command center's side of alerting needs in one process: the alert service
 * (lifecycle, the single writer of alert state), the webhook dispatcher with its subscribers and
 * dead letters, and the rule bucket the API edits. Run it in exactly one process.
 */
export interface Alerting {
  /** The connection alerting runs on; the API reads snapshots (the SNAPSHOTS object store) through it. */
  nats: NatsConnection;
  store: AlertStore;
  service: AlertService;
  registry: SubscriberRegistry;
  deadLetters: DeadLetters;
  dispatcher: WebhookDispatcher;
  ruleBucket: KV;
  rules: AlertRuleSource;
  stop(): Promise<void>;
}

export async function startAlerting(options: AlertingOptions): Promise<Alerting> {
  const log = options.log ?? silentLogger;
  // Embedded ClickHouse runs one operation at a time per session: on the telemetry driver's session a
  // one-row alert insert waited behind 100k-row telemetry inserts (bench:alerts: the alert service's
  // hop p50 at 50 % load 191–855 ms → 11 ms on a session of its own, same data folder).
  const ownDriver = options.driver instanceof ChdbDriver ? new ChdbDriver(options.driver.path) : undefined;
  const store = new AlertStore(ownDriver ?? options.driver);
  const ruleBucket = await openAlertRuleBucket(options.nats);
  const ownRules =
    options.rules === undefined
      ? await watchAlertRules({ nats: options.nats, log, onChange: () => undefined })
      : undefined;
  const rules = (options.rules ?? ownRules) as AlertRuleSource;
  const service = await AlertService.start({
    nats: options.nats,
    store,
    log,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const registry = await SubscriberRegistry.open(options.nats);
  const deadLetters = await DeadLetters.open(options.nats);
  const dispatcher = await WebhookDispatcher.start({
    nats: options.nats,
    registry,
    deadLetters,
    log,
    ...(options.externalUrl === undefined ? {} : { externalUrl: options.externalUrl }),
  });
  return {
    nats: options.nats,
    store,
    service,
    registry,
    deadLetters,
    dispatcher,
    ruleBucket,
    rules,
    async stop() {
      await dispatcher.stop();
      await service.stop();
      await ownRules?.close();
      await ownDriver?.close();
    },
  };
}
