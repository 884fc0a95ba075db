import { createHash } from "node:crypto";
import type { StreamMessage } from "./jetstream-puller.ts";

/**
 * The ClickHouse insert deduplication token of a batch: a digest of the stream and the stream
 * sequences it holds. A batch written, then redelivered unchanged after a crash before its ack,
 * carries the same token and ClickHouse drops the second insert.
 */
export function dedupToken(kind: string, batch: readonly StreamMessage[]): string {
  const hash = createHash("sha256");
  for (const m of batch) hash.update(`${m.seq},`);
  const first = batch[0]?.seq ?? 0;
  const last = batch[batch.length - 1]?.seq ?? 0;
  return `${kind}:${first}-${last}:${batch.length}:${hash.digest("base64url").slice(0, 22)}`;
}
