/** Word orders as Telegraf names them; A is the most significant byte of the value. */
export type ByteOrder = "ABCD" | "CDAB" | "BADC" | "DCBA";

const REGISTERS = 65_536;

/**
 * The four Modbus data tables of one device (Modbus Application Protocol V1.1b3 §4.3), with typed
 * writers used by the device models. The encoding here is written independently of the edge
 * agent's decoder so that a test of one against the other can fail.
 */
export class RegisterBank {
  readonly holding = new Uint16Array(REGISTERS);
  readonly input = new Uint16Array(REGISTERS);
  readonly coils = new Uint8Array(REGISTERS);
  readonly discrete = new Uint8Array(REGISTERS);

  setUint16(table: "holding" | "input", address: number, value: number): void {
    this[table][address] = value & 0xffff;
  }

  setInt16(table: "holding" | "input", address: number, value: number): void {
    this[table][address] = value < 0 ? (value + 0x10000) & 0xffff : value & 0xffff;
  }

  setFloat32(table: "holding" | "input", address: number, value: number, order: ByteOrder = "ABCD"): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, false); // big-endian: bytes are A B C D
    this.#putBytes(table, address, bytes, order);
  }

  setUint32(table: "holding" | "input", address: number, value: number, order: ByteOrder = "ABCD"): void {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value >>> 0, false);
    this.#putBytes(table, address, bytes, order);
  }

  #putBytes(table: "holding" | "input", address: number, abcd: Uint8Array, order: ByteOrder): void {
    const [a, b, c, d] = abcd as unknown as [number, number, number, number];
    const arranged: Record<ByteOrder, [number, number, number, number]> = {
      ABCD: [a, b, c, d],
      CDAB: [c, d, a, b],
      BADC: [b, a, d, c],
      DCBA: [d, c, b, a],
    };
    const [r0h, r0l, r1h, r1l] = arranged[order];
    this[table][address] = (r0h << 8) | r0l;
    this[table][address + 1] = (r1h << 8) | r1l;
  }
}
