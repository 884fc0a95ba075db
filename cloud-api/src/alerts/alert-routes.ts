import { ALERT_KINDS, ALERT_LEVELS, ALERT_STATES, type AlertEvent, idSchema } from "@lifeline/contracts";
import type { AlertStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "../api-error.ts";
import { checkFromBeforeTo, limitParam, listParam, parseQuery } from "../parse-query.ts";
import { durationParam, instantParam } from "../time-params.ts";
import { AlertError } from "./alert-error.ts";
import type { AlertService } from "./alert-service.ts";

export const MAX_ALERTS = 10_000;
const ALERT_ID = /^[0-9a-f]{24}$/;

export const alertListParamsSchema = z
  .strictObject({
    site: idSchema.optional().describe("Only this site"),
    device: idSchema.optional().describe("Only this device"),
    rule: idSchema.optional().describe("Only this rule"),
    kind: z.enum(ALERT_KINDS).optional().describe("Only this kind of rule"),
    level: listParam(z.enum(ALERT_LEVELS), 4).optional().describe("Only these current levels, e.g. I,II"),
    state: listParam(z.enum(ALERT_STATES), 4)
      .optional()
      .describe("Only these current states (default all), e.g. firing,acknowledged"),
    from: instantParam.optional().describe("Fired at or after this time"),
    to: instantParam.optional().describe("Fired before this time"),
    limit: limitParam(MAX_ALERTS).optional().describe("At most this many alerts, newest first (default 100)"),
  })
  .superRefine(checkFromBeforeTo);

export const alertCommandBodySchema = z.strictObject({
  by: z.string().min(1).max(200).describe("Who does it (a person or a system)"),
  note: z.string().max(2_000).default("").describe("Why, or what was done"),
});

export const silenceBodySchema = z
  .strictObject({
    site: idSchema.describe("The site the silence covers"),
    device: idSchema.optional().describe("Only this device (default every device of the site)"),
    rule: idSchema.optional().describe("Only this rule (default every rule)"),
    startsAt: z.number().int().optional().describe("Start, epoch ms (default now)"),
    endsAt: z.number().int().optional().describe("End, epoch ms; or give `duration`"),
    duration: durationParam.optional().describe("Length from the start, e.g. 2h"),
    by: z.string().min(1).max(200).describe("Who set it"),
    comment: z.string().max(2_000).default("").describe("Why, e.g. planned blasting"),
  })
  .superRefine((s, ctx) => {
    if ((s.endsAt === undefined) === (s.duration === undefined)) {
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "expected exactly one of endsAt and duration" });
    }
  });

const alertPath = z.strictObject({ id: z.string().regex(ALERT_ID, "expected an alert id of 24 hex digits") });
const silencePath = z.strictObject({ id: z.uuid("expected a silence id (a UUID)") });

/** The lifecycle errors as HTTP answers: unknown → 404, not allowed in this state → 409. */
function apiErrorOf(error: unknown): unknown {
  if (!(error instanceof AlertError)) return error;
  if (error.code === "ALERT_NOT_FOUND") return new ApiError("API_NOT_FOUND", error.message, "id");
  if (error.code === "ALERT_INVALID_TRANSITION") return new ApiError("API_CONFLICT", error.message, "id");
  return new ApiError("API_INTERNAL", error.message);
}

/**
 * The alert board's API: alerts in their current state with filters, one alert's history, the
 * operator's commands (acknowledge, resolve, close) and silences (maintenance windows).
 */
export function alertRoutes(store: AlertStore, service: AlertService, now: () => number = Date.now) {
  return async (app: FastifyInstance) => {
    app.get("/v1/alerts", async (request) => {
      const p = parseQuery(alertListParamsSchema, request.query);
      const limit = p.limit ?? 100;
      const alerts = await store.listAlerts({ ...p, limit: limit + 1 });
      const truncated = alerts.length > limit;
      if (truncated) alerts.length = limit;
      return { truncated, alerts };
    });

    app.get("/v1/alerts/silences", async () => ({ silences: service.silences() }));

    app.post("/v1/alerts/silences", async (request, reply) => {
      const b = parseQuery(silenceBodySchema, request.body ?? {});
      const startsAt = b.startsAt ?? now();
      const endsAt = b.endsAt ?? startsAt + (b.duration as number);
      if (endsAt <= startsAt)
        throw new ApiError("API_BAD_PARAMETER", "endsAt: expected a time after startsAt", "endsAt");
      const silence = await service.addSilence({ ...b, startsAt, endsAt });
      return reply.status(201).send(silence);
    });

    app.delete("/v1/alerts/silences/:id", async (request) => {
      const { id } = parseQuery(silencePath, request.params);
      return service.expireSilence(id).catch((e) => {
        throw apiErrorOf(e);
      });
    });

    app.get("/v1/alerts/:id", async (request) => {
      const { id } = parseQuery(alertPath, request.params);
      const history = await store.alertHistory(id);
      const current = history[history.length - 1];
      if (current === undefined) throw new ApiError("API_NOT_FOUND", `no alert ${id}`, "id");
      return { alert: current, history };
    });

    const command = (name: "acknowledge" | "resolve" | "close") =>
      app.post(`/v1/alerts/:id/${name}`, async (request): Promise<AlertEvent> => {
        const { id } = parseQuery(alertPath, request.params);
        const b = parseQuery(alertCommandBodySchema, request.body ?? {});
        return service[name](id, b.by, b.note).catch((e) => {
          throw apiErrorOf(e);
        });
      });
    command("acknowledge");
    command("resolve");
    command("close");
  };
}
