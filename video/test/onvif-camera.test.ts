import { type OnvifSimulator, type OnvifSimulatorOptions, startOnvifSimulator } from "@lifeline/simulators";
import jpeg from "jpeg-js";
import { afterEach, describe, expect, it } from "vitest";
import { getWithDigest } from "../src/onvif/http-digest-client.ts";
import { connectCamera, type OnvifCamera } from "../src/onvif/onvif-camera.ts";
import { discoverOnvif } from "../src/onvif/onvif-discovery.ts";
import type { CameraEvent } from "../src/onvif/onvif-events.ts";
import { formatProbe, probeOnvif } from "../src/onvif/onvif-probe.ts";
import { VideoError } from "../src/video-error.ts";

const HOUR = 3_600_000;
const RTSP = "rtsp://127.0.0.1:8554/gate";
/** A real 16×8 JPEG, so the test checks bytes a decoder accepts. */
const JPEG = jpeg.encode({ width: 16, height: 8, data: Buffer.alloc(16 * 8 * 4, 0x80) }, 80).data;

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function sim(options: Partial<OnvifSimulatorOptions> = {}): Promise<OnvifSimulator> {
  const s = await startOnvifSimulator({
    username: "admin",
    password: "s3cret",
    rtspUrl: RTSP,
    snapshot: () => JPEG,
    name: "Gate Cam",
    maxPullWaitMs: 500,
    ...options,
  });
  closers.push(() => s.stop());
  return s;
}

async function connect(
  s: OnvifSimulator,
  options: { password?: string; syncClock?: boolean } = {},
): Promise<OnvifCamera> {
  const camera = await connectCamera({
    url: s.deviceUrl,
    username: "admin",
    password: options.password ?? "s3cret",
    syncClock: options.syncClock,
    timeoutMs: 2_000,
  });
  closers.push(() => camera.close());
  return camera;
}

/**
 * ONVIF gives the camera's time in whole seconds, read as the middle of its second (+500 ms) and
 * compared with our clock when the answer arrives: off the true hour by at most ±500 ms, less the
 * answer's time in transit — at most the whole call's `tookMs` (on a loaded machine more than 100 ms).
 */
function expectHourSkew(skewMs: number, tookMs: number): void {
  expect(skewMs - HOUR).toBeGreaterThan(-500 - tookMs);
  expect(skewMs - HOUR).toBeLessThanOrEqual(500);
}

async function rejection(p: Promise<unknown>): Promise<VideoError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VideoError);
  return err as VideoError;
}

describe("discoverOnvif", () => {
  it("finds the simulator with a directed WS-Discovery probe", async () => {
    const s = await sim();
    const found = await discoverOnvif({ address: "127.0.0.1", port: s.discoveryPort, timeoutMs: 300 });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      xaddr: s.deviceUrl,
      xaddrs: [s.deviceUrl],
      name: "Gate Cam",
      hardware: "LL-SIM-PTZ",
    });
    expect(found[0]?.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
  });
});

describe("connectCamera", () => {
  it("reads the camera clock first and authenticates though the camera is an hour ahead", async () => {
    const s = await sim({ clockOffsetMs: HOUR });
    const started = Date.now();
    const camera = await connect(s);
    expect(s.operations.slice(0, 2)).toEqual(["GetSystemDateAndTime", "GetSystemDateAndTime"]);
    expect(s.refusals).toEqual([]);
    expectHourSkew(camera.clockSkewMs, Date.now() - started);
    expect(camera.info).toEqual({
      manufacturer: "Lifeline",
      model: "LL-SIM-PTZ",
      firmware: "1.0.0",
      serial: "Gate Cam",
    });
  });

  it("is refused with VIDEO_ONVIF_CLOCK_SKEW when it signs on its own clock", async () => {
    const s = await sim({ clockOffsetMs: HOUR });
    const started = Date.now();
    const err = await rejection(connect(s, { syncClock: false }));
    const took = Date.now() - started;
    expect(err.code).toBe("VIDEO_ONVIF_CLOCK_SKEW");
    // The camera's time comes in whole seconds: the estimate is the hour within about half a second.
    expect(err.message).toMatch(/refused our tokens: its clock is 3(599|600|601) s ahead of ours \(tolerance 5 s\)/);
    expectHourSkew(err.detail.clockSkewMs as number, took);
    // The package falls back from GetServices to GetCapabilities: both are refused.
    expect(s.refusals).toEqual(["stale-created", "stale-created"]);
  });

  it("maps a wrong password to VIDEO_ONVIF_AUTH", async () => {
    const s = await sim();
    const err = await rejection(connect(s, { password: "wrong" }));
    expect(err.code).toBe("VIDEO_ONVIF_AUTH");
    expect(err.detail).toEqual({ camera: s.deviceUrl, operation: "connect" });
    expect(s.refusals).toEqual(["bad-digest", "bad-digest"]);
    expect(s.operations).toEqual(["GetSystemDateAndTime", "GetSystemDateAndTime", "GetServices", "GetCapabilities"]);
  });

  it("maps a closed port to VIDEO_ONVIF_UNREACHABLE", async () => {
    const s = await sim();
    await s.drop();
    const err = await rejection(connect(s));
    expect(err.code).toBe("VIDEO_ONVIF_UNREACHABLE");
    expect(err.message).toBe(`camera ${s.deviceUrl} did not answer GetSystemDateAndTime: ECONNREFUSED`);
  });
});

describe("OnvifCamera", () => {
  it("lists the profiles and their stream URIs", async () => {
    const s = await sim({ profiles: undefined });
    const camera = await connect(s);
    expect(camera.profiles).toEqual([
      { token: "Profile_1", name: "mainStream", encoding: "H264", width: 1920, height: 1080, fps: 25 },
      { token: "Profile_2", name: "subStream", encoding: "H264", width: 640, height: 360, fps: 15 },
    ]);
    expect(await camera.streamUri("Profile_1")).toBe(RTSP);
    expect(await camera.streamUri("Profile_2")).toBe(RTSP);
    expect(await camera.snapshotUri("Profile_2")).toBe(`${s.baseUrl}/onvif/snapshot?profile=Profile_2`);
    const err = await rejection(camera.streamUri("Profile_9"));
    expect(err.code).toBe("VIDEO_ONVIF_NO_PROFILE");
  });

  it("fetches the snapshot through HTTP Digest; without credentials the camera answers 401", async () => {
    const s = await sim();
    const camera = await connect(s);
    const image = await camera.snapshot("Profile_1");
    expect(image).toEqual(JPEG);
    expect(jpeg.decode(image, { useTArray: true })).toMatchObject({ width: 16, height: 8 });
    const bare = await fetch(await camera.snapshotUri("Profile_1"));
    expect(bare.status).toBe(401);
    const err = await rejection(getWithDigest(await camera.snapshotUri(), { username: "admin", password: "x" }));
    expect(err.code).toBe("VIDEO_ONVIF_AUTH");
  });

  it("hands motion and tamper events over in order from a pull point", async () => {
    const s = await sim({ clockOffsetMs: HOUR });
    const camera = await connect(s);
    const events: CameraEvent[] = [];
    const pull = camera.pullEvents((e) => events.push(e));
    await until(() => s.operations.includes("PullMessages"));
    const before = Date.now();
    s.emitEvent({ topic: "motion", state: true });
    s.emitEvent({ topic: "motion", state: false });
    s.emitEvent({ topic: "tamper", state: true });
    s.emitEvent({ topic: "tns1:Device/Trigger/DigitalInput", state: true, source: "DI_1" });
    await until(() => events.length === 4);
    await pull.stop();
    await pull.done;
    expect(events.map(({ kind, state, topic, source }) => ({ kind, state, topic, source }))).toEqual([
      { kind: "motion", state: true, topic: "tns1:VideoSource/MotionAlarm", source: "VideoSource_1" },
      { kind: "motion", state: false, topic: "tns1:VideoSource/MotionAlarm", source: "VideoSource_1" },
      {
        kind: "tamper",
        state: true,
        topic: "tns1:VideoSource/GlobalSceneChange/ImagingService",
        source: "VideoSource_1",
      },
      { kind: "other", state: true, topic: "tns1:Device/Trigger/DigitalInput", source: "DI_1" },
    ]);
    // `at` is on our clock: the camera's stamp less the hour of skew (give or take the 1 s resolution).
    for (const e of events) {
      expect(e.cameraAt - e.at).toBe(camera.clockSkewMs);
      expect(Math.abs(e.at - before)).toBeLessThan(1_500);
    }
    expect(s.operations.at(-1)).toBe("Unsubscribe");
  });

  it("moves the camera to a preset", async () => {
    const s = await sim();
    const camera = await connect(s);
    expect(await camera.presets()).toEqual([
      { token: "1", name: "gate" },
      { token: "2", name: "yard" },
    ]);
    const moved: string[] = [];
    s.on("preset", (token: string) => moved.push(token));
    await camera.gotoPreset("2");
    expect(s.currentPreset).toBe("2");
    expect(moved).toEqual(["2"]);
    const err = await rejection(camera.gotoPreset("7"));
    expect(err.code).toBe("VIDEO_ONVIF_FAULT");
    expect(s.currentPreset).toBe("2");
  });
});

describe("probeOnvif", () => {
  it("discovers, connects and tabulates every profile", async () => {
    const s = await sim();
    const rows = await probeOnvif({
      address: "127.0.0.1",
      port: s.discoveryPort,
      timeoutMs: 300,
      username: "admin",
      password: "s3cret",
    });
    const snap = (t: string) => `${s.baseUrl}/onvif/snapshot?profile=${t}`;
    expect(rows).toEqual([
      {
        xaddr: s.deviceUrl,
        name: "Gate Cam",
        profiles: [
          {
            token: "Profile_1",
            name: "mainStream",
            encoding: "H264",
            width: 1920,
            height: 1080,
            streamUri: RTSP,
            snapshotUri: snap("Profile_1"),
          },
          {
            token: "Profile_2",
            name: "subStream",
            encoding: "H264",
            width: 640,
            height: 360,
            streamUri: RTSP,
            snapshotUri: snap("Profile_2"),
          },
        ],
      },
    ]);
    const x = s.deviceUrl;
    const pad = " ".repeat(x.length - "XADDR".length);
    expect(formatProbe(rows)).toBe(
      [
        `CAMERA    XADDR${pad}  PROFILE                 ENCODING  SIZE       STREAM URI`,
        `Gate Cam  ${x}  Profile_1 (mainStream)  H264      1920x1080  ${RTSP}`,
        `Gate Cam  ${x}  Profile_2 (subStream)   H264      640x360    ${RTSP}`,
        "",
      ].join("\n"),
    );
  });

  it("reports a camera it cannot read and still lists it", async () => {
    const s = await sim();
    const rows = await probeOnvif({
      address: "127.0.0.1",
      port: s.discoveryPort,
      timeoutMs: 300,
      username: "admin",
      password: "bad",
    });
    expect(rows).toEqual([
      {
        xaddr: s.deviceUrl,
        name: "Gate Cam",
        profiles: [],
        error: { code: "VIDEO_ONVIF_AUTH", message: `camera ${s.deviceUrl} refused the credentials for connect` },
      },
    ]);
  });
});

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
