import { type AlertRule, alertRuleKey, alertRuleSchema, idSchema } from "@lifeline/contracts";
import type { AlertRuleSource } from "@lifeline/stream-processor";
import type { KV } from "@nats-io/kv";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "../api-error.ts";
import { parseQuery } from "../parse-query.ts";
import { rulesWith } from "./alert-answers.ts";

const rulePath = z.strictObject({ site: idSchema, id: idSchema });
/**
 * The PUT body as documented: a rule whose site and id may be left out (they are the path's). The
 * route reads it with the path's site and id put in, as `alertRuleSchema`.
 */
export const ruleBodySchema = rulesWith({
  site: idSchema.optional().describe("The path's site (may be left out)"),
  id: idSchema.optional().describe("The path's rule id (may be left out)"),
});
export const ruleListParamsSchema = z.strictObject({ site: idSchema.optional().describe("Only this site") });

/** The first issue of a rule body as a 400 that names the field (`levels.II`, `all.0.metric`, …). */
function ruleOf(body: unknown, site: string, id: string): AlertRule {
  const input = typeof body === "object" && body !== null ? { site, id, ...body } : body;
  const parsed = alertRuleSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.length ? issue.path.join(".") : "(body)";
    throw new ApiError("API_BAD_PARAMETER", `${field}: ${issue?.message ?? "invalid"}`, field);
  }
  if (parsed.data.site !== site || parsed.data.id !== id) {
    const field = parsed.data.site !== site ? "site" : "id";
    throw new ApiError("API_BAD_PARAMETER", `${field}: expected the ${field} of the path`, field);
  }
  return parsed.data;
}

/**
 * Alert rules through the API: put, delete and list. API rules live in the ALERT_RULES bucket;
 * the listing also shows the rules declared in gateway profiles, and rules that are not in force
 * with the reason. The rule engine picks changes up without a restart.
 */
export function ruleRoutes(bucket: KV, source: AlertRuleSource) {
  return async (app: FastifyInstance) => {
    app.get("/v1/rules", async (request) => {
      const p = parseQuery(ruleListParamsSchema, request.query);
      return {
        rules: source
          .rules()
          .filter((r) => p.site === undefined || r.rule.site === p.site)
          .map((r) => ({ ...r.rule, origin: r.origin })),
        problems: source.problems(),
      };
    });

    app.put("/v1/rules/:site/:id", async (request) => {
      const { site, id } = parseQuery(rulePath, request.params);
      const rule = ruleOf(request.body, site, id);
      const revision = await bucket.put(alertRuleKey(site, id), JSON.stringify(rule));
      return { ...rule, revision };
    });

    app.delete("/v1/rules/:site/:id", async (request) => {
      const { site, id } = parseQuery(rulePath, request.params);
      const current = await bucket.get(alertRuleKey(site, id));
      if (current === null || current.operation !== "PUT") {
        throw new ApiError("API_NOT_FOUND", `no API rule ${id} at site ${site}`, "id");
      }
      await bucket.delete(alertRuleKey(site, id));
      return { deleted: { site, id } };
    });
  };
}
