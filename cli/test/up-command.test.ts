import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "../bin/lifeline.js");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function lifeline(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [bin, ...args], { env });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (c) => (out.stdout += c));
  child.stderr.on("data", (c) => (out.stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, out, exited };
}

async function waitFor(out: { stdout: string }, text: string, child: ChildProcessWithoutNullStreams, ms: number) {
  const deadline = Date.now() + ms;
  while (!out.stdout.includes(text)) {
    if (child.exitCode !== null) throw new Error(`lifeline exited early:\n${out.stdout}`);
    if (Date.now() > deadline) throw new Error(`no '${text}' within ${ms} ms:\n${out.stdout}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("lifeline up", () => {
  // Budgets for a cold start (tsx compiles every module once) next to CI's longest files: a clean
  // clone once took over 30 s to print its URLs, where a warm start takes ~6 s.
  it("runs the demo site, serves its readings within 75 s, and stops cleanly on Ctrl-C", async ({ onTestFinished }) => {
    const data = mkdtempSync(join(tmpdir(), "lifeline-up-"));
    dirs.push(data);
    const started = Date.now();
    const { child, out, exited } = lifeline([
      "up",
      "--demo",
      "--data",
      data,
      "--api-port",
      "0",
      "--mqtt-port",
      "0",
      "--nats-port",
      "0",
    ]);
    // A failed assertion must not leave the stack (and its nats-server) running: Ctrl-C drains it.
    onTestFinished(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT");
      await exited;
    });
    await waitFor(out, "Press Ctrl-C to stop.", child, 45_000);
    const api = /API\s+(http:\/\/[^\s]+)/.exec(out.stdout)?.[1];
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const natsPid = Number(/pid=(\d+)/.exec(out.stderr)?.[1]);
    expect(natsPid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${natsPid}`)).toBe(true);

    let points: Array<{ ts: number; value: number }> = [];
    while (points.length === 0 && Date.now() - started < 75_000) {
      const res = await fetch(`${api}/v1/series?device=dust-01&metric=pm10`);
      points = ((await res.json()) as { series: { points: typeof points }[] }).series[0]?.points ?? [];
      if (points.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(points.length).toBeGreaterThan(0);
    // The demo dust monitor's PM10 stays within its physical model: 0.15 ± 0.05 ± 0.01 mg/m³.
    for (const p of points) expect(p.value).toBeGreaterThan(0.09);
    for (const p of points) expect(p.value).toBeLessThan(0.21);

    // The demo pit camera (GStreamer's RTSP server, ffmpeg, the bundled model): clear for its first
    // four minutes, so its dust scores arrive and stay low.
    let scores: Array<{ ts: number; value: number }> = [];
    while (scores.length < 3 && Date.now() - started < 90_000) {
      const res = await fetch(`${api}/v1/series?device=cam-pit&metric=dust_score`);
      scores = ((await res.json()) as { series: { points: typeof scores }[] }).series[0]?.points ?? [];
      if (scores.length < 3) await new Promise((r) => setTimeout(r, 250));
    }
    expect(scores.length).toBeGreaterThanOrEqual(3);
    for (const p of scores) expect(p.value).toBeLessThan(0.5);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(out.stderr).toContain("stopped");
    expect(existsSync(`/proc/${natsPid}`)).toBe(false); // no orphaned nats-server
    expect(existsSync(join(data, "nats-server.pid"))).toBe(false);
  }, 120_000);

  it("names the package to install when nats-server is missing, after moving off a taken default port", async () => {
    const data = mkdtempSync(join(tmpdir(), "lifeline-up-"));
    dirs.push(data);
    // Hold the default NATS port, as Debian's nats-server service would (if it is already held, so much the better).
    const holder = createServer();
    await new Promise<void>((resolve) => {
      holder.once("error", () => resolve());
      holder.listen(4222, "127.0.0.1", () => resolve());
    });
    const { out, exited } = lifeline(["up", "--data", data, "--api-port", "0", "--mqtt-port", "0"], {
      ...process.env,
      PATH: "/nonexistent",
    });
    const code = await exited;
    await new Promise((r) => holder.close(() => r(undefined)));
    expect(out.stderr).toContain(
      "port 4222 is in use (a system service?); using a free port instead, or set --nats-port",
    );
    expect(code).toBe(1);
    expect(out.stderr).toContain(
      "could not start [GATEWAY_NATS_SERVER_MISSING]: nats-server was not found on the PATH; install the Debian/Ubuntu package 'nats-server' (apt-get install nats-server)",
    );
  });

  it("refuses an unknown command with usage", async () => {
    const { out, exited } = lifeline(["upp"]);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain("lifeline: unknown command 'upp'");
  });

  it("refuses a port that is not a number", async () => {
    const { out, exited } = lifeline(["up", "--api-port", "http"]);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain("lifeline: --api-port: expected a port number from 0 to 65535, got 'http'");
  });

  it("refuses a JetStream sync that is not always, server or a number of ms", async () => {
    const { out, exited } = lifeline(["up", "--jetstream-sync", "sometimes", "--api-port", "0", "--mqtt-port", "0"]);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain(
      "lifeline: --jetstream-sync: expected always, server or a number of milliseconds, got 'sometimes'",
    );
  });

  it("answers help and each command's --help at once, without loading the commands", async () => {
    const help = lifeline(["help"]);
    expect(await help.exited).toBe(0);
    expect(help.out.stdout).toMatch(/^lifeline <command>\n/);
    for (const command of ["up", "gateway", "processor", "profile", "agent", "probe", "pki", "analytics"]) {
      expect(help.out.stdout).toContain(`\nlifeline ${command} `);
    }
    const gateway = lifeline(["gateway", "--help"]);
    expect(await gateway.exited).toBe(0);
    expect(gateway.out.stdout).toMatch(/^lifeline gateway --nats URL/);
    const pki = lifeline(["pki", "list", "-h"]);
    expect(await pki.exited).toBe(0);
    expect(pki.out.stdout).toMatch(/^lifeline pki list/);
  });

  it("refuses an unknown option with usage", async () => {
    const { out, exited } = lifeline(["up", "--colour"]);
    expect(await exited).toBe(2);
    expect(out.stderr).toContain("lifeline: Unknown option '--colour'");
  });
});
