import type { AddressInfo } from "node:net";
import type { Clock } from "../../adapter.ts";
import { type DecodedBody, decodeBody } from "./body-decoder.ts";
import { buildConfirmation } from "./confirmation.ts";
import { parseUtcOffset } from "./device-time.ts";
import { encodingFor } from "./element-mapping.ts";
import { isKnownFunction, needsConfirmation } from "./function-codes.ts";
import { describeMessage, formatMessageText } from "./message-description.ts";
import type { Sl651Message } from "./packet-assembler.ts";
import { Sl651CodecError } from "./sl651-codec-error.ts";
import { Sl651Receiver } from "./sl651-receiver.ts";

export interface ProbeSl651Options {
  port: number;
  host?: string;
  /** One JSON object per line and frame instead of text for a person. */
  json: boolean;
  out: NodeJS.WritableStream;
  /** Aborting stops the probe; the returned promise then resolves. */
  signal: AbortSignal;
  /** UTC offset of the stations' clocks (default +08:00). */
  timezone?: string;
  /** Told where the probe listens (useful with port 0). */
  onListening?: (address: AddressInfo) => void;
  clock?: Clock;
}

/**
 * `lifeline probe sl651 --listen PORT [--json]`: a receiver for commissioning that accepts any
 * station, prints every message as it arrives, and confirms reports as the adapter would (ESC),
 * so that an RTU behaves as it will in service. Rejects with EDGE_SL651_LISTEN_FAILED.
 */
export async function probeSl651(options: ProbeSl651Options): Promise<void> {
  const offsetMinutes = parseUtcOffset(options.timezone ?? "+08:00");
  const clock = options.clock ?? Date.now;
  const print = (line: string) => options.out.write(line);
  const printError = (error: Sl651CodecError, peer: string) =>
    print(
      options.json
        ? `${JSON.stringify({ ok: false, peer, error: { code: error.code, message: error.message } })}\n`
        : `error ${error.code} from ${peer}: ${error.message}\n`,
    );
  const receiver = new Sl651Receiver({
    host: options.host ?? "0.0.0.0",
    port: options.port,
    limits: {
      maxConnections: 64,
      idleTimeoutMs: 0,
      frameTimeoutMs: 10_000,
      messageTimeoutMs: 120_000,
      maxMessageBytes: 2 * 1_048_576,
    },
    handler: {
      message(message: Sl651Message, peer: string): Buffer | undefined {
        if (!isKnownFunction(message.functionCode)) {
          printError(
            new Sl651CodecError(
              "EDGE_SL651_UNSUPPORTED_FUNCTION",
              `station ${message.station}: function code ${message.functionCode.toString(16)} is not in table B.1`,
            ),
            peer,
          );
          return undefined;
        }
        let decoded: DecodedBody;
        try {
          decoded = decodeBody(message.functionCode, message.body, {
            offsetMinutes,
            seriesAnchor: "end",
            encodingOf: (id) => encodingFor(id),
          });
        } catch (error) {
          printError(error as Sl651CodecError, peer);
          return undefined;
        }
        for (const problem of decoded.problems) printError(problem, peer);
        const reply = needsConfirmation(message.functionCode)
          ? buildConfirmation(message, decoded, { end: "ESC", time: "echo", clock, offsetMinutes })
          : undefined;
        const description = describeMessage(message, decoded, offsetMinutes, reply);
        print(
          options.json
            ? `${JSON.stringify({ ok: true, peer, ...description })}\n`
            : formatMessageText(description, peer),
        );
        return reply;
      },
      error: printError,
    },
  });
  const address = await receiver.listen();
  if (!options.json) print(`listening for SL 651 RTUs on ${address.address}:${address.port}\n`);
  options.onListening?.(address);
  if (!options.signal.aborted) {
    await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve(), { once: true }));
  }
  await receiver.close();
}
