import { SNAPSHOT_BUCKET, SNAPSHOT_NAME_PATTERN } from "@lifeline/contracts";
import { type ObjectStore, Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../api-error.ts";

/**
 * `GET /v1/snapshots/<site>/<device>/<ms>-<hash>.jpg`: the evidence an alert links to
 * (`evidence.snapshot` = `snapshots/<name>`), from the SNAPSHOTS object store the edge's video
 * analysis writes. Names are checked against one pattern before anything is looked up, so a path
 * cannot reach another object. The content never changes (the name holds its hash): cached for a day.
 */
export function snapshotRoute(nats: NatsConnection) {
  let store: Promise<ObjectStore> | undefined;
  return async (app: FastifyInstance) => {
    app.get("/v1/snapshots/*", async (request, reply) => {
      const name = (request.params as { "*": string })["*"];
      if (!SNAPSHOT_NAME_PATTERN.test(name)) {
        throw new ApiError("API_BAD_PARAMETER", "name: expected <site>/<device>/<ms>-<hash>.jpg", "name");
      }
      store ??= new Objm(nats).open(SNAPSHOT_BUCKET).catch((error: unknown) => {
        store = undefined; // no camera has sent a snapshot yet: look again next time
        throw error;
      });
      const bytes = await store.then((s) => s.getBlob(name)).catch(() => null);
      if (bytes === null) throw new ApiError("API_NOT_FOUND", `no snapshot ${name}`, "name");
      return reply
        .type("image/jpeg")
        .header("cache-control", "public, max-age=86400, immutable")
        .send(Buffer.from(bytes));
    });
  };
}
