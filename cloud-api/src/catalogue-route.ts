import { idSchema, metricSchema } from "@lifeline/contracts";
import type { TelemetryStore } from "@lifeline/store";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { ApiError } from "./api-error.ts";
import { limitParam, listParam, parseQuery } from "./parse-query.ts";
import { MAX_SERIES_ITEMS } from "./series-route.ts";

export const MAX_CATALOGUE = 10_000;

export const catalogueParamsSchema = z.strictObject({
  site: idSchema.optional().describe("Only this site"),
  device: idSchema.optional().describe("Only this device"),
  metric: metricSchema.optional().describe("Only this metric"),
  kind: z.string().min(1).max(64).optional().describe("Only devices of this kind"),
  q: z.string().min(1).max(200).optional().describe("Words each found in device, metric, unit, kind, name or location"),
  limit: limitParam(MAX_CATALOGUE).optional().describe(`At most this many series (default 1000)`),
});

export const latestParamsSchema = z.strictObject({
  site: idSchema.describe("The site"),
  device: listParam(idSchema, MAX_SERIES_ITEMS).optional().describe("Only these devices, comma-separated"),
  metric: listParam(metricSchema, MAX_SERIES_ITEMS).optional().describe("Only these metrics, comma-separated"),
});

export const deviceBodySchema = z.strictObject({
  kind: z.string().min(1).max(64).describe("e.g. dust-monitor, rain-gauge, pressure-transmitter"),
  name: z.string().max(200).default("").describe("A name people use"),
  location: z.string().max(500).default("").describe("Where it is, in words"),
  latitude: z.number().min(-90).max(90).nullable().default(null),
  longitude: z.number().min(-180).max(180).nullable().default(null),
});

const deviceRouteParams = z.strictObject({ site: idSchema, device: idSchema });

/**
 * The catalogue of series (site, device, metric, unit, gateway, first and last seen, latest value)
 * with their devices' entries (kind, name, location), listing and search; the latest values of a
 * site; and `PUT` of a device's entry.
 */
export function catalogueRoute(store: TelemetryStore) {
  return async (app: FastifyInstance) => {
    app.get("/v1/catalogue", async (request) => {
      const p = parseQuery(catalogueParamsSchema, request.query);
      const series = await store.catalogue({ ...p, limit: (p.limit ?? 1_000) + 1 });
      const truncated = series.length > (p.limit ?? 1_000);
      if (truncated) series.length = p.limit ?? 1_000;
      return { truncated, series };
    });

    app.get("/v1/latest", async (request) => {
      const p = parseQuery(latestParamsSchema, request.query);
      const devices = p.device === undefined ? undefined : new Set(p.device);
      const metrics = p.metric === undefined ? undefined : new Set(p.metric);
      const series = await store.catalogue({ site: p.site, limit: MAX_CATALOGUE });
      return {
        site: p.site,
        values: series
          .filter((s) => (devices?.has(s.device) ?? true) && (metrics?.has(s.metric) ?? true))
          .map((s) => ({ device: s.device, metric: s.metric, unit: s.unit, ts: s.lastTs, value: s.lastValue })),
      };
    });

    app.put("/v1/catalogue/devices/:site/:device", async (request, reply) => {
      const path = deviceRouteParams.safeParse(request.params);
      if (!path.success) {
        const name = String(path.error.issues[0]?.path[0] ?? "site");
        throw new ApiError("API_BAD_PARAMETER", `${name}: ${path.error.issues[0]?.message ?? "invalid"}`, name);
      }
      const body = parseQuery(deviceBodySchema, request.body ?? {});
      const entry = { ...path.data, ...body };
      await store.putDevice(entry);
      return reply.status(200).send(entry);
    });
  };
}
