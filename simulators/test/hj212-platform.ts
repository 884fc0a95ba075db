import { createServer, type Server, type Socket } from "node:net";

/**
 * A tiny HJ 212 platform for the simulator's tests, written apart from the simulator (and from
 * the edge agent's receiver): it cuts frames with a regular expression, checks the CRC with a
 * bit-by-bit transcription of HJ 212-2017 Appendix A, and answers 9014 when told to.
 */

/** HJ 212-2017 Appendix A, bit by bit as the standard's C listing; `modbus` xors the byte in instead. */
export function crcBitwise(text: string, dialect: "hj212" | "modbus" = "hj212"): string {
  let reg = 0xffff;
  for (const byte of Buffer.from(text, "latin1")) {
    reg = dialect === "hj212" ? (reg >> 8) ^ byte : reg ^ byte;
    for (let i = 0; i < 8; i++) {
      const check = reg & 0x0001;
      reg >>= 1;
      if (check === 0x0001) reg ^= 0xa001;
    }
  }
  return reg.toString(16).toUpperCase().padStart(4, "0");
}

export interface ReceivedFrame {
  /** Without the CR LF. */
  text: string;
  segment: string;
  crcOk: boolean;
  qn: string;
  cn: string;
  flag: number;
  /** TCP reads the frame arrived in. */
  pieces: number;
  connection: number;
}

export const field = (segment: string, name: string) =>
  new RegExp(`(?:^|;)${name}=([^;]*)`).exec(segment.split("CP=")[0] ?? "")?.[1] ?? "";

/** `a34002-Rtd=12.3` items of the data area as a map. */
export function dataArea(segment: string): Map<string, string> {
  const cp = /CP=&&(.*)&&$/.exec(segment)?.[1] ?? "";
  const out = new Map<string, string>();
  for (const item of cp.split(/[;,]/)) {
    const [k, v] = item.split("=");
    if (k !== undefined && v !== undefined) out.set(k, v);
  }
  return out;
}

export class TestPlatform {
  readonly frames: ReceivedFrame[] = [];
  /** Whether to answer a frame (that asks for it and whose CRC checks); `arrival` counts copies of its QN. */
  answer: (frame: ReceivedFrame, arrival: number) => boolean = () => true;
  port = 0;
  connections = 0;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  constructor(readonly dialect: "hj212" | "modbus" = "hj212") {}

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
    let buffered = "";
    let pieces = 0;
    socket.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("latin1");
      pieces++;
      for (;;) {
        const m = /^##(\d{4})/.exec(buffered);
        if (m === null) break;
        const length = Number(m[1]);
        if (buffered.length < 12 + length) break;
        const text = buffered.slice(0, 10 + length);
        buffered = buffered.slice(12 + length);
        const segment = text.slice(6, 6 + length);
        const frame: ReceivedFrame = {
          text,
          segment,
          crcOk: text.slice(6 + length) === crcBitwise(segment, this.dialect),
          qn: field(segment, "QN"),
          cn: field(segment, "CN"),
          flag: Number(field(segment, "Flag")),
          pieces,
          connection,
        };
        pieces = 0;
        this.frames.push(frame);
        const arrival = this.frames.filter((f) => f.qn === frame.qn).length;
        if (frame.crcOk && (frame.flag & 1) === 1 && this.answer(frame, arrival)) {
          socket.write(dataResponse(frame, this.dialect));
        }
      }
    });
  }
}

/** The data response 9014 as HJ 212-2017 Appendix C shows it: the request's QN, PW and MN. */
export function dataResponse(frame: ReceivedFrame, dialect: "hj212" | "modbus" = "hj212"): string {
  const flag = frame.flag >= 8 ? 8 : 4;
  const segment = `QN=${frame.qn};ST=91;CN=9014;PW=${field(frame.segment, "PW")};MN=${field(frame.segment, "MN")};Flag=${flag};CP=&&&&`;
  return `##${String(segment.length).padStart(4, "0")}${segment}${crcBitwise(segment, dialect)}\r\n`;
}

export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A port nothing listens on (listened on, then closed). */
export async function freePort(): Promise<number> {
  const p = new TestPlatform();
  const port = await p.listen();
  await p.close();
  return port;
}
