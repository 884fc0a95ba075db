import { requireBcd } from "./bcd.ts";
import { decodeDeviceTime } from "./device-time.ts";
import { type ElementEncoding, SERIES_BYTES, SERIES_STEP_MINUTES } from "./element-table.ts";
import { decodeElementData } from "./element-values.ts";
import { carriesElements } from "./function-codes.ts";
import { hex2 } from "./hex.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";

export interface ElementSample {
  ts: number;
  value: number;
}

export interface DecodedElement {
  /** Identifier as upper-case hex: "39", or "FF85" for a user-defined (FF-prefixed) one. */
  id: string;
  /** Data bytes as hex, whatever could be made of them. */
  raw: string;
  /** Decoded values with their source times; empty for an unknown identifier. */
  samples: ElementSample[];
  /** Values marked "no data" (all FF, FF or FFFF). */
  missing: number;
  /** False when the identifier is neither in table C.1 nor configured: only `raw` is known. */
  known: boolean;
}

export interface DecodedBody {
  serial: number;
  sendTime: number;
  /** The 6 BCD bytes of the send time as sent, echoed in confirmations. */
  sendTimeBytes: Buffer;
  station?: string;
  category?: number;
  /** The first observation time (F0F0) of the body. */
  observationTime?: number;
  elements: DecodedElement[];
  /** Text of a manual report (F2F2). */
  manual?: string;
  /** Size of the JPEG of an image report (F3F3), which is not decoded. */
  imageBytes?: number;
  /** Bytes after the send time of bodies whose layout is not decoded (configuration replies). */
  rest?: string;
  /** Values that could not be decoded while the others could (bad BCD in one element). */
  problems: Sl651CodecError[];
}

export interface BodyDecodeOptions {
  /** Minutes east of UTC of the stations' clocks. */
  offsetMinutes: number;
  /** Whether the observation time before F4/F5 is the time of the last value (end) or the first. */
  seriesAnchor: "end" | "start";
  /** Encoding of an identifier, undefined when it is unknown. */
  encodingOf(id: string): ElementEncoding | undefined;
}

const SERIAL_AND_TIME = 8;

/** Decodes a message body (§6.6): serial number, send time, then what the function code carries. */
export function decodeBody(functionCode: number, body: Buffer, options: BodyDecodeOptions): DecodedBody {
  if (body.length < SERIAL_AND_TIME) {
    throw new Sl651CodecError(
      "EDGE_SL651_BAD_LENGTH",
      `body of ${body.length} bytes is too short for the serial number and send time (8 bytes)`,
      { bodyLength: body.length },
    );
  }
  const decoded: DecodedBody = {
    serial: body.readUInt16BE(0),
    sendTime: decodeDeviceTime(body, 2, 6, options.offsetMinutes, "send time"),
    sendTimeBytes: Buffer.from(body.subarray(2, SERIAL_AND_TIME)),
    elements: [],
    problems: [],
  };
  if (carriesElements(functionCode)) new ElementWalker(body, decoded, options).walk();
  else if (body.length > SERIAL_AND_TIME) decoded.rest = body.subarray(SERIAL_AND_TIME).toString("hex").toUpperCase();
  return decoded;
}

/** Walks identifier/data-definition pairs (§6.6.3.2, table 26) after the serial and send time. */
class ElementWalker {
  #pos = SERIAL_AND_TIME;
  #observed: number | undefined;
  #stepMinutes: number | undefined;

  constructor(
    private readonly body: Buffer,
    private readonly decoded: DecodedBody,
    private readonly options: BodyDecodeOptions,
  ) {}

  walk(): void {
    const body = this.body;
    while (this.#pos < body.length) {
      const at = this.#pos;
      const first = body[at] as number;
      const second = body[at + 1];
      if (second === undefined)
        throw this.#error(`identifier ${hex2(first)} at body byte ${at} has no data definition`);
      if (first === second && first >= 0xf0 && first <= 0xf3) this.#guide(first, at);
      else if (first === 0x04 && second === 0x18) this.#timeStep(at);
      else this.#element(at);
    }
  }

  /** F0F0 observation time, F1F1 station, F2F2 manual text, F3F3 image (table C.1). */
  #guide(guide: number, at: number): void {
    const body = this.body;
    if (guide === 0xf0) {
      this.#need(at + 2, 5, "observation time (F0F0)");
      const observed = decodeDeviceTime(body, at + 2, 5, this.options.offsetMinutes, "observation time");
      this.#observed = observed;
      this.#stepMinutes = undefined;
      this.decoded.observationTime ??= observed;
      this.#pos = at + 7;
    } else if (guide === 0xf1) {
      this.#need(at + 2, 6, "station address and category (F1F1)");
      this.decoded.station = body
        .subarray(at + 2, at + 7)
        .toString("hex")
        .toUpperCase();
      this.decoded.category = body[at + 7] as number;
      this.#pos = at + 8;
    } else if (guide === 0xf2) {
      this.decoded.manual = body.subarray(at + 2).toString("latin1");
      this.#pos = body.length;
    } else {
      this.decoded.imageBytes = body.length - (at + 2);
      this.#pos = body.length;
    }
  }

  /** 04 18 DDHHmm: the element after it repeats its data every step (§6.6.4.4, table 30). */
  #timeStep(at: number): void {
    this.#need(at + 2, 3, "time step (0418)");
    const day = requireBcd(this.body, at + 2, at + 3, "time step days");
    const hour = requireBcd(this.body, at + 3, at + 4, "time step hours");
    const minute = requireBcd(this.body, at + 4, at + 5, "time step minutes");
    this.#stepMinutes = day * 1440 + hour * 60 + minute;
    this.#pos = at + 5;
  }

  #element(at: number): void {
    const body = this.body;
    const extended = body[at] === 0xff;
    const headerLength = extended ? 3 : 2;
    this.#need(at, headerLength, "element identifier");
    const id = extended ? `FF${hex2(body[at + 1] as number)}` : hex2(body[at] as number);
    const definition = body[at + headerLength - 1] as number;
    const encoding = this.options.encodingOf(id);
    const where = `element ${id} at body byte ${at}`;
    const fixed = encoding === undefined ? undefined : SERIES_BYTES[encoding];
    const length = fixed ?? definition >> 3;
    if (length === 0) throw this.#error(`${where}: data definition 0x${hex2(definition)} gives no data bytes`);
    const observed = this.#observed;
    if (observed === undefined) throw this.#error(`${where} comes before any observation time (F0F0)`);
    const dataStart = at + headerLength;
    const step = this.#stepMinutes;
    const groups = step === undefined || fixed !== undefined ? 1 : (body.length - dataStart) / length;
    if (!Number.isInteger(groups) || groups < 1) {
      throw this.#error(
        `${where}: ${body.length - dataStart} bytes after it are not a whole number of ${length}-byte values`,
      );
    }
    if (groups > 1 && step === 0) throw this.#error(`${where}: ${groups} values share a time step of 0 minutes`);
    this.#need(dataStart, length * groups, where);
    const data = body.subarray(dataStart, dataStart + length * groups);
    const element: DecodedElement = {
      id,
      raw: data.toString("hex").toUpperCase(),
      samples: [],
      missing: 0,
      known: encoding !== undefined,
    };
    if (encoding !== undefined) this.#decodeValues(element, encoding, data, length, definition & 0x07, where);
    this.decoded.elements.push(element);
    this.#pos = dataStart + length * groups;
  }

  #decodeValues(
    element: DecodedElement,
    encoding: ElementEncoding,
    data: Buffer,
    length: number,
    decimals: number,
    where: string,
  ): void {
    let values: Array<number | undefined>;
    try {
      values = [];
      for (let i = 0; i < data.length; i += length) {
        values.push(...decodeElementData(encoding, data.subarray(i, i + length), decimals, where));
      }
    } catch (error) {
      this.decoded.problems.push(error as Sl651CodecError);
      return;
    }
    const times = this.#times(values.length, SERIES_BYTES[encoding] !== undefined);
    values.forEach((value, i) => {
      if (value === undefined) element.missing++;
      else element.samples.push({ ts: times[i] as number, value });
    });
  }

  /**
   * Source times of `count` values. A five-minute series (F4, F5..) ends at its observation time
   * by default (obs − 55 min … obs, the hour an hourly report closes); some RTUs put the time of
   * the first value there instead (`seriesAnchor: "start"`). A time-step series (§6.6.4.4) starts
   * at its observation time.
   */
  #times(count: number, fiveMinuteSeries: boolean): number[] {
    const observed = this.#observed as number;
    const minute = 60_000;
    if (fiveMinuteSeries) {
      const first =
        this.options.seriesAnchor === "end" ? observed - (count - 1) * SERIES_STEP_MINUTES * minute : observed;
      return Array.from({ length: count }, (_, i) => first + i * SERIES_STEP_MINUTES * minute);
    }
    const step = (this.#stepMinutes ?? 0) * minute;
    return Array.from({ length: count }, (_, i) => observed + i * step);
  }

  #need(start: number, length: number, what: string): void {
    const remaining = this.body.length - start;
    if (remaining < length) {
      throw this.#error(`${what} needs ${length} bytes but only ${Math.max(0, remaining)} remain in the body`);
    }
  }

  #error(message: string): Sl651CodecError {
    return new Sl651CodecError("EDGE_SL651_BAD_ELEMENT", message, { offset: this.#pos });
  }
}
