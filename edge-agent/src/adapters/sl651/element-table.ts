/**
 * How a value is carried (SL 651-2014 §6.6.3 and appendix C, table C.1):
 * - `bcd`: packed BCD of the length and decimals the data-definition byte gives; a first byte
 *   FF marks a negative value (§6.6.3.3 a); all bytes FF mean "no data".
 * - `hex`: an unsigned big-endian integer (45, the station status and alarm bits, table 58).
 * - `rain-5min`: F4, 12 one-byte HEX values in 0.1 mm, FF = no data.
 * - `level-5min`: F5..FC, 12 two-byte HEX values in 0.01 m, FFFF = no data.
 */
export type ElementEncoding = "bcd" | "hex" | "rain-5min" | "level-5min";

export interface ElementDefinition {
  name: string;
  /** Metric the receiver records; absent: decoded and shown, not recorded unless configured. */
  metric?: string;
  unit: string;
  encoding: ElementEncoding;
}

const bcd = (name: string, metric: string | undefined, unit: string): ElementDefinition =>
  metric === undefined ? { name, unit, encoding: "bcd" } : { name, metric, unit, encoding: "bcd" };

/** Element identifiers (hex, upper case) of table C.1 that the receiver knows. */
export const ELEMENT_TABLE: Readonly<Record<string, ElementDefinition>> = {
  "02": bcd("air temperature", "air_temperature", "degC"),
  "03": bcd("water temperature", "water_temperature", "degC"),
  "06": bcd("daily evaporation", "evaporation_day", "mm"),
  "07": bcd("current evaporation", "evaporation_current", "mm"),
  "08": bcd("air pressure", "air_pressure", "hPa"),
  "09": bcd("gate opening height", "gate_opening", "m"),
  "0E": bcd("groundwater depth", "groundwater_depth", "m"),
  "0F": bcd("wave height", "wave_height", "m"),
  "10": bcd("soil moisture 10 cm", "soil_moisture_10cm", "%"),
  "11": bcd("soil moisture 20 cm", "soil_moisture_20cm", "%"),
  "12": bcd("soil moisture 30 cm", "soil_moisture_30cm", "%"),
  "13": bcd("soil moisture 40 cm", "soil_moisture_40cm", "%"),
  "14": bcd("soil moisture 50 cm", "soil_moisture_50cm", "%"),
  "15": bcd("soil moisture 60 cm", "soil_moisture_60cm", "%"),
  "16": bcd("soil moisture 80 cm", "soil_moisture_80cm", "%"),
  "17": bcd("soil moisture 100 cm", "soil_moisture_100cm", "%"),
  "18": bcd("humidity", "humidity", "%"),
  "1A": bcd("rainfall in the last 1 h (P1)", "rainfall_1h", "mm"),
  "1B": bcd("rainfall in the last 2 h (P2)", "rainfall_2h", "mm"),
  "1C": bcd("rainfall in the last 3 h (P3)", "rainfall_3h", "mm"),
  "1D": bcd("rainfall in the last 6 h (P6)", "rainfall_6h", "mm"),
  "1E": bcd("rainfall in the last 12 h (P12)", "rainfall_12h", "mm"),
  "1F": bcd("daily rainfall (PD)", "rainfall_day", "mm"),
  "20": bcd("current rainfall (PJ)", "rainfall_current", "mm"),
  "21": bcd("rainfall in 1 min (PN01)", "rainfall_1min", "mm"),
  "22": bcd("rainfall in 5 min (PN05)", "rainfall_5min", "mm"),
  "23": bcd("rainfall in 10 min (PN10)", "rainfall_10min", "mm"),
  "24": bcd("rainfall in 30 min (PN30)", "rainfall_30min", "mm"),
  "25": bcd("rainstorm amount (PR)", "rainfall_storm", "mm"),
  "26": bcd("cumulative rainfall (PT)", "rainfall_total", "mm"),
  "27": bcd("instantaneous flow (Q)", "flow", "m3/s"),
  "30": bcd("total outflow (QA)", "flow_out_total", "m3/s"),
  "33": bcd("wind direction (UC)", "wind_direction", ""),
  "34": bcd("wind force (UE)", "wind_force", ""),
  "35": bcd("wind speed (US)", "wind_speed", "m/s"),
  "36": bcd("section mean velocity (VA)", "velocity_mean", "m/s"),
  "37": bcd("instantaneous velocity (VJ)", "velocity", "m/s"),
  "38": bcd("power supply voltage (VT)", "voltage", "V"),
  "39": bcd("instantaneous river water level (Z)", "water_level", "m"),
  "3A": bcd("water level below the dam or gate (ZB)", "water_level_downstream", "m"),
  "3B": bcd("water level above the dam or gate (ZU)", "water_level_upstream", "m"),
  "45": { name: "station status and alarms (ZT)", metric: "status_alarm", unit: "", encoding: "hex" },
  "46": bcd("pH", "ph", ""),
  "47": bcd("dissolved oxygen", "dissolved_oxygen", "mg/L"),
  "48": bcd("conductivity", "conductivity", "uS/cm"),
  "49": bcd("turbidity", "turbidity", "NTU"),
  F4: { name: "5-minute rainfall in the hour (DRP)", metric: "rainfall_5min", unit: "mm", encoding: "rain-5min" },
  F5: {
    name: "5-minute relative water level 1 (DRZ1)",
    metric: "water_level_relative",
    unit: "m",
    encoding: "level-5min",
  },
  F6: { name: "5-minute relative water level 2 (DRZ2)", unit: "m", encoding: "level-5min" },
  F7: { name: "5-minute relative water level 3 (DRZ3)", unit: "m", encoding: "level-5min" },
  F8: { name: "5-minute relative water level 4 (DRZ4)", unit: "m", encoding: "level-5min" },
  F9: { name: "5-minute relative water level 5 (DRZ5)", unit: "m", encoding: "level-5min" },
  FA: { name: "5-minute relative water level 6 (DRZ6)", unit: "m", encoding: "level-5min" },
};

/** Table C.1 fixes the size of the five-minute series whatever the data-definition byte says. */
export const SERIES_BYTES: Readonly<Partial<Record<ElementEncoding, number>>> = {
  "rain-5min": 12,
  "level-5min": 24,
};

export const SERIES_STEP_MINUTES = 5;
