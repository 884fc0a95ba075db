import { type Logger, silentLogger } from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import Fastify, { type FastifyInstance } from "fastify";
import { ApiError } from "./api-error.ts";
import { gapsRoute } from "./gaps-route.ts";
import { seriesRoute } from "./series-route.ts";

export interface ApiOptions {
  store: TelemetryStore;
  now?: () => number;
  log?: Logger;
  /** Extra fields for `GET /v1/status` (pipeline counters from the process that hosts the API). */
  status?: () => Record<string, unknown>;
}

/** Builds the HTTP API without listening, so that tests can use `app.inject()`. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const log = options.log ?? silentLogger;
  const app = Fastify({ logger: false });
  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof ApiError) return reply.status(error.statusCode).send(error.body());
    const status = (error as { statusCode?: number }).statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      return reply.status(status).send({ error: { code: "API_BAD_REQUEST", message: (error as Error).message } });
    }
    log.error("request failed", { error: error instanceof Error ? error.message : String(error) });
    return reply.status(500).send(new ApiError("API_INTERNAL", "the request could not be answered").body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(new ApiError("API_NOT_FOUND", `no route ${request.method} ${request.url}`).body()),
  );
  app.get("/healthz", async () => ({ ok: true }));
  app.get("/v1/status", async () => ({ ok: true, ...(options.status?.() ?? {}) }));
  await app.register(seriesRoute(options.store, options.now ?? Date.now));
  await app.register(gapsRoute(options.store));
  return app;
}
