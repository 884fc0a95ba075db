import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { GatewayError } from "./gateway-error.ts";

export interface NatsServerOptions {
  /** JetStream store directory. */
  storeDir: string;
  /** Client port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** The binary; Debian's package `nats-server` installs it on the PATH. */
  binary?: string;
  startTimeoutMs?: number;
  /**
   * Where the child's pid is kept. A server left behind by a parent that was killed outright
   * (kill -9 gives it no chance to stop its child) is found through this file and stopped first.
   */
  pidFile?: string;
}

export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, for fault-injection tests. */
  kill(): Promise<void>;
}

/**
 * Starts `nats-server` with JetStream as a child process and resolves once it listens.
 * The port is read from the server's own log line, so `port: 0` (nats-server's `-p -1`) is race-free.
 */
export async function startNatsServer(options: NatsServerOptions): Promise<NatsServerProcess> {
  const host = options.host ?? "127.0.0.1";
  const binary = options.binary ?? "nats-server";
  mkdirSync(options.storeDir, { recursive: true });
  if (options.pidFile !== undefined) stopLeftover(options.pidFile);
  const args = ["-js", "-sd", options.storeDir, "-a", host, "-p", String(options.port || -1)];
  const child = spawn(binary, args, { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const port = await waitForListening(child, binary, options.startTimeoutMs ?? 15_000);
  const pid = child.pid ?? -1;
  if (options.pidFile !== undefined) {
    const pidFile = options.pidFile;
    writeFileSync(pidFile, `${pid}\n`);
    void exited.then(() => rmSync(pidFile, { force: true }));
  }
  return {
    url: `nats://${host}:${port}`,
    port,
    pid,
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

function waitForListening(child: ChildProcess, binary: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = "";
    let port: number | undefined;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new GatewayError("GATEWAY_NATS_SERVER_FAILED", `nats-server did not start in ${timeoutMs} ms:\n${log}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const listening = /Listening for client connections on [^\s]+:(\d+)/.exec(log);
      if (listening?.[1] !== undefined) port = Number(listening[1]);
      if (port !== undefined && log.includes("Server is ready")) {
        clearTimeout(timer);
        child.stderr?.off("data", onData);
        child.stderr?.resume(); // keep draining so the child never blocks on a full pipe
        resolve(port);
      }
    };
    child.stderr?.on("data", onData);
    child.once("error", (cause: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (cause.code === "ENOENT") {
        reject(
          new GatewayError(
            "GATEWAY_NATS_SERVER_MISSING",
            `${binary} was not found on the PATH; install the Debian/Ubuntu package 'nats-server' (apt-get install nats-server)`,
            cause,
          ),
        );
      } else {
        reject(new GatewayError("GATEWAY_NATS_SERVER_FAILED", `could not start ${binary}: ${cause.message}`, cause));
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(
        new GatewayError(
          "GATEWAY_NATS_SERVER_FAILED",
          `nats-server exited during start (code ${code}, signal ${signal}):\n${log}`,
        ),
      );
    });
  });
}

function stopLeftover(pidFile: string): void {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    return;
  }
  try {
    // Only a process that is still nats-server: the pid may have been reused since.
    if (Number.isInteger(pid) && pid > 1 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("nats-server")) {
      process.kill(pid, "SIGKILL");
    }
  } catch {
    // gone already
  }
  rmSync(pidFile, { force: true });
}
