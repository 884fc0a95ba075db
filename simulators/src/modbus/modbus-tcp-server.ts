import { createServer, type Server, type Socket } from "node:net";
import { RegisterBank } from "./register-bank.ts";

/** Modbus exception codes (Modbus Application Protocol V1.1b3 §7). */
const ILLEGAL_FUNCTION = 0x01;
const ILLEGAL_DATA_ADDRESS = 0x02;
const ILLEGAL_DATA_VALUE = 0x03;

export interface ModbusTcpServerOptions {
  port?: number;
  host?: string;
  /** Unit ids this server answers; others get no answer, as a gateway with no such slave. */
  unitIds?: readonly number[];
  /** Registers and coils 0..n-1 exist; reads beyond answer exception 2, as on a real device. */
  mappedRegisters?: number;
}

export interface ModbusTcpServerStats {
  requests: number;
  exceptions: number;
  connections: number;
}

/**
 * A Modbus TCP device: MBAP framing (Modbus Messaging on TCP/IP Implementation Guide V1.0b
 * §3.1.3) over function codes 1, 2, 3, 4, 5, 6, 15 and 16.
 */
export class ModbusTcpServer {
  readonly banks = new Map<number, RegisterBank>();
  readonly stats: ModbusTcpServerStats = { requests: 0, exceptions: 0, connections: 0 };
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #port = 0;

  constructor(readonly options: ModbusTcpServerOptions = {}) {
    for (const id of options.unitIds ?? [1]) this.banks.set(id, new RegisterBank());
  }

  get port(): number {
    return this.#port;
  }

  bank(unitId = 1): RegisterBank {
    const bank = this.banks.get(unitId);
    if (bank === undefined) throw new Error(`this simulator has no unit ${unitId}`);
    return bank;
  }

  async listen(): Promise<number> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, this.options.host ?? "127.0.0.1", () => resolve());
    });
    const address = server.address();
    this.#port = typeof address === "object" && address !== null ? address.port : 0;
    return this.#port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  #accept(socket: Socket): void {
    this.stats.connections++;
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 7) {
        const length = buffered.readUInt16BE(4); // unit id + PDU
        if (length < 2 || length > 254) {
          socket.destroy(); // not Modbus framing: a real device drops the connection
          return;
        }
        if (buffered.length < 6 + length) break;
        const frame = buffered.subarray(0, 6 + length);
        buffered = buffered.subarray(6 + length);
        const reply = this.#handle(frame);
        if (reply !== undefined) socket.write(reply);
      }
    });
  }

  #handle(frame: Buffer): Buffer | undefined {
    const transaction = frame.readUInt16BE(0);
    const unitId = frame.readUInt8(6);
    const pdu = frame.subarray(7);
    const bank = this.banks.get(unitId);
    if (bank === undefined || frame.readUInt16BE(2) !== 0) return undefined;
    this.stats.requests++;
    const fc = pdu.readUInt8(0);
    let body: Buffer;
    try {
      body = respond(bank, fc, pdu, this.options.mappedRegisters ?? 65_536);
    } catch (error) {
      this.stats.exceptions++;
      const code = error instanceof ModbusException ? error.exceptionCode : ILLEGAL_DATA_VALUE;
      body = Buffer.from([fc | 0x80, code]);
    }
    const header = Buffer.alloc(7);
    header.writeUInt16BE(transaction, 0);
    header.writeUInt16BE(0, 2);
    header.writeUInt16BE(body.length + 1, 4);
    header.writeUInt8(unitId, 6);
    return Buffer.concat([header, body]);
  }
}

class ModbusException extends Error {
  constructor(readonly exceptionCode: number) {
    super(`modbus exception ${exceptionCode}`);
  }
}

function need(pdu: Buffer, bytes: number): void {
  if (pdu.length < bytes) throw new ModbusException(ILLEGAL_DATA_VALUE);
}

function respond(bank: RegisterBank, fc: number, pdu: Buffer, mapped: number): Buffer {
  // §6: quantity out of bounds is exception 3; a range outside the device's map is exception 2.
  const range = (address: number, quantity: number, max: number) => {
    if (quantity < 1 || quantity > max) throw new ModbusException(ILLEGAL_DATA_VALUE);
    if (address + quantity > mapped) throw new ModbusException(ILLEGAL_DATA_ADDRESS);
  };
  switch (fc) {
    case 0x01:
    case 0x02: {
      need(pdu, 5);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      range(address, quantity, 2000); // §6.1: 1 to 2000 coils
      const table = fc === 0x01 ? bank.coils : bank.discrete;
      const bytes = Buffer.alloc(Math.ceil(quantity / 8));
      for (let i = 0; i < quantity; i++) {
        if (table[address + i]) bytes[i >> 3] = (bytes[i >> 3] ?? 0) | (1 << (i & 7));
      }
      return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
    }
    case 0x03:
    case 0x04: {
      need(pdu, 5);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      range(address, quantity, 125); // §6.3: 1 to 125 registers
      const table = fc === 0x03 ? bank.holding : bank.input;
      const out = Buffer.alloc(2 + quantity * 2);
      out.writeUInt8(fc, 0);
      out.writeUInt8(quantity * 2, 1);
      for (let i = 0; i < quantity; i++) out.writeUInt16BE(table[address + i] ?? 0, 2 + i * 2);
      return out;
    }
    case 0x05: {
      need(pdu, 5);
      range(pdu.readUInt16BE(1), 1, 1);
      const value = pdu.readUInt16BE(3);
      if (value !== 0xff00 && value !== 0x0000) throw new ModbusException(ILLEGAL_DATA_VALUE); // §6.5
      bank.coils[pdu.readUInt16BE(1)] = value === 0xff00 ? 1 : 0;
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 0x06: {
      need(pdu, 5);
      range(pdu.readUInt16BE(1), 1, 1);
      bank.holding[pdu.readUInt16BE(1)] = pdu.readUInt16BE(3);
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 0x0f: {
      need(pdu, 6);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      range(address, quantity, 1968); // §6.11
      need(pdu, 6 + Math.ceil(quantity / 8));
      for (let i = 0; i < quantity; i++) bank.coils[address + i] = ((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1;
      return Buffer.from(pdu.subarray(0, 5));
    }
    case 0x10: {
      need(pdu, 6);
      const address = pdu.readUInt16BE(1);
      const quantity = pdu.readUInt16BE(3);
      range(address, quantity, 123); // §6.12
      need(pdu, 6 + quantity * 2);
      for (let i = 0; i < quantity; i++) bank.holding[address + i] = pdu.readUInt16BE(6 + i * 2);
      return Buffer.from(pdu.subarray(0, 5));
    }
    default:
      throw new ModbusException(ILLEGAL_FUNCTION);
  }
}
