import type { Reading } from "@lifeline/contracts";
import { common, minimal } from "node-mavlink";

/** Where a drone was at `ts` (ms since the epoch), from GLOBAL_POSITION_INT. */
export interface PositionFix {
  readonly ts: number;
  /** Degrees, WGS 84. */
  readonly lat: number;
  readonly lon: number;
  /** Metres above mean sea level. */
  readonly alt: number;
  /** Metres above the home position. */
  readonly relAlt: number;
  /** Degrees clockwise from north, absent when the autopilot does not know it. */
  readonly headingDeg?: number;
  readonly groundSpeedMps: number;
}

/** The messages this package turns into readings, by message id. Everything else is counted as ignored. */
export const DRONE_TELEMETRY_MESSAGES = {
  [minimal.Heartbeat.MSG_ID]: minimal.Heartbeat,
  [common.GlobalPositionInt.MSG_ID]: common.GlobalPositionInt,
  [common.SysStatus.MSG_ID]: common.SysStatus,
  [common.BatteryStatus.MSG_ID]: common.BatteryStatus,
} as const;

// "Unknown" sentinels of the MAVLink common dialect (message definitions in common.xml / minimal.xml).
const UINT16_UNKNOWN = 0xffff;
const INT16_UNKNOWN = 0x7fff;

function reading(metric: string, value: number, unit: string, ts: number): Reading {
  return { metric, value, unit, ts, quality: "good" };
}

/** HEARTBEAT: armed is MAV_MODE_FLAG_SAFETY_ARMED of base_mode; mode is the autopilot's custom_mode. */
export function heartbeatReadings(message: minimal.Heartbeat, ts: number): Reading[] {
  const armed = (message.baseMode & minimal.MavModeFlag.SAFETY_ARMED) !== 0 ? 1 : 0;
  return [reading("armed", armed, "", ts), reading("mode", message.customMode, "", ts)];
}

/** Whether a HEARTBEAT comes from a flight controller (other components send MAV_AUTOPILOT_INVALID). */
export function isAutopilotHeartbeat(message: minimal.Heartbeat): boolean {
  return message.autopilot !== minimal.MavAutopilot.INVALID && message.type !== minimal.MavType.GCS;
}

/** GLOBAL_POSITION_INT: lat/lon in degE7, alt and relative_alt in mm, vx/vy in cm/s, hdg in cdeg. */
export function positionFix(message: common.GlobalPositionInt, ts: number): PositionFix {
  const fix = {
    ts,
    lat: message.lat / 1e7,
    lon: message.lon / 1e7,
    alt: message.alt / 1000,
    relAlt: message.relativeAlt / 1000,
    groundSpeedMps: Math.hypot(message.vx, message.vy) / 100,
  };
  return message.hdg === UINT16_UNKNOWN ? fix : { ...fix, headingDeg: message.hdg / 100 };
}

export function positionReadings(fix: PositionFix): Reading[] {
  const readings = [
    reading("lat", fix.lat, "deg", fix.ts),
    reading("lon", fix.lon, "deg", fix.ts),
    reading("alt_m", fix.alt, "m", fix.ts),
    reading("rel_alt_m", fix.relAlt, "m", fix.ts),
  ];
  if (fix.headingDeg !== undefined) readings.push(reading("heading_deg", fix.headingDeg, "deg", fix.ts));
  readings.push(reading("ground_speed_mps", fix.groundSpeedMps, "m/s", fix.ts));
  return readings;
}

/** SYS_STATUS: voltage_battery in mV (UINT16_MAX unknown), current_battery in cA and battery_remaining in % (-1 unknown). */
export function sysStatusReadings(message: common.SysStatus, ts: number): Reading[] {
  const readings: Reading[] = [];
  if (message.voltageBattery !== UINT16_UNKNOWN)
    readings.push(reading("battery_v", message.voltageBattery / 1000, "V", ts));
  if (message.currentBattery !== -1) readings.push(reading("battery_a", message.currentBattery / 100, "A", ts));
  if (message.batteryRemaining !== -1) readings.push(reading("battery_pct", message.batteryRemaining, "%", ts));
  return readings;
}

/**
 * BATTERY_STATUS: battery_remaining in % (-1 unknown), temperature in cdegC (INT16_MAX unknown).
 * Battery 0 gives `battery_pct` and `battery_temp_c`; battery n > 0 gives `battery_pct.n` and
 * `battery_temp_c.n`, so a second pack does not overwrite the first.
 */
export function batteryStatusReadings(message: common.BatteryStatus, ts: number): Reading[] {
  const suffix = message.id === 0 ? "" : `.${message.id}`;
  const readings: Reading[] = [];
  if (message.batteryRemaining !== -1)
    readings.push(reading(`battery_pct${suffix}`, message.batteryRemaining, "%", ts));
  if (message.temperature !== INT16_UNKNOWN) {
    readings.push(reading(`battery_temp_c${suffix}`, message.temperature / 100, "degC", ts));
  }
  return readings;
}
