/** HJ 212-2017 §6.6.4 (表 8, 数据标记): the state of the instrument when the value was taken. */
export const HJ212_DATA_FLAGS = ["N", "F", "M", "S", "D", "C", "T", "B"] as const;
export type Hj212DataFlag = (typeof HJ212_DATA_FLAGS)[number];

/**
 * Factors a dust monitor (ST=39, 工地扬尘) commonly sends, with the codes of HJ 212-2017
 * Appendix B and the metric and unit a reading gets unless the station's profile says otherwise.
 * Units are what construction-dust monitors usually report; a logger that sends mg/m3 for
 * particulates needs `unit` set in the profile (the value is passed through, never converted).
 */
export interface Hj212FactorDefault {
  name: string;
  metric: string;
  unit: string;
}

export const HJ212_BUILTIN_FACTORS: Readonly<Record<string, Hj212FactorDefault>> = {
  a34001: { name: "TSP (total suspended particulates)", metric: "tsp", unit: "ug/m3" },
  a34002: { name: "PM10", metric: "pm10", unit: "ug/m3" },
  a34004: { name: "PM2.5", metric: "pm25", unit: "ug/m3" },
  LA: { name: "noise, A-weighted sound level", metric: "noise", unit: "dB(A)" },
  a01001: { name: "air temperature", metric: "temperature", unit: "degC" },
  a01002: { name: "relative humidity", metric: "humidity", unit: "%" },
  a01006: { name: "air pressure", metric: "pressure", unit: "kPa" },
  a01007: { name: "wind speed", metric: "wind_speed", unit: "m/s" },
  a01008: { name: "wind direction", metric: "wind_direction", unit: "deg" },
};

/** `+08:00`: the UTC offset of a device's wall clock (China Standard Time by default). */
export const UTC_OFFSET_PATTERN = /^[+-](0\d|1[0-4]):[0-5]\d$/;
