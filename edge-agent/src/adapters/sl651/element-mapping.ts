import type { Reading } from "@lifeline/contracts";
import type { DecodedBody } from "./body-decoder.ts";
import type { Sl651StationConfig } from "./config.ts";
import { ELEMENT_TABLE, type ElementEncoding } from "./element-table.ts";

export interface ResolvedMapping {
  metric: string;
  unit: string;
  scale: number;
  offset: number;
}

type StationElements = Sl651StationConfig["elements"];

/** How an identifier's data is encoded: the table's, or BCD for a configured identifier it lacks. */
export function encodingFor(id: string, elements: StationElements = {}): ElementEncoding | undefined {
  return ELEMENT_TABLE[id]?.encoding ?? (elements[id] === undefined ? undefined : "bcd");
}

/** Metric, unit and scaling of an identifier: the station's override, else the built-in table. */
export function mappingFor(id: string, elements: StationElements = {}): ResolvedMapping | undefined {
  const table = ELEMENT_TABLE[id];
  const override = elements[id];
  if (override !== undefined) {
    return {
      metric: override.metric,
      unit: override.unit ?? table?.unit ?? "",
      scale: override.scale,
      offset: override.offset,
    };
  }
  if (table?.metric === undefined) return undefined;
  return { metric: table.metric, unit: table.unit, scale: 1, offset: 0 };
}

/** Readings of a decoded body; identifiers without a metric are returned to be reported. */
export function toReadings(
  decoded: DecodedBody,
  elements: StationElements,
): { readings: Reading[]; unmapped: string[] } {
  const readings: Reading[] = [];
  const unmapped: string[] = [];
  for (const element of decoded.elements) {
    const mapping = mappingFor(element.id, elements);
    if (mapping === undefined) {
      unmapped.push(element.id);
      continue;
    }
    for (const sample of element.samples) {
      const value =
        mapping.scale === 1 && mapping.offset === 0 ? sample.value : sample.value * mapping.scale + mapping.offset;
      readings.push({ metric: mapping.metric, ts: sample.ts, value, unit: mapping.unit, quality: "good" });
    }
  }
  return { readings, unmapped };
}
