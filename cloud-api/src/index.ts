export { ApiError, type ApiErrorCode } from "./api-error.ts";
export { type ApiOptions, buildApi, ROUTE_DOCS } from "./api-server.ts";
export { openApiDocument, type RouteDoc } from "./openapi.ts";
export { MAX_POINTS, seriesParamsSchema } from "./series-route.ts";
export { checkReadOnlySql } from "./sql-guard.ts";
export { DEFAULT_SQL_LIMITS, type SqlLimits, sqlRoute } from "./sql-route.ts";
export { durationParam, instantParam } from "./time-params.ts";
