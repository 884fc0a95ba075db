import { type Logger, silentLogger } from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import Fastify, { type FastifyInstance } from "fastify";
import { alertRoutes } from "./alerts/alert-routes.ts";
import type { Alerting } from "./alerts/alerting.ts";
import { ruleRoutes } from "./alerts/rule-routes.ts";
import { snapshotRoute } from "./alerts/snapshot-route.ts";
import { checkAnswers } from "./answer-check.ts";
import { catalogueRoute } from "./catalogue-route.ts";
import { answerErrors } from "./error-handler.ts";
import { exportRoute } from "./export-route.ts";
import { gapsRoute } from "./gaps-route.ts";
import { openApiDocument } from "./openapi.ts";
import { ROUTE_DOCS, WEBHOOK_DOCS } from "./route-docs.ts";
import { seriesRoute } from "./series-route.ts";
import { type SqlLimits, sqlRoute } from "./sql-route.ts";
import { topRoute } from "./top-route.ts";
import { webhookRoutes } from "./webhooks/webhook-routes.ts";

export interface ApiOptions {
  store: TelemetryStore;
  now?: () => number;
  log?: Logger;
  /** Limits of the analysts' SQL endpoint (default {@link DEFAULT_SQL_LIMITS}). */
  sqlLimits?: Partial<SqlLimits>;
  /** Extra fields for `GET /v1/status` (pipeline counters from the process that hosts the API). */
  status?: () => Record<string, unknown>;
  /** Alerts, rules and webhooks, when this process runs alerting (see startAlerting). */
  alerting?: (Pick<Alerting, "store" | "service"> & Partial<Alerting>) | undefined;
  /**
   * Check every JSON answer against its route's documented schema (a 500 naming the difference
   * when it does not match; see {@link checkAnswers}): for tests, as it parses every answer again.
   */
  checkAnswers?: boolean;
}

/**
 * A large answer as bytes: Node writes a long string to the socket several times slower than the
 * same text encoded once (2.4 MB of a site's minute buckets: ~25 ms as a string, ~5 ms as bytes
 * including the encoding, measured over loopback).
 */
export function sendableBytes(payload: unknown): unknown {
  return typeof payload === "string" && payload.length > 64 * 1024 ? Buffer.from(payload) : payload;
}

/** Builds the HTTP API without listening, so that tests can use `app.inject()`. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const log = options.log ?? silentLogger;
  const app = Fastify({ logger: false });
  answerErrors(app, log);
  if (options.checkAnswers === true) checkAnswers(app, ROUTE_DOCS);
  app.addHook("onSend", async (_request, _reply, payload) => sendableBytes(payload));
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/v1/status", async () => ({ ok: true, ...(options.status?.() ?? {}) }));
  await app.register(seriesRoute(options.store, options.now ?? Date.now));
  await app.register(topRoute(options.store));
  await app.register(catalogueRoute(options.store));
  await app.register(exportRoute(options.store));
  await app.register(gapsRoute(options.store));
  await app.register(sqlRoute(options.store, options.sqlLimits));
  const alerting = options.alerting;
  if (alerting !== undefined) {
    await app.register(alertRoutes(alerting.store, alerting.service, options.now ?? Date.now));
    if (alerting.ruleBucket !== undefined && alerting.rules !== undefined) {
      await app.register(ruleRoutes(alerting.ruleBucket, alerting.rules));
    }
    if (alerting.registry !== undefined && alerting.deadLetters !== undefined && alerting.dispatcher !== undefined) {
      await app.register(webhookRoutes(alerting.registry, alerting.deadLetters, alerting.dispatcher));
    }
    if (alerting.nats !== undefined) await app.register(snapshotRoute(alerting.nats));
  }
  const document = openApiDocument(ROUTE_DOCS, { title: "Lifeline API", version: "1" }, WEBHOOK_DOCS);
  app.get("/openapi.json", async () => document);
  return app;
}
