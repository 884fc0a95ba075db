import { createSocket, type Socket } from "node:dgram";
import { common, type MavLinkPacket, MavLinkPacketParser, MavLinkPacketSplitter, minimal } from "node-mavlink";
import { afterEach, describe, expect, it } from "vitest";
import { type DroneSimulator, type DroneSimulatorOptions, startDroneSimulator } from "../src/drone/drone-simulator.ts";
import { EARTH_RADIUS_M } from "../src/drone/flight-path.ts";

const T0 = Date.UTC(2026, 6, 1, 2, 0, 0);
const latDeg = (m: number) => (m / EARTH_RADIUS_M) * (180 / Math.PI);
const PATH = [
  { lat: 22.5, lon: 114, alt: 100 },
  { lat: 22.5 + latDeg(1000), lon: 114, alt: 100 },
];

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A ground station decoding with node-mavlink's own stream splitter and parser. */
async function groundStation(): Promise<{ port: number; packets: MavLinkPacket[]; socket: Socket }> {
  const socket = createSocket("udp4");
  const splitter = new MavLinkPacketSplitter();
  const packets: MavLinkPacket[] = [];
  splitter.pipe(new MavLinkPacketParser()).on("data", (p: MavLinkPacket) => packets.push(p));
  socket.on("message", (d) => splitter.write(d));
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, packets, socket };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function drone(
  port: number,
  clock: { t: number },
  options: Partial<DroneSimulatorOptions> = {},
): Promise<DroneSimulator> {
  const sim = await startDroneSimulator({
    target: { host: "127.0.0.1", port },
    systemId: 7,
    path: PATH,
    speedMps: 10,
    rateHz: 5,
    battery: { drainPctPerMin: 60 },
    clock: () => clock.t,
    autoTick: false,
    videoUrl: "rtsp://127.0.0.1:8554/drone7",
    ...options,
  });
  closers.push(() => sim.stop());
  return sim;
}

function decode<T extends object>(packet: MavLinkPacket | undefined, clazz: new () => T): T {
  if (packet === undefined) throw new Error("no packet");
  return packet.protocol.data(packet.payload, clazz as never) as T;
}

describe("startDroneSimulator", () => {
  it("sends HEARTBEAT, SYS_STATUS, BATTERY_STATUS at 1 Hz and GLOBAL_POSITION_INT every tick", async () => {
    const gcs = await groundStation();
    const clock = { t: T0 };
    const sim = await drone(gcs.port, clock);
    expect(sim.videoUrl).toBe("rtsp://127.0.0.1:8554/drone7");
    for (let i = 0; i <= 10; i++) {
      await sim.tick();
      clock.t += 200;
    }
    await until(() => gcs.packets.length === 20, "20 packets");
    expect(sim.stats()).toEqual({
      sent: { HEARTBEAT: 3, SYS_STATUS: 3, BATTERY_STATUS: 3, GLOBAL_POSITION_INT: 11 },
      silentTicks: 0,
      sendErrors: 0,
    });
    expect(gcs.packets.map((p) => [p.header.sysid, p.header.compid, p.header.seq, p.protocol.name])).toEqual(
      gcs.packets.map((_, i) => [7, 1, i, "MAV_V2"]),
    );

    const hb = decode(gcs.packets[16], minimal.Heartbeat);
    expect(hb).toMatchObject({
      type: 2,
      autopilot: 3,
      baseMode: 129,
      customMode: 4,
      systemStatus: 4,
      mavlinkVersion: 3,
    });
    const status = decode(gcs.packets[17], common.SysStatus);
    // 2 s at 60 %/min: 98 %, 4 cells at 3.3 + 0.9 × 0.98 V.
    expect([status.voltageBattery, status.currentBattery, status.batteryRemaining]).toEqual([16728, 1500, 98]);
    const battery = decode(gcs.packets[18], common.BatteryStatus);
    expect([battery.temperature, battery.batteryRemaining, battery.voltages]).toEqual([
      2520,
      98,
      [4182, 4182, 4182, 4182, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff],
    ]);
    const pos = decode(gcs.packets[19], common.GlobalPositionInt);
    // 2 s at 10 m/s due north.
    expect(pos).toMatchObject({
      timeBootMs: 2000,
      lat: 225001799,
      lon: 1140000000,
      alt: 100000,
      relativeAlt: 0,
      vx: 1000,
      vy: 0,
      vz: 0,
      hdg: 0,
    });
  });

  it("keeps flying but sends nothing while the link is paused", async () => {
    const gcs = await groundStation();
    const clock = { t: T0 };
    const sim = await drone(gcs.port, clock, { mavlinkVersion: 1 });
    await sim.tick();
    sim.pause();
    for (let i = 0; i < 5; i++) {
      clock.t += 1000;
      await sim.tick();
    }
    expect(sim.position().distanceM).toBe(50);
    sim.resume();
    clock.t += 200;
    await sim.tick();
    await until(() => gcs.packets.length === 5, "5 packets");
    // The resumed tick at 5.2 s sends a position only: the paused ticks used up the 1 Hz slots up to 5 s.
    expect(sim.stats()).toEqual({
      sent: { HEARTBEAT: 1, SYS_STATUS: 1, BATTERY_STATUS: 1, GLOBAL_POSITION_INT: 2 },
      silentTicks: 5,
      sendErrors: 0,
    });
    expect(gcs.packets.map((p) => p.protocol.name)).toEqual(Array(5).fill("MAV_V1"));
    expect(decode(gcs.packets[4], common.GlobalPositionInt).timeBootMs).toBe(5200);
  });

  it("flies on real timers by default, announcing itself at once", async () => {
    const gcs = await groundStation();
    const sim = await startDroneSimulator({
      target: { host: "127.0.0.1", port: gcs.port },
      systemId: 3,
      path: PATH,
      speedMps: 10,
      rateHz: 50,
    });
    closers.push(() => sim.stop());
    await until(() => gcs.packets.length >= 6, "6 packets");
    expect(gcs.packets.slice(0, 6).map((p) => p.header.msgid)).toEqual([0, 1, 147, 33, 33, 33]);
    await sim.stop();
    expect(sim.stats().sendErrors).toBe(0);
  });
});
