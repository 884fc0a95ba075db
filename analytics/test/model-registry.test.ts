import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { traceFileCalls } from "@lifeline/durable-fs";
import { type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileModelRegistry } from "../src/registry/file-model-registry.ts";
import type { ActiveModel, ModelRegistry } from "../src/registry/model-registry.ts";
import { NatsModelRegistry } from "../src/registry/nats-model-registry.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-registry-"));
let server: NatsServerProcess;
let nats: NatsConnection;
let clock = 1_000;

beforeAll(async () => {
  server = await startNatsServer({ storeDir: join(dir, "nats") });
  nats = await connect({ servers: server.url });
});
afterAll(async () => {
  await nats?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const backends: [string, () => Promise<ModelRegistry>][] = [
  ["NATS object store", () => NatsModelRegistry.open(nats, { now: () => clock })],
  ["files", async () => new FileModelRegistry(join(dir, "files"), { now: () => clock, pollMs: 20 })],
];

describe.each(backends)("model registry on %s", (_, open) => {
  it("registers versions, activates, rolls back, and tells watchers", async () => {
    clock = 1_000;
    const registry = await open();
    const seen: ActiveModel[] = [];
    const stop = await registry.watchActive((a) => seen.push(a));
    const v1 = await registry.register("batadal", new Uint8Array([1, 2, 3]), { features: "43", "s.batadal": "0.9" });
    clock = 2_000;
    const v2 = await registry.register("batadal", new Uint8Array([4, 5, 6, 7]), { features: "43" });
    expect([v1.version, v2.version]).toEqual([1, 2]);
    expect(v1).toEqual({
      name: "batadal",
      version: 1,
      sha256: "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81",
      size: 3,
      registeredAt: 1_000,
      metadata: { features: "43", "s.batadal": "0.9" },
    });
    expect((await registry.versions("batadal")).map((v) => v.version)).toEqual([1, 2]);
    expect([...(await registry.load("batadal", 2))]).toEqual([4, 5, 6, 7]);
    expect(await registry.active("batadal")).toBeUndefined();
    await registry.activate("batadal", 1, "engineer");
    const a2 = await registry.activate("batadal", 2, "engineer");
    expect(a2).toMatchObject({ version: 2, history: [1], by: "engineer" });
    const back = await registry.rollback("batadal", "duty");
    expect(back).toMatchObject({ version: 1, history: [], by: "duty" });
    await expect(registry.rollback("batadal", "duty")).rejects.toMatchObject({ code: "ANALYTICS_NO_PREVIOUS_VERSION" });
    await expect(registry.activate("batadal", 9, "x")).rejects.toMatchObject({
      code: "ANALYTICS_MODEL_NOT_FOUND",
      message: "model batadal has no version 9",
    });
    await expect(registry.register("bad name", new Uint8Array(1), {})).rejects.toMatchObject({
      code: "ANALYTICS_MODEL_NAME_INVALID",
    });
    const deadline = Date.now() + 5_000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    // A file watcher polls and may see only the latest state; the NATS watch sees every change.
    expect(seen[seen.length - 1]).toMatchObject({ name: "batadal", version: 1 });
  });
});

describe("file registry integrity", () => {
  it("refuses a model file that is not what was registered", async () => {
    const registry = new FileModelRegistry(join(dir, "corrupt"));
    await registry.register("flood", new Uint8Array([9, 9]), {});
    writeFileSync(join(dir, "corrupt", "flood", "1.onnx"), new Uint8Array([9, 8]));
    await expect(registry.load("flood", 1)).rejects.toMatchObject({
      code: "ANALYTICS_MODEL_CORRUPT",
      message: expect.stringMatching(/^model flood version 1: sha256 [0-9a-f]{64}, registered as [0-9a-f]{64}$/),
    });
  });
});

describe("file registry durability", () => {
  it("syncs every file it writes before it is renamed into place, and every folder it changes", async () => {
    const root = join(dir, "durable");
    const registry = new FileModelRegistry(root, { now: () => 5_000 });
    const calls = await traceFileCalls(root, async () => {
      await registry.register("leak", new Uint8Array([1, 2, 3]), {});
      await registry.activate("leak", 1, "ops");
    });
    const replace = (name: string) => [
      `fsync(<DIR/leak/${name}.tmp>) = 0`,
      `rename("DIR/leak/${name}.tmp", "DIR/leak/${name}") = 0`,
      "fsync(<DIR/leak>) = 0",
    ];
    expect(calls.filter((c) => !c.startsWith("mkdir") || c.endsWith("= 0"))).toEqual([
      `mkdir("DIR", 0777) = 0`,
      `mkdir("DIR/leak", 0777) = 0`,
      "fsync(<DIR>) = 0", // DIR/leak into DIR (DIR into its parent is outside what is traced)
      ...replace("1.onnx"),
      ...replace("1.json"),
      ...replace("active.json"),
    ]);
  });
});
