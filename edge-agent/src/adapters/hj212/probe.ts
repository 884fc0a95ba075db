import { createServer, type Socket } from "node:net";
import { LifelineError } from "@lifeline/contracts";
import { COMMANDS, OTHER_COMMANDS } from "./commands.ts";
import { parseDataTime, utcOffsetMinutes } from "./data-time.ts";
import { buildDataResponse, type CrcMode, type Hj212Frame, parseFrame } from "./frame-codec.ts";
import { type FrameEvent, FrameReader } from "./frame-reader.ts";
import { Hj212FrameError } from "./hj212-frame-error.ts";
import { ownValue } from "./own-value.ts";

export interface ProbeHj212Options {
  port: number;
  host?: string;
  /** One JSON object per line and frame instead of human-readable lines. */
  json: boolean;
  out: NodeJS.WritableStream;
  /** Stops the probe: the listener and every connection are closed, and the promise resolves. */
  signal: AbortSignal;
  /** CRC accepted; "either" by default, so that the output says which dialect the logger sends. */
  crc?: CrcMode;
  /** UTC offset of the loggers' clocks, for the `ts` of DataTime; "+08:00" by default. */
  timezone?: string;
  /** Answer frames whose Flag asks for it (9014), as the receiver would; true by default. */
  reply?: boolean;
  onListening?: (address: { host: string; port: number }) => void;
}

/**
 * `lifeline probe hj212 --listen PORT [--json]`: listens like the receiver, with no profile, and
 * prints every frame a logger sends as it arrives, decoded, or the reason it could not be.
 */
export async function probeHj212(options: ProbeHj212Options): Promise<void> {
  const host = options.host ?? "0.0.0.0";
  const crc = options.crc ?? "either";
  const timezone = options.timezone ?? "+08:00";
  const offset = utcOffsetMinutes(timezone);
  const sockets = new Set<Socket>();
  const print = (peer: string, event: FrameEvent, socket: Socket) => {
    const line =
      event.kind === "error"
        ? failure(peer, event.error, options.json)
        : decodeAndAnswer(peer, event.bytes, socket, { crc, offset, json: options.json, reply: options.reply ?? true });
    options.out.write(`${line}\n`);
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const reader = new FrameReader();
    socket.on("data", (chunk: Buffer) => {
      for (const event of reader.push(chunk)) print(peer, event, socket);
    });
    socket.on("end", () => {
      for (const event of reader.end()) print(peer, event, socket);
    });
    socket.on("error", () => undefined); // a reset peer just goes away
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (cause) =>
      reject(
        new LifelineError("EDGE_HJ212_LISTEN_FAILED", `cannot listen on ${host}:${options.port}: ${cause.message}`, {
          cause,
        }),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const bound =
    typeof address === "object" && address !== null
      ? { host: address.address, port: address.port }
      : { host, port: options.port };
  if (!options.json) {
    options.out.write(
      `listening for HJ 212 data loggers on ${bound.host}:${bound.port} (CRC ${crc}, DataTime in UTC${timezone})\n`,
    );
  }
  options.onListening?.(bound);
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener("abort", stop, { once: true });
  });
}

function decodeAndAnswer(
  peer: string,
  bytes: Buffer,
  socket: Socket,
  options: { crc: CrcMode; offset: number; json: boolean; reply: boolean },
): string {
  let frame: Hj212Frame;
  try {
    frame = parseFrame(bytes, options.crc);
  } catch (error) {
    if (!(error instanceof Hj212FrameError)) throw error;
    return failure(peer, error, options.json);
  }
  const replied = options.reply && frame.flag.replyRequested && !socket.destroyed;
  if (replied) socket.write(buildDataResponse(frame));
  const dataTime = frame.cp.fields.get("DataTime");
  const ts = dataTime === undefined ? undefined : parseDataTime(dataTime, options.offset);
  const summary = {
    ok: true,
    peer,
    qn: frame.qn,
    st: frame.st,
    cn: frame.cn,
    command: ownValue(COMMANDS, frame.cn)?.name ?? ownValue(OTHER_COMMANDS, frame.cn) ?? "unknown command",
    pw: frame.pw,
    mn: frame.mn,
    flag: frame.flag.value,
    version: frame.version,
    replyRequested: frame.flag.replyRequested,
    replied,
    pnum: frame.pnum,
    pno: frame.pno,
    resend: frame.resend,
    crc: frame.crc,
    dataTime,
    ts: ts === undefined ? undefined : new Date(ts).toISOString(),
    fields: Object.fromEntries(frame.cp.fields),
    factors: Object.fromEntries([...frame.cp.factors].map(([code, fields]) => [code, Object.fromEntries(fields)])),
  };
  if (options.json) return JSON.stringify(summary);
  const factors = [...frame.cp.factors].map(
    ([code, fields]) => `${code}: ${[...fields].map(([k, v]) => `${k}=${v}`).join(" ")}`,
  );
  const others = [...frame.cp.fields].filter(([k]) => k !== "DataTime").map(([k, v]) => `${k}=${v}`);
  return [
    `${peer} MN=${frame.mn} ST=${frame.st} CN=${frame.cn} (${summary.command}) QN=${frame.qn}`,
    `Flag=${frame.flag.value} (HJ 212-${frame.version}${frame.flag.replyRequested ? ", reply requested" : ""}${replied ? ", replied 9014" : ""})`,
    `CRC ${frame.crc}`,
    ...(dataTime === undefined
      ? []
      : [`DataTime=${dataTime}${summary.ts === undefined ? " (invalid)" : ` (${summary.ts})`}`]),
    ...others,
    ...factors,
  ].join(" | ");
}

function failure(peer: string, error: Hj212FrameError, json: boolean): string {
  if (json)
    return JSON.stringify({ ok: false, peer, error: { code: error.code, message: error.message, mn: error.mn } });
  return `${peer} ${error.code}: ${error.message}`;
}
