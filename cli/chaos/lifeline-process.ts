import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const LIFELINE = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "lifeline.js");

/**
 * How Lifeline's services are meant to run (see the root README): a young generation of 64 MB.
 * Decoding envelopes allocates short-lived objects at a high rate; with Node's default 16 MB
 * semi-space the processor spent a third of its time in scavenges (CPU profile), and a drain of
 * 100-reading envelopes went from 121k to 163k rows/s with 64 MB.
 */
export const SERVICE_NODE_FLAGS = ["--max-semi-space-size=64"];

/**
 * One `lifeline <command>` child process that a fault-injection scenario can kill outright
 * (SIGKILL: no drain, no ack, nothing flushed), stop gracefully, and start again with the same
 * arguments (same ports, same data folder). Ready when it printed a line starting with "ready".
 */
export class LifelineProcess {
  readonly #args: string[];
  readonly #name: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #ready = "";
  #log = "";
  #partial = "";
  readonly #counts: Record<string, RegExp>;
  starts = 0;
  /** For each of `counts`, the sum of its first group over every line on stderr, across restarts. */
  readonly counted: Record<string, number> = {};

  constructor(name: string, args: string[], options: { counts?: Record<string, RegExp> } = {}) {
    this.#name = name;
    this.#args = args;
    this.#counts = options.counts ?? {};
    for (const key of Object.keys(this.#counts)) this.counted[key] = 0;
  }

  /** The child's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The text after "ready" in the child's last ready line (e.g. `mqtt=1883`). */
  get readyLine(): string {
    return this.#ready;
  }

  /** The last 4 KB the child wrote on stderr, for failure messages. */
  get log(): string {
    return this.#log.slice(-4096);
  }

  async start(timeoutMs = 30_000): Promise<void> {
    const profile = process.env.LIFELINE_PROFILE_DIR; // a CPU profile of each child, for investigations
    const flags = profile
      ? [...SERVICE_NODE_FLAGS, "--cpu-prof", `--cpu-prof-dir=${profile}`]
      : [...SERVICE_NODE_FLAGS];
    // More flags for each child, for investigations too (e.g. `--trace-gc`, `--heap-prof`).
    flags.push(...(process.env.LIFELINE_NODE_FLAGS ?? "").split(" ").filter((flag) => flag !== ""));
    const child = spawn(process.execPath, [...flags, LIFELINE, ...this.#args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ORT_DISABLE_TELEMETRY: "1" },
    });
    this.#child = child;
    this.starts++;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    this.#partial = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      this.#log = (this.#log + text).slice(-16_384);
      const counts = Object.entries(this.#counts);
      if (counts.length === 0) return;
      const lines = (this.#partial + text).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) {
        for (const [key, re] of counts) this.counted[key] = (this.counted[key] ?? 0) + Number(re.exec(line)?.[1] ?? 0);
      }
    });
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(
        () => fail(new Error(`${this.#name} not ready in ${timeoutMs} ms:\n${this.log}`)),
        timeoutMs,
      );
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      child.once("exit", (code, signal) =>
        fail(new Error(`${this.#name} exited (${code ?? signal}) before ready:\n${this.log}`)),
      );
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = /^ready(.*)$/m.exec(out);
        if (line !== null) {
          this.#ready = (line[1] ?? "").trim();
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  /** SIGKILL: the process gets no chance to drain, acknowledge or flush anything. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGKILL");
    await this.#exited;
  }

  /** SIGTERM and wait (SIGKILL after `graceMs`). */
  async stop(graceMs = 20_000): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}
