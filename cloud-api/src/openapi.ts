import { z } from "zod";

/** What the OpenAPI document says of one route; the schemas are the ones the route validates with. */
export interface RouteDoc {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  pathParams?: Record<string, string>;
  body?: z.ZodType;
  /** Content types of a 200 answer (default application/json). */
  produces?: readonly string[];
}

type JsonSchema = {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: string[];
} & Record<string, unknown>;

const inputSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  return rest;
};

const ERROR = {
  description: "Refused: `error.code` is stable, `error.parameter` names the parameter at fault",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: { code: { type: "string" }, message: { type: "string" }, parameter: { type: "string" } },
          },
        },
      },
    },
  },
};

/**
 * The OpenAPI 3.1 document of the API, built from the same zod schemas that validate requests, so
 * the two cannot drift apart.
 */
export function openApiDocument(routes: readonly RouteDoc[], info: { title: string; version: string }): object {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const query = r.query === undefined ? undefined : inputSchema(r.query);
    const parameters = [
      ...Object.entries(r.pathParams ?? {}).map(([name, description]) => ({
        name,
        in: "path",
        required: true,
        description,
        schema: { type: "string" },
      })),
      ...Object.entries(query?.properties ?? {}).map(([name, { description, ...schema }]) => ({
        name,
        in: "query",
        required: query?.required?.includes(name) ?? false,
        ...(description === undefined ? {} : { description }),
        schema,
      })),
    ];
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      ...(r.description === undefined ? {} : { description: r.description }),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(r.body === undefined
        ? {}
        : { requestBody: { required: true, content: { "application/json": { schema: inputSchema(r.body) } } } }),
      responses: {
        200: {
          description: "OK",
          content: Object.fromEntries((r.produces ?? ["application/json"]).map((type) => [type, {}])),
        },
        400: ERROR,
        ...(r.method === "post" ? { 422: ERROR, 429: ERROR } : {}),
      },
    };
  }
  return { openapi: "3.1.0", info, paths };
}
