import type { DecodedBody } from "./body-decoder.ts";
import { formatDeviceTime } from "./device-time.ts";
import { mappingFor } from "./element-mapping.ts";
import { ELEMENT_TABLE } from "./element-table.ts";
import { functionName } from "./function-codes.ts";
import { hex2 } from "./hex.ts";
import type { Sl651Message } from "./packet-assembler.ts";

export interface Sl651ElementDescription {
  id: string;
  name?: string;
  metric?: string;
  unit?: string;
  raw: string;
  values: Array<{ time: string; value: number }>;
  missing: number;
}

/** A decoded message in plain JSON terms, times in the stations' zone: what the probe prints. */
export interface Sl651MessageDescription {
  station: string;
  centre: number;
  password: string;
  function: string;
  functionName: string;
  packets: number;
  end: string;
  serial: number;
  sendTime: string;
  category?: string;
  observationTime?: string;
  elements: Sl651ElementDescription[];
  manual?: string;
  imageBytes?: number;
  rest?: string;
  reply?: string;
}

export function describeMessage(
  message: Sl651Message,
  decoded: DecodedBody,
  offsetMinutes: number,
  reply: Buffer | undefined,
): Sl651MessageDescription {
  const d: Sl651MessageDescription = {
    station: message.station,
    centre: message.centre,
    password: message.password,
    function: hex2(message.functionCode),
    functionName: functionName(message.functionCode),
    packets: message.packets,
    end: message.end,
    serial: decoded.serial,
    sendTime: formatDeviceTime(decoded.sendTime, offsetMinutes),
    elements: decoded.elements.map((e) => {
      const table = ELEMENT_TABLE[e.id];
      const mapping = mappingFor(e.id);
      const element: Sl651ElementDescription = {
        id: e.id,
        raw: e.raw,
        values: e.samples.map((s) => ({ time: formatDeviceTime(s.ts, offsetMinutes), value: s.value })),
        missing: e.missing,
      };
      if (table !== undefined) element.name = table.name;
      if (mapping !== undefined) element.metric = mapping.metric;
      if (table !== undefined) element.unit = table.unit;
      return element;
    }),
  };
  if (decoded.category !== undefined) d.category = hex2(decoded.category);
  if (decoded.observationTime !== undefined)
    d.observationTime = formatDeviceTime(decoded.observationTime, offsetMinutes);
  if (decoded.manual !== undefined) d.manual = decoded.manual;
  if (decoded.imageBytes !== undefined) d.imageBytes = decoded.imageBytes;
  if (decoded.rest !== undefined) d.rest = decoded.rest;
  if (reply !== undefined) d.reply = reply.toString("hex").toUpperCase();
  return d;
}

/** The same, for a person at a terminal: one header line, one line per element, the reply. */
export function formatMessageText(d: Sl651MessageDescription, peer: string): string {
  const packets = d.packets > 1 ? `, ${d.packets} packets` : "";
  const lines = [
    `${d.sendTime} station ${d.station} ${d.functionName} (${d.function}) serial ${d.serial}${packets} from ${peer}`,
  ];
  if (d.observationTime !== undefined) lines.push(`  observed ${d.observationTime}`);
  for (const e of d.elements) {
    const label = `  ${e.id} ${e.name ?? "unknown element"}`;
    const unit = e.unit ? ` ${e.unit}` : "";
    const missing = e.missing > 0 ? ` (${e.missing} without data)` : "";
    if (e.values.length === 0) lines.push(`${label}: no value, raw ${e.raw}${missing}`);
    else if (e.values.length === 1) lines.push(`${label}: ${e.values[0]?.value}${unit}${missing}`);
    else {
      const first = e.values[0]?.time.slice(11, 16);
      const last = e.values[e.values.length - 1]?.time.slice(11, 16);
      lines.push(`${label}: ${e.values.map((v) => v.value).join(" ")}${unit} (${first}…${last})${missing}`);
    }
  }
  if (d.manual !== undefined) lines.push(`  manual: ${d.manual}`);
  if (d.imageBytes !== undefined) lines.push(`  image: ${d.imageBytes} bytes (not decoded)`);
  if (d.rest !== undefined) lines.push(`  body: ${d.rest}`);
  if (d.reply !== undefined) lines.push(`  reply ${d.reply}`);
  return `${lines.join("\n")}\n`;
}
