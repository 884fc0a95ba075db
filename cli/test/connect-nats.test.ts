import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NatsServerProcess, startNatsServer } from "@lifeline/gateway";
import { afterEach, describe, expect, it } from "vitest";
import { connectNats, drainNats } from "../src/connect-nats.ts";

const dir = mkdtempSync(join(tmpdir(), "lifeline-connect-nats-"));
let server: NatsServerProcess | undefined;
afterEach(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The process group of a process (proc(5), /proc/<pid>/stat field 5). */
const processGroup = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
};

describe("stopping a process's NATS connection", () => {
  it("drains and closes it while the server is up", async () => {
    server = await startNatsServer({ storeDir: join(dir, "a"), port: 0 });
    const nc = await connectNats(server.url, "test");
    await drainNats(nc);
    expect(nc.isClosed()).toBe(true);
  });

  it("closes it when the server is already gone (the drain fails), so that no reconnect keeps the process alive", async () => {
    server = await startNatsServer({ storeDir: join(dir, "b"), port: 0 });
    const nc = await connectNats(server.url, "test");
    await server.kill();
    await expect(drainNats(nc)).rejects.toThrow();
    expect(nc.isClosed()).toBe(true);
  });

  it("runs nats-server in a process group of its own, out of reach of a terminal's Ctrl-C to Lifeline", async () => {
    server = await startNatsServer({ storeDir: join(dir, "c"), port: 0 });
    expect(processGroup(server.pid)).toBe(server.pid);
    expect(processGroup(server.pid)).not.toBe(processGroup(process.pid));
  });
});
