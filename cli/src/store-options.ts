import { openDriver, TelemetryStore } from "@lifeline/store";

/** The options every command that opens the telemetry store takes (parseArgs descriptors). */
export const STORE_OPTIONS = {
  "clickhouse-url": { type: "string" },
  cluster: { type: "string" },
  "keep-raw": { type: "string" },
  "keep-1m": { type: "string" },
  "keep-1h": { type: "string" },
} as const;

export type StoreValues = { [K in keyof typeof STORE_OPTIONS]?: string | undefined };

function days(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) {
    throw Object.assign(new Error(`--${name}: expected a whole number of days from 1, got '${value}'`), {
      code: "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    });
  }
  return Number(value);
}

/** Opens the store the options describe: embedded under `dataDir`, or the server given. */
export async function openStore(values: StoreValues, dataDir: string): Promise<TelemetryStore> {
  const retention = {
    rawDays: days(values["keep-raw"], "keep-raw"),
    minuteDays: days(values["keep-1m"], "keep-1m"),
    hourDays: days(values["keep-1h"], "keep-1h"),
  };
  const driver = openDriver({ clickhouseUrl: values["clickhouse-url"] ?? process.env.CLICKHOUSE_URL, dataDir });
  return TelemetryStore.open(driver, { retention, ddl: { cluster: values.cluster } });
}
