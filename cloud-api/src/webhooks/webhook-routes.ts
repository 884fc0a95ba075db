import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "../api-error.ts";
import { limitParam, parseQuery } from "../parse-query.ts";
import type { DeadLetters } from "./dead-letters.ts";
import { emptySubscriberStats } from "./subscriber-delivery.ts";
import type { SubscriberRegistry } from "./subscriber-registry.ts";
import type { WebhookStats } from "./webhook-dispatcher.ts";
import { WebhookError } from "./webhook-error.ts";
import {
  type PublicSubscriber,
  publicSubscriber,
  type StoredSubscriber,
  webhookIdSchema,
  webhookSecretSchema,
  webhookSettingsSchema,
} from "./webhook-subscriber.ts";

export const MAX_DEAD_LETTERS_LISTED = 10_000;

export const webhookParamsSchema = z.strictObject({ id: webhookIdSchema.describe("The subscriber") });

/** PUT /v1/webhooks/:id: the whole subscriber (defaults for what is left out), but the secret may be kept. */
export const webhookBodySchema = webhookSettingsSchema.extend({
  secret: webhookSecretSchema
    .optional()
    .describe("Key of the HMAC-SHA256 signature, at least 16 characters; required to create, kept when left out"),
});

export const deadLetterQuerySchema = z.strictObject({
  subscriber: webhookIdSchema.optional().describe("Only this subscriber's dead letters"),
  limit: limitParam(MAX_DEAD_LETTERS_LISTED).optional().describe("At most this many (default 1000), oldest first"),
});

export const replayBodySchema = z.strictObject({
  subscriber: webhookIdSchema.describe("Whose dead letters"),
  eventId: z.string().min(1).max(200).optional().describe("Only this event (default: all of the subscriber's)"),
});

/** What the routes need of the dispatcher. */
export interface WebhookStatsSource {
  stats(id: string): WebhookStats | undefined;
}

export type WebhookView = PublicSubscriber & { stats: WebhookStats };

/**
 * Webhook subscribers (secrets are write-only: no answer contains one), their delivery counters,
 * and their dead letters with replay.
 */
export function webhookRoutes(registry: SubscriberRegistry, deadLetters: DeadLetters, dispatcher: WebhookStatsSource) {
  const view = (s: StoredSubscriber): WebhookView => ({
    ...publicSubscriber(s),
    stats: dispatcher.stats(s.id) ?? { ...emptySubscriberStats(), state: "stopped" },
  });
  const find = async (id: string): Promise<StoredSubscriber> => {
    const subscriber = await registry.get(id);
    if (subscriber === undefined) throw new ApiError("API_NOT_FOUND", `no webhook ${id}`, "id");
    return subscriber;
  };

  return async (app: FastifyInstance) => {
    app.get("/v1/webhooks", async () => ({ webhooks: (await registry.list()).map(view) }));

    app.get("/v1/webhooks/dead-letters", async (request) => {
      const q = parseQuery(deadLetterQuerySchema, request.query);
      const limit = q.limit ?? 1_000;
      const letters = await deadLetters.list(q.subscriber);
      return { truncated: letters.length > limit, deadLetters: letters.slice(0, limit) };
    });

    app.post("/v1/webhooks/dead-letters/replay", async (request) => {
      const body = parseBody(replayBodySchema, request.body);
      const subscriber = await registry.get(body.subscriber);
      if (subscriber === undefined) {
        throw new ApiError("API_NOT_FOUND", `no webhook ${body.subscriber}`, "subscriber");
      }
      try {
        return await deadLetters.replay(subscriber, body.eventId);
      } catch (error) {
        if (error instanceof WebhookError && error.code === "WEBHOOK_DEAD_LETTER_NOT_FOUND") {
          throw new ApiError("API_NOT_FOUND", error.message, "eventId");
        }
        throw error;
      }
    });

    app.get("/v1/webhooks/:id", async (request) => {
      const { id } = parseQuery(webhookParamsSchema, request.params);
      return view(await find(id));
    });

    app.get("/v1/webhooks/:id/stats", async (request) => {
      const { id } = parseQuery(webhookParamsSchema, request.params);
      return view(await find(id)).stats;
    });

    app.put("/v1/webhooks/:id", async (request, reply) => {
      const { id } = parseQuery(webhookParamsSchema, request.params);
      const body = parseBody(webhookBodySchema, request.body);
      const existing = await registry.get(id);
      const secret = body.secret ?? existing?.secret;
      if (secret === undefined) {
        throw new ApiError("API_BAD_PARAMETER", "secret: required when a webhook is created", "secret");
      }
      const stored = await registry.put({ ...body, id, secret });
      return reply.status(existing === undefined ? 201 : 200).send(view(stored));
    });

    app.delete("/v1/webhooks/:id", async (request, reply) => {
      const { id } = parseQuery(webhookParamsSchema, request.params);
      if (!(await registry.delete(id))) throw new ApiError("API_NOT_FOUND", `no webhook ${id}`, "id");
      return reply.status(204).send();
    });
  };
}

/** A JSON body with its schema; the first problem becomes a 400 naming the field by its path (`filter.minLevel`). */
function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = (issue?.path ?? []).map(String);
  if (issue?.code === "unrecognized_keys" && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const parameter = path.join(".") || "(body)";
  throw new ApiError("API_BAD_PARAMETER", `${parameter}: ${issue?.message ?? "invalid"}`, parameter);
}
