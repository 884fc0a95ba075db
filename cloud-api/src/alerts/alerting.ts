import { type Logger, silentLogger } from "@lifeline/contracts";
import { AlertStore, type ClickHouseDriver } from "@lifeline/store";
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
  const store = new AlertStore(options.driver);
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
    },
  };
}
