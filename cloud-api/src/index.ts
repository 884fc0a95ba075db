export { ApiError, type ApiErrorCode } from "./api-error.ts";
export { type ApiOptions, buildApi } from "./api-server.ts";
export { MAX_POINTS, seriesParamsSchema } from "./series-route.ts";
export { durationParam, instantParam } from "./time-params.ts";
