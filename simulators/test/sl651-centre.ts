import { createServer, type Server, type Socket } from "node:net";

/**
 * A tiny SL 651 centre for the RTU simulator's tests, written apart from the simulator and from
 * the edge agent's receiver: it cuts HEX frames by their length word, checks the CRC with a
 * bit-by-bit CRC-16/MODBUS, puts packets back together, and confirms reports when told to.
 */

export function crc16Bitwise(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const byte of bytes) {
    reg ^= byte;
    for (let i = 0; i < 8; i++) reg = reg & 1 ? (reg >> 1) ^ 0xa001 : reg >> 1;
  }
  return reg;
}

export interface UplinkFrame {
  hex: string;
  fn: number;
  station: string;
  password: string;
  crcOk: boolean;
  /** Body without the packet number. */
  body: Buffer;
  packet?: { count: number; seq: number };
  start: number;
  end: number;
  serial: number;
  pieces: number;
  connection: number;
}

/** A message: one STX frame, or the body of its packets put back together. */
export interface UplinkMessage {
  fn: number;
  serial: number;
  body: Buffer;
  frames: UplinkFrame[];
}

export class TestCentre {
  readonly frames: UplinkFrame[] = [];
  readonly messages: UplinkMessage[] = [];
  /** Whether to confirm a report; `arrival` counts the copies of its function code and serial number. */
  confirm: (message: UplinkMessage, arrival: number) => boolean = () => true;
  endCharacter = 0x1b;
  port = 0;
  connections = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  async listen(port = 0): Promise<number> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    const address = server.address();
    this.port = typeof address === "object" && address !== null ? address.port : 0;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
    this.#server = undefined;
  }

  #accept(socket: Socket): void {
    const connection = ++this.connections;
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let buffered = Buffer.alloc(0);
    let pieces = 0;
    let packets: UplinkFrame[] = [];
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      pieces++;
      while (buffered.length >= 14 && buffered[0] === 0x7e && buffered[1] === 0x7e) {
        const length = buffered.readUInt16BE(11) & 0x0fff;
        const total = 14 + length + 3;
        if (buffered.length < total) break;
        const frame = readFrame(buffered.subarray(0, total), pieces, connection);
        buffered = buffered.subarray(total);
        pieces = 0;
        this.frames.push(frame);
        if (!frame.crcOk) continue;
        if (frame.packet !== undefined) {
          packets.push(frame);
          if (frame.packet.seq !== frame.packet.count) continue;
          frame.serial = packets[0]?.serial ?? 0;
        }
        const parts = frame.packet === undefined ? [frame] : packets;
        packets = [];
        const body = Buffer.concat(parts.map((p) => p.body));
        const message = { fn: frame.fn, serial: body.readUInt16BE(0), body, frames: parts };
        this.messages.push(message);
        const arrival = this.messages.filter((m) => m.fn === message.fn && m.serial === message.serial).length;
        if (message.fn !== 0x2f && this.confirm(message, arrival)) {
          socket.write(confirmation(frame, body, this.endCharacter));
        }
      }
    });
  }
}

function readFrame(bytes: Buffer, pieces: number, connection: number): UplinkFrame {
  const length = bytes.readUInt16BE(11) & 0x0fff;
  const start = bytes[13] as number;
  const packet =
    start === 0x16
      ? { count: (bytes.readUIntBE(14, 3) >> 12) & 0xfff, seq: bytes.readUIntBE(14, 3) & 0xfff }
      : undefined;
  const body = bytes.subarray(packet === undefined ? 14 : 17, 14 + length);
  return {
    hex: bytes.toString("hex").toUpperCase(),
    fn: bytes[10] as number,
    station: bytes.subarray(3, 8).toString("hex").toUpperCase(),
    password: bytes.subarray(8, 10).toString("hex").toUpperCase(),
    crcOk: crc16Bitwise(bytes.subarray(0, bytes.length - 2)) === bytes.readUInt16BE(bytes.length - 2),
    body,
    ...(packet === undefined ? {} : { packet }),
    start,
    end: bytes[14 + length] as number,
    serial: packet === undefined || packet.seq === 1 ? body.readUInt16BE(0) : 0,
    pieces,
    connection,
  };
}

/** The centre's confirmation: station address, centre address, password, same function code, body = serial + send time. */
export function confirmation(frame: UplinkFrame, body: Buffer, end = 0x1b): Buffer {
  const head = Buffer.from(`7E7E${frame.station}01${frame.password}${hex2(frame.fn)}800802`, "hex");
  const covered = Buffer.concat([head, body.subarray(0, 8), Buffer.from([end])]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(crc16Bitwise(covered), 0);
  return Buffer.concat([covered, crc]);
}

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, "0");

/** Elements of a report body after the observation time: identifier → the value bytes (hex). */
export function elementsOf(body: Buffer): Array<[string, string, string]> {
  const out: Array<[string, string, string]> = [];
  let i = 8 + 2 + 5 + 1 + 2 + 5; // serial, send time, F1F1 address category, F0F0 time
  while (i < body.length) {
    const id = body[i] as number;
    const definition = body[i + 1] as number;
    const size = id === 0xf4 ? 12 : id === 0xf5 ? 24 : definition >> 3;
    out.push([
      hex2(id),
      hex2(definition),
      body
        .subarray(i + 2, i + 2 + size)
        .toString("hex")
        .toUpperCase(),
    ]);
    i += 2 + size;
  }
  return out;
}

export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
