import { VideoError } from "../video-error.ts";

/** A site or camera name as it may appear in a path and a URL: no dots first, no slashes. */
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
const ID = /^([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,63})\/(\d{1,15})-([0-9a-f]{8})\.jpg$/;

export interface SnapshotIdParts {
  readonly site: string;
  readonly camera: string;
  readonly ts: number;
  readonly hash8: string;
}

/** `<site>/<camera>/<ts>-<hash8>.jpg`: safe in a URL path and, once checked, as a path below the root. */
export function formatSnapshotId(parts: SnapshotIdParts): string {
  return `${parts.site}/${parts.camera}/${parts.ts}-${parts.hash8}.jpg`;
}

/** Parses an id, or throws `VIDEO_EVIDENCE_BAD_ID` (this is the path-traversal guard). */
export function parseSnapshotId(id: string): SnapshotIdParts {
  const m = ID.exec(id);
  if (m === null) {
    throw new VideoError(
      "VIDEO_EVIDENCE_BAD_ID",
      `snapshot id ${JSON.stringify(id)} is not <site>/<camera>/<ts>-<hash8>.jpg`,
      {
        detail: { id },
      },
    );
  }
  return { site: m[1] as string, camera: m[2] as string, ts: Number(m[3]), hash8: m[4] as string };
}

/** Throws `VIDEO_EVIDENCE_BAD_NAME` unless `value` may be used as one path segment. */
export function checkEvidenceName(key: string, value: string): void {
  if (!NAME.test(value)) {
    throw new VideoError(
      "VIDEO_EVIDENCE_BAD_NAME",
      `${key} ${JSON.stringify(value)} must be 1–64 of [A-Za-z0-9._-], not starting with a dot`,
      { detail: { [key]: value } },
    );
  }
}
