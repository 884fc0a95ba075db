import { VideoError } from "../video-error.ts";

/** Socket failures that mean "the camera is not answering", not "the camera said no". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/**
 * Turns what the `onvif` package or a socket reported into a VideoError with a stable code:
 * `VIDEO_ONVIF_UNREACHABLE`, `VIDEO_ONVIF_AUTH` (ONVIF Core §5.11.2.1 ter:NotAuthorized, or a
 * refused Digest), else `VIDEO_ONVIF_FAULT`. The message names the camera and the operation.
 */
export function onvifError(err: unknown, camera: string, operation: string): VideoError {
  if (err instanceof VideoError) return err;
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  const message = err instanceof Error ? err.message : String(err);
  const detail = { camera, operation };
  if (UNREACHABLE_CODES.has(code) || /network timeout|socket hang up/i.test(message)) {
    return new VideoError(
      "VIDEO_ONVIF_UNREACHABLE",
      `camera ${camera} did not answer ${operation}: ${code || message}`,
      {
        cause: err,
        detail,
      },
    );
  }
  if (/not ?authori[sz]ed|digest authentication failed/i.test(message)) {
    return new VideoError("VIDEO_ONVIF_AUTH", `camera ${camera} refused the credentials for ${operation}`, {
      cause: err,
      detail,
    });
  }
  return new VideoError("VIDEO_ONVIF_FAULT", `camera ${camera} failed ${operation}: ${message}`, {
    cause: err,
    detail,
  });
}
