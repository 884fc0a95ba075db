export { type AlertBridge, isAlertTopic, startAlertBridge } from "./alert-bridge.ts";
export { GatewayError, type GatewayErrorCode } from "./gateway-error.ts";
export { JetStreamPublisher, type PubAck } from "./jetstream-publisher.ts";
export { type Gateway, type GatewayOptions, type GatewayStats, startGateway } from "./mqtt-gateway.ts";
export { type NatsCluster, type NatsClusterOptions, startNatsCluster } from "./nats-cluster.ts";
export {
  type JetStreamSync,
  type NatsClusterMembership,
  type NatsServerOptions,
  type NatsServerProcess,
  startNatsServer,
} from "./nats-server-process.ts";
export { openProfileBuckets, type ProfileBridge, startProfileBridge } from "./profile-bridge.ts";
export { DEFAULT_STREAM_LIMITS, ensureStreams, type StreamLimits } from "./streams.ts";
export { TelemetryPacker, type TelemetryPackerOptions, type TelemetryPackerStats } from "./telemetry-packer.ts";
