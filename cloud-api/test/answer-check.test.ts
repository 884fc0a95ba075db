import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { checkAnswers } from "../src/answer-check.ts";
import { ApiError } from "../src/api-error.ts";
import { answerErrors } from "../src/error-handler.ts";
import type { RouteDoc } from "../src/openapi.ts";

const DOCS: readonly RouteDoc[] = [
  {
    method: "get",
    path: "/things/:id",
    summary: "A thing",
    pathParams: { id: "Its id" },
    answers: { 200: z.strictObject({ id: z.string(), size: z.int() }) },
    errors: [404],
  },
  { method: "delete", path: "/things/:id", summary: "Delete", answers: { 204: null } },
  { method: "get", path: "/files/:name", served: "/files/*", summary: "A file", produces: ["text/plain"] },
];

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** An app whose routes answer what `answer` gives for the thing id asked. */
async function appAnswering(answer: (id: string) => { status: number; body?: unknown }): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  answerErrors(server);
  checkAnswers(server, DOCS);
  server.get("/things/:id", async (request, reply) => {
    const { status, body } = answer((request.params as { id: string }).id);
    if (status === 404) throw new ApiError("API_NOT_FOUND", "no such thing", "id");
    return reply.status(status).send(body);
  });
  server.delete("/things/:id", async (request, reply) => {
    const { status, body } = answer((request.params as { id: string }).id);
    return reply.status(status).send(body);
  });
  server.get("/files/*", async (_request, reply) => reply.type("text/plain").send("anything"));
  await server.ready();
  return server;
}

describe("checkAnswers", () => {
  it("lets documented answers through unchanged: JSON by schema, errors, no body, other content types", async () => {
    app = await appAnswering((id) => (id === "gone" ? { status: 404 } : { status: 200, body: { id, size: 3 } }));
    const ok = await app.inject({ url: "/things/a" });
    expect([ok.statusCode, ok.json()]).toEqual([200, { id: "a", size: 3 }]);
    const missing = await app.inject({ url: "/things/gone" });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, "API_NOT_FOUND"]);
    await app.close();
    app = await appAnswering(() => ({ status: 204 }));
    expect((await app.inject({ method: "DELETE", url: "/things/a" })).statusCode).toBe(204);
    const file = await app.inject({ url: "/files/x/y.txt" });
    expect([file.statusCode, file.body]).toEqual([200, "anything"]);
  });

  it("turns an answer unlike its document into a 500 naming the route and the first difference", async () => {
    const bodies: Record<string, unknown> = {
      extra: { id: "extra", size: 3, colour: "red" },
      wrongType: { id: "wrongType", size: "3" },
      missing: { id: "missing" },
    };
    app = await appAnswering((id) => ({ status: 200, body: bodies[id] }));
    const message = async (id: string) => {
      const res = await app?.inject({ url: `/things/${id}` });
      return [res?.statusCode, res?.json().error.code, res?.json().error.message];
    };
    expect(await message("extra")).toEqual([
      500,
      "API_INTERNAL",
      'GET /things/:id answered 200 unlike its document: (body): Unrecognized key: "colour"',
    ]);
    expect(await message("wrongType")).toEqual([
      500,
      "API_INTERNAL",
      "GET /things/:id answered 200 unlike its document: size: Invalid input: expected number, received string",
    ]);
    expect(await message("missing")).toEqual([
      500,
      "API_INTERNAL",
      "GET /things/:id answered 200 unlike its document: size: Invalid input: expected number, received undefined",
    ]);
  });

  it("refuses a status the document does not list, and a body where it gives none", async () => {
    app = await appAnswering(() => ({ status: 201, body: { id: "a", size: 1 } }));
    const created = await app.inject({ url: "/things/a" });
    expect([created.statusCode, created.json().error.message]).toEqual([
      500,
      "GET /things/:id answered 201, which its document does not list",
    ]);
    const deleted = await app.inject({ method: "DELETE", url: "/things/a" });
    expect([deleted.statusCode, deleted.json().error.message]).toEqual([
      500,
      "DELETE /things/:id answered 201, which its document does not list",
    ]);
    await app.close();
    app = await appAnswering(() => ({ status: 204, body: { id: "a" } }));
    const withBody = await app.inject({ method: "DELETE", url: "/things/a" });
    expect([withBody.statusCode, withBody.json().error.message]).toEqual([
      500,
      "DELETE /things/:id answered 204 with a body, which its document does not give",
    ]);
  });

  it("refuses to register a route the document does not describe", async () => {
    app = Fastify({ logger: false });
    checkAnswers(app, DOCS);
    expect(() => app?.post("/things/:id", async () => ({}))).toThrow(
      "POST /things/:id is not in the OpenAPI document (ROUTE_DOCS)",
    );
  });
});
