import { ChdbDriver } from "./chdb-driver.ts";
import type { ClickHouseDriver } from "./clickhouse-driver.ts";
import { ClickHouseHttpDriver } from "./clickhouse-http-driver.ts";

export interface OpenDriverOptions {
  /** A ClickHouse server (`http://user:password@host:8123/database`); without it, embedded chdb. */
  clickhouseUrl?: string | undefined;
  /** chdb's data folder, used only when no server is given. */
  dataDir: string;
}

/** The one place that decides between a ClickHouse server and embedded chdb. */
export function openDriver(options: OpenDriverOptions): ClickHouseDriver {
  const url = options.clickhouseUrl?.trim();
  return url ? new ClickHouseHttpDriver({ url }) : new ChdbDriver(options.dataDir);
}

/** `CLICKHOUSE_URL` picks a server; unset or empty keeps the embedded store in `dataDir`. */
export function driverFromEnv(dataDir: string, env: NodeJS.ProcessEnv = process.env): ClickHouseDriver {
  return openDriver({ clickhouseUrl: env.CLICKHOUSE_URL, dataDir });
}
