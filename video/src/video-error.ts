import { LifelineError } from "@lifeline/contracts";

/**
 * Errors of the video package. Codes are stable: `VIDEO_ONVIF_*` (camera control),
 * `VIDEO_STREAM_*` (decoding), `VIDEO_MAVLINK_*` (drone link), `VIDEO_MODEL_*` (detectors),
 * `VIDEO_EVIDENCE_*` (snapshots and recordings).
 */
export class VideoError extends LifelineError {}
