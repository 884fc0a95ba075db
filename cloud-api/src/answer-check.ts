import type { FastifyInstance } from "fastify";
import { ApiError } from "./api-error.ts";
import { type RouteDoc, routeAnswers } from "./openapi.ts";

/** `GET /v1/alerts/:id` — a route as both fastify and a {@link RouteDoc} name it. */
const routeKey = (method: string, path: string) => `${method.toUpperCase()} ${path}`;

/**
 * Holds the API to its OpenAPI document: a route registered without a {@link RouteDoc} fails at
 * registration, and every JSON answer is checked against the schema documented for its route
 * and status — an answer with a status the document does not list, a field it does not describe,
 * or a missing one, becomes a 500 naming the route and the first difference. The tests turn it on
 * (`buildApi({ checkAnswers: true })`), so every answer they get is also a check of the document;
 * in service it would cost a parse of every answer, so it is off.
 */
export function checkAnswers(app: FastifyInstance, routes: readonly RouteDoc[]): void {
  const documented = new Map(routes.map((r) => [routeKey(r.method, r.served ?? r.path), routeAnswers(r)]));
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // fastify adds a HEAD route for every GET.
      if (method === "HEAD" || documented.has(routeKey(method, route.url))) continue;
      throw new Error(`${routeKey(method, route.url)} is not in the OpenAPI document (ROUTE_DOCS)`);
    }
  });
  app.addHook("onSend", async (request, reply, payload) => {
    const path = request.routeOptions.url;
    if (path === undefined || request.method === "HEAD") return payload; // no route: the not-found answer
    const route = routeKey(request.method, path);
    const answers = documented.get(route);
    const status = reply.statusCode;
    if (answers === undefined || status === 500) return payload;
    if (!answers.has(status)) {
      throw new ApiError("API_INTERNAL", `${route} answered ${status}, which its document does not list`);
    }
    const schema = answers.get(status);
    const type = String(reply.getHeader("content-type") ?? "");
    if (schema === null) {
      if (payload === undefined || payload === null || payload === "") return payload;
      throw new ApiError("API_INTERNAL", `${route} answered ${status} with a body, which its document does not give`);
    }
    if (schema === undefined || !type.startsWith("application/json")) return payload;
    const text =
      typeof payload === "string" ? payload : Buffer.isBuffer(payload) ? payload.toString("utf8") : undefined;
    if (text === undefined) return payload;
    const checked = schema.safeParse(JSON.parse(text));
    if (checked.success) return payload;
    const issue = checked.error.issues[0];
    const where = issue?.path.length ? issue.path.join(".") : "(body)";
    throw new ApiError(
      "API_INTERNAL",
      `${route} answered ${status} unlike its document: ${where}: ${issue?.message ?? "invalid"}`,
    );
  });
}
