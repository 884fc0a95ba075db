import { idSchema, metricSchema } from "@lifeline/contracts";
import { z } from "zod";

export const BYTE_ORDERS = ["ABCD", "CDAB", "BADC", "DCBA"] as const;
export const MODBUS_DATATYPES = ["uint16", "int16", "uint32", "int32", "float32"] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];
export type ModbusDatatype = (typeof MODBUS_DATATYPES)[number];

/** Registers each datatype occupies. */
export const REGISTER_COUNT: Record<ModbusDatatype, number> = {
  uint16: 1,
  int16: 1,
  uint32: 2,
  int32: 2,
  float32: 2,
};

export const modbusPointSchema = z.strictObject({
  name: z.string().min(1).max(128).describe("Name as the device manual gives it"),
  metric: metricSchema.describe("Metric name stored with each reading"),
  unit: z.string().max(32).default("").describe("Unit of the engineering value"),
  register: z.enum(["holding", "input"]).default("holding").describe("Register table (FC 3 or FC 4)"),
  address: z.int().min(0).max(65_535).describe("0-based protocol address of the first register"),
  datatype: z.enum(MODBUS_DATATYPES).default("uint16"),
  byteOrder: z.enum(BYTE_ORDERS).default("ABCD").describe("Byte order across registers, Telegraf's names"),
  scale: z.number().refine(Number.isFinite, "expected a finite number").default(1),
  offset: z.number().refine(Number.isFinite, "expected a finite number").default(0),
});

export const modbusDeviceSchema = z
  .strictObject({
    id: idSchema,
    type: z.literal("modbus"),
    connection: z.strictObject({
      host: z.string().min(1),
      port: z.int().min(1).max(65_535).default(502),
      unitId: z.int().min(0).max(255).default(1),
      timeoutMs: z.int().min(10).max(60_000).default(1_000),
    }),
    pollIntervalMs: z.int().min(50).max(86_400_000).default(1_000),
    /** Neighbouring points closer than this many unused registers are read in one request. */
    maxGap: z.int().min(0).max(124).default(8),
    points: z.array(modbusPointSchema).min(1),
  })
  .superRefine((device, ctx) => {
    const names = new Set<string>();
    device.points.forEach((p, i) => {
      if (names.has(p.name))
        ctx.addIssue({ code: "custom", path: ["points", i, "name"], message: `duplicate point name ${p.name}` });
      names.add(p.name);
      if (p.address + REGISTER_COUNT[p.datatype] > 65_536) {
        ctx.addIssue({
          code: "custom",
          path: ["points", i, "address"],
          message: `${p.datatype} at ${p.address} runs past register 65535`,
        });
      }
    });
  });

export type ModbusPoint = z.infer<typeof modbusPointSchema>;
export type ModbusDeviceConfig = z.infer<typeof modbusDeviceSchema>;
