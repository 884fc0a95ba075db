/**
 * Names shared by the video analysis at the edge and the API in the cloud. A snapshot is an
 * object in the JetStream object store `SNAPSHOTS`, named `<site>/<device>/<capture ms>-<hash>.jpg`;
 * an alert links it as `snapshots/<name>`, which the API serves at `/v1/snapshots/<name>`.
 */
export const SNAPSHOT_BUCKET = "SNAPSHOTS";
export const SNAPSHOT_LINK_PREFIX = "snapshots/";

/** Live detections (core NATS, not stored: the durable form is the alert condition). */
export const VIDEO_DETECTION_PREFIX = "video.det";

export function videoDetectionSubject(site: string, device: string): string {
  return `${VIDEO_DETECTION_PREFIX}.${site}.${device}`;
}

/** A snapshot's object name; `hash` tells two snapshots of one millisecond apart. */
export function snapshotName(site: string, device: string, at: number, hash: string): string {
  return `${site}/${device}/${at}-${hash}.jpg`;
}

/** Where a snapshot name is allowed to point: three safe segments, nothing that climbs. */
export const SNAPSHOT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}\/\d{1,15}-[0-9a-f]{8,64}\.jpg$/;

/** Where a drone was when it captured a frame (WGS 84, metres above mean sea level). */
export interface CapturePosition {
  lat: number;
  lon: number;
  altM: number;
  relAltM?: number;
  headingDeg?: number;
}
