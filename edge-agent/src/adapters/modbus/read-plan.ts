import { type ModbusPoint, type ModbusTable, pointWidth } from "./config.ts";

/** Modbus Application Protocol V1.1b3 §6.1–6.4: at most 2000 bits or 125 registers per read. */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2_000;

export interface ReadRequest {
  register: ModbusTable;
  address: number;
  count: number;
  points: ModbusPoint[];
}

const TABLE_ORDER: Record<ModbusTable, number> = { coil: 0, discrete: 1, holding: 2, input: 3 };

/**
 * Coalesces points into as few requests as possible: neighbours in the same table are read
 * together when the unused registers (or bits) between them are at most `maxGap` and the request
 * stays within the per-read maximum.
 */
export function planReads(
  points: readonly ModbusPoint[],
  maxGap: number,
  maxRegisters = MAX_REGISTERS_PER_READ,
): ReadRequest[] {
  const requests: ReadRequest[] = [];
  const sorted = [...points].sort((a, b) => TABLE_ORDER[a.register] - TABLE_ORDER[b.register] || a.address - b.address);
  let current: ReadRequest | undefined;
  for (const p of sorted) {
    const end = p.address + pointWidth(p);
    const max = p.register === "coil" || p.register === "discrete" ? MAX_BITS_PER_READ : maxRegisters;
    if (current !== undefined && current.register === p.register) {
      const currentEnd = current.address + current.count;
      const newEnd = Math.max(end, currentEnd);
      if (p.address - currentEnd <= maxGap && newEnd - current.address <= max) {
        current.count = newEnd - current.address;
        current.points.push(p);
        continue;
      }
    }
    current = { register: p.register, address: p.address, count: end - p.address, points: [p] };
    requests.push(current);
  }
  return requests;
}
