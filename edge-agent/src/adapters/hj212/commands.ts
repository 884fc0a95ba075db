/**
 * The commands (CN) this receiver handles, HJ 212-2017 §6.6.5 (表 9, 命令编码表) and HJ 212-2025 表 12.
 * `window` names the statistics window of a data command; `fields` are the value fields of a
 * factor that become readings (HJ 212-2017 §6.3.3, the fields of a factor: Rtd real-time; Avg/Min/Max/Cou over a window;
 * Zs… the same values converted to reference conditions, 折算).
 */
export type StatWindow = "minute" | "hour" | "day";

export interface DataCommand {
  kind: "data";
  name: string;
  window: StatWindow | undefined;
  fields: readonly string[];
}

export interface HeartbeatCommand {
  kind: "heartbeat";
  name: string;
}

const STAT_FIELDS = ["Avg", "Min", "Max", "Cou", "ZsAvg", "ZsMin", "ZsMax"] as const;

export const COMMANDS: Readonly<Record<string, DataCommand | HeartbeatCommand>> = {
  "2011": { kind: "data", name: "real-time data", window: undefined, fields: ["Rtd", "ZsRtd"] },
  "2051": { kind: "data", name: "minute data", window: "minute", fields: STAT_FIELDS },
  "2061": { kind: "data", name: "hourly data", window: "hour", fields: STAT_FIELDS },
  "2031": { kind: "data", name: "daily data", window: "day", fields: STAT_FIELDS },
  // HJ 212-2025 表 12 defines 9015 心跳包; many HJ 212-2017 loggers send it too.
  "9015": { kind: "heartbeat", name: "heartbeat" },
};

/** Names of commands that arrive but are not handled, so that the error says what the logger sent. */
export const OTHER_COMMANDS: Readonly<Record<string, string>> = {
  "1011": "get field machine time, a command from the host",
  "1012": "set field machine time, a command from the host",
  "1013": "field machine time calibration request",
  "1061": "get real-time data interval, a command from the host",
  "1062": "set real-time data interval, a command from the host",
  "1063": "get minute data interval, a command from the host",
  "1064": "set minute data interval, a command from the host",
  "2021": "equipment running status",
  "2041": "equipment running time, daily",
  "2081": "data logger boot time",
  "3020": "field machine information",
  "9011": "request response",
  "9012": "execution result",
  "9013": "notification response",
  "9014": "data response",
};
