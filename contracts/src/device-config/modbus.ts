import { z } from "zod";
import { idSchema, metricSchema } from "../identifiers.ts";

/**
 * Byte orders as Telegraf names them. For n registers: ABCD — words and bytes big-endian (the
 * Modbus default, §4.2); CDAB — word order reversed; BADC — bytes swapped inside each word;
 * DCBA — both, i.e. little-endian. For 64-bit values the same rule gives ABCDEFGH, GHEFCDAB,
 * BADCFEHG and HGFEDCBA.
 */
export const BYTE_ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"] as const;
export const MODBUS_DATATYPES = [
  "bool",
  "bit",
  "uint16",
  "int16",
  "uint32",
  "int32",
  "uint64",
  "int64",
  "float32",
  "float64",
  "string",
] as const;
export const MODBUS_TABLES = ["coil", "discrete", "holding", "input"] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];
export type ModbusDatatype = (typeof MODBUS_DATATYPES)[number];
export type ModbusTable = (typeof MODBUS_TABLES)[number];

/** Registers (or, for bool, coils) a value of each fixed-width datatype occupies. */
export const REGISTER_COUNT: Record<Exclude<ModbusDatatype, "string">, number> = {
  bool: 1,
  bit: 1,
  uint16: 1,
  int16: 1,
  uint32: 2,
  int32: 2,
  uint64: 4,
  int64: 4,
  float32: 2,
  float64: 4,
};

export const modbusPointSchema = z.strictObject({
  name: z.string().min(1).max(128).describe("Name as the device manual gives it"),
  metric: metricSchema.describe("Metric name stored with each reading"),
  unit: z.string().max(32).default("").describe("Unit of the engineering value"),
  register: z
    .enum(MODBUS_TABLES)
    .default("holding")
    .describe("Table: coil (FC 1), discrete input (FC 2), holding register (FC 3), input register (FC 4)"),
  address: z.int().min(0).max(65_535).describe("0-based protocol address"),
  datatype: z.enum(MODBUS_DATATYPES).default("uint16"),
  byteOrder: z.enum(BYTE_ORDERS).default("ABCD").describe("Byte order across registers, Telegraf's names"),
  bit: z.int().min(0).max(15).optional().describe("For datatype bit: which bit of the register, 0 = least significant"),
  length: z.int().min(1).max(123).optional().describe("For datatype string: how many registers it spans"),
  scale: z.number().refine(Number.isFinite, "expected a finite number").default(1),
  offset: z.number().refine(Number.isFinite, "expected a finite number").default(0),
  writable: z.boolean().default(false).describe("Setpoints and commands: may be written (FC 5, 6, 15, 16)"),
});

export const modbusConnectionSchema = z
  .strictObject({
    transport: z
      .enum(["tcp", "rtu-over-tcp", "rtu"])
      .default("tcp")
      .describe("tcp: Modbus TCP (MBAP); rtu-over-tcp: RTU frames through a TCP serial server; rtu: serial line"),
    host: z.string().min(1).optional(),
    port: z.int().min(1).max(65_535).default(502),
    path: z.string().min(1).optional().describe("Serial device for rtu, e.g. /dev/ttyUSB0"),
    baudRate: z.int().min(300).max(921_600).default(9_600),
    parity: z.enum(["none", "even", "odd"]).default("none"),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    unitId: z.int().min(0).max(255).default(1),
    timeoutMs: z.int().min(10).max(60_000).default(1_000),
  })
  .superRefine((c, ctx) => {
    if (c.transport === "rtu" && c.path === undefined) {
      ctx.addIssue({ code: "custom", path: ["path"], message: "transport rtu needs the serial device path" });
    }
    if (c.transport !== "rtu" && c.host === undefined) {
      ctx.addIssue({ code: "custom", path: ["host"], message: `transport ${c.transport} needs a host` });
    }
  });

export const modbusDeviceSchema = z
  .strictObject({
    id: idSchema,
    type: z.literal("modbus"),
    connection: modbusConnectionSchema,
    pollIntervalMs: z.int().min(50).max(86_400_000).default(1_000),
    /** Neighbouring points closer than this many unused registers (or coils) are read in one request. */
    maxGap: z.int().min(0).max(124).default(8),
    /** Some devices answer fewer than the 125 registers the specification allows per read. */
    maxRegistersPerRead: z.int().min(1).max(125).default(125),
    /** Further attempts of a request that timed out or failed on the wire, before it is reported. */
    retries: z.int().min(0).max(10).default(1),
    /** Pause between requests on one connection, for devices (and RS-485 converters) that need it. */
    interRequestDelayMs: z.int().min(0).max(10_000).default(0),
    /** Write with FC 15/16 even for one coil or register, for devices that lack FC 5/6. */
    preferMultipleWrite: z.boolean().default(false),
    /** Close the connection after each poll, for devices that serve one short connection at a time. */
    closeAfterPoll: z.boolean().default(false),
    /** After a failed connection, wait this long before the next attempt, doubling up to maxMs. */
    backoff: z
      .strictObject({
        initialMs: z.int().min(0).max(600_000).default(1_000),
        maxMs: z.int().min(0).max(3_600_000).default(30_000),
      })
      .default({ initialMs: 1_000, maxMs: 30_000 }),
    points: z.array(modbusPointSchema).min(1),
  })
  .superRefine((device, ctx) => {
    const names = new Set<string>();
    device.points.forEach((p, i) => {
      const at = (key: string) => ["points", i, key];
      if (names.has(p.name))
        ctx.addIssue({ code: "custom", path: at("name"), message: `duplicate point name ${p.name}` });
      names.add(p.name);
      const bitTable = p.register === "coil" || p.register === "discrete";
      if (bitTable !== (p.datatype === "bool")) {
        ctx.addIssue({
          code: "custom",
          path: at("datatype"),
          message: bitTable
            ? `a ${p.register} holds one bit: use datatype bool`
            : `datatype bool is for coils and discrete inputs; for a bit of a register use datatype bit`,
        });
      }
      if (p.datatype === "bit" && p.bit === undefined) {
        ctx.addIssue({ code: "custom", path: at("bit"), message: "datatype bit needs bit (0-15)" });
      }
      if (p.datatype === "string" && p.length === undefined) {
        ctx.addIssue({ code: "custom", path: at("length"), message: "datatype string needs length (registers)" });
      }
      if (p.address + pointWidth(p) > 65_536) {
        ctx.addIssue({ code: "custom", path: at("address"), message: `${p.datatype} at ${p.address} runs past 65535` });
      }
      if (p.writable && p.register !== "coil" && p.register !== "holding") {
        ctx.addIssue({ code: "custom", path: at("writable"), message: `a ${p.register} cannot be written` });
      }
    });
  });

export type ModbusPoint = z.infer<typeof modbusPointSchema>;
export type ModbusConnection = z.infer<typeof modbusConnectionSchema>;
export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;

/** Registers (or coils) a point occupies. */
export function pointWidth(p: Pick<ModbusPoint, "datatype" | "length">): number {
  return p.datatype === "string" ? (p.length ?? 1) : REGISTER_COUNT[p.datatype];
}
