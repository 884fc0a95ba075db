import { z } from "zod";
import {
  alertEventSchema,
  alertHistoryAnswerSchema,
  alertListAnswerSchema,
  ruleDeleteAnswerSchema,
  ruleListAnswerSchema,
  rulePutAnswerSchema,
  silenceListAnswerSchema,
  silenceSchema,
} from "./alerts/alert-answers.ts";
import { alertCommandBodySchema, alertListParamsSchema, silenceBodySchema } from "./alerts/alert-routes.ts";
import { ruleBodySchema, ruleListParamsSchema } from "./alerts/rule-routes.ts";
import {
  catalogueAnswerSchema,
  deviceAnswerSchema,
  gapsAnswerSchema,
  healthAnswerSchema,
  latestAnswerSchema,
  seriesAnswerSchema,
  sqlAnswerSchema,
  statusAnswerSchema,
  topAnswerSchema,
} from "./answer-schemas.ts";
import { catalogueParamsSchema, deviceBodySchema, latestParamsSchema } from "./catalogue-route.ts";
import { exportParamsSchema } from "./export-route.ts";
import { gapsParamsSchema } from "./gaps-route.ts";
import type { RouteDoc, WebhookDoc } from "./openapi.ts";
import { ARROW_STREAM } from "./series-arrow.ts";
import { seriesParamsSchema } from "./series-route.ts";
import { sqlBodySchema } from "./sql-route.ts";
import { topParamsSchema } from "./top-route.ts";
import {
  alertmanagerPayloadSchema,
  deadLetterListAnswerSchema,
  lifelinePayloadSchema,
  replayAnswerSchema,
  webhookAnswerSchema,
  webhookListAnswerSchema,
} from "./webhooks/webhook-answers.ts";
import { webhookStatsSchema } from "./webhooks/webhook-dispatcher.ts";
import { deadLetterQuerySchema, replayBodySchema, webhookBodySchema } from "./webhooks/webhook-routes.ts";

/** Every route of the API as the OpenAPI document describes it. */
export const ROUTE_DOCS: readonly RouteDoc[] = [
  { method: "get", path: "/healthz", summary: "Liveness", answers: { 200: healthAnswerSchema } },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    answers: { 200: z.looseObject({ openapi: z.literal("3.1.0"), info: z.looseObject({}), paths: z.looseObject({}) }) },
  },
  {
    method: "get",
    path: "/v1/status",
    summary: "Pipeline counters of the process that hosts the API",
    answers: { 200: statusAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/series",
    summary: "Readings of one or many series, raw or in buckets with aggregates and gap filling",
    description:
      "The 1-minute or 1-hour rollup answers when the step is a multiple of it (`source`), with raw readings for ends of the range that do not cover a whole bucket: the same answer as from raw readings.",
    query: seriesParamsSchema,
    produces: ["application/json", ARROW_STREAM],
    answers: { 200: seriesAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/latest",
    summary: "The latest value of every series of a site",
    query: latestParamsSchema,
    answers: { 200: latestAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/top",
    summary: "The N highest or lowest aggregates across series (per bucket with a step, per series without)",
    query: topParamsSchema,
    answers: { 200: topAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/catalogue",
    summary: "Series and devices: listing and search",
    query: catalogueParamsSchema,
    answers: { 200: catalogueAnswerSchema },
  },
  {
    method: "put",
    path: "/v1/catalogue/devices/:site/:device",
    summary: "Set a device's catalogue entry (kind, name, location)",
    pathParams: { site: "The site", device: "The device" },
    body: deviceBodySchema,
    answers: { 200: deviceAnswerSchema },
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
    answers: { 200: sqlAnswerSchema },
    errors: [422, 429],
  },
  {
    method: "get",
    path: "/v1/ingest/gaps",
    summary: "Envelopes lost at the source, per (site, gateway, boot)",
    query: gapsParamsSchema,
    answers: { 200: gapsAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/alerts",
    summary: "Alerts in their current state (latest transition of each), newest first, with filters",
    query: alertListParamsSchema,
    answers: { 200: alertListAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/alerts/:id",
    summary: "One alert and every transition of it",
    pathParams: { id: "Alert id" },
    answers: { 200: alertHistoryAnswerSchema },
    errors: [404],
  },
  ...(["acknowledge", "resolve", "close"] as const).map(
    (c): RouteDoc => ({
      method: "post",
      path: `/v1/alerts/:id/${c}`,
      summary: `${c[0]?.toUpperCase()}${c.slice(1)} an alert (409 API_CONFLICT when its state does not allow it)`,
      pathParams: { id: "Alert id" },
      body: alertCommandBodySchema,
      answers: { 200: alertEventSchema.describe("The transition the command made") },
      errors: [404, 409],
    }),
  ),
  {
    method: "get",
    path: "/v1/alerts/silences",
    summary: "Silences (maintenance windows) not yet ended",
    answers: { 200: silenceListAnswerSchema },
  },
  {
    method: "post",
    path: "/v1/alerts/silences",
    summary: "Silence a site, a device or a rule for a time: alerts are stored and listed, not sent",
    body: silenceBodySchema,
    answers: { 201: silenceSchema },
  },
  {
    method: "delete",
    path: "/v1/alerts/silences/:id",
    summary: "End a silence now; alerts still firing are sent",
    pathParams: { id: "Silence id" },
    answers: { 200: silenceSchema.describe("The silence, ended") },
    errors: [404],
  },
  {
    method: "get",
    path: "/v1/rules",
    summary: "Alert rules in force (from the API and from gateway profiles), and rules that are not, with why",
    query: ruleListParamsSchema,
    answers: { 200: ruleListAnswerSchema },
  },
  {
    method: "put",
    path: "/v1/rules/:site/:id",
    summary: "Create or replace an alert rule; the rule engine applies it without a restart",
    pathParams: { site: "The site", id: "Rule id, unique within the site" },
    body: ruleBodySchema,
    answers: { 200: rulePutAnswerSchema },
  },
  {
    method: "delete",
    path: "/v1/rules/:site/:id",
    summary: "Delete an API rule; alerts it held open are resolved",
    pathParams: { site: "The site", id: "Rule id" },
    answers: { 200: ruleDeleteAnswerSchema },
    errors: [404],
  },
  {
    method: "get",
    path: "/v1/webhooks",
    summary: "Webhook subscribers (secrets are never returned) with delivery counters",
    answers: { 200: webhookListAnswerSchema },
  },
  {
    method: "get",
    path: "/v1/webhooks/:id",
    summary: "One webhook subscriber with its delivery counters",
    pathParams: { id: "Subscriber id" },
    answers: { 200: webhookAnswerSchema },
    errors: [404],
  },
  {
    method: "get",
    path: "/v1/webhooks/:id/stats",
    summary: "One webhook subscriber's delivery counters",
    pathParams: { id: "Subscriber id" },
    answers: { 200: webhookStatsSchema },
    errors: [404],
  },
  {
    method: "put",
    path: "/v1/webhooks/:id",
    summary: "Create or replace a webhook subscriber (URL, filter, secret, format)",
    pathParams: { id: "Subscriber id" },
    body: webhookBodySchema,
    answers: { 200: webhookAnswerSchema.describe("Replaced"), 201: webhookAnswerSchema.describe("Created") },
  },
  {
    method: "delete",
    path: "/v1/webhooks/:id",
    summary: "Delete a webhook subscriber",
    pathParams: { id: "Subscriber id" },
    answers: { 204: null },
    errors: [404],
  },
  {
    method: "get",
    path: "/v1/webhooks/dead-letters",
    summary: "Deliveries given up after their retry time, with attempts and the last error",
    query: deadLetterQuerySchema,
    answers: { 200: deadLetterListAnswerSchema },
  },
  {
    method: "post",
    path: "/v1/webhooks/dead-letters/replay",
    summary: "Deliver dead letters again now (one, or all of a subscriber); removed only after a 2xx",
    body: replayBodySchema,
    answers: { 200: replayAnswerSchema },
    errors: [404],
  },
  {
    method: "get",
    path: "/v1/snapshots/:site/:device/:name",
    summary: "A JPEG snapshot an alert links as evidence (evidence.snapshot = snapshots/<site>/<device>/<name>)",
    served: "/v1/snapshots/*",
    pathParams: { site: "Site id", device: "Camera or drone id", name: "<capture ms>-<hash>.jpg" },
    produces: ["image/jpeg"],
    errors: [404],
  },
];

/** What Lifeline POSTs to webhook subscribers, as the OpenAPI document's `webhooks` describes it. */
export const WEBHOOK_DOCS: readonly WebhookDoc[] = [
  {
    name: "alertEvent",
    summary: "One alert transition (fired, escalated, acknowledged, resolved, closed, …) to a subscriber",
    description:
      "Sent at least once per event that passes the subscriber's filter, in order per alert key. Verify the signature over the raw body before parsing it, refuse a timestamp more than 300 s from your clock, and deduplicate by Idempotency-Key (the event id). The body is the subscriber's `format`.",
    headers: {
      "Lifeline-Webhook-Id": "The subscriber id: look its secret up by it",
      "Lifeline-Timestamp": "Unix seconds of this attempt",
      "Lifeline-Signature":
        'v1= and the hex HMAC-SHA256(secret, "<timestamp>.<raw body>"); several comma-separated while a secret is rotated',
      "Idempotency-Key": "The event id: the same on every attempt and replay",
    },
    bodies: [lifelinePayloadSchema, alertmanagerPayloadSchema],
  },
];
