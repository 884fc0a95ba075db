import { type ModbusPoint, REGISTER_COUNT } from "./config.ts";

/** Modbus Application Protocol V1.1b3 §6.3/§6.4: at most 125 registers per read. */
export const MAX_REGISTERS_PER_READ = 125;

export interface ReadRequest {
  register: "holding" | "input";
  address: number;
  count: number;
  points: ModbusPoint[];
}

/**
 * Coalesces points into as few requests as possible: neighbours in the same table are read
 * together when the unused registers between them are at most `maxGap` and the request stays
 * within `maxRegisters`.
 */
export function planReads(
  points: readonly ModbusPoint[],
  maxGap: number,
  maxRegisters = MAX_REGISTERS_PER_READ,
): ReadRequest[] {
  const requests: ReadRequest[] = [];
  const sorted = [...points].sort((a, b) =>
    a.register === b.register ? a.address - b.address : a.register < b.register ? -1 : 1,
  );
  let current: ReadRequest | undefined;
  for (const p of sorted) {
    const end = p.address + REGISTER_COUNT[p.datatype];
    if (
      current !== undefined &&
      current.register === p.register &&
      p.address - (current.address + current.count) <= maxGap &&
      Math.max(end, current.address + current.count) - current.address <= maxRegisters
    ) {
      current.count = Math.max(end, current.address + current.count) - current.address;
      current.points.push(p);
      continue;
    }
    current = { register: p.register, address: p.address, count: end - p.address, points: [p] };
    requests.push(current);
  }
  return requests;
}
