import { createSocket, type Socket } from "node:dgram";
import { type MavLinkData, MavLinkProtocolV1, MavLinkProtocolV2 } from "node-mavlink";
import {
  ARDUCOPTER_GUIDED,
  batteryStatus,
  type DroneBatteryOptions,
  droneBattery,
  globalPositionInt,
  heartbeat,
  sysStatus,
} from "./drone-messages.ts";
import { FlightPath, type FlightState, type Waypoint } from "./flight-path.ts";

export interface DroneSimulatorOptions {
  /** Where the ground station listens (UDP). */
  target: { host: string; port: number };
  /** MAVLink system id, 1-255; tells drones apart on a shared port. */
  systemId: number;
  /** Default 1 (MAV_COMP_ID_AUTOPILOT1). */
  componentId?: number;
  /** Waypoints flown in order; the drone hovers at the last one. Home (relative_alt 0) is the first. */
  path: readonly Waypoint[];
  speedMps: number;
  /** GLOBAL_POSITION_INT per second; HEARTBEAT, SYS_STATUS and BATTERY_STATUS go at 1 Hz. */
  rateHz: number;
  /** The drone's video stream, served elsewhere (an RTSP server); only passed through. */
  videoUrl?: string;
  battery?: DroneBatteryOptions;
  /** Reported as HEARTBEAT custom_mode; default ArduCopter GUIDED (4). */
  customMode?: number;
  /** Default 2. */
  mavlinkVersion?: 1 | 2;
  /** Default Date.now. The flight, time_boot_ms and the 1 Hz schedule all follow it. */
  clock?: () => number;
  /**
   * Default true: send on timers (every 1000/rateHz ms). False: send only when `tick()` is called,
   * so that a test moves `clock` and calls `tick()` for each step.
   */
  autoTick?: boolean;
}

export interface DroneSimulatorStats {
  /** Packets sent, by message name. */
  sent: Record<string, number>;
  /** Ticks during which the link was paused: nothing was sent. */
  silentTicks: number;
  /** Timer ticks whose sending failed (the socket's error is not kept). */
  sendErrors: number;
}

export interface DroneSimulator {
  readonly systemId: number;
  readonly videoUrl: string | undefined;
  /** Where the drone is now (per `clock`), whether or not the link is up. */
  position(): FlightState;
  /** Sends what is due now: a GLOBAL_POSITION_INT, plus the 1 Hz messages when their second has come. */
  tick(): Promise<void>;
  /** A link drop: the drone flies on, nothing is sent until `resume()`. */
  pause(): void;
  resume(): void;
  stats(): DroneSimulatorStats;
  stop(): Promise<void>;
}

const STATUS_PERIOD_MS = 1000;

/**
 * A drone flying a waypoint path and talking MAVLink over UDP to a ground station, as an
 * ArduCopter does with `--out udp:host:port`. time_boot_ms counts from `startDroneSimulator`.
 */
export async function startDroneSimulator(options: DroneSimulatorOptions): Promise<DroneSimulator> {
  const clock = options.clock ?? Date.now;
  const flight = new FlightPath(options.path, options.speedMps);
  const homeAlt = options.path[0]?.alt ?? 0;
  const bootAt = clock();
  const protocol =
    options.mavlinkVersion === 1
      ? new MavLinkProtocolV1(options.systemId, options.componentId ?? 1)
      : new MavLinkProtocolV2(options.systemId, options.componentId ?? 1);
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  const stats: DroneSimulatorStats = { sent: {}, silentTicks: 0, sendErrors: 0 };
  let seq = 0;
  let paused = false;
  let stopped: Promise<void> | undefined;
  let nextStatusAt = bootAt;

  const send = (message: MavLinkData): Promise<void> => {
    const bytes = protocol.serialize(message, seq);
    seq = (seq + 1) % 256;
    const name = (message.constructor as unknown as { MSG_NAME: string }).MSG_NAME;
    stats.sent[name] = (stats.sent[name] ?? 0) + 1;
    return sendDatagram(socket, bytes, options.target);
  };

  const tick = async (): Promise<void> => {
    if (stopped !== undefined) return;
    const now = clock();
    const statusDue = now >= nextStatusAt;
    // A late tick sends the 1 Hz messages once, not once per missed second.
    while (nextStatusAt <= now) nextStatusAt += STATUS_PERIOD_MS;
    if (paused) {
      stats.silentTicks++;
      return;
    }
    const elapsed = now - bootAt;
    if (statusDue) {
      const battery = droneBattery(options.battery ?? {}, elapsed);
      await send(heartbeat(options.customMode ?? ARDUCOPTER_GUIDED, true));
      await send(sysStatus(battery));
      await send(batteryStatus(battery));
    }
    await send(globalPositionInt(flight.at(elapsed), homeAlt, elapsed));
  };

  let timer: NodeJS.Timeout | undefined;
  if (options.autoTick !== false) {
    const timerTick = () =>
      void tick().catch(() => {
        stats.sendErrors++;
      });
    timerTick();
    timer = setInterval(timerTick, 1000 / options.rateHz);
  }

  return {
    systemId: options.systemId,
    videoUrl: options.videoUrl,
    position: () => flight.at(clock() - bootAt),
    tick,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    stats: () => ({ ...stats, sent: { ...stats.sent } }),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        socket.close(() => resolve());
      });
      return stopped;
    },
  };
}

function sendDatagram(socket: Socket, bytes: Buffer, target: { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(bytes, target.port, target.host, (error) => (error ? reject(error) : resolve()));
  });
}
