import { createSocket } from "node:dgram";
import { type Reading, readingSchema } from "@lifeline/contracts";
import {
  type DroneSimulator,
  type DroneSimulatorOptions,
  EARTH_RADIUS_M,
  startDroneSimulator,
} from "@lifeline/simulators";
import { MavLinkProtocolV2, minimal } from "node-mavlink";
import { afterEach, describe, expect, it } from "vitest";
import type { PositionFix } from "../src/mavlink/drone-telemetry.ts";
import { type MavlinkLink, openMavlinkLink } from "../src/mavlink/mavlink-link.ts";
import type { DroneLinkEvent } from "../src/mavlink/mavlink-receiver.ts";
import { PositionTrack } from "../src/mavlink/position-track.ts";

const T0 = Date.UTC(2026, 6, 1, 2, 0, 0);
const latDeg = (m: number) => (m / EARTH_RADIUS_M) * (180 / Math.PI);
const NORTH = [
  { lat: 22.5, lon: 114, alt: 100 },
  { lat: 22.5 + latDeg(1000), lon: 114, alt: 100 },
];

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A ground station on a clock the test moves, recording everything it is told. */
async function station(clock: { t: number }) {
  const readings: Array<{ systemId: number; reading: Reading }> = [];
  const fixes: Array<{ systemId: number; fix: PositionFix }> = [];
  const states: DroneLinkEvent[] = [];
  const link = await openMavlinkLink({
    port: 0,
    host: "127.0.0.1",
    now: () => clock.t,
    onReading: (systemId, reading) => readings.push({ systemId, reading }),
    onPosition: (systemId, fix) => fixes.push({ systemId, fix }),
    onState: (event) => states.push(event),
  });
  closers.push(() => link.close());
  return { link, readings, fixes, states };
}

async function drone(link: MavlinkLink, clock: { t: number }, options: Partial<DroneSimulatorOptions> = {}) {
  const sim = await startDroneSimulator({
    target: { host: "127.0.0.1", port: link.port },
    systemId: 7,
    path: NORTH,
    speedMps: 10,
    rateHz: 5,
    battery: { drainPctPerMin: 60 },
    clock: () => clock.t,
    autoTick: false,
    ...options,
  });
  closers.push(() => sim.stop());
  return sim;
}

const sentCount = (sims: DroneSimulator[]) =>
  sims.reduce((n, s) => n + Object.values(s.stats().sent).reduce((a, b) => a + b, 0), 0);

/** One tick of every drone at the current clock, waiting until the station has it all. */
async function tick(link: MavlinkLink, sims: DroneSimulator[]): Promise<void> {
  for (const sim of sims) await sim.tick();
  const sent = sentCount(sims);
  await until(() => link.stats().packets === sent, `${sent} packets`);
}

const good = (metric: string, value: number, unit: string, ts: number): Reading => ({
  metric,
  value,
  unit,
  ts,
  quality: "good",
});

describe("openMavlinkLink with the drone simulator", () => {
  it("turns 2 s of a known flight into exact readings", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    const sim = await drone(gcs.link, clock);
    for (let i = 0; i <= 10; i++) {
      if (i > 0) clock.t += 200;
      await tick(gcs.link, [sim]);
    }
    // 11 positions × 6 readings, 3 seconds × (HEARTBEAT 2 + SYS_STATUS 3 + BATTERY_STATUS 2).
    expect(gcs.readings.length).toBe(87);
    for (const { reading } of gcs.readings) expect(readingSchema.parse(reading)).toEqual(reading);
    expect(gcs.readings.every((r) => r.systemId === 7)).toBe(true);
    const t = T0 + 2000;
    expect(gcs.readings.slice(-13).map((r) => r.reading)).toEqual([
      good("armed", 1, "", t),
      good("mode", 4, "", t),
      good("battery_v", 16.728, "V", t),
      good("battery_a", 15, "A", t),
      good("battery_pct", 98, "%", t),
      good("battery_pct", 98, "%", t),
      good("battery_temp_c", 25.2, "degC", t),
      // 20 m due north of 22.5°N at 10 m/s: 225001799 degE7.
      good("lat", 22.5001799, "deg", t),
      good("lon", 114, "deg", t),
      good("alt_m", 100, "m", t),
      good("rel_alt_m", 0, "m", t),
      good("heading_deg", 0, "deg", t),
      good("ground_speed_mps", 10, "m/s", t),
    ]);
    expect(gcs.states).toEqual([{ systemId: 7, state: "online", ts: T0 }]);
    expect(gcs.link.stats()).toEqual({
      datagrams: 20,
      packets: 20,
      ignored: 0,
      rejected: { garbage: 0, truncated: 0, bad_crc: 0, unknown_message: 0, unsupported_flags: 0, malformed: 0 },
      rejectedBytes: 0,
    });
    expect(gcs.link.systems()).toEqual([
      { systemId: 7, state: "online", lastHeartbeatAt: t, packets: 20, lost: 0, bootAt: T0 },
    ]);
  });

  it("tags a frame captured between two fixes with the interpolated position", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    const sim = await drone(gcs.link, clock);
    const track = new PositionTrack({ maxGapMs: 1000 });
    for (let i = 0; i < 3; i++) {
      if (i > 0) clock.t += 200;
      await tick(gcs.link, [sim]);
    }
    for (const { systemId, fix } of gcs.fixes) track.add(systemId, fix);
    // Fixes at 200 ms (2 m north: 18 degE7) and 400 ms (4 m north: 36 degE7).
    const [lat200, lat400] = [225000180 / 1e7, 225000360 / 1e7];
    expect(gcs.fixes.map((f) => [f.fix.ts, f.fix.lat])).toEqual([
      [T0, 22.5],
      [T0 + 200, lat200],
      [T0 + 400, lat400],
    ]);
    // A frame captured at 250 ms is a quarter of the way from the 200 ms fix to the 400 ms one.
    expect(track.at(7, T0 + 250)).toEqual({ lat: lat200 + 0.25 * (lat400 - lat200), lon: 114, alt: 100 });
    expect(track.at(7, T0 + 400)).toEqual({ lat: lat400, lon: 114, alt: 100 });
    // More than maxGapMs after the last fix: no position rather than a guess.
    expect(track.at(7, T0 + 1401)).toBeUndefined();
    expect(track.at(8, T0 + 250)).toBeUndefined();
  });

  it("goes offline 3 s after the last heartbeat and online at the next", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    const sim = await drone(gcs.link, clock);
    await tick(gcs.link, [sim]);
    sim.pause();
    clock.t = T0 + 2999;
    await tick(gcs.link, [sim]);
    gcs.link.checkLinks();
    expect(gcs.states).toEqual([{ systemId: 7, state: "online", ts: T0 }]);
    clock.t = T0 + 3000;
    await tick(gcs.link, [sim]);
    gcs.link.checkLinks();
    expect(gcs.link.systems()[0]?.state).toBe("offline");
    sim.resume();
    clock.t = T0 + 4000;
    await tick(gcs.link, [sim]);
    gcs.link.checkLinks();
    expect(gcs.states).toEqual([
      { systemId: 7, state: "online", ts: T0 },
      { systemId: 7, state: "offline", ts: T0 + 3000 },
      { systemId: 7, state: "online", ts: T0 + 4000 },
    ]);
    // The 4 s position keeps its source time through the boot offset learnt before the drop.
    expect(gcs.fixes.map((f) => f.fix.ts)).toEqual([T0, T0 + 4000]);
  });

  it("keeps two drones on one port apart by system id", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    const east = [
      { lat: -33.9, lon: 151.2, alt: 50 },
      { lat: -33.9, lon: 151.3, alt: 50 },
    ];
    const one = await drone(gcs.link, clock, { systemId: 1 });
    const two = await drone(gcs.link, clock, {
      systemId: 2,
      path: east,
      speedMps: 5,
      battery: { startPct: 50, drainPctPerMin: 60 },
    });
    for (let i = 0; i < 6; i++) {
      if (i > 0) clock.t += 200;
      await tick(gcs.link, [one, two]);
    }
    const byDrone = (id: number, metric: string) =>
      gcs.readings.filter((r) => r.systemId === id && r.reading.metric === metric).map((r) => r.reading.value);
    expect(byDrone(1, "heading_deg")).toEqual([0, 0, 0, 0, 0, 0]);
    expect(byDrone(2, "heading_deg")).toEqual([90, 90, 90, 90, 90, 90]);
    expect(byDrone(1, "battery_pct")).toEqual([100, 100, 99, 99]);
    expect(byDrone(2, "battery_pct")).toEqual([50, 50, 49, 49]);
    expect(byDrone(2, "lat")).toEqual([-33.9, -33.9, -33.9, -33.9, -33.9, -33.9]);
    expect(gcs.link.systems().map((s) => [s.systemId, s.state, s.packets, s.lost])).toEqual([
      [1, "online", 12, 0],
      [2, "online", 12, 0],
    ]);
  });

  it("counts garbage, a flipped byte and a torn packet without missing the good ones", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    const socket = createSocket("udp4");
    closers.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    const send = (bytes: Buffer) =>
      new Promise<void>((resolve, reject) =>
        socket.send(bytes, gcs.link.port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
      );
    const hb = new minimal.Heartbeat();
    Object.assign(hb, { type: 2, autopilot: 3, baseMode: 128, customMode: 0, systemStatus: 4, mavlinkVersion: 3 });
    const frame = new MavLinkProtocolV2(9, 1).serialize(hb, 0);
    const flipped = Buffer.from(frame);
    flipped[11] = (flipped[11] ?? 0) ^ 0x80;
    await send(Buffer.from("GET / HTTP/1.1\r\n\r\n"));
    await send(flipped);
    await send(frame.subarray(0, 12));
    await send(Buffer.alloc(0));
    await send(Buffer.concat([Buffer.from([0x00, 0x13]), frame]));
    await until(() => gcs.link.stats().datagrams === 5, "5 datagrams");
    expect(gcs.link.stats()).toEqual({
      datagrams: 5,
      packets: 1,
      ignored: 0,
      rejected: { garbage: 2, truncated: 1, bad_crc: 1, unknown_message: 0, unsupported_flags: 0, malformed: 0 },
      rejectedBytes: 18 + 21 + 12 + 2,
    });
    expect(gcs.readings.map((r) => [r.systemId, r.reading.metric, r.reading.value])).toEqual([
      [9, "armed", 1],
      [9, "mode", 0],
    ]);
    expect(gcs.states).toEqual([{ systemId: 9, state: "online", ts: T0 }]);
  });

  it("rejects with VIDEO_MAVLINK_BIND when the port is taken", async () => {
    const clock = { t: T0 };
    const gcs = await station(clock);
    await expect(openMavlinkLink({ port: gcs.link.port, host: "127.0.0.1" })).rejects.toMatchObject({
      code: "VIDEO_MAVLINK_BIND",
      detail: { host: "127.0.0.1", port: gcs.link.port },
    });
  });
});
