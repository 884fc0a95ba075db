import type { Logger } from "@lifeline/contracts";

/** One line per event on stderr: `12:00:01.123 INFO  gateway  mqtt gateway listening port=1883`. */
export function consoleLogger(component: string, stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString().slice(11, 23);
    const extra = fields
      ? Object.entries(fields)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
          .join(" ")
      : "";
    stream.write(`${time} ${level.padEnd(5)} ${component.padEnd(16)} ${message}${extra ? ` ${extra}` : ""}\n`);
  };
  return {
    info: (m, f) => write("INFO", m, f),
    warn: (m, f) => write("WARN", m, f),
    error: (m, f) => write("ERROR", m, f),
  };
}
