import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * The calls an `strace -f -y -o trace` file holds on paths under `dir`, made comparable: no pid
 * prefix, no descriptor number, `dir` written as `DIR`.
 */
export function tracedCalls(trace: string, dir: string): string[] {
  return readFileSync(trace, "utf8")
    .split("\n")
    .filter((line) => line.includes(dir))
    .map((line) =>
      line
        .replace(/^\d+ +/, "")
        .replace(/\(\d+</, "(<")
        .replaceAll(dir, "DIR"),
    );
}

const ATTACH_TIMEOUT_MS = 10_000;

/**
 * The `syscalls` this process makes on paths under `dir` while `work` runs, as {@link tracedCalls}
 * gives them: `strace -p` attached to the process itself (in tests, vitest runs each file in a
 * fork of its own), waited for until the kernel reports the tracer, detached after `work`. For
 * tests that must see a durability promise kept — a sync before a rename — which no assertion on
 * the files afterwards can tell from a write that was never synced.
 */
export async function traceFileCalls(
  dir: string,
  work: () => Promise<unknown> | unknown,
  syscalls = "rename,fsync,fdatasync,mkdir",
): Promise<string[]> {
  const trace = join(tmpdir(), `lifeline-trace-${process.pid}-${Date.now()}.strace`);
  const strace = spawn("strace", ["-f", "-qq", "-y", "-e", `trace=${syscalls}`, "-o", trace, "-p", `${process.pid}`]);
  let failed: Error | undefined;
  strace.once("error", (error) => {
    failed = error; // strace not installed
  });
  const exited = new Promise((resolve) => strace.once("close", resolve));
  try {
    const started = Date.now();
    while (!/^TracerPid:\s+[1-9]/m.test(readFileSync("/proc/thread-self/status", "utf8"))) {
      if (failed !== undefined) throw failed;
      if (Date.now() - started > ATTACH_TIMEOUT_MS || strace.exitCode !== null) {
        throw new Error(`strace did not attach to process ${process.pid} within ${ATTACH_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await work();
  } finally {
    strace.kill("SIGINT");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, ATTACH_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }
  try {
    return tracedCalls(trace, dir);
  } finally {
    rmSync(trace, { force: true });
  }
}
