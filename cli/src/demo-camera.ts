import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OnvifCameraConfig } from "@lifeline/contracts";
import {
  type OnvifSimulator,
  type RtspServer,
  renderScene,
  startOnvifSimulator,
  startRtspServer,
  writeRawFrames,
} from "@lifeline/simulators";

/** The demo camera's password, handed to the agent through its environment, never in the profile. */
export const DEMO_CAMERA_PASSWORD_ENV = "DEMO_CAMERA_PASSWORD";
const PASSWORD = "demo-pit-cam";
const [W, H, FPS] = [320, 240, 5];

export interface DemoCamera {
  id: string;
  config: OnvifCameraConfig;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Whether GStreamer's RTSP server can run here (the demo camera needs it; the rest of the demo does not). */
export function canServeRtsp(): boolean {
  const check = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer";
  return spawnSync("/usr/bin/python3", ["-c", check], { stdio: "ignore" }).status === 0;
}

/**
 * A pit camera for the demo mine: an ONVIF device whose RTSP stream (GStreamer) shows the pit
 * clear, then a dust plume for `plumeMs` every `cycleMs`, so that `npm start` raises and clears a
 * video alert with a snapshot every few minutes.
 */
export async function startDemoCamera(options: { cycleMs?: number; plumeMs?: number } = {}): Promise<DemoCamera> {
  const dir = mkdtempSync(join(tmpdir(), "lifeline-demo-camera-"));
  const frames = (dust: number) =>
    Array.from({ length: 2 * FPS }, (_, t) => renderScene({ view: "mine", width: W, height: H, seed: 7, t, dust }).rgb);
  const clear = join(dir, "clear.rgb");
  const plume = join(dir, "plume.rgb");
  await writeRawFrames(clear, frames(0));
  await writeRawFrames(plume, frames(0.85));
  const rtsp: RtspServer = await startRtspServer({
    mounts: [{ path: "/pit", source: { kind: "raw", file: clear, width: W, height: H, fps: FPS } }],
  });
  const snapshot = await import("@lifeline/video").then((v) => v.encodeJpeg);
  let showing = clear;
  const onvif: OnvifSimulator = await startOnvifSimulator({
    username: "admin",
    password: PASSWORD,
    rtspUrl: rtsp.url("/pit"),
    snapshot: () => {
      const rgb = renderScene({ view: "mine", width: W, height: H, seed: 7, t: 0, dust: showing === plume ? 0.85 : 0 });
      return snapshot({ ...rgb, ts: Date.now(), seq: 0 }, 85);
    },
    name: "DEMO-PIT-CAM",
    discoveryPort: false,
  });
  // LIFELINE_DEMO_PLUME_EVERY_MS: to see the alert sooner than four minutes in.
  const cycleMs = options.cycleMs ?? (Number(process.env.LIFELINE_DEMO_PLUME_EVERY_MS) || 240_000);
  const plumeMs = options.plumeMs ?? Math.min(60_000, cycleMs / 2);
  const show = (file: string) => {
    showing = file;
    void rtsp.setScene("/pit", file).catch(() => undefined);
  };
  let plumeTimer: NodeJS.Timeout | undefined;
  const cycle = setInterval(() => {
    show(plume);
    plumeTimer = setTimeout(() => show(clear), plumeMs);
  }, cycleMs);
  return {
    id: "cam-pit",
    config: {
      type: "onvif",
      id: "cam-pit",
      url: onvif.deviceUrl,
      username: "admin",
      passwordEnv: DEMO_CAMERA_PASSWORD_ENV,
      events: true,
      record: false,
      analysis: {
        sampling: { fps: 1, width: 128, height: 96, decode: "all" },
        motionGate: { enabled: true, maxSkipMs: 10_000 },
        model: { type: "builtin" },
        detect: [{ class: "dust", levels: { IV: 0.5, III: 0.8 }, forFrames: 3, clearFrames: 5, hysteresis: 0.05 }],
        scoresAsReadings: true,
      },
    },
    env: { [DEMO_CAMERA_PASSWORD_ENV]: PASSWORD },
    async stop() {
      clearInterval(cycle);
      clearTimeout(plumeTimer);
      await onvif.stop();
      await rtsp.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
