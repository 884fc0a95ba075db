import { type Logger, silentLogger } from "@lifeline/contracts";
import type { FastifyInstance } from "fastify";
import { ApiError } from "./api-error.ts";

/**
 * How every app of the API answers failures: an {@link ApiError} with its status and body, a
 * client error fastify found (bad JSON, wrong content type) as `API_BAD_REQUEST`, anything else
 * logged and answered 500 without its details; an unknown route 404 with a code.
 */
export function answerErrors(app: FastifyInstance, log: Logger = silentLogger): void {
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
}
