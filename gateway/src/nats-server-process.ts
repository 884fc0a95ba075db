import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
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
  /** `server_name`; JetStream clustering needs it unique per node and stable across restarts. */
  serverName?: string;
  /** Joins a cluster: route listener and the routes to the other nodes. */
  cluster?: NatsClusterMembership;
  /**
   * When JetStream's file store forces what it wrote to disk (`jetstream.sync_interval`, nats-server
   * 2.10 and later). `"always"`: before a message is acknowledged, so a power cut loses nothing a
   * publisher was told is stored; a number: every that many ms, so a power cut may lose that window.
   * Unset: the server's default, every 2 minutes. A process killed outright loses nothing either way
   * (its writes are in the kernel's page cache).
   */
  sync?: JetStreamSync;
}

export type JetStreamSync = "always" | number;

export interface NatsClusterMembership {
  /** `cluster_name`; the same on every node. */
  name: string;
  /** Route port; 0 picks a free one (chosen before the start, so another process could take it first). */
  port?: number;
  /** Route URLs of the other nodes, e.g. `nats://127.0.0.1:6222`; routes are retried until they answer. */
  routes?: readonly string[];
}

export interface NatsServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly serverName: string | undefined;
  /** Route port when clustered. */
  readonly clusterPort: number | undefined;
  /** The options it was started with, with its ports filled in. */
  readonly options: NatsServerOptions;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once, for fault-injection tests. */
  kill(): Promise<void>;
  /**
   * Starts the same node again — same name, ports, routes and store dir — after stopping it if it
   * still runs; JetStream recovers its streams from the store. Resolves with the new process.
   */
  restart(): Promise<NatsServerProcess>;
  /** The last lines the server logged (stderr), for error messages. */
  logTail(): string;
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
  const cluster = options.cluster && {
    ...options.cluster,
    port: options.cluster.port || ((await pickFreePorts(1, host))[0] as number),
  };
  // Its own process group: a terminal's Ctrl-C (SIGINT to the foreground group) reaches the process
  // that started it, which drains into it and then stops it, not the server first.
  const child = spawn(binary, [...syncArgs(options), ...serverArgs(options, host, cluster)], {
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const log = collectLog(child);
  const port = await waitForListening(child, log, binary, cluster !== undefined, options.startTimeoutMs ?? 15_000);
  const pid = child.pid ?? -1;
  if (options.pidFile !== undefined) {
    const pidFile = options.pidFile;
    writeFileSync(pidFile, `${pid}\n`);
    void exited.then(() => rmSync(pidFile, { force: true }));
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  const self: NatsServerProcess = {
    url: `nats://${host}:${port}`,
    port,
    pid,
    serverName: options.serverName,
    clusterPort: cluster?.port,
    options: { ...options, port, ...(cluster && { cluster }) },
    async stop(graceMs = 5_000) {
      if (!running()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (!running()) return;
      child.kill("SIGKILL");
      await exited;
    },
    async restart() {
      await self.stop();
      return startNatsServer(self.options);
    },
    logTail: () => log.text,
  };
  return self;
}

/**
 * nats-server takes `sync_interval` only from a configuration file; the file holds nothing else, so
 * the command line stays what configures the server. Written next to the store, once per start.
 */
function syncArgs(options: NatsServerOptions): string[] {
  const { sync } = options;
  if (sync === undefined) return [];
  if (sync !== "always" && !(Number.isInteger(sync) && sync > 0)) {
    throw new GatewayError(
      "GATEWAY_NATS_SERVER_FAILED",
      `sync: expected "always" or a whole number of ms > 0, got ${sync}`,
    );
  }
  const file = join(options.storeDir, "lifeline-sync.conf");
  writeFileSync(file, `jetstream {\n  sync_interval: ${sync === "always" ? "always" : `"${sync}ms"`}\n}\n`);
  return ["-c", file];
}

function serverArgs(options: NatsServerOptions, host: string, cluster: NatsClusterMembership | undefined): string[] {
  const args = ["-js", "-sd", options.storeDir, "-a", host, "-p", String(options.port || -1)];
  if (options.serverName !== undefined) args.push("--name", options.serverName);
  if (cluster !== undefined) {
    args.push("--cluster_name", cluster.name, "--cluster", `nats://${host}:${cluster.port}`);
    if (cluster.routes !== undefined && cluster.routes.length > 0) args.push("--routes", cluster.routes.join(","));
  }
  return args;
}

/**
 * `count` distinct ports that were free a moment ago, for listeners whose address others must
 * know before they start (cluster routes). They are held open together so that they differ from
 * each other; another process may still take one before its server binds it, and that server
 * then fails to start with "address already in use".
 */
export async function pickFreePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const probes = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      probes.map(
        (probe) =>
          new Promise<number>((resolve, reject) => {
            probe.once("error", reject);
            probe.listen(0, host, () => {
              const address = probe.address();
              if (typeof address === "object" && address !== null) resolve(address.port);
              else reject(new Error(`could not find a free port on ${host}`));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(probes.map((probe) => new Promise((resolve) => probe.close(resolve))));
  }
}

const LOG_TAIL_CHARS = 16_384;

interface ServerLog {
  readonly text: string;
  onData(listener: () => void): () => void;
}

/** Keeps draining stderr for the life of the child (a full pipe would block it) and keeps its tail. */
function collectLog(child: ChildProcess): ServerLog {
  let text = "";
  const listeners = new Set<() => void>();
  child.stderr?.on("data", (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-LOG_TAIL_CHARS);
    for (const listener of listeners) listener();
  });
  return {
    get text() {
      return text;
    },
    onData(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * Resolves with the client port once the server is ready and, when clustered, also listens for
 * routes: nats-server reports ready before it binds the route port, and exits if that fails.
 */
function waitForListening(
  child: ChildProcess,
  log: ServerLog,
  binary: string,
  clustered: boolean,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let port: number | undefined;
    let routesListening = !clustered;
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      unsubscribe();
      child.off("close", onExit);
      outcome();
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      settle(() =>
        reject(
          new GatewayError("GATEWAY_NATS_SERVER_FAILED", `nats-server did not start in ${timeoutMs} ms:\n${log.text}`),
        ),
      );
    }, timeoutMs);
    const unsubscribe = log.onData(() => {
      const listening = /Listening for client connections on [^\s]+:(\d+)/.exec(log.text);
      if (listening?.[1] !== undefined) port = Number(listening[1]);
      if (!routesListening) routesListening = log.text.includes("Listening for route connections");
      if (port !== undefined && log.text.includes("Server is ready") && routesListening) {
        settle(() => resolve(port as number));
      }
    });
    child.once("error", (cause: NodeJS.ErrnoException) => settle(() => reject(spawnError(binary, cause))));
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      settle(() =>
        reject(
          // nats-server before 2.10 refuses the whole configuration over this one field.
          log.text.includes('unknown field "sync_interval"')
            ? new GatewayError(
                "GATEWAY_NATS_SERVER_TOO_OLD",
                `${binary} cannot sync JetStream to disk before it acknowledges (sync_interval needs nats-server 2.10 or later; node scripts/setup.mjs installs one):\n${log.text}`,
              )
            : new GatewayError(
                "GATEWAY_NATS_SERVER_FAILED",
                `nats-server exited during start (code ${code}, signal ${signal}):\n${log.text}`,
              ),
        ),
      );
    // "close", not "exit": its stderr is read to the end, so the log the error quotes is whole.
    child.once("close", onExit);
  });
}

function spawnError(binary: string, cause: NodeJS.ErrnoException): GatewayError {
  if (cause.code === "ENOENT") {
    return new GatewayError(
      "GATEWAY_NATS_SERVER_MISSING",
      `${binary} was not found on the PATH; install the Debian/Ubuntu package 'nats-server' (apt-get install nats-server)`,
      cause,
    );
  }
  return new GatewayError("GATEWAY_NATS_SERVER_FAILED", `could not start ${binary}: ${cause.message}`, cause);
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
