import type { Clock } from "../../adapter.ts";
import type { DecodedBody } from "./body-decoder.ts";
import { encodeDeviceTime } from "./device-time.ts";
import { buildFrame } from "./frame-codec.ts";
import type { Sl651Message } from "./packet-assembler.ts";

export interface ReplyOptions {
  /** ESC: confirmed, stay online (table 10); EOT: confirmed, the station may hang up. */
  end: "ESC" | "EOT";
  /** Send time of the confirmation: the report's own, or the centre's clock in the stations' zone. */
  time: "echo" | "clock";
  clock: Clock;
  offsetMinutes: number;
}

/**
 * The confirmation of a report (M2/M3, §6.3): a downlink frame with the report's function code,
 * the station's address and password, and a body of the report's serial number and a send time.
 */
export function buildConfirmation(message: Sl651Message, decoded: DecodedBody, options: ReplyOptions): Buffer {
  const serial = Buffer.alloc(2);
  serial.writeUInt16BE(decoded.serial);
  const time =
    options.time === "echo" ? decoded.sendTimeBytes : encodeDeviceTime(options.clock(), options.offsetMinutes);
  return buildFrame({
    direction: "down",
    centre: message.centre,
    station: message.station,
    password: message.password,
    functionCode: message.functionCode,
    body: Buffer.concat([serial, time]),
    end: options.end,
  });
}
