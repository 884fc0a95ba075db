import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { describe, expect, it } from "vitest";
import { GatewayError } from "../src/gateway-error.ts";
import { startNatsCluster } from "../src/nats-cluster.ts";
import { type JetStreamSync, startNatsServer } from "../src/nats-server-process.ts";

const PUBLISHES = 40;

/**
 * Debian 12's nats-server 2.9.10 is replaced by setup; this answers as it did (its exact line).
 * Written before this file starts any process: a script written while another thread forks can be
 * held open by the child and fail to run ("text file busy"), which a clean clone's CI once hit.
 */
const OLD_SERVER_DIR = mkdtempSync(join(tmpdir(), "lifeline-js-sync-old-"));
const OLD_SERVER = join(OLD_SERVER_DIR, "nats-server-2.9");
writeFileSync(OLD_SERVER, `#!/bin/sh\necho "nats-server: $2:2:3: unknown field \\"sync_interval\\"" >&2\nexit 1\n`);
chmodSync(OLD_SERVER, 0o755);

type OnFinished = (fn: () => Promise<void> | void) => void;

/**
 * What the kernel was asked to force to disk: `strace` attached to nats-server counts its fsync and
 * fdatasync calls while the test publishes, one message at a time, each acknowledged before the next.
 * A power cut cannot be staged here; what it would lose is what was acknowledged and not synced.
 */
async function syncsWhilePublishing(sync: JetStreamSync | undefined, onTestFinished: OnFinished): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-js-sync-"));
  const server = await startNatsServer({ storeDir: dir, ...(sync !== undefined && { sync }) });
  const nc = await connect({ servers: server.url });
  onTestFinished(async () => {
    await nc.close();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await (await jetstreamManager(nc)).streams.add({ name: "SYNC", subjects: ["sync.>"] });
  const js = jetstream(nc);
  await js.publish("sync.a", "before strace");
  const out = join(dir, "strace.txt");
  const strace = spawn("strace", ["-f", "-p", String(server.pid), "-e", "trace=fsync,fdatasync", "-o", out], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await attached(strace);
  for (let i = 0; i < PUBLISHES; i++) {
    const ack = await js.publish("sync.a", `reading ${i}`);
    expect(ack.seq).toBe(i + 2);
  }
  strace.kill("SIGINT");
  await new Promise((resolve) => strace.once("exit", resolve));
  return readFileSync(out, "utf8")
    .split("\n")
    .filter((line) => /\b(fsync|fdatasync)\(/.test(line)).length;
}

/** strace prints "Process N attached" for each thread it traces, on stderr. */
function attached(strace: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let text = "";
    strace.stderr?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes("attached")) setTimeout(resolve, 200); // every thread, not just the first
    });
    strace.once("exit", (code) => reject(new Error(`strace exited (${code}): ${text}`)));
  });
}

describe("JetStream's sync to disk (nats-server's jetstream.sync_interval)", () => {
  it("always: every acknowledged message was synced to disk first", async ({ onTestFinished }) => {
    expect(await syncsWhilePublishing("always", onTestFinished)).toBe(PUBLISHES);
  });

  it("unset: nats-server's default syncs none of them within the test (every 2 minutes)", async ({
    onTestFinished,
  }) => {
    expect(await syncsWhilePublishing(undefined, onTestFinished)).toBe(0);
  });

  it("an interval: not per message", async ({ onTestFinished }) => {
    // 60 s: no sync falls inside the test, whatever the timing.
    expect(await syncsWhilePublishing(60_000, onTestFinished)).toBe(0);
  });

  // 150 s: startNatsCluster may take up to 120 s (it starts afresh when a start is stuck).
  it("a cluster's nodes take the same sync, and its replicated stream acknowledges", { timeout: 150_000 }, async ({
    onTestFinished,
  }) => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-js-sync-cluster-"));
    const cluster = await startNatsCluster({ dir, size: 3, sync: "always" });
    const nc = await connect({ servers: [...cluster.urls] });
    onTestFinished(async () => {
      await nc.close();
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    for (const node of ["n1", "n2", "n3"]) {
      expect(readFileSync(join(dir, node, "lifeline-sync.conf"), "utf8")).toBe(
        "jetstream {\n  sync_interval: always\n}\n",
      );
    }
    await (await jetstreamManager(nc)).streams.add({ name: "SYNC3", subjects: ["sync3.>"], num_replicas: 3 });
    expect((await jetstream(nc).publish("sync3.a", "one")).seq).toBe(1);
  });

  it("refuses a sync that is neither always nor a whole number of ms", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lifeline-js-sync-"));
    try {
      await expect(startNatsServer({ storeDir: dir, sync: 1.5 })).rejects.toMatchObject({
        code: "GATEWAY_NATS_SERVER_FAILED",
        message: 'sync: expected "always" or a whole number of ms > 0, got 1.5',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names the version when the server is too old for sync_interval", async () => {
    try {
      const error = await startNatsServer({
        storeDir: join(OLD_SERVER_DIR, "store"),
        binary: OLD_SERVER,
        sync: "always",
      })
        .then(() => undefined)
        .catch((e) => e);
      expect(error).toBeInstanceOf(GatewayError);
      expect(error.code).toBe("GATEWAY_NATS_SERVER_TOO_OLD");
      expect(error.message).toContain("sync_interval needs nats-server 2.10 or later");
    } finally {
      rmSync(OLD_SERVER_DIR, { recursive: true, force: true });
    }
  });
});
