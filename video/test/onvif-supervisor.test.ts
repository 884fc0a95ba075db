import { type OnvifSimulator, startOnvifSimulator } from "@lifeline/simulators";
import { afterEach, describe, expect, it } from "vitest";
import { type CameraStatus, CameraSupervisor } from "../src/onvif/camera-supervisor.ts";
import { connectCamera } from "../src/onvif/onvif-camera.ts";

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe("CameraSupervisor", () => {
  async function supervised(mode: "close" | "hang") {
    const s: OnvifSimulator = await startOnvifSimulator({
      username: "admin",
      password: "s3cret",
      rtspUrl: "rtsp://127.0.0.1:8554/gate",
      snapshot: () => Buffer.alloc(0),
    });
    closers.push(() => s.stop());
    const statuses: CameraStatus[] = [];
    const backoff = { baseMs: 40, maxMs: 160 };
    const supervisor = new CameraSupervisor({
      name: "gate",
      connect: () => connectCamera({ url: s.deviceUrl, username: "admin", password: "s3cret", timeoutMs: 300 }),
      checkIntervalMs: 50,
      backoff,
      random: () => 0.5,
      onStatus: (st) => statuses.push(st),
    });
    closers.push(() => supervisor.stop());
    supervisor.start();
    await until(() => supervisor.state === "online");
    await s.drop(mode);
    await until(() => statuses.filter((st) => st.state === "retrying").length >= 3);
    await s.restore();
    await until(() => statuses.filter((st) => st.state === "online").length === 2);
    return { statuses, supervisor };
  }

  it("goes offline when the camera closes its port and online again when it is back", async () => {
    const { statuses, supervisor } = await supervised("close");
    const states = statuses.map((st) => st.state);
    const retries = statuses.filter((st) => st.state === "retrying");
    expect(states).toEqual(["online", "offline", ...retries.map(() => "retrying"), "online"]);
    const offline = statuses[1] as Extract<CameraStatus, { state: "offline" }>;
    expect(offline.reason.code).toBe("VIDEO_ONVIF_UNREACHABLE");
    expect(offline.reason.message).toMatch(/did not answer GetSystemDateAndTime: ECONNREFUSED$/);
    // Full jitter with random 0.5: half of each ceiling, 40, 80, 160 (the cap).
    expect(retries.map((r) => r.attempt)).toEqual(retries.map((_, i) => i + 1));
    expect(retries.slice(0, 3).map((r) => r.delayMs)).toEqual([20, 40, 80]);
    expect(supervisor.state).toBe("online");
    expect(supervisor.camera?.profiles.map((p) => p.token)).toEqual(["Profile_1", "Profile_2"]);
  });

  it("goes offline when the camera stops answering (requests time out)", async () => {
    const { statuses } = await supervised("hang");
    const offline = statuses.find((st) => st.state === "offline") as Extract<CameraStatus, { state: "offline" }>;
    expect(offline.reason.code).toBe("VIDEO_ONVIF_UNREACHABLE");
    expect(offline.reason.message).toMatch(/did not answer GetSystemDateAndTime: Network timeout$/);
    expect(statuses.at(-1)?.state).toBe("online");
  });

  it("stops retrying when stopped", async () => {
    const statuses: CameraStatus[] = [];
    let slept = 0;
    const supervisor = new CameraSupervisor({
      name: "nowhere",
      connect: () => connectCamera({ host: "127.0.0.1", port: 9, username: "a", password: "b", timeoutMs: 300 }),
      random: () => 0.5,
      // Injected sleep: the first wait stops the supervisor instead of waiting a second.
      sleep: async (ms) => {
        slept += ms;
        void supervisor.stop();
      },
      onStatus: (st) => statuses.push(st),
    });
    supervisor.start();
    await until(() => supervisor.state === "stopped");
    expect(statuses.map((st) => st.state)).toEqual(["offline", "retrying"]);
    expect(slept).toBe(250); // full jitter, random 0.5: half of the first ceiling (500 ms)
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
