import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AlertEvent } from "@lifeline/contracts";
import { type EdgeAgent, startEdgeAgent } from "@lifeline/edge-agent";
import {
  type DroneSimulator,
  type OnvifSimulator,
  type RtspServer,
  renderScene,
  type SceneView,
  startDroneSimulator,
  startOnvifSimulator,
  startRtspServer,
  writeRawFrames,
} from "@lifeline/simulators";
import { encodeJpeg } from "@lifeline/video";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../src/free-port.ts";
import { type Stack, startStack } from "../src/stack.ts";

// A camera and a drone, every hop real: GStreamer's RTSP server plays rendered scenes, the ONVIF
// simulator describes the camera, the drone simulator flies and speaks MAVLink over UDP; the edge
// agent decodes with ffmpeg and scores with the bundled ONNX model; evidence goes through NATS to
// the stack's alert service, and the API serves the alert and its snapshot.

const dir = mkdtempSync(join(tmpdir(), "lifeline-video-e2e-"));
const W = 160;
const H = 120;
let stack: Stack;
let rtsp: RtspServer;
let rtspPort: number;
let camera: OnvifSimulator;
let drone: DroneSimulator;
let agent: EdgeAgent;
const cameraJpeg = encodeJpeg({ width: W, height: H, rgb: scene("mine", 0), ts: 0, seq: 0 }, 90);

function scene(view: SceneView, dust: number, water = 0, t = 0): Uint8Array {
  return renderScene({ view, width: W, height: H, seed: view === "mine" ? 77 : 78, t, dust, water, noise: 0.01 }).rgb;
}

/** Ten frames of a scene (plumes drift with t), as the RTSP server loops them. */
async function sceneFile(name: string, view: SceneView, dust: number, water = 0): Promise<string> {
  const file = join(dir, `${name}.rgb`);
  await writeRawFrames(
    file,
    Array.from({ length: 10 }, (_, t) => scene(view, dust, water, t)),
  );
  return file;
}

function startCameras(files: { pit: string; drone: string }) {
  return startRtspServer({
    port: rtspPort,
    mounts: [
      { path: "/pit", source: { kind: "raw", file: files.pit, width: W, height: H, fps: 5 } },
      { path: "/drone", source: { kind: "raw", file: files.drone, width: W, height: H, fps: 5 } },
    ],
  });
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field with expect()
async function api(path: string): Promise<{ status: number; type: string | null; body: any }> {
  const res = await fetch(`${stack.apiUrl}${path}`);
  const type = res.headers.get("content-type");
  const body = type?.startsWith("application/json") ? await res.json() : Buffer.from(await res.arrayBuffer());
  return { status: res.status, type, body };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 45_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function alertsOf(device: string): Promise<AlertEvent[]> {
  const r = await api(`/v1/alerts?site=mine-a&device=${device}`);
  return r.status === 200 ? (r.body.alerts as AlertEvent[]) : [];
}

async function onlineValues(device: string): Promise<number[]> {
  const rows = await stack.store.driver.query<{ value: number }>(
    "SELECT value FROM telemetry WHERE site = 'mine-a' AND device = {d:String} AND metric = 'online' ORDER BY ts",
    { d: device },
  );
  return rows.map((r) => Number(r.value));
}

const detect = (cls: string) => [{ class: cls, levels: { III: 0.7 }, forFrames: 2, clearFrames: 2 }];
const sampling = { fps: 2, width: 128, height: 96 };

beforeAll(async () => {
  stack = await startStack({
    dataDir: join(dir, "stack"),
    natsPort: 0,
    mqttPort: 0,
    apiPort: 0,
    lingerMs: 20,
    checkAnswers: true,
  });
  rtspPort = await freePort("127.0.0.1");
  rtsp = await startCameras({
    pit: await sceneFile("pit-clear", "mine", 0),
    drone: await sceneFile("road-dry", "road", 0),
  });
  camera = await startOnvifSimulator({
    username: "admin",
    password: "pit-cam-7",
    rtspUrl: rtsp.url("/pit"),
    snapshot: () => cameraJpeg,
    name: "PIT-CAM",
  });
  const mavlinkPort = await freePort("127.0.0.1");
  // A square over the pit, 40 m a side, flown at 5 m/s: about a minute a lap.
  const [lat, lon] = [39.95, 116.3];
  const d = 0.00036;
  drone = await startDroneSimulator({
    target: { host: "127.0.0.1", port: mavlinkPort },
    systemId: 7,
    path: [
      { lat, lon, alt: 120 },
      { lat: lat + d, lon, alt: 120 },
      { lat: lat + d, lon: lon + d, alt: 120 },
      { lat, lon: lon + d, alt: 120 },
      { lat, lon, alt: 120 },
    ],
    speedMps: 5,
    rateHz: 10,
  });
  agent = await startEdgeAgent(
    {
      site: "mine-a",
      gateway: "pit-gw",
      uplink: { nats: { url: stack.natsUrl } },
      devices: [
        {
          id: "cam-pit",
          type: "onvif",
          url: camera.deviceUrl,
          username: "admin",
          passwordEnv: "PIT_CAM_PASSWORD",
          alertPreset: "2",
          record: true,
          analysis: { sampling, motionGate: { maxSkipMs: 2_000 }, detect: detect("dust") },
        },
        {
          id: "uav-7",
          type: "mavlink",
          listen: { host: "127.0.0.1", port: mavlinkPort },
          systemId: 7,
          video: { url: rtsp.url("/drone"), analysis: { sampling, detect: detect("water") } },
        },
      ],
    },
    { dataDir: join(dir, "agent"), env: { PIT_CAM_PASSWORD: "pit-cam-7" } },
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await drone?.stop();
  await camera?.stop();
  await rtsp?.stop();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("video end to end", () => {
  it("a camera that shows a dust plume raises an alert whose snapshot the API serves", async () => {
    await until("the camera streaming", async () => ((await onlineValues("cam-pit")).includes(1) ? true : undefined));
    expect(await alertsOf("cam-pit")).toEqual([]);
    await rtsp.setScene("/pit", await sceneFile("pit-dust", "mine", 0.85));
    const fired = await until("the dust alert", async () =>
      (await alertsOf("cam-pit")).find((a) => a.transition === "fired"),
    );
    expect([fired.rule, fired.kind, fired.level, fired.state, fired.metric]).toEqual([
      "video-dust",
      "video",
      "III",
      "firing",
      "dust_score",
    ]);
    // The evidence is the camera's own snapshot, taken after it turned to the alert preset.
    expect(camera.currentPreset).toBe("2");
    const link = String(fired.evidence.snapshot);
    expect(link).toMatch(/^snapshots\/mine-a\/cam-pit\/\d+-[0-9a-f]{12}\.jpg$/);
    const picture = await api(`/v1/${link}`);
    expect([picture.status, picture.type]).toEqual([200, "image/jpeg"]);
    expect(Buffer.compare(picture.body, cameraJpeg)).toBe(0);
    expect((await api("/v1/snapshots/mine-a/cam-pit/1-00000000.jpg")).status).toBe(404);
    expect((await api("/v1/snapshots/..%2F..%2Fetc/passwd.jpg")).status).toBe(400);

    await rtsp.setScene("/pit", await sceneFile("pit-clear-again", "mine", 0));
    const resolved = await until("the dust alert resolved", async () =>
      (await alertsOf("cam-pit")).find((a) => a.transition === "resolved"),
    );
    expect(resolved.alertId).toBe(fired.alertId);
  }, 90_000);

  it("a drone's alert carries where it was seen", async () => {
    await rtsp.setScene("/drone", await sceneFile("road-flooded", "road", 0, 0.9));
    const fired = await until("the water alert", async () =>
      (await alertsOf("uav-7")).find((a) => a.transition === "fired"),
    );
    expect([fired.rule, fired.level]).toEqual(["video-water", "III"]);
    const position = fired.evidence.position as { lat: number; lon: number; altM: number };
    expect(position.lat).toBeGreaterThanOrEqual(39.95 - 1e-6);
    expect(position.lat).toBeLessThanOrEqual(39.95036 + 1e-6);
    expect(position.lon).toBeGreaterThanOrEqual(116.3 - 1e-6);
    expect(position.lon).toBeLessThanOrEqual(116.30036 + 1e-6);
    expect(position.altM).toBeCloseTo(120, 1);
    expect(fired.summary).toMatch(/^water seen by uav-7 at 39\.95\d{4}, 116\.30\d{4} \(score/);
    const drone7 = await stack.store.driver.query<{ metric: string }>(
      "SELECT DISTINCT metric FROM telemetry WHERE device = 'uav-7' ORDER BY metric",
    );
    expect(drone7.map((r) => r.metric)).toEqual(
      expect.arrayContaining(["battery_pct", "lat", "lon", "alt_m", "online", "water_score"]),
    );
  }, 90_000);

  it("the camera's motion events become readings, and its stream is recorded", async () => {
    camera.emitEvent({ topic: "motion", state: true });
    camera.emitEvent({ topic: "motion", state: false });
    const motion = await until("the motion readings", async () => {
      const rows = await stack.store.driver.query<{ value: number }>(
        "SELECT value FROM telemetry WHERE device = 'cam-pit' AND metric = 'motion' ORDER BY ts",
      );
      return rows.length >= 2 ? rows.map((r) => Number(r.value)) : undefined;
    });
    expect(motion).toEqual([1, 0]);
    const segments = readdirSync(join(dir, "agent", "recordings", "cam-pit"));
    expect(segments.length).toBeGreaterThan(0);
    expect(segments.every((s) => /^\d{8}T\d{6}\.mp4$/.test(s))).toBe(true);
  }, 60_000);

  it("a camera whose stream drops is picked up again when it returns", async () => {
    await rtsp.stop();
    await until("the camera offline", async () => ((await onlineValues("cam-pit")).at(-1) === 0 ? true : undefined));
    rtsp = await startCameras({
      pit: await sceneFile("pit-back", "mine", 0),
      drone: await sceneFile("road-dry-2", "road", 0),
    });
    await until("the camera back online", async () =>
      (await onlineValues("cam-pit")).at(-1) === 1 ? true : undefined,
    );
    expect(await onlineValues("cam-pit")).toEqual([1, 0, 1]);
  }, 90_000);
});
