import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import {
  BinaryEnvelopeError,
  type Envelope,
  encodeBinaryEnvelope,
  envelopeId,
  HEADER_QUARANTINE_CODE,
  HEADER_QUARANTINE_REASON,
  HEADER_SOURCE,
  isBinaryEnvelope,
  isTelemetryTopic,
  type Logger,
  MQTT_TELEMETRY_PREFIX,
  parseTelemetryTopic,
  quarantineSubject,
  type Route,
  silentLogger,
  telemetrySubject,
  tryDecodeEnvelope,
} from "@lifeline/contracts";
import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { Aedes, type Client, type PublishPacket, type Subscription } from "aedes";
import { isAlertTopic, startAlertBridge } from "./alert-bridge.ts";
import { GatewayError } from "./gateway-error.ts";
import { JetStreamPublisher } from "./jetstream-publisher.ts";
import { startProfileBridge } from "./profile-bridge.ts";
import { bridgeTelemetryOnly } from "./telemetry-fan-out.ts";
import { TelemetryPacker, type TelemetryPackerOptions } from "./telemetry-packer.ts";

export interface GatewayOptions {
  nats: NatsConnection;
  /** MQTT listen port; 0 picks a free one. */
  port?: number;
  host?: string;
  /** Bridge gateway profiles between NATS KV and agents (default true). */
  profiles?: boolean;
  /** Publish alert events (`alert.>`) on `lifeline/v1/alert/…` for legacy MQTT systems (default true). */
  alerts?: boolean;
  /** How long to wait for JetStream's ack before the MQTT client is left without a PUBACK. */
  publishTimeoutMs?: number;
  /**
   * Telemetry messages forwarded and not yet acknowledged by JetStream, over all clients. Beyond
   * it a message waits in the gateway for a forward to end, and its client is not read from
   * meanwhile (aedes reads a client's next chunk only when every message of the last one has
   * been authorised), so what waits is bounded by one read per client: backpressure down to the
   * devices' TCP windows instead of refusals that disconnect clients and make them resend.
   * While NATS is disconnected a message is refused at once (no PUBACK: the client keeps it and
   * sends it again), and so is everything waiting.
   */
  maxInflight?: number;
  /**
   * Many MQTT messages go to JetStream as one pack (default on): one stored message, one
   * delivery and one ack per pack instead of per envelope. `false` publishes each envelope as
   * its own message, with the envelope identity as message id.
   */
  pack?: boolean | PackOptions;
  log?: Logger;
}

export interface PackOptions
  extends Pick<TelemetryPackerOptions, "maxEnvelopes" | "maxBytes" | "maxPacksInflight" | "attempts"> {
  /**
   * Whether a JSON envelope goes into its pack in the binary form (contracts' envelope-binary.ts;
   * default true): the same values, checked here already, in less than half the bytes of a
   * meter's JSON — less for JetStream to write and keep (a stream's byte limit then holds a longer
   * outage) and for every consumer to receive. Envelopes sent alone keep the bytes the device sent.
   */
  binary?: boolean;
}

export interface GatewayStats {
  /** Telemetry PUBLISH packets received on `lifeline/v1/tlm/…`. */
  received: number;
  /** Stored by JetStream (a PUBACK went back for QoS 1). */
  stored: number;
  /**
   * Recognised by JetStream as a replay of a stored envelope (acknowledged, not stored twice).
   * Only envelopes published alone have their own message id; packed copies are dropped downstream.
   */
  duplicates: number;
  /** Unreadable or mis-addressed payloads kept in the quarantine stream. */
  quarantined: number;
  /** JetStream did not acknowledge: the client got no PUBACK and will resend. */
  failed: number;
  /** Refused without trying: NATS was disconnected. */
  refused: number;
  inflight: number;
  /** Messages that waited for a forward to end (`maxInflight` were in flight), and those waiting now. */
  deferred: number;
  waiting: number;
  /** JetStream messages that carried envelopes in packs, and pack publishes repeated after a lost PubAck. */
  packs: number;
  packRetries: number;
}

export interface Gateway {
  readonly port: number;
  stats(): GatewayStats;
  /** Stops accepting clients, waits for forwards in flight, and closes the broker. */
  close(): Promise<void>;
}

/**
 * The MQTT front door: an aedes broker whose publish authorisation forwards telemetry to
 * JetStream and completes only when JetStream acknowledged it. aedes sends the PUBACK after the
 * authorisation callback (MQTT 3.1.1 §4.3.2), so a QoS 1 sender never gets an acknowledgement
 * for a reading that is not durable; on failure aedes closes the connection without a PUBACK
 * (§3.3.5) and the client resends after reconnecting.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? silentLogger;
  const js = jetstream(options.nats, { timeout: options.publishTimeoutMs ?? 5_000 });
  const publisher = new JetStreamPublisher(options.nats, options.publishTimeoutMs ?? 5_000);
  const stats: GatewayStats = {
    received: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    failed: 0,
    refused: 0,
    inflight: 0,
    deferred: 0,
    waiting: 0,
    packs: 0,
    packRetries: 0,
  };
  /** Forwards not finished yet, and who waits for there to be none (`close`). */
  let inflight = 0;
  const whenIdle: (() => void)[] = [];
  const maxInflight = options.maxInflight ?? 20_000;
  /** Messages waiting for room (`maxInflight`), oldest first; each either starts or is refused. */
  const waiting: Waiting[] = [];
  const uplink = watchNats(options.nats, log, () => {
    for (const w of waiting.splice(0)) refuse(w.callback, "NATS is disconnected");
  });
  const { binary = true, ...packOptions } = typeof options.pack === "object" ? options.pack : {};
  const packer =
    options.pack === false
      ? undefined
      : new TelemetryPacker({
          publisher,
          instance: `gw-${randomBytes(8).toString("hex")}`,
          isConnected: () => uplink.connected,
          ...packOptions,
        });
  const forwarding: Forwarding = { js, publisher, packer, binary, stats };

  function refuse(callback: PublishCallback, why: string): void {
    stats.refused++;
    callback(new GatewayError("GATEWAY_UPLINK_UNAVAILABLE", `not accepting telemetry: ${why}`));
  }

  const broker = await Aedes.createBroker({
    authorizePublish(client: Client | null, packet: PublishPacket, callback: PublishCallback) {
      if (client !== null && isAlertTopic(packet.topic)) {
        stats.refused++;
        return callback(
          new GatewayError("GATEWAY_TOPIC_FORBIDDEN", `${packet.topic}: only the gateway publishes alerts`),
        );
      }
      if (client === null || !isTelemetryTopic(packet.topic)) return callback(null);
      // Undefined for a topic under the prefix without site/gateway/device: quarantined by `forward`.
      const route = parseTelemetryTopic(packet.topic);
      stats.received++;
      if (!uplink.connected) return refuse(callback, "NATS is disconnected");
      if (inflight >= maxInflight) {
        stats.deferred++;
        waiting.push({ client, packet, route, callback });
        return;
      }
      startForward(client, packet, route, callback);
    },
    authorizeSubscribe(client: Client, subscription: Subscription, callback: SubscribeCallback) {
      // A filter under the telemetry prefix can match nothing but telemetry (MQTT 3.1.1 §4.7), which
      // is not delivered here (telemetry-fan-out.ts): refused at its SUBACK instead of granted in silence.
      if (!isTelemetryTopic(subscription.topic)) return callback(null, subscription);
      log.warn("subscription refused: telemetry is bridged to NATS (tlm.>), not delivered on MQTT", {
        client: client.id,
        topic: subscription.topic,
      });
      callback(null, null);
    },
  });
  bridgeTelemetryOnly(broker);

  // One message's way, written without a promise or a named closure per message: at tens of
  // thousands of messages a second those (and tsx's `__name` on each named closure) were a tenth
  // of the gateway's time.
  function startForward(
    client: Client,
    packet: PublishPacket,
    route: Route | undefined,
    callback: PublishCallback,
  ): void {
    inflight++;
    forward(forwarding, client.id, packet, route, (cause?: unknown) => {
      if (cause === undefined) callback(null);
      else {
        stats.failed++;
        log.warn("telemetry not acknowledged by JetStream; the client will resend", {
          client: client.id,
          topic: packet.topic,
          error: cause instanceof Error ? cause.message : String(cause),
        });
        callback(new GatewayError("GATEWAY_JETSTREAM_PUBLISH_FAILED", "JetStream did not acknowledge", cause));
      }
      inflight--;
      while (inflight < maxInflight && waiting.length > 0) {
        const next = waiting.shift() as Waiting;
        startForward(next.client, next.packet, next.route, next.callback);
      }
      if (inflight === 0) for (const idle of whenIdle.splice(0)) idle();
    });
  }
  broker.on("clientError", (client, error) => {
    log.warn("mqtt client error", { client: client.id, error: error.message });
  });

  const bridge = options.profiles === false ? undefined : await startProfileBridge({ nats: options.nats, broker, log });
  const alerts = options.alerts === false ? undefined : startAlertBridge({ nats: options.nats, broker, log });
  const server = createServer(broker.handle);
  const port = await listen(server, options.port ?? 1883, options.host ?? "127.0.0.1");
  log.info("mqtt gateway listening", { port });

  return {
    port,
    stats: () => {
      const packs = packer?.stats();
      return {
        ...stats,
        inflight,
        waiting: waiting.length,
        packs: packs?.packs ?? 0,
        packRetries: packs?.retries ?? 0,
      };
    },
    async close() {
      await bridge?.close();
      await alerts?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Clients still connected keep the server open; aedes.close() disconnects them.
        broker.close(() => undefined);
      });
      for (const w of waiting.splice(0)) refuse(w.callback, "the gateway is closing");
      if (inflight > 0) await new Promise<void>((resolve) => whenIdle.push(resolve));
      await packer?.flush();
      publisher.close();
    },
  };
}

type PublishCallback = (error?: Error | null) => void;
type SubscribeCallback = (error: Error | null, subscription?: Subscription | null) => void;

/** A message that waits for a forward to end (`maxInflight` were in flight). */
interface Waiting {
  client: Client;
  packet: PublishPacket;
  route: Route | undefined;
  callback: PublishCallback;
}

interface Forwarding {
  js: JetStreamClient;
  publisher: JetStreamPublisher;
  packer: TelemetryPacker | undefined;
  /** Packs hold envelopes in the binary form (`PackOptions.binary`). */
  binary: boolean;
  stats: GatewayStats;
}

/**
 * Checks one telemetry message and hands it on: into a pack, alone to JetStream, or to the
 * quarantine stream when it is unreadable or mis-addressed. `done` is called once: without an
 * argument when it is durable, with the cause when it is not.
 */
function forward(
  { js, publisher, packer, binary, stats }: Forwarding,
  clientId: string,
  packet: PublishPacket,
  /** The topic's route, parsed once when the publish was authorised; undefined if it has none. */
  route: Route | undefined,
  done: (cause?: unknown) => void,
): void {
  // Nothing here should throw; if something does, the message is failed, not the broker.
  try {
    const payload = typeof packet.payload === "string" ? Buffer.from(packet.payload) : packet.payload;
    const decoded = tryDecodeEnvelope(payload);
    let problem: { code: string; reason: string } | undefined;
    if (route === undefined) {
      problem = {
        code: "GATEWAY_TOPIC_MALFORMED",
        reason: `topic ${packet.topic} is not ${MQTT_TELEMETRY_PREFIX}/<site>/<gateway>/<device>`,
      };
    } else if (!decoded.ok) {
      problem = { code: decoded.error.code, reason: decoded.error.message };
    } else if (
      route.site !== decoded.envelope.site ||
      route.gateway !== decoded.envelope.gateway ||
      route.device !== decoded.envelope.device
    ) {
      problem = {
        code: "GATEWAY_TOPIC_MISMATCH",
        reason: `topic ${packet.topic} does not match the envelope's site/gateway/device (${
          decoded.envelope.site
        }/${decoded.envelope.gateway}/${decoded.envelope.device})`,
      };
    }
    if (problem !== undefined || !decoded.ok) {
      const h = headers();
      h.set(HEADER_QUARANTINE_CODE, problem?.code ?? "UNKNOWN");
      h.set(HEADER_QUARANTINE_REASON, (problem?.reason ?? "").slice(0, 1024).replace(/[\r\n]+/g, " "));
      h.set(HEADER_SOURCE, `mqtt client=${clientId} topic=${packet.topic}`);
      js.publish(quarantineSubject("mqtt"), payload, { headers: h }).then(() => {
        stats.quarantined++;
        done();
      }, done);
      return;
    }
    const packed = binary && packer !== undefined ? inBinary(payload, decoded.envelope) : payload;
    if (packer?.fits(packed.byteLength)) {
      // The DUP flag (MQTT 3.1.1 §3.3.1.1) says this may be a copy of one sent before: the stream
      // processor looks such envelopes up before writing them (a pack has no per-envelope msg id).
      packer.add(decoded.envelope.site, packed, packet.dup === true, (error) => {
        if (error === undefined) stats.stored++;
        done(error);
      });
      return;
    }
    publisher.publish(telemetrySubject(decoded.envelope), payload, envelopeId(decoded.envelope)).then((ack) => {
      if (ack.duplicate) stats.duplicates++;
      else stats.stored++;
      done();
    }, done);
  } catch (cause) {
    done(cause);
  }
}

/** The envelope in the binary form; as it came when it is already binary or the form cannot hold it. */
function inBinary(payload: Uint8Array, envelope: Envelope): Uint8Array {
  if (isBinaryEnvelope(payload)) return payload;
  try {
    return encodeBinaryEnvelope(envelope);
  } catch (error) {
    // The form's limits (255 UTF-8 bytes a string, 65,535 distinct strings) are above what an
    // envelope that decoded may hold; were they ever not, the JSON goes as it came.
    if (error instanceof BinaryEnvelopeError) return payload;
    throw error;
  }
}

/** Follows the NATS connection's status, so that a disconnected gateway refuses at once instead of queueing. */
function watchNats(nc: NatsConnection, log: Logger, onDisconnect: () => void): { connected: boolean } {
  const state = { connected: !nc.isClosed() };
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        state.connected = false;
        log.warn("NATS disconnected: telemetry is refused (clients keep it) until it is back");
        onDisconnect();
      } else if (s.type === "reconnect") {
        state.connected = true;
        log.info("NATS reconnected: accepting telemetry again");
      }
    }
  })();
  return state;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", (cause) =>
      reject(
        new GatewayError("GATEWAY_LISTEN_FAILED", `MQTT cannot listen on ${host}:${port}: ${cause.message}`, cause),
      ),
    );
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
