import { type FlagBits, parseFlag, type StandardVersion, versionOf } from "./flag.ts";
import { Hj212FrameError } from "./hj212-frame-error.ts";
import { printable } from "./printable.ts";

/**
 * The data area (CP) split into its fields, HJ 212-2017 §6.3.3 (HJ 212-2025 §6.3.4). Maps, not
 * objects: the keys come from the wire, and `__proto__` or `constructor` must stay plain keys.
 */
export interface CpData {
  /** Fields that name no factor: `DataTime`, `RtdInterval`, … */
  fields: Map<string, string>;
  /** Per factor code, its fields: `a34001` → `Rtd` → `0.32`, `Flag` → `N`. */
  factors: Map<string, Map<string, string>>;
}

/** A decoded data segment, HJ 212-2017 §6.3.2 (HJ 212-2025 §6.3.3). */
export interface DataSegment {
  qn: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag: FlagBits;
  version: StandardVersion;
  /** Total packets and this packet's number, when Flag's D bit says the message is split. */
  pnum: number | undefined;
  pno: number | undefined;
  /** HJ 212-2025 `RF=1`: the logger is sending stored data again (补传). */
  resend: boolean;
  cp: CpData;
}

const HEADER_FORMATS = new Map<string, { pattern: RegExp; describe: string }>([
  ["QN", { pattern: /^\d{17}$/, describe: "17 digits, YYYYMMDDhhmmsszzz" }],
  ["ST", { pattern: /^\d{1,5}$/, describe: "up to 5 digits" }],
  ["CN", { pattern: /^\d{1,7}$/, describe: "up to 7 digits" }],
  ["PW", { pattern: /^[\x21-\x7e]{0,32}$/, describe: "printable ASCII" }],
  ["MN", { pattern: /^[0-9A-Za-z_.-]{1,27}$/, describe: "1-27 of 0-9, A-Z, a-z, '_', '.', '-'" }],
  ["Flag", { pattern: /^\d{1,3}$/, describe: "an integer 0-255" }],
  ["PNUM", { pattern: /^\d{1,4}$/, describe: "up to 4 digits" }],
  ["PNO", { pattern: /^\d{1,4}$/, describe: "up to 4 digits" }],
  ["RF", { pattern: /^1$/, describe: "1 (HJ 212-2025 defines no other value)" }],
]);
const REQUIRED = ["QN", "ST", "CN", "PW", "MN", "Flag"] as const;
const CP_OPEN = "CP=&&";

/** The MN of a segment that may be bad, for naming it in the error. */
export function mnOf(segment: string): string | undefined {
  return /(?:^|;)MN=([0-9A-Za-z_.-]{1,27})(?:;|$)/.exec(segment)?.[1];
}

/**
 * Splits a data segment into its header fields and data area. Fields the standard does not name
 * in the header are ignored; a malformed or missing required field is an error naming it.
 */
export function parseDataSegment(text: string): DataSegment {
  const cpAt = text.indexOf(CP_OPEN);
  const header = parseHeader(cpAt < 0 ? text : text.slice(0, cpAt));
  const mn = header.get("MN");
  if (cpAt < 0) throw new Hj212FrameError("EDGE_HJ212_BAD_CP", "the data segment has no CP=&&…&&", { mn });
  if (!text.endsWith("&&") || text.length < cpAt + CP_OPEN.length + 2) {
    throw new Hj212FrameError("EDGE_HJ212_BAD_CP", "the data area does not end with &&", { mn });
  }
  for (const key of REQUIRED) {
    if (!header.has(key)) throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `${key} is missing`, { mn });
  }
  const flag = parseFlag(Number(header.get("Flag")));
  const version = checkFlag(flag, mn);
  const pnum = optionalNumber(header.get("PNUM"));
  const pno = optionalNumber(header.get("PNO"));
  if (flag.packetized && (pnum === undefined || pno === undefined || pno < 1 || pno > pnum)) {
    const numbers = `PNUM=${header.get("PNUM") ?? "(missing)"}, PNO=${header.get("PNO") ?? "(missing)"}`;
    throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `Flag=${flag.value} announces packet numbers but ${numbers}`, {
      mn,
    });
  }
  return {
    qn: header.get("QN") as string,
    st: header.get("ST") as string,
    cn: header.get("CN") as string,
    pw: header.get("PW") as string,
    mn: mn as string,
    flag,
    version,
    pnum,
    pno,
    resend: header.get("RF") === "1",
    cp: parseCp(text.slice(cpAt + CP_OPEN.length, -2), mn),
  };
}

function checkFlag(flag: FlagBits, mn: string | undefined): StandardVersion {
  if (flag.value > 255) throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `Flag=${flag.value} is not 0-255`, { mn });
  const version = versionOf(flag);
  if (version !== undefined) return version;
  const named = flag.versionNumber === 0 ? " (HJ/T 212-2005)" : "";
  throw new Hj212FrameError(
    "EDGE_HJ212_UNSUPPORTED_VERSION",
    `Flag=${flag.value} names standard version ${flag.versionNumber}${named}; this receiver speaks HJ 212-2017 (Flag 4-7) and HJ 212-2025 (Flag 8-11)`,
    { mn },
  );
}

function optionalNumber(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

function parseHeader(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const part of text.split(";")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    if (eq <= 0) {
      throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `header item ${printable(part)} is not key=value`, {
        mn: mnOf(text),
      });
    }
    const key = part.slice(0, eq);
    const format = HEADER_FORMATS.get(key);
    if (format === undefined) continue;
    const value = part.slice(eq + 1);
    if (fields.has(key)) throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `${key} appears twice`, { mn: mnOf(text) });
    if (!format.pattern.test(value)) {
      throw new Hj212FrameError("EDGE_HJ212_BAD_FIELD", `${key}=${printable(value)} is not ${format.describe}`, {
        mn: key === "MN" ? undefined : mnOf(text),
      });
    }
    fields.set(key, value);
  }
  return fields;
}

/**
 * HJ 212-2017 §6.3.3: `key=value` items, `,` between the items of one factor, `;` between
 * factors; a factor's items are `<code>-<field>` (`a34001-Rtd=0.32`).
 */
export function parseCp(text: string, mn?: string): CpData {
  if (text.startsWith("{")) {
    // HJ 212-2025 §6.4: the data area may be SM4-encrypted, written as {0x..,0x..} blocks.
    throw new Hj212FrameError(
      "EDGE_HJ212_ENCRYPTED",
      "the data area is SM4-encrypted (HJ 212-2025 §6.4); this receiver does not decrypt, switch encryption off on the logger",
      { mn },
    );
  }
  const cp: CpData = { fields: new Map(), factors: new Map() };
  for (const group of text.split(";")) {
    for (const item of group.split(",")) {
      if (item !== "") addItem(cp, item, mn);
    }
  }
  return cp;
}

function addItem(cp: CpData, item: string, mn: string | undefined): void {
  const eq = item.indexOf("=");
  if (eq <= 0) throw new Hj212FrameError("EDGE_HJ212_BAD_CP", `item ${printable(item)} is not key=value`, { mn });
  const key = item.slice(0, eq);
  const dash = key.indexOf("-");
  if (dash === 0 || dash === key.length - 1) {
    throw new Hj212FrameError("EDGE_HJ212_BAD_CP", `item ${printable(item)} names no factor or no field`, { mn });
  }
  let target = cp.fields;
  let name = key;
  if (dash > 0) {
    const code = key.slice(0, dash);
    name = key.slice(dash + 1);
    target = cp.factors.get(code) ?? new Map();
    cp.factors.set(code, target);
  }
  if (target.has(name)) throw new Hj212FrameError("EDGE_HJ212_BAD_CP", `${printable(key)} appears twice`, { mn });
  target.set(name, item.slice(eq + 1));
}
