import { bcdTime, type ElementLayout, encodeElement, encodeRepeatedElement } from "./sl651-bcd.ts";

/** Function codes (SL 651-2014 appendix B, table B.1) this RTU sends. */
export const KEEP_ALIVE = 0x2f;
export const EVENLY_TIMED_REPORT = 0x31;
export const ADD_REPORT = 0x33;
export const HOURLY_REPORT = 0x34;

/** Element identifiers of table C.1 this RTU reports, with the layouts it uses for them. */
export const ELEMENTS = {
  /** 当前降水量 PJ: rain since the previous report. */
  currentRain: { id: 0x20, layout: { bytes: 3, decimals: 1 } },
  /** 1 小时时段降水量 P1. */
  rain1h: { id: 0x1a, layout: { bytes: 3, decimals: 1 } },
  /** 日降水量 PD: since 08:00, the start of the hydrological day. */
  rainDay: { id: 0x1f, layout: { bytes: 3, decimals: 1 } },
  /** 5 分钟时段降水量 PN05. */
  rain5min: { id: 0x22, layout: { bytes: 3, decimals: 1 } },
  /** 降水量累计值 PT: the gauge's running total. */
  rainTotal: { id: 0x26, layout: { bytes: 3, decimals: 1 } },
  /** 瞬时河道水位 Z, m to the millimetre. */
  waterLevel: { id: 0x39, layout: { bytes: 4, decimals: 3 } },
  /** 电源电压 VT. */
  voltage: { id: 0x38, layout: { bytes: 2, decimals: 2 } },
} as const satisfies Record<string, { id: number; layout: ElementLayout }>;

export interface ReportHeading {
  serial: number;
  sendTime: number;
  observed: number;
  offsetMinutes: number;
  station: string;
  /** Station category (遥测站分类码) after the address, e.g. 0x48 'H' river, 0x50 'P' rainfall. */
  category: number;
}

/** Serial number (2 bytes) and send time: the whole body of a keep-alive (§6.6.4.2), the start of every other. */
export function messageStart(serial: number, sendTime: number, offsetMinutes: number): Buffer {
  const serialBytes = Buffer.alloc(2);
  serialBytes.writeUInt16BE(serial, 0);
  return Buffer.concat([serialBytes, bcdTime(sendTime, offsetMinutes, true)]);
}

/**
 * A report body (§6.6.4): serial number, send time, `F1F1` + station address + category,
 * `F0F0` + observation time, then the elements.
 */
export function reportBody(heading: ReportHeading, elements: readonly Buffer[]): Buffer {
  return Buffer.concat([
    messageStart(heading.serial, heading.sendTime, heading.offsetMinutes),
    Buffer.from([0xf1, 0xf1]),
    Buffer.from(heading.station, "hex"),
    Buffer.from([heading.category]),
    Buffer.from([0xf0, 0xf0]),
    bcdTime(heading.observed, heading.offsetMinutes, false),
    ...elements,
  ]);
}

/** `F4` (table C.1): the hour's twelve 5-minute rainfalls, one HEX byte each in 0.1 mm; FF = no data. */
export function rain5MinSeries(tenths: readonly (number | undefined)[]): Buffer {
  if (tenths.length !== 12) throw new RangeError(`F4 holds 12 values, not ${tenths.length}`);
  return Buffer.from([0xf4, 0x60, ...tenths.map((v) => (v === undefined ? 0xff : v))]);
}

/** `F5` (table C.1): twelve 5-minute relative water levels, two HEX bytes each in 0.01 m; FFFF = no data. */
export function level5MinSeries(centimetres: readonly (number | undefined)[]): Buffer {
  if (centimetres.length !== 12) throw new RangeError(`F5 holds 12 values, not ${centimetres.length}`);
  const out = Buffer.alloc(2 + 24);
  out.writeUInt8(0xf5, 0);
  out.writeUInt8(0xc0, 1);
  for (const [i, v] of centimetres.entries()) out.writeUInt16BE(v === undefined ? 0xffff : v, 2 + 2 * i);
  return out;
}

/** Time step `04 18` + `DDHHmm` BCD (§6.6.4.4), for the evenly-timed report. */
export function timeStep(minutes: number): Buffer {
  const dd = Math.floor(minutes / 1440);
  const hh = Math.floor((minutes % 1440) / 60);
  const mm = minutes % 60;
  return Buffer.concat([Buffer.from([0x04, 0x18]), Buffer.from(`${p2(dd)}${p2(hh)}${p2(mm)}`, "hex")]);
}

const p2 = (n: number) => String(n).padStart(2, "0");

export function element(which: keyof typeof ELEMENTS, value: number): Buffer {
  const { id, layout } = ELEMENTS[which];
  return encodeElement(id, value, layout);
}

export function repeatedElement(which: keyof typeof ELEMENTS, values: readonly number[]): Buffer {
  const { id, layout } = ELEMENTS[which];
  return encodeRepeatedElement(id, values, layout);
}
