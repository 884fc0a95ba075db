import { type OnvifSimulator, startOnvifSimulator } from "@lifeline/simulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runLifeline } from "./run-lifeline.ts";

let camera: OnvifSimulator;

beforeAll(async () => {
  camera = await startOnvifSimulator({
    username: "admin",
    password: "pit-cam-7",
    rtspUrl: "rtsp://127.0.0.1:8554/pit",
    snapshot: () => Buffer.from([0xff, 0xd8, 0xff, 0xd9]),
    name: "PIT-CAM",
    // A camera clock 40 minutes off: the probe must read it before signing anything.
    clockOffsetMs: 40 * 60_000,
  });
});
afterAll(async () => {
  await camera?.stop();
});

function probe(env: string) {
  const port = String(camera.discoveryPort);
  return runLifeline([
    "probe",
    "onvif",
    "--address",
    "127.0.0.1",
    "--port",
    port,
    "--password-env",
    env,
    "--timeout",
    "1000",
    "--json",
  ]);
}

describe("lifeline probe onvif", () => {
  it("finds the camera by WS-Discovery and lists its profiles with stream and snapshot URIs", async () => {
    process.env.PIT_CAM_PASSWORD = "pit-cam-7";
    const r = await probe("PIT_CAM_PASSWORD");
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout);
    expect(rows.length).toBe(1);
    expect(rows[0].xaddr).toBe(camera.deviceUrl);
    expect(
      rows[0].profiles.map((p: Record<string, unknown>) => [p.token, p.encoding, p.width, p.height, p.streamUri]),
    ).toEqual([
      ["Profile_1", "H264", 1920, 1080, "rtsp://127.0.0.1:8554/pit"],
      ["Profile_2", "H264", 640, 360, "rtsp://127.0.0.1:8554/pit"],
    ]);
    expect(rows[0].profiles[0].snapshotUri).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  });

  it("lists a camera it cannot log in to with the reason, and exits 1", async () => {
    process.env.WRONG_PASSWORD = "guess";
    const r = await probe("WRONG_PASSWORD");
    expect(r.code).toBe(1);
    const rows = JSON.parse(r.stdout);
    expect(rows[0].profiles).toEqual([]);
    expect(rows[0].error.code).toBe("VIDEO_ONVIF_AUTH");
  });
});
