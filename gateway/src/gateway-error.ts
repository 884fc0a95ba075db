import { LifelineError } from "@lifeline/contracts";

export type GatewayErrorCode =
  | "GATEWAY_NATS_SERVER_MISSING"
  | "GATEWAY_NATS_SERVER_FAILED"
  | "GATEWAY_NATS_SERVER_TOO_OLD"
  | "GATEWAY_JETSTREAM_PUBLISH_FAILED"
  /** No PubAck in time: the message may or may not be stored; a resend with the same id is safe. */
  | "GATEWAY_JETSTREAM_NO_PUBACK"
  /** No stream answered (503): e.g. during a stream leader election; nothing was stored. */
  | "GATEWAY_JETSTREAM_NO_RESPONDERS"
  | "GATEWAY_UPLINK_UNAVAILABLE"
  /** A client published on a topic reserved to the gateway (alerts). */
  | "GATEWAY_TOPIC_FORBIDDEN"
  | "GATEWAY_LISTEN_FAILED";

export class GatewayError extends LifelineError {
  declare readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
