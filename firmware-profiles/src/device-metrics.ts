import {
  CAMERA_METRICS,
  type DeviceConfig,
  DRONE_METRICS,
  detectMetric,
  HJ212_BUILTIN_FACTORS,
  type Hj212ReceiverConfig,
} from "@lifeline/contracts";
import { SL651_ELEMENT_METRICS } from "./sl651-elements.ts";

/**
 * The metrics each device id of an adapter configuration can produce, as the adapters name them
 * (see the adapters' READMEs): a Modbus or OPC UA point's metric; an SL 651 element's; an HJ 212
 * factor's real-time value plus its statistics (`pm10_avg_1h`, `pm10_zs_max_1d`, …); a camera's
 * state and detection scores; a drone's link readings and the scores of its video.
 */
export function metricsOf(config: DeviceConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (device: string, metric: string) => {
    const set = out.get(device) ?? new Set<string>();
    set.add(metric);
    out.set(device, set);
  };
  switch (config.type) {
    case "modbus":
      for (const p of config.points) add(config.id, p.metric);
      break;
    case "opcua":
      for (const p of config.points) add(p.device ?? config.id, p.metric);
      break;
    case "sl651":
      for (const station of config.stations) {
        const overridden = new Set(Object.keys(station.elements));
        for (const [id, element] of Object.entries(SL651_ELEMENT_METRICS)) {
          if (!overridden.has(id)) add(station.device, element.metric);
        }
        for (const mapping of Object.values(station.elements)) add(station.device, mapping.metric);
      }
      break;
    case "hj212":
      for (const station of config.stations) {
        for (const metric of hj212Metrics(config, station)) add(station.device, metric);
      }
      break;
    case "onvif":
      for (const m of CAMERA_METRICS) add(config.id, m);
      for (const d of config.analysis.detect) add(config.id, detectMetric(d));
      break;
    case "mavlink":
      for (const m of DRONE_METRICS) add(config.id, m);
      for (const d of config.video?.analysis.detect ?? []) add(config.id, detectMetric(d));
      break;
  }
  return out;
}

const STATS = ["avg", "min", "max", "cou"] as const;

function hj212Metrics(config: Hj212ReceiverConfig, station: Hj212ReceiverConfig["stations"][number]): string[] {
  const codes = new Set([...Object.keys(HJ212_BUILTIN_FACTORS), ...Object.keys(station.factors)]);
  const windows = Object.values(config.statSuffix);
  const metrics: string[] = [];
  for (const code of codes) {
    if (station.ignoreFactors.includes(code)) continue;
    const base = station.factors[code]?.metric ?? HJ212_BUILTIN_FACTORS[code]?.metric;
    if (base === undefined) continue;
    metrics.push(base, `${base}_zs`);
    for (const window of windows) {
      for (const stat of STATS) metrics.push(`${base}_${stat}_${window}`);
      for (const stat of STATS.slice(0, 3)) metrics.push(`${base}_zs_${stat}_${window}`);
    }
  }
  return metrics;
}
