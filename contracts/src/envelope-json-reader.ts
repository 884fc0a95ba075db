import { ENVELOPE_VERSION, type Envelope, MAX_READINGS_PER_ENVELOPE, QUALITIES, type Quality } from "./envelope.ts";
import { isEnvelopeSeq, isSourceTs, isUnit } from "./envelope-check.ts";
import { ID_PATTERN, MAX_ID_LENGTH, MAX_METRIC_LENGTH, METRIC_PATTERN } from "./identifiers.ts";
import { hashByte, internedAscii } from "./interned-strings.ts";

/**
 * Reads a JSON envelope straight from its bytes and checks it in the same pass, the JSON twin of
 * `readCheckedBinaryEnvelope`: `undefined` whenever it does not accept the envelope, and then
 * `JSON.parse` and `isValidEnvelope` (or the schema) decide and say why. It builds exactly what
 * they would, so it may be the first reader everywhere (a test holds the two to the same verdict
 * and the same envelope over corrupted and reformatted payloads).
 *
 * It accepts the JSON envelopes devices and agents send (RFC 8259 grammar: any key order, white
 * space) and leaves the rare forms to the slow path, which accepts them when valid: escapes in
 * strings, duplicate keys, a byte-order mark, numbers with more than 15 significant digits or a
 * large exponent.
 *
 * Why: a smart meter's message (3 readings) is read three times — by the gateway and by the stream
 * processor's sink and rule engine — and `JSON.parse` of its ~350 bytes took 7–9 µs on the 2-core
 * machine, most of the gateway's and the processor's time per message after aedes
 * (`npm run bench:envelope`).
 */
export function readCheckedJsonEnvelope(payload: Uint8Array): Envelope | undefined {
  const r = new JsonReader(payload);
  try {
    return r.envelope();
  } catch (cause) {
    if (cause === REFUSED) return undefined;
    throw cause;
  }
}

/** Thrown inside the reader to leave it: the payload is for the slow path. Never escapes. */
const REFUSED = Symbol("refused");

// Byte classes (ASCII): what an id, a metric and a metric's first character may hold, taken from
// the patterns in identifiers.ts (one character matches an id's pattern, or a metric's as its
// first; after a valid first one, "a", as any later one), and JSON's white space (RFC 8259 §2).
const ID = 1;
const METRIC = 2;
const METRIC_FIRST = 4;
const SPACE = 8;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  CLASS[c] =
    (ID_PATTERN.test(ch) ? ID : 0) |
    (METRIC_PATTERN.test(`a${ch}`) ? METRIC : 0) |
    (METRIC_PATTERN.test(ch) ? METRIC_FIRST : 0);
}
for (const c of [0x20, 0x09, 0x0a, 0x0d]) CLASS[c] = SPACE;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

const ENVELOPE_KEYS = ["v", "site", "gateway", "device", "bootId", "seq", "readings"] as const;
const READING_KEYS = ["metric", "ts", "value", "unit", "quality"] as const;
const bytesOf = (s: string) => new TextEncoder().encode(s);

/** An object's keys as bytes, and which of them have each length (a key is matched against those only). */
interface KeySet {
  names: Uint8Array[];
  byLength: number[][];
}
function keySet(keys: readonly string[]): KeySet {
  const names = keys.map(bytesOf);
  const longest = Math.max(...names.map((n) => n.length));
  const byLength = Array.from({ length: longest + 1 }, (_, n) =>
    names.flatMap((name, k) => (name.length === n ? [k] : [])),
  );
  return { names, byLength };
}
const NONE: number[] = [];
const ENVELOPE_KEY_SET = keySet(ENVELOPE_KEYS);
const READING_KEY_SET = keySet(READING_KEYS);
const QUALITY_BYTES = QUALITIES.map(bytesOf);
const ALL_ENVELOPE_KEYS = (1 << ENVELOPE_KEYS.length) - 1;
const ALL_READING_KEYS = (1 << READING_KEYS.length) - 1;

/** Powers of ten a double holds exactly: a product or quotient with them is correctly rounded. */
const EXACT_POWERS = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Digits that always fit a double's 53-bit significand exactly (10^15 < 2^53). */
const EXACT_DIGITS = 15;

const utf8 = new TextDecoder("utf-8", { fatal: true });

class JsonReader {
  at = 0;
  /** Non-ASCII units met in this envelope (their bytes' start and length), and their strings. */
  readonly #seen: { from: number; length: number; text: string }[] = [];

  constructor(readonly b: Uint8Array) {}

  envelope(): Envelope {
    let v = 0;
    let site = "";
    let gateway = "";
    let device = "";
    let bootId = "";
    let seq = 0;
    let readings: Envelope["readings"] = [];
    let keys = 0;
    let member = 0;
    this.#open(0x7b); // {
    do {
      const key = this.#key(ENVELOPE_KEY_SET, member++);
      if (keys & (1 << key)) throw REFUSED; // a duplicate key: JSON.parse keeps the last one
      keys |= 1 << key;
      switch (key) {
        case 0:
          v = this.#number();
          break;
        case 1:
          site = this.#id();
          break;
        case 2:
          gateway = this.#id();
          break;
        case 3:
          device = this.#id();
          break;
        case 4:
          bootId = this.#id();
          break;
        case 5:
          seq = this.#number();
          break;
        default:
          readings = this.#readings();
      }
    } while (this.#more(0x7d)); // }
    if (this.#space() !== this.b.length) throw REFUSED; // something after the envelope
    if (keys !== ALL_ENVELOPE_KEYS || v !== ENVELOPE_VERSION || !isEnvelopeSeq(seq)) throw REFUSED;
    return { v: ENVELOPE_VERSION, site, gateway, device, bootId, seq, readings };
  }

  #readings(): Envelope["readings"] {
    const readings: Envelope["readings"] = [];
    this.#open(0x5b); // [
    do {
      if (readings.length === MAX_READINGS_PER_ENVELOPE) throw REFUSED;
      readings.push(this.#reading());
    } while (this.#more(0x5d)); // ]
    return readings;
  }

  #reading(): Envelope["readings"][number] {
    let metric = "";
    let ts = 0;
    let value = 0;
    let unit = "";
    let quality: Quality = "good";
    let keys = 0;
    let member = 0;
    this.#open(0x7b);
    do {
      const key = this.#key(READING_KEY_SET, member++);
      if (keys & (1 << key)) throw REFUSED;
      keys |= 1 << key;
      switch (key) {
        case 0:
          metric = this.#metric();
          break;
        case 1:
          ts = this.#number();
          break;
        case 2:
          value = this.#number();
          break;
        case 3:
          unit = this.#unit();
          break;
        default:
          quality = this.#quality();
      }
    } while (this.#more(0x7d));
    if (keys !== ALL_READING_KEYS || !isSourceTs(ts) || !Number.isFinite(value)) throw REFUSED;
    return { metric, ts, value, unit, quality };
  }

  /** Skips white space; the position of the next byte. */
  #space(): number {
    const b = this.b;
    let at = this.at;
    while (at < b.length && CLASS[b[at] as number] === SPACE) at++;
    this.at = at;
    return at;
  }

  /** `{` or `[`, which must not close at once (an envelope, a reading and the readings are never empty). */
  #open(byte: number): void {
    if (this.b[this.#space()] !== byte) throw REFUSED;
    this.at++;
  }

  /** After a member: true on `,`, false on the closing byte. */
  #more(close: number): boolean {
    const c = this.b[this.#space()];
    this.at++;
    if (c === 0x2c) return true;
    if (c === close) return false;
    throw REFUSED;
  }

  /**
   * A member's key (its index in `keys`) and the `:` after it. Keys mostly come in the order they
   * are declared (JSON.stringify of an envelope): the `likely` one is tried first.
   */
  #key(keys: KeySet, likely: number): number {
    const from = this.#stringStart();
    const b = this.b;
    const guess = keys.names[likely];
    let found = -1;
    if (guess !== undefined && this.#equals(from, guess.length, guess) && b[from + guess.length] === QUOTE) {
      found = likely;
      this.at = from + guess.length + 1;
    } else {
      const length = this.#plainStringEnd() - from;
      const candidates = length < keys.byLength.length ? (keys.byLength[length] as number[]) : NONE;
      for (let i = 0; i < candidates.length; i++) {
        const k = candidates[i] as number;
        if (this.#equals(from, length, keys.names[k] as Uint8Array)) {
          found = k;
          break;
        }
      }
    }
    if (found < 0 || b[this.#space()] !== 0x3a) throw REFUSED;
    this.at++;
    return found;
  }

  #same(a: number, b: number, length: number): boolean {
    const bytes = this.b;
    for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  }

  #equals(from: number, length: number, name: Uint8Array): boolean {
    if (length !== name.length) return false;
    const b = this.b;
    for (let i = 0; i < length; i++) if (b[from + i] !== name[i]) return false;
    return true;
  }

  /** Past the opening quote of a string; where it starts. */
  #stringStart(): number {
    if (this.b[this.#space()] !== QUOTE) throw REFUSED;
    return ++this.at;
  }

  /**
   * Past the closing quote of a string without escapes, control characters or non-ASCII bytes;
   * where it ends. Only units may hold more (`#unit`).
   */
  #plainStringEnd(): number {
    const b = this.b;
    let at = this.at;
    for (;;) {
      const c = b[at];
      if (c === undefined || c < 0x20 || c >= 0x80 || c === BACKSLASH) throw REFUSED;
      if (c === QUOTE) break;
      at++;
    }
    this.at = at + 1;
    return at;
  }

  /** A site, gateway, device or boot id (`ID_PATTERN`). */
  #id(): string {
    const b = this.b;
    const from = this.#stringStart();
    let at = from;
    let h = 0;
    for (; at < b.length; at++) {
      const c = b[at] as number;
      if (!((CLASS[c] as number) & ID)) break;
      h = hashByte(h, c);
    }
    if (b[at] !== QUOTE || at === from || at - from > MAX_ID_LENGTH) throw REFUSED;
    this.at = at + 1;
    return internedAscii(b, from, at, h);
  }

  /** A metric (`METRIC_PATTERN`). */
  #metric(): string {
    const b = this.b;
    const from = this.#stringStart();
    if (!((CLASS[b[from] as number] as number) & METRIC_FIRST)) throw REFUSED;
    let at = from;
    let h = 0;
    for (; at < b.length; at++) {
      const c = b[at] as number;
      if (!((CLASS[c] as number) & METRIC)) break;
      h = hashByte(h, c);
    }
    if (b[at] !== QUOTE || at - from > MAX_METRIC_LENGTH) throw REFUSED;
    this.at = at + 1;
    return internedAscii(b, from, at, h);
  }

  /** A unit: any JSON string without escapes, at most `MAX_UNIT_LENGTH` UTF-16 code units. */
  #unit(): string {
    const b = this.b;
    const from = this.#stringStart();
    let at = from;
    let h = 0;
    let ascii = true;
    for (;;) {
      const c = b[at];
      if (c === undefined || c < 0x20 || c === BACKSLASH) throw REFUSED;
      if (c === QUOTE) break;
      if (c >= 0x80) ascii = false;
      h = hashByte(h, c);
      at++;
    }
    this.at = at + 1;
    const unit = ascii ? internedAscii(b, from, at, h) : this.#utf8(from, at);
    if (!isUnit(unit)) throw REFUSED;
    return unit;
  }

  /** A unit with non-ASCII characters (`µg/m³`): repeats in this envelope reuse the string made first. */
  #utf8(from: number, to: number): string {
    const length = to - from;
    for (const s of this.#seen) if (s.length === length && this.#same(s.from, from, length)) return s.text;
    let text: string;
    try {
      text = utf8.decode(this.b.subarray(from, to));
    } catch {
      throw REFUSED; // not UTF-8: JSON.parse never sees it, the decoder before it refuses
    }
    if (this.#seen.length < 16) this.#seen.push({ from, length, text });
    return text;
  }

  #quality(): Quality {
    const from = this.#stringStart();
    const length = this.#plainStringEnd() - from;
    for (let q = 0; q < QUALITY_BYTES.length; q++) {
      if (this.#equals(from, length, QUALITY_BYTES[q] as Uint8Array)) return QUALITIES[q] as Quality;
    }
    throw REFUSED;
  }

  /**
   * A JSON number (RFC 8259 §6: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`). Up to 15
   * significant digits and a power of ten up to 22 it is computed as digits × or ÷ 10^k, which is
   * correctly rounded because both are exact doubles (Clinger's fast path), so it equals what
   * `JSON.parse` gives; other numbers are converted from their text.
   */
  #number(): number {
    const b = this.b;
    const from = this.#space();
    let at = from;
    const negative = b[at] === 0x2d;
    if (negative) at++;
    let digits = 0;
    let mantissa = 0;
    let c = b[at];
    if (c === 0x30) {
      c = b[++at]; // a zero stands alone: a digit after it is refused as what follows the number
    } else if (c !== undefined && c > 0x30 && c <= 0x39) {
      for (; c !== undefined && c >= 0x30 && c <= 0x39; c = b[++at]) {
        mantissa = mantissa * 10 + (c - 0x30);
        digits++;
      }
    } else throw REFUSED;
    let scale = 0;
    if (c === 0x2e) {
      c = b[++at];
      const start = at;
      for (; c !== undefined && c >= 0x30 && c <= 0x39; c = b[++at]) {
        mantissa = mantissa * 10 + (c - 0x30);
        if (mantissa !== 0) digits++;
      }
      if (at === start) throw REFUSED;
      scale = at - start;
    }
    let exponent = 0;
    if (c === 0x65 || c === 0x45) {
      c = b[++at];
      const minus = c === 0x2d;
      if (minus || c === 0x2b) c = b[++at];
      const start = at;
      for (; c !== undefined && c >= 0x30 && c <= 0x39 && exponent < 1e6; c = b[++at]) {
        exponent = exponent * 10 + (c - 0x30);
      }
      if (at === start || (c !== undefined && c >= 0x30 && c <= 0x39)) throw REFUSED;
      if (minus) exponent = -exponent;
    }
    this.at = at;
    const power = exponent - scale;
    let n: number;
    if (digits <= EXACT_DIGITS && power >= -22 && power <= 22) {
      n = power < 0 ? mantissa / (EXACT_POWERS[-power] as number) : mantissa * (EXACT_POWERS[power] as number);
      if (negative) n = -n;
    } else n = Number(Buffer.from(b.buffer, b.byteOffset + from, at - from).toString("latin1"));
    return n;
  }
}
