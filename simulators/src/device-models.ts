import type { ByteOrder } from "./modbus/register-bank.ts";
import type { Random } from "./random.ts";

export type SimulatedDatatype = "float32" | "int16" | "uint16" | "uint32";

/** One register-mapped quantity of a simulated device, as its manual would list it. */
export interface SimulatedPoint {
  name: string;
  metric: string;
  unit: string;
  /** Holding register (0-based protocol address). */
  address: number;
  datatype: SimulatedDatatype;
  byteOrder: ByteOrder;
  /** Engineering value = register value × scale. */
  scale: number;
  /** The physical value at time `t` (ms); `random` gives noise. */
  signal: (t: number, random: Random) => number;
}

export interface SimulatedDeviceModel {
  kind: string;
  description: string;
  points: readonly SimulatedPoint[];
}

const DAY = 86_400_000;
const diurnal = (t: number) => Math.sin((2 * Math.PI * (t % DAY)) / DAY);

/** A coal-mine / construction-site dust monitor (TSP, PM10, PM2.5, noise, weather), float32 ABCD. */
export const dustMonitor: SimulatedDeviceModel = {
  kind: "dust-monitor",
  description: "dust monitor: TSP / PM10 / PM2.5 in mg/m³, noise dB(A), wind, temperature, humidity",
  points: [
    {
      name: "TSP",
      metric: "tsp",
      unit: "mg/m3",
      address: 0,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => 0.32 + 0.08 * diurnal(t) + 0.02 * r(),
    },
    {
      name: "PM10",
      metric: "pm10",
      unit: "mg/m3",
      address: 2,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => 0.15 + 0.05 * diurnal(t) + 0.01 * r(),
    },
    {
      name: "PM2.5",
      metric: "pm2_5",
      unit: "mg/m3",
      address: 4,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => 0.06 + 0.02 * diurnal(t) + 0.005 * r(),
    },
    {
      name: "Noise",
      metric: "noise",
      unit: "dB(A)",
      address: 6,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => 62 + 6 * diurnal(t) + 2 * r(),
    },
    {
      name: "Wind speed",
      metric: "wind_speed",
      unit: "m/s",
      address: 8,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (_t, r) => 2.5 + 1.5 * r(),
    },
    {
      name: "Temperature",
      metric: "temperature",
      unit: "degC",
      address: 10,
      datatype: "int16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (t, r) => 12 + 8 * diurnal(t) + 0.3 * r(),
    },
    {
      name: "Humidity",
      metric: "humidity",
      unit: "%RH",
      address: 11,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (t, r) => 55 - 15 * diurnal(t) + r(),
    },
  ],
};

/** A water-supply pipeline pressure/flow transmitter; float32 in CDAB word order, as many are. */
export const pipelineTransmitter: SimulatedDeviceModel = {
  kind: "pipeline-transmitter",
  description: "pipeline pressure (MPa) and flow (m³/h) transmitter, float32 CDAB",
  points: [
    {
      name: "Pressure",
      metric: "pressure",
      unit: "MPa",
      address: 0,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => 0.42 - 0.05 * diurnal(t) + 0.004 * r(),
    },
    {
      name: "Flow",
      metric: "flow",
      unit: "m3/h",
      address: 2,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => 180 + 60 * diurnal(t) + 5 * r(),
    },
    {
      name: "Water temperature",
      metric: "water_temperature",
      unit: "degC",
      address: 4,
      datatype: "int16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (t, r) => 9 + 2 * diurnal(t) + 0.1 * r(),
    },
  ],
};

const HOUR = 3_600_000;
/** When the counters of the simulated meters started: counters are a function of time, not of uptime. */
const COMMISSIONED = Date.UTC(2020, 9, 15); // start of the 2020/21 heating season

/**
 * A combustible-gas detector (可燃气体探测器), holding register 0 in tenths of %LEL and register 1 a
 * status word: bit 0 low alarm (A1, 20 %LEL), bit 1 high alarm (A2, 50 %LEL), bit 2 sensor fault —
 * the register map of the firmware-profiles template `gas-detector-modbus`.
 */
const gasLel = (t: number) => 1.2 + 0.8 * diurnal(t);
export const gasDetector: SimulatedDeviceModel = {
  kind: "gas-detector",
  description: "combustible-gas detector: %LEL ×0.1, status word (A1, A2, fault bits)",
  points: [
    {
      name: "Concentration",
      metric: "gas_lel",
      unit: "%LEL",
      address: 0,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (t, r) => Math.max(0, gasLel(t) + 0.3 * r()),
    },
    {
      name: "Status",
      metric: "status",
      unit: "",
      address: 1,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 1,
      // The alarms follow the filtered concentration, as detectors latch on the smoothed value.
      signal: (t) => (gasLel(t) >= 20 ? 0b001 : 0) | (gasLel(t) >= 50 ? 0b010 : 0),
    },
  ],
};

/**
 * A radar water-level gauge (雷达水位计) 4.5 m above an underpass sump: level and air gap as float32
 * ABCD (m), signal strength ×0.1 dB, echo-lost bit 0 of register 5, sensor temperature ×0.1 —
 * the register map of the template `radar-level-gauge-modbus`.
 */
const MOUNTING_HEIGHT_M = 4.5;
const sumpLevel = (t: number) => 0.6 + 0.25 * diurnal(t);
export const radarLevelGauge: SimulatedDeviceModel = {
  kind: "radar-level-gauge",
  description: "radar water-level gauge: level and air gap float32 ABCD, signal ×0.1 dB, echo bit, temperature",
  points: [
    {
      name: "Water level",
      metric: "water_level",
      unit: "m",
      address: 0,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => sumpLevel(t) + 0.003 * r(),
    },
    {
      name: "Air gap",
      metric: "air_gap",
      unit: "m",
      address: 2,
      datatype: "float32",
      byteOrder: "ABCD",
      scale: 1,
      signal: (t, r) => MOUNTING_HEIGHT_M - sumpLevel(t) + 0.003 * r(),
    },
    {
      name: "Signal strength",
      metric: "signal_strength",
      unit: "dB",
      address: 4,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (_t, r) => 38 + 2 * r(),
    },
    {
      name: "Status",
      metric: "status",
      unit: "",
      address: 5,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 1,
      signal: () => 0, // bit 0, echo lost: never on a calm sump
    },
    {
      name: "Sensor temperature",
      metric: "sensor_temperature",
      unit: "degC",
      address: 6,
      datatype: "int16",
      byteOrder: "ABCD",
      scale: 0.1,
      signal: (t, r) => 16 + 6 * diurnal(t) + 0.2 * r(),
    },
  ],
};

/**
 * An ultrasonic heat meter (热量表) on a substation's primary side; 32-bit values low word first
 * (CDAB): energy (kWh) and volume (m³) counters, power, flow, temperatures, operating hours and an
 * error-flag word — the register map of the template `heat-meter-modbus`. The counters grow with
 * the mean power and flow since `COMMISSIONED`, so they never go back between runs.
 */
const heatPowerKw = (t: number) => 420 - 80 * diurnal(t);
const heatFlow = (t: number) => 12 - 2 * diurnal(t);
const sinceCommissioned = (t: number) => Math.max(0, t - COMMISSIONED) / HOUR;
export const heatMeter: SimulatedDeviceModel = {
  kind: "heat-meter",
  description: "heat meter: energy and volume uint32 CDAB, power, flow, temperatures float32 CDAB, hours, error flags",
  points: [
    {
      name: "Energy",
      metric: "energy",
      unit: "kWh",
      address: 0,
      datatype: "uint32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t) => Math.floor(420 * sinceCommissioned(t)),
    },
    {
      name: "Power",
      metric: "power",
      unit: "kW",
      address: 2,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => heatPowerKw(t) + 5 * r(),
    },
    {
      name: "Flow",
      metric: "flow",
      unit: "m3/h",
      address: 4,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => heatFlow(t) + 0.2 * r(),
    },
    {
      name: "Supply temperature",
      metric: "supply_temperature",
      unit: "degC",
      address: 6,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => 85 - 5 * diurnal(t) + 0.2 * r(),
    },
    {
      name: "Return temperature",
      metric: "return_temperature",
      unit: "degC",
      address: 8,
      datatype: "float32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t, r) => 55 - 3 * diurnal(t) + 0.2 * r(),
    },
    {
      name: "Volume",
      metric: "volume",
      unit: "m3",
      address: 10,
      datatype: "uint32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t) => Math.floor(12 * sinceCommissioned(t)),
    },
    {
      name: "Operating hours",
      metric: "operating_hours",
      unit: "h",
      address: 12,
      datatype: "uint32",
      byteOrder: "CDAB",
      scale: 1,
      signal: (t) => Math.floor(sinceCommissioned(t)),
    },
    {
      name: "Error flags",
      metric: "error_flags",
      unit: "",
      address: 14,
      datatype: "uint16",
      byteOrder: "ABCD",
      scale: 1,
      signal: () => 0,
    },
  ],
};
