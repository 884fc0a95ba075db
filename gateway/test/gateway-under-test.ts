import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Gateway, type GatewayOptions, startGateway } from "../src/mqtt-gateway.ts";
import { type NatsServerProcess, startNatsServer } from "../src/nats-server-process.ts";
import { ensureStreams } from "../src/streams.ts";

export interface GatewayUnderTest {
  nats: NatsConnection;
  gateway: Gateway;
  /** Closes the gateway and the connection, stops nats-server and removes its folder. */
  stop(): Promise<void>;
}

/**
 * A nats-server of its own in a scratch folder, a connection to it, the streams (unless `streams`
 * is false) and a gateway on a free MQTT port: what the bridge tests start before their first test.
 */
export async function startGatewayUnderTest(
  prefix: string,
  options: Omit<GatewayOptions, "nats" | "port"> & { streams?: boolean } = {},
): Promise<GatewayUnderTest> {
  const { streams = true, ...gatewayOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let server: NatsServerProcess | undefined;
  let nats: NatsConnection | undefined;
  let gateway: Gateway | undefined;
  const stop = async () => {
    await gateway?.close();
    await nats?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    server = await startNatsServer({ storeDir: join(dir, "nats"), port: 0 });
    nats = await connect({ servers: server.url });
    if (streams) await ensureStreams(await jetstreamManager(nats));
    gateway = await startGateway({ nats, port: 0, ...gatewayOptions });
    return { nats, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
