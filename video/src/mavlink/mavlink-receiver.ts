import type { Reading } from "@lifeline/contracts";
import { common, type MavLinkData, type MavLinkDataConstructor, minimal } from "node-mavlink";
import { BootClock } from "./boot-clock.ts";
import {
  batteryStatusReadings,
  DRONE_TELEMETRY_MESSAGES,
  heartbeatReadings,
  isAutopilotHeartbeat,
  type PositionFix,
  positionFix,
  positionReadings,
  sysStatusReadings,
} from "./drone-telemetry.ts";
import {
  frameMavlinkDatagram,
  MAVLINK_REJECT_REASONS,
  type MavlinkFrame,
  type MavlinkRejectReason,
} from "./mavlink-framer.ts";

export type DroneLinkState = "online" | "offline";

export interface DroneLinkEvent {
  readonly systemId: number;
  readonly state: DroneLinkState;
  /** When it happened: the heartbeat's arrival, or the last heartbeat plus `offlineAfterMs`. */
  readonly ts: number;
}

export interface MavlinkReceiverOptions {
  onReading?: (systemId: number, reading: Reading) => void;
  onPosition?: (systemId: number, fix: PositionFix) => void;
  onState?: (event: DroneLinkEvent) => void;
  /** Silence after the last autopilot heartbeat that makes a drone offline; default 3000 ms. */
  offlineAfterMs?: number;
  now?: () => number;
}

/** `malformed`: a checksummed packet that node-mavlink could not decode. */
export type MavlinkRejectCount = Record<MavlinkRejectReason | "malformed", number>;

export interface MavlinkReceiverStats {
  datagrams: number;
  /** Packets with a good checksum, of every message id. */
  packets: number;
  /** Good packets this receiver has no use for (other messages, heartbeats of non-autopilot components). */
  ignored: number;
  /** Runs of unusable bytes, by reason (see `frameMavlinkDatagram`). */
  rejected: MavlinkRejectCount;
  rejectedBytes: number;
}

export interface DroneLinkStatus {
  readonly systemId: number;
  readonly state: DroneLinkState;
  readonly lastHeartbeatAt: number | undefined;
  readonly packets: number;
  /** Packets missing from the sequence numbers (per component, MAVLink's `seq` wraps at 256). */
  readonly lost: number;
  /** When the autopilot booted, on our clock (see `BootClock`). */
  readonly bootAt: number | undefined;
}

interface DroneSystem {
  state: DroneLinkState;
  lastHeartbeatAt: number | undefined;
  packets: number;
  lost: number;
  readonly lastSeq: Map<number, number>;
  readonly clock: BootClock;
}

const DEFAULT_OFFLINE_AFTER_MS = 3000;

/**
 * Turns MAVLink datagrams into Lifeline readings, positions and link states, per system id. It
 * owns no socket (`openMavlinkLink` feeds it from UDP), so it can be driven by recorded traffic.
 *
 * Timestamps: messages carrying time_boot_ms (GLOBAL_POSITION_INT) get the autopilot's time
 * mapped onto our clock through a per-system boot offset (`BootClock`); messages without one
 * (HEARTBEAT, SYS_STATUS, BATTERY_STATUS) get their arrival time.
 */
export class MavlinkReceiver {
  readonly #options: MavlinkReceiverOptions;
  readonly #now: () => number;
  readonly #offlineAfterMs: number;
  readonly #systems = new Map<number, DroneSystem>();
  readonly #stats: MavlinkReceiverStats = {
    datagrams: 0,
    packets: 0,
    ignored: 0,
    rejected: { ...Object.fromEntries(MAVLINK_REJECT_REASONS.map((r) => [r, 0])), malformed: 0 } as MavlinkRejectCount,
    rejectedBytes: 0,
  };

  constructor(options: MavlinkReceiverOptions = {}) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#offlineAfterMs = options.offlineAfterMs ?? DEFAULT_OFFLINE_AFTER_MS;
  }

  /** Handles one UDP datagram (one or more packets); bad bytes are counted, never thrown. */
  receive(datagram: Buffer): void {
    const receivedAt = this.#now();
    this.#stats.datagrams++;
    const { frames, rejects } = frameMavlinkDatagram(datagram);
    for (const reject of rejects) {
      this.#stats.rejected[reject.reason]++;
      this.#stats.rejectedBytes += reject.bytes;
    }
    for (const frame of frames) this.#handle(frame, receivedAt);
  }

  /** Marks offline every drone whose last heartbeat is `offlineAfterMs` old. `openMavlinkLink` calls it on a timer. */
  checkLinks(): void {
    const now = this.#now();
    for (const [systemId, system] of this.#systems) {
      if (system.state !== "online" || system.lastHeartbeatAt === undefined) continue;
      const deadline = system.lastHeartbeatAt + this.#offlineAfterMs;
      if (now < deadline) continue;
      system.state = "offline";
      this.#options.onState?.({ systemId, state: "offline", ts: deadline });
    }
  }

  stats(): MavlinkReceiverStats {
    return { ...this.#stats, rejected: { ...this.#stats.rejected } };
  }

  systems(): DroneLinkStatus[] {
    return [...this.#systems].map(([systemId, s]) => ({
      systemId,
      state: s.state,
      lastHeartbeatAt: s.lastHeartbeatAt,
      packets: s.packets,
      lost: s.lost,
      bootAt: s.clock.bootAt,
    }));
  }

  #handle(frame: MavlinkFrame, receivedAt: number): void {
    this.#stats.packets++;
    const system = this.#system(frame.sysid);
    system.packets++;
    this.#countLoss(system, frame);
    const clazz = DRONE_TELEMETRY_MESSAGES[frame.msgid];
    if (clazz === undefined) {
      this.#stats.ignored++;
      return;
    }
    let message: MavLinkData;
    try {
      message = frame.protocol.data(frame.protocol.payload(frame.bytes), clazz as MavLinkDataConstructor<MavLinkData>);
    } catch {
      this.#stats.rejected.malformed++;
      this.#stats.rejectedBytes += frame.bytes.length;
      return;
    }
    const readings = this.#readingsOf(frame.sysid, system, message, receivedAt);
    for (const r of readings) this.#options.onReading?.(frame.sysid, r);
  }

  #readingsOf(systemId: number, system: DroneSystem, message: MavLinkData, receivedAt: number): Reading[] {
    if (message instanceof minimal.Heartbeat) {
      if (!isAutopilotHeartbeat(message)) {
        this.#stats.ignored++;
        return [];
      }
      this.#heartbeat(systemId, system, receivedAt);
      return heartbeatReadings(message, receivedAt);
    }
    if (message instanceof common.GlobalPositionInt) {
      const fix = positionFix(message, system.clock.toEpoch(message.timeBootMs, receivedAt));
      this.#options.onPosition?.(systemId, fix);
      return positionReadings(fix);
    }
    if (message instanceof common.SysStatus) return sysStatusReadings(message, receivedAt);
    if (message instanceof common.BatteryStatus) return batteryStatusReadings(message, receivedAt);
    return [];
  }

  #heartbeat(systemId: number, system: DroneSystem, receivedAt: number): void {
    system.lastHeartbeatAt = receivedAt;
    if (system.state === "online") return;
    system.state = "online";
    this.#options.onState?.({ systemId, state: "online", ts: receivedAt });
  }

  #countLoss(system: DroneSystem, frame: MavlinkFrame): void {
    const last = system.lastSeq.get(frame.compid);
    system.lastSeq.set(frame.compid, frame.seq);
    if (last === undefined) return;
    const gap = (frame.seq - last - 1 + 256) % 256;
    // A large gap is more likely a reordered or repeated packet than 200 lost ones.
    if (gap < 128) system.lost += gap;
  }

  #system(systemId: number): DroneSystem {
    let system = this.#systems.get(systemId);
    if (system === undefined) {
      system = {
        state: "offline",
        lastHeartbeatAt: undefined,
        packets: 0,
        lost: 0,
        lastSeq: new Map(),
        clock: new BootClock(),
      };
      this.#systems.set(systemId, system);
    }
    return system;
  }
}
