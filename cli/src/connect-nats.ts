import { connect, type NatsConnection } from "@nats-io/transport-node";

/**
 * The connection every long-running Lifeline process keeps to NATS: one or more servers (a
 * cluster), reconnecting for ever, and no Error captured per request for async stack traces
 * (measured: a fifth of the gateway's CPU).
 */
export function connectNats(servers: string | string[], name: string): Promise<NatsConnection> {
  return connect({
    servers,
    name,
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
}

/**
 * Drains a connection (its subscriptions finish what they hold) and closes it. A drain that fails
 * (the server already gone) still closes it: left open, the connection would try to reconnect for
 * ever, and its timers would keep the process from exiting after it said it stopped. The drain's
 * error is thrown after the close.
 */
export async function drainNats(nc: NatsConnection): Promise<void> {
  try {
    await nc.drain();
  } finally {
    if (!nc.isClosed()) await nc.close();
  }
}
