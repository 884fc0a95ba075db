import type { ByteOrder } from "./modbus/register-bank.ts";
import type { Random } from "./random.ts";

export type SimulatedDatatype = "float32" | "int16" | "uint16";

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
