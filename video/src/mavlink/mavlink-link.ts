import { createSocket } from "node:dgram";
import { VideoError } from "../video-error.ts";
import {
  type DroneLinkStatus,
  MavlinkReceiver,
  type MavlinkReceiverOptions,
  type MavlinkReceiverStats,
} from "./mavlink-receiver.ts";

export interface MavlinkLinkOptions extends MavlinkReceiverOptions {
  /** UDP port to listen on (14550 is the usual ground-station port); 0 picks a free one. */
  port: number;
  /** Address to bind; default 0.0.0.0. */
  host?: string;
  /** How often silent drones are looked for; default 250 ms. */
  checkIntervalMs?: number;
  /** Socket errors after the bind (`VIDEO_MAVLINK_SOCKET`); the link keeps listening. */
  onError?: (error: VideoError) => void;
}

export interface MavlinkLink {
  /** The bound port (the chosen one when `port` was 0). */
  readonly port: number;
  stats(): MavlinkReceiverStats;
  systems(): DroneLinkStatus[];
  /** Looks for silent drones now, instead of waiting for the next timer tick. */
  checkLinks(): void;
  close(): Promise<void>;
}

/**
 * Listens for MAVLink (v1 and v2) on a UDP port, as a ground station does: every drone that sends
 * to this port is told apart by its system id. Rejects with `VIDEO_MAVLINK_BIND` when the port
 * cannot be bound.
 */
export async function openMavlinkLink(options: MavlinkLinkOptions): Promise<MavlinkLink> {
  const receiver = new MavlinkReceiver(options);
  const host = options.host ?? "0.0.0.0";
  const socket = createSocket("udp4");
  socket.on("message", (datagram) => receiver.receive(datagram));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", (cause) => {
      socket.close();
      reject(
        new VideoError("VIDEO_MAVLINK_BIND", `cannot listen for MAVLink on udp://${host}:${options.port}`, {
          cause,
          detail: { host, port: options.port },
        }),
      );
    });
    socket.bind(options.port, host, () => resolve());
  });
  socket.removeAllListeners("error");
  socket.on("error", (cause) => {
    options.onError?.(
      new VideoError("VIDEO_MAVLINK_SOCKET", `MAVLink socket udp://${host}:${options.port} failed`, { cause }),
    );
  });
  const timer = setInterval(() => receiver.checkLinks(), options.checkIntervalMs ?? 250);
  timer.unref();
  const port = socket.address().port;
  let closed: Promise<void> | undefined;
  return {
    port,
    stats: () => receiver.stats(),
    systems: () => receiver.systems(),
    checkLinks: () => receiver.checkLinks(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        socket.close(() => resolve());
      });
      return closed;
    },
  };
}
