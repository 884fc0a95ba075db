import { type Logger, silentLogger } from "@lifeline/contracts";
import type { AlertStore, TelemetryStore } from "@lifeline/store";
import Fastify, { type FastifyInstance } from "fastify";
import {
  alertCommandBodySchema,
  alertListParamsSchema,
  alertRoutes,
  silenceBodySchema,
} from "./alerts/alert-routes.ts";
import type { AlertService } from "./alerts/alert-service.ts";
import { catalogueParamsSchema, catalogueRoute, deviceBodySchema, latestParamsSchema } from "./catalogue-route.ts";
import { answerErrors } from "./error-handler.ts";
import { exportParamsSchema, exportRoute } from "./export-route.ts";
import { gapsParamsSchema, gapsRoute } from "./gaps-route.ts";
import { openApiDocument, type RouteDoc } from "./openapi.ts";
import { seriesParamsSchema, seriesRoute } from "./series-route.ts";
import { type SqlLimits, sqlBodySchema, sqlRoute } from "./sql-route.ts";
import { topParamsSchema, topRoute } from "./top-route.ts";

/** Every route of the API as the OpenAPI document describes it. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  { method: "get", path: "/healthz", summary: "Liveness" },
  { method: "get", path: "/v1/status", summary: "Pipeline counters of the process that hosts the API" },
  {
    method: "get",
    path: "/v1/series",
    summary: "Readings of one or many series, raw or in buckets with aggregates and gap filling",
    description:
      "The 1-minute or 1-hour rollup answers when the step is a multiple of it (`source`), with raw readings for ends of the range that do not cover a whole bucket: the same answer as from raw readings.",
    query: seriesParamsSchema,
  },
  {
    method: "get",
    path: "/v1/latest",
    summary: "The latest value of every series of a site",
    query: latestParamsSchema,
  },
  {
    method: "get",
    path: "/v1/top",
    summary: "The N highest or lowest aggregates across series (per bucket with a step, per series without)",
    query: topParamsSchema,
  },
  {
    method: "get",
    path: "/v1/catalogue",
    summary: "Series and devices: listing and search",
    query: catalogueParamsSchema,
  },
  {
    method: "put",
    path: "/v1/catalogue/devices/:site/:device",
    summary: "Set a device's catalogue entry (kind, name, location)",
    pathParams: { site: "The site", device: "The device" },
    body: deviceBodySchema,
  },
  {
    method: "get",
    path: "/v1/export",
    summary: "Raw readings or buckets as CSV or Parquet, streamed",
    query: exportParamsSchema,
    produces: ["text/csv", "application/vnd.apache.parquet"],
  },
  {
    method: "post",
    path: "/v1/sql",
    summary: "One read-only SELECT of an analyst, with query parameters, under time, memory and row limits",
    description:
      "Parameters are bound by ClickHouse from `{name:Type}` placeholders. SETTINGS, INTO OUTFILE, FORMAT, several statements and functions that reach files or other servers are refused (400 API_QUERY_REFUSED); a query over a limit is answered 422 API_LIMIT_EXCEEDED; more than the allowed number at once 429 API_BUSY.",
    body: sqlBodySchema,
    produces: ["application/json", "text/csv"],
  },
  {
    method: "get",
    path: "/v1/ingest/gaps",
    summary: "Envelopes lost at the source, per (site, gateway, boot)",
    query: gapsParamsSchema,
  },
  {
    method: "get",
    path: "/v1/alerts",
    summary: "Alerts in their current state (latest transition of each), newest first, with filters",
    query: alertListParamsSchema,
  },
  {
    method: "get",
    path: "/v1/alerts/:id",
    summary: "One alert and every transition of it",
    pathParams: { id: "Alert id" },
  },
  ...(["acknowledge", "resolve", "close"] as const).map(
    (c): RouteDoc => ({
      method: "post",
      path: `/v1/alerts/:id/${c}`,
      summary: `${c[0]?.toUpperCase()}${c.slice(1)} an alert (409 API_CONFLICT when its state does not allow it)`,
      pathParams: { id: "Alert id" },
      body: alertCommandBodySchema,
    }),
  ),
  { method: "get", path: "/v1/alerts/silences", summary: "Silences (maintenance windows) not yet ended" },
  {
    method: "post",
    path: "/v1/alerts/silences",
    summary: "Silence a site, a device or a rule for a time: alerts are stored and listed, not sent",
    body: silenceBodySchema,
  },
  {
    method: "delete",
    path: "/v1/alerts/silences/:id",
    summary: "End a silence now; alerts still firing are sent",
    pathParams: { id: "Silence id" },
  },
];

export interface ApiOptions {
  store: TelemetryStore;
  now?: () => number;
  log?: Logger;
  /** Limits of the analysts' SQL endpoint (default {@link DEFAULT_SQL_LIMITS}). */
  sqlLimits?: Partial<SqlLimits>;
  /** Extra fields for `GET /v1/status` (pipeline counters from the process that hosts the API). */
  status?: () => Record<string, unknown>;
  /** The alert board's routes, when this process runs the alert service. */
  alerts?: { store: AlertStore; service: AlertService };
}

/** Builds the HTTP API without listening, so that tests can use `app.inject()`. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const log = options.log ?? silentLogger;
  const app = Fastify({ logger: false });
  answerErrors(app, log);
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/v1/status", async () => ({ ok: true, ...(options.status?.() ?? {}) }));
  await app.register(seriesRoute(options.store, options.now ?? Date.now));
  await app.register(topRoute(options.store));
  await app.register(catalogueRoute(options.store));
  await app.register(exportRoute(options.store));
  await app.register(gapsRoute(options.store));
  await app.register(sqlRoute(options.store, options.sqlLimits));
  if (options.alerts !== undefined) {
    await app.register(alertRoutes(options.alerts.store, options.alerts.service, options.now ?? Date.now));
  }
  const document = openApiDocument(ROUTE_DOCS, { title: "Lifeline API", version: "1" });
  app.get("/openapi.json", async () => document);
  return app;
}
