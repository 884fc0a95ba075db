import { readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)), 100 on every common build

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat (proc(5), fields 14 and 15). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory now and at its peak (VmRSS, VmHWM of /proc/<pid>/status), in MiB. */
export function memoryMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** CPU use of several processes over an interval, as a share of one core. */
export class CpuMeter {
  readonly #start = new Map<number, number>();
  readonly #t0 = performance.now();

  constructor(readonly pids: Record<string, number>) {
    for (const pid of Object.values(pids)) this.#start.set(pid, cpuSeconds(pid));
  }

  /** name → % of one core since the meter was made. */
  read(): Record<string, number> {
    const seconds = (performance.now() - this.#t0) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      out[name] = (100 * (cpuSeconds(pid) - (this.#start.get(pid) ?? 0))) / seconds;
    }
    return out;
  }
}
