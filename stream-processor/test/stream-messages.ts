import { type Envelope, telemetrySubject } from "@lifeline/contracts";
import type { StreamMessage } from "../src/jetstream-puller.ts";

/**
 * The envelopes as JetStream delivers them to the sink, one a message: stream sequence = envelope
 * seq + `seqOffset`, settled by no one (the sink's caller acknowledges).
 */
export function streamMessages(envelopes: Envelope[], redelivered: boolean, seqOffset: number): StreamMessage[] {
  return envelopes.map((e) => ({
    subject: telemetrySubject(e),
    data: Buffer.from(JSON.stringify(e)),
    headers: undefined,
    seq: e.seq + seqOffset,
    redelivered,
    ack() {},
    nak() {},
    working() {},
  }));
}
