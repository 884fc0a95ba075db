import { z } from "zod";

/** What the OpenAPI document says of one route; the schemas are the ones the route validates with. */
export interface RouteDoc {
  method: "get" | "post" | "put" | "delete";
  path: string;
  /** The path fastify serves it at, where the document's cannot be one (a wildcard). */
  served?: string;
  summary: string;
  description?: string;
  query?: z.ZodType;
  pathParams?: Record<string, string>;
  body?: z.ZodType;
  /** Content types of a 200 answer (default application/json). */
  produces?: readonly string[];
  /**
   * The JSON body of each success status (an answer in another content type is described by
   * `produces` alone); null for an answer without a body (204). Default: 200 with no schema.
   */
  answers?: Readonly<Record<number, z.ZodType | null>>;
  /** Error statuses besides 400 and 500, which every route has (a parameter or body it refuses; a failure). */
  errors?: readonly number[];
}

/** A request Lifeline makes to its subscribers (OpenAPI's `webhooks`): what a receiver must accept. */
export interface WebhookDoc {
  name: string;
  summary: string;
  description?: string;
  /** The headers sent, each with what it holds. */
  headers: Readonly<Record<string, string>>;
  /** The body's possible shapes (one per format). */
  bodies: readonly z.ZodType[];
}

type JsonSchema = {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: string[];
} & Record<string, unknown>;

/**
 * Schemas shared by reference: zod puts a recursive schema (or one with an id) in the schema's own
 * `$defs` and refers to it as `#/$defs/…`, which in an OpenAPI document resolves against the
 * document's root, where there is no `$defs`. Each is moved to `components/schemas` under its id
 * (`SqlParamValue`), the references rewritten to point there. Two different schemas under one name
 * (zod numbers unnamed ones `__schema0`, `__schema1`, … per conversion) are refused: give one an id.
 */
type Components = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: "input" | "output", components: Components): JsonSchema {
  const converted = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonSchema;
  const { $schema: _drop, $defs, ...rest } = converted as JsonSchema & { $defs?: Record<string, unknown> };
  if ($defs === undefined) return rest;
  const relinked = (value: unknown) =>
    JSON.parse(JSON.stringify(value).replaceAll('"#/$defs/', '"#/components/schemas/')) as JsonSchema;
  for (const [name, def] of Object.entries($defs)) {
    const component = relinked(def);
    if (name in components && JSON.stringify(components[name]) !== JSON.stringify(component)) {
      throw new Error(`two schemas are named ${name} in the OpenAPI document: give one of them its own id`);
    }
    components[name] = component;
  }
  return relinked(rest);
}

/** Every error answer: `{ error: { code, message, parameter? } }`. */
export const errorAnswerSchema = z.strictObject({
  error: z.strictObject({
    code: z.string().describe("Stable, e.g. API_BAD_PARAMETER"),
    message: z.string(),
    parameter: z.string().optional().describe("The parameter or body field at fault"),
  }),
});

const ERROR_MEANING: Readonly<Record<number, string>> = {
  400: "Refused: `error.code` is stable, `error.parameter` names the parameter at fault",
  404: "Not found: `error.parameter` names what was looked for",
  409: "The resource's state does not allow it (API_CONFLICT)",
  422: "Over a limit of time, memory or result rows (API_LIMIT_EXCEEDED)",
  429: "As many as allowed are running (API_BUSY); try again shortly",
  500: "Could not be answered (API_INTERNAL); the details are in the server's log",
};

const SUCCESS_MEANING: Readonly<Record<number, string>> = { 200: "OK", 201: "Created", 204: "Done; no body" };

/** The statuses a route answers, each with its JSON schema (undefined: not JSON or not described; null: no body). */
export function routeAnswers(r: RouteDoc): Map<number, z.ZodType | null | undefined> {
  const statuses = new Map<number, z.ZodType | null | undefined>(
    Object.entries(r.answers ?? { 200: undefined }).map(([status, schema]) => [Number(status), schema]),
  );
  for (const status of [400, ...(r.errors ?? []), 500].sort((a, b) => a - b)) statuses.set(status, errorAnswerSchema);
  return statuses;
}

function responseOf(r: RouteDoc, status: number, schema: z.ZodType | null | undefined, components: Components): object {
  const description = ERROR_MEANING[status] ?? SUCCESS_MEANING[status] ?? String(status);
  if (schema === null) return { description };
  const json = schema === undefined ? {} : { schema: jsonSchema(schema, "output", components) };
  const types = status === 200 ? (r.produces ?? ["application/json"]) : ["application/json"];
  return {
    description,
    content: Object.fromEntries(types.map((type) => [type, type === "application/json" ? json : {}])),
  };
}

/**
 * The OpenAPI 3.1 document of the API, built from the same zod schemas that validate requests, so
 * the two cannot drift apart.
 */
export function openApiDocument(
  routes: readonly RouteDoc[],
  info: { title: string; version: string },
  webhooks: readonly WebhookDoc[] = [],
): object {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Components = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const query = r.query === undefined ? undefined : jsonSchema(r.query, "input", components);
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
        : {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(r.body, "input", components) } },
            },
          }),
      responses: Object.fromEntries(
        [...routeAnswers(r)].map(([status, schema]) => [String(status), responseOf(r, status, schema, components)]),
      ),
    };
  }
  const hooks = Object.fromEntries(
    webhooks.map((w) => [
      w.name,
      {
        post: {
          summary: w.summary,
          ...(w.description === undefined ? {} : { description: w.description }),
          parameters: Object.entries(w.headers).map(([name, description]) => ({
            name,
            in: "header",
            required: true,
            description,
            schema: { type: "string" },
          })),
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { oneOf: w.bodies.map((b) => jsonSchema(b, "output", components)) } },
            },
          },
          responses: {
            "2XX": { description: "Delivered: the event is acknowledged and not sent again" },
            default: {
              description: "Not delivered: retried with backoff (Retry-After is honoured), then a dead letter",
            },
          },
        },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info,
    paths,
    ...(webhooks.length === 0 ? {} : { webhooks: hooks }),
    ...(Object.keys(components).length === 0 ? {} : { components: { schemas: components } }),
  };
}
