// A throwaway PostgreSQL 15 cluster for the query benchmark: initdb and start as the `postgres`
// user in a folder of our own, on a free port, deleted on stop. Never the Debian system cluster.
// Background and the measurements behind the settings: scratch/research-pg-tskv.md.
import { spawn, spawnSync } from "node:child_process";
import { appendFile, chmod, chown, mkdir, readFile, stat } from "node:fs/promises";
import { totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { LifelineError } from "@lifeline/contracts";
import pg from "pg";
import { freePort } from "../src/free-port.ts";

export class PostgresBenchError extends LifelineError {}

const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface PostgresInstance {
  client: pg.Client;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
}

// Throwaway settings (research §1): a crash may corrupt this cluster, which is deleted anyway.
// jit=off: JIT compilation cost ~0.2 s per query and these queries are short (research §4).
// random_page_cost 1.1 and effective_cache_size ¾ of RAM: the usual tuning for SSD/RAM-resident data.
// With the default 4.0 the planner sorts Q4 (bitmap scan, sort spilled to disk) instead of streaming it
// from the PK index, 3× slower at 10M rows.
const SERVER_SETTINGS = {
  fsync: "off",
  synchronous_commit: "off",
  full_page_writes: "off",
  wal_level: "minimal",
  max_wal_senders: "0",
  shared_buffers: "'2GB'",
  maintenance_work_mem: "'1GB'",
  work_mem: "'64MB'",
  max_wal_size: "'4GB'",
  checkpoint_timeout: "'30min'",
  autovacuum: "off",
  jit: "off",
  random_page_cost: "1.1",
  effective_cache_size: `'${Math.floor((totalmem() * 0.75) / 2 ** 20)}MB'`,
  listen_addresses: "'127.0.0.1'",
};

/**
 * initdb + start a private cluster in `workDir/pgdata` (socket in `workDir/pgsock`) on a free port,
 * as the `postgres` user when run as root; never touches the Debian system cluster. `stop()` stops
 * it and deletes both directories; so does a failed start, and so does process exit.
 */
export async function startPostgres(workDir: string): Promise<PostgresInstance> {
  const dataDir = join(workDir, "pgdata");
  const sockDir = join(workDir, "pgsock");
  if (await stat(dataDir).catch(() => undefined)) {
    throw new PostgresBenchError("BENCH_PG_DATADIR_EXISTS", `${dataDir} already exists; not reusing it`);
  }
  // Synchronous so that it also runs from process.on("exit"); a stop of a cluster that is not running just fails.
  const teardown = () => {
    spawnSync(...asPostgres(`${PG_BIN}/pg_ctl`, ["-D", dataDir, "-m", "immediate", "-w", "stop"]));
    spawnSync("rm", ["-rf", dataDir, sockDir]);
  };
  process.once("exit", teardown);
  try {
    const port = await freePort("127.0.0.1");
    await mkdir(workDir, { recursive: true });
    await makePostgresDir(workDir, dataDir, sockDir);
    await initAndStart(dataDir, sockDir, port);
    // Unix socket rather than TCP: the cheapest client path PostgreSQL offers.
    const client = new pg.Client({ host: sockDir, port, user: "postgres", database: "postgres" });
    await client.connect();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await client.end().catch(() => undefined);
      await run(...asPostgres(`${PG_BIN}/pg_ctl`, ["-D", dataDir, "-m", "fast", "-w", "stop"])).finally(() => {
        teardown();
        process.off("exit", teardown);
      });
    };
    return { client, port, dataDir, stop };
  } catch (cause) {
    const log = await readFile(join(dataDir, "server.log"), "utf8").catch(() => "");
    teardown();
    process.off("exit", teardown);
    throw new PostgresBenchError(
      "BENCH_PG_START_FAILED",
      `PostgreSQL did not start in ${dataDir}: ${String(cause)}\n${log.slice(-2000)}`,
      { cause },
    );
  }
}

async function initAndStart(dataDir: string, sockDir: string, port: number): Promise<void> {
  const initdb = ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"];
  await run(...asPostgres(`${PG_BIN}/initdb`, initdb));
  const settings = { ...SERVER_SETTINGS, port: String(port), unix_socket_directories: `'${sockDir}'` };
  const lines = Object.entries(settings).map(([k, v]) => `${k} = ${v}`);
  await appendFile(join(dataDir, "postgresql.conf"), `\n# Lifeline query benchmark\n${lines.join("\n")}\n`);
  const log = join(dataDir, "server.log");
  await run(...asPostgres(`${PG_BIN}/pg_ctl`, ["-D", dataDir, "-l", log, "-w", "-t", "60", "start"]));
}

/**
 * initdb refuses root, so the data and socket dirs belong to `postgres`, and workDir and its parents
 * get o+x (search, not list) where they lack it: a mkdtemp() dir is 0700.
 */
async function makePostgresDir(workDir: string, dataDir: string, sockDir: string): Promise<void> {
  for (const dir of [dataDir, sockDir]) await mkdir(dir, { mode: 0o700 });
  if (process.getuid?.() !== 0) return;
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout);
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout);
  for (const dir of [dataDir, sockDir]) await chown(dir, uid, gid);
  for (let dir = resolve(workDir); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
  }
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d));
    child.stderr.on("data", (d: Buffer) => (output += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}: ${output.trim().slice(-1000)}`)),
    );
  });
}
