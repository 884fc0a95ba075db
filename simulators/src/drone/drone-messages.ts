import { common, minimal } from "node-mavlink";
import type { FlightState } from "./flight-path.ts";

// node-mavlink's message constructors default enum fields to their *names* (strings), which the
// serializer cannot write: every field is set explicitly below.

/** ArduCopter's GUIDED flight mode (custom_mode 4), what a drone flying a scripted path reports. */
export const ARDUCOPTER_GUIDED = 4;

/** HEARTBEAT of an armed ArduPilot quadrotor (MAVLink minimal.xml). */
export function heartbeat(customMode: number, armed: boolean): minimal.Heartbeat {
  const m = new minimal.Heartbeat();
  m.type = minimal.MavType.QUADROTOR;
  m.autopilot = minimal.MavAutopilot.ARDUPILOTMEGA;
  m.baseMode = minimal.MavModeFlag.CUSTOM_MODE_ENABLED | (armed ? minimal.MavModeFlag.SAFETY_ARMED : 0);
  m.customMode = customMode;
  m.systemStatus = armed ? minimal.MavState.ACTIVE : minimal.MavState.STANDBY;
  m.mavlinkVersion = 3;
  return m;
}

/**
 * GLOBAL_POSITION_INT (common.xml): lat/lon degE7, alt/relative_alt mm, vx/vy/vz cm/s
 * north-east-down, hdg cdeg in [0, 35999].
 */
export function globalPositionInt(state: FlightState, homeAlt: number, timeBootMs: number): common.GlobalPositionInt {
  const m = new common.GlobalPositionInt();
  m.timeBootMs = timeBootMs;
  m.lat = Math.round(state.lat * 1e7);
  m.lon = Math.round(state.lon * 1e7);
  m.alt = Math.round(state.alt * 1000);
  m.relativeAlt = Math.round((state.alt - homeAlt) * 1000);
  m.vx = Math.round(state.vNorth * 100);
  m.vy = Math.round(state.vEast * 100);
  m.vz = Math.round(state.vDown * 100);
  m.hdg = Math.round(state.headingDeg * 100) % 36000;
  return m;
}

/** The battery as the simulator reports it; see `DroneBattery`. */
export interface BatteryReading {
  readonly voltageV: number;
  readonly currentA: number;
  readonly remainingPct: number;
  readonly temperatureC: number;
  readonly cells: number;
}

const S = common.MavSysStatusSensor;
/** A quadrotor's usual sensors, all present, enabled and healthy. */
const SENSORS = (S.SENSOR_3D_GYRO |
  S.SENSOR_3D_ACCEL |
  S.SENSOR_3D_MAG |
  S.SENSOR_GPS |
  S.SENSOR_BATTERY) as common.MavSysStatusSensor;
const NO_EXTENDED_SENSORS = 0 as common.MavSysStatusSensorExtended;

/** SYS_STATUS (common.xml): voltage_battery mV, current_battery cA, battery_remaining %. */
export function sysStatus(battery: BatteryReading): common.SysStatus {
  const m = new common.SysStatus();
  m.onboardControlSensorsPresent = SENSORS;
  m.onboardControlSensorsEnabled = SENSORS;
  m.onboardControlSensorsHealth = SENSORS;
  m.load = 0;
  m.voltageBattery = Math.round(battery.voltageV * 1000);
  m.currentBattery = Math.round(battery.currentA * 100);
  m.batteryRemaining = Math.round(battery.remainingPct);
  m.dropRateComm = 0;
  m.errorsComm = 0;
  m.errorsCount1 = 0;
  m.errorsCount2 = 0;
  m.errorsCount3 = 0;
  m.errorsCount4 = 0;
  m.onboardControlSensorsPresentExtended = NO_EXTENDED_SENSORS;
  m.onboardControlSensorsEnabledExtended = NO_EXTENDED_SENSORS;
  m.onboardControlSensorsHealthExtended = NO_EXTENDED_SENSORS;
  return m;
}

/** BATTERY_STATUS (common.xml) of battery 0: per-cell mV (UINT16_MAX = no cell), temperature cdegC. */
export function batteryStatus(battery: BatteryReading): common.BatteryStatus {
  const m = new common.BatteryStatus();
  const cellMv = Math.round((battery.voltageV / battery.cells) * 1000);
  m.id = 0;
  m.batteryFunction = common.MavBatteryFunction.ALL;
  m.type = common.MavBatteryType.LIPO;
  m.temperature = Math.round(battery.temperatureC * 100);
  m.voltages = Array.from({ length: 10 }, (_, i) => (i < battery.cells ? cellMv : 0xffff));
  m.currentBattery = Math.round(battery.currentA * 100);
  m.currentConsumed = -1;
  m.energyConsumed = -1;
  m.batteryRemaining = Math.round(battery.remainingPct);
  m.timeRemaining = 0;
  m.chargeState = common.MavBatteryChargeState.OK;
  m.voltagesExt = [0, 0, 0, 0];
  m.mode = common.MavBatteryMode.UNKNOWN;
  m.faultBitmask = 0 as common.MavBatteryFault;
  return m;
}

export interface DroneBatteryOptions {
  /** Charge at take-off; default 100 %. */
  startPct?: number;
  /** Linear drain; default 2 % a minute (a 50-minute pack). */
  drainPctPerMin?: number;
  /** LiPo cells in series; default 4. */
  cells?: number;
  /** Draw while flying; default 15 A. */
  currentA?: number;
}

/**
 * A LiPo pack draining linearly with flight time: cell voltage from 3.3 V (empty) to 4.2 V (full),
 * temperature rising from 25 °C by 0.1 °C per percent used.
 */
export function droneBattery(options: DroneBatteryOptions, elapsedMs: number): BatteryReading {
  const startPct = options.startPct ?? 100;
  const drain = options.drainPctPerMin ?? 2;
  const cells = options.cells ?? 4;
  const remainingPct = Math.max(0, startPct - (drain * elapsedMs) / 60_000);
  return {
    voltageV: cells * (3.3 + (0.9 * remainingPct) / 100),
    currentA: options.currentA ?? 15,
    remainingPct,
    temperatureC: 25 + 0.1 * (100 - remainingPct),
    cells,
  };
}
