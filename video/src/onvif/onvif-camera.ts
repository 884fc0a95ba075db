import onvif from "onvif";
import { VideoError } from "../video-error.ts";
import { getWithDigest } from "./http-digest-client.ts";
import { onvifError } from "./onvif-error.ts";
import { type CameraEventHandler, type EventPull, runPullPoint } from "./onvif-events.ts";

type Cam = InstanceType<typeof onvif.Cam>;

export interface ConnectCameraOptions {
  /** Device service URL (an XAddr from discovery), or `host` and `port`. */
  url?: string;
  host?: string;
  /** Default 80. */
  port?: number;
  username: string;
  password: string;
  /** Per request; default 5 s. */
  timeoutMs?: number;
  /**
   * Sign WS-Security tokens on the camera's clock (default true). Off, tokens carry our clock, and a
   * camera whose clock is more than `clockToleranceMs` away refuses them: `VIDEO_ONVIF_CLOCK_SKEW`.
   */
  syncClock?: boolean;
  /** Default 5 s, the replay window cameras typically allow. */
  clockToleranceMs?: number;
  /** Use host and port of `url` for every service, for cameras behind NAT that report inner XAddrs. */
  preserveAddress?: boolean;
  now?: () => number;
}

export interface OnvifProfile {
  token: string;
  name: string;
  encoding: string;
  width: number;
  height: number;
  fps?: number;
}

export interface OnvifPreset {
  token: string;
  name: string;
}

export interface OnvifDeviceInfo {
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
}

/**
 * A connected ONVIF camera (Profile S), behind our own small interface over the `onvif` package.
 * Stream URIs are RTSP: decode them over TCP (`-rtsp_transport tcp`), as UDP rarely crosses a site link.
 */
export class OnvifCamera {
  readonly #cam: Cam;
  readonly #credentials: { username: string; password: string };
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #pulls = new Set<EventPull>();
  /** Device service URL. */
  readonly xaddr: string;
  readonly info: OnvifDeviceInfo;
  readonly profiles: readonly OnvifProfile[];
  /** Camera clock minus ours, as measured at connect (1 s resolution: ONVIF sends whole seconds). */
  readonly clockSkewMs: number;

  constructor(init: {
    cam: Cam;
    xaddr: string;
    info: OnvifDeviceInfo;
    profiles: OnvifProfile[];
    clockSkewMs: number;
    credentials: { username: string; password: string };
    timeoutMs: number;
    now: () => number;
  }) {
    this.#cam = init.cam;
    this.xaddr = init.xaddr;
    this.info = init.info;
    this.profiles = init.profiles;
    this.clockSkewMs = init.clockSkewMs;
    this.#credentials = init.credentials;
    this.#timeoutMs = init.timeoutMs;
    this.#now = init.now;
  }

  async streamUri(profileToken = this.#defaultProfile()): Promise<string> {
    this.#profile(profileToken);
    const r = await this.#call<{ uri: string }>("GetStreamUri", (cb) =>
      this.#cam.getStreamUri({ protocol: "RTSP", stream: "RTP-Unicast", profileToken }, cb),
    );
    return String(r.uri);
  }

  async snapshotUri(profileToken = this.#defaultProfile()): Promise<string> {
    this.#profile(profileToken);
    const r = await this.#call<{ uri: string }>("GetSnapshotUri", (cb) =>
      this.#cam.getSnapshotUri({ profileToken }, cb),
    );
    return String(r.uri);
  }

  /** The JPEG at the snapshot URI, fetched with HTTP Digest. */
  async snapshot(profileToken = this.#defaultProfile()): Promise<Buffer> {
    const uri = await this.snapshotUri(profileToken);
    const r = await getWithDigest(uri, this.#credentials, this.#timeoutMs);
    if (r.status !== 200 || !r.contentType.startsWith("image/jpeg")) {
      throw new VideoError(
        "VIDEO_ONVIF_SNAPSHOT",
        `camera ${this.xaddr} answered the snapshot with ${r.status} ${r.contentType}`,
        {
          detail: { camera: this.xaddr, uri, status: r.status, contentType: r.contentType },
        },
      );
    }
    return r.body;
  }

  async presets(profileToken = this.#defaultProfile()): Promise<OnvifPreset[]> {
    const byName = await this.#call<Record<string, { $?: { token?: unknown }; name?: unknown }>>("GetPresets", (cb) =>
      this.#cam.getPresets({ profileToken }, cb),
    );
    // Tokens may read as numbers ("1" → 1) after the package's parsing; they are strings in ONVIF.
    return Object.values(byName).map((p) => ({ token: String(p.$?.token ?? ""), name: String(p.name ?? "") }));
  }

  async gotoPreset(presetToken: string, profileToken = this.#defaultProfile()): Promise<void> {
    await this.#call("GotoPreset", (cb) => this.#cam.gotoPreset({ profileToken, preset: presetToken }, cb));
  }

  /** Camera time; a cheap liveness check (GetSystemDateAndTime needs no credentials). */
  async ping(): Promise<number> {
    const time = await this.#call<Date>("GetSystemDateAndTime", (cb) => this.#cam.getSystemDateAndTime(cb));
    return time.getTime();
  }

  /** Starts a pull-point loop (ONVIF Event Service §9.6) handing motion/tamper events over in order. */
  pullEvents(handler: CameraEventHandler): EventPull {
    const cam = this.#cam;
    const pull = runPullPoint(
      {
        subscribe: () => this.#raw((cb) => cam.createPullPointSubscription(cb)),
        pull: () => this.#raw((cb) => cam.pullMessages({ messageLimit: 10 }, cb)),
        renew: () => this.#raw((cb) => cam.renew({}, cb)),
        unsubscribe: () => this.#raw((cb) => cam.unsubscribe(cb, true)),
      },
      handler,
      { skewMs: this.clockSkewMs, now: this.#now },
      (err, operation) => onvifError(err, this.xaddr, operation),
    );
    this.#pulls.add(pull);
    pull.done.finally(() => this.#pulls.delete(pull)).catch(() => {});
    return pull;
  }

  /** Stops event loops; the `onvif` package holds no connection between requests. */
  async close(): Promise<void> {
    await Promise.all([...this.#pulls].map((p) => p.stop()));
    this.#pulls.clear();
  }

  #defaultProfile(): string {
    return (this.profiles[0] as OnvifProfile).token;
  }

  #profile(token: string): OnvifProfile {
    const p = this.profiles.find((x) => x.token === token);
    if (!p) {
      throw new VideoError("VIDEO_ONVIF_NO_PROFILE", `camera ${this.xaddr} has no media profile ${token}`, {
        detail: { camera: this.xaddr, profile: token, profiles: this.profiles.map((x) => x.token) },
      });
    }
    return p;
  }

  #call<T>(operation: string, fn: (cb: (err: Error | null, data?: unknown) => void) => void): Promise<T> {
    return this.#raw<T>(fn).catch((err) => Promise.reject(onvifError(err, this.xaddr, operation)));
  }

  #raw<T>(fn: (cb: (err: Error | null, data?: unknown) => void) => void): Promise<T> {
    return promiseOf<T>(fn);
  }
}

function promiseOf<T>(fn: (cb: (err: Error | null, data?: unknown) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, data) => (err ? reject(err) : resolve(data as T)));
    } catch (err) {
      reject(err); // the package throws synchronously on some malformed answers
    }
  });
}

/**
 * Connects: GetSystemDateAndTime first, so WS-Security tokens are signed on the camera's clock
 * (ONVIF Core §5.9.1, §5.12.2), then services, profiles and video sources (through the `onvif`
 * package's connect), then the device information.
 */
export async function connectCamera(options: ConnectCameraOptions): Promise<OnvifCamera> {
  const target = targetOf(options);
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const cam = new onvif.Cam({
    hostname: target.hostname,
    port: target.port,
    path: target.path,
    username: options.username,
    password: options.password,
    timeout: timeoutMs,
    autoconnect: false,
    preserveAddress: options.preserveAddress ?? false,
  });
  const xaddr = `http://${target.hostname}:${target.port}${target.path}`;
  // The package signs with process uptime + timeShift; preset to our clock it never corrects it.
  if (options.syncClock === false) cam.timeShift = now() - process.uptime() * 1000;
  const cameraTime = await promiseOf<Date>((cb) => cam.getSystemDateAndTime(cb)).catch((err) =>
    Promise.reject(onvifError(err, xaddr, "GetSystemDateAndTime")),
  );
  // The camera sends whole seconds, truncated: its clock is somewhere in the next second, so take the middle.
  const clockSkewMs = cameraTime.getTime() + 500 - now();
  await promiseOf((cb) => cam.connect(cb)).catch((err) => {
    const e = onvifError(err, xaddr, "connect");
    const tolerance = options.clockToleranceMs ?? 5_000;
    if (e.code === "VIDEO_ONVIF_AUTH" && options.syncClock === false && Math.abs(clockSkewMs) > tolerance) {
      return Promise.reject(
        new VideoError(
          "VIDEO_ONVIF_CLOCK_SKEW",
          `camera ${xaddr} refused our tokens: its clock is ${Math.round(Math.abs(clockSkewMs) / 1000)} s ${clockSkewMs > 0 ? "ahead of" : "behind"} ours (tolerance ${tolerance / 1000} s); set the camera's NTP or enable syncClock`,
          { cause: e, detail: { camera: xaddr, clockSkewMs, toleranceMs: tolerance } },
        ),
      );
    }
    return Promise.reject(e);
  });
  const profiles = profilesOf(cam.profiles ?? []);
  if (profiles.length === 0) {
    throw new VideoError("VIDEO_ONVIF_NO_PROFILE", `camera ${xaddr} has no media profile with a video encoder`, {
      detail: { camera: xaddr },
    });
  }
  const info = await promiseOf<Record<string, unknown>>((cb) => cam.getDeviceInformation(cb)).catch((err) =>
    Promise.reject(onvifError(err, xaddr, "GetDeviceInformation")),
  );
  return new OnvifCamera({
    cam,
    xaddr,
    info: {
      manufacturer: String(info.manufacturer ?? ""),
      model: String(info.model ?? ""),
      firmware: String(info.firmwareVersion ?? ""),
      serial: String(info.serialNumber ?? ""),
    },
    profiles,
    clockSkewMs,
    credentials: { username: options.username, password: options.password },
    timeoutMs,
    now,
  });
}

function targetOf(o: ConnectCameraOptions): { hostname: string; port: number; path: string } {
  if (o.url !== undefined) {
    const u = new URL(o.url);
    return { hostname: u.hostname, port: Number(u.port || 80), path: u.pathname || "/onvif/device_service" };
  }
  if (o.host === undefined) {
    throw new VideoError("VIDEO_ONVIF_CONFIG", "connectCamera needs `url` or `host`", { detail: {} });
  }
  return { hostname: o.host, port: o.port ?? 80, path: "/onvif/device_service" };
}

/** Media profiles with a video encoder, as the package's parsed GetProfiles gives them. */
function profilesOf(raw: readonly Record<string, unknown>[]): OnvifProfile[] {
  const out: OnvifProfile[] = [];
  for (const p of raw) {
    const enc = p.videoEncoderConfiguration as
      | {
          encoding?: unknown;
          resolution?: { width?: unknown; height?: unknown };
          rateControl?: { frameRateLimit?: unknown };
        }
      | undefined;
    const token = (p.$ as { token?: unknown } | undefined)?.token;
    if (!enc || token === undefined) continue;
    const profile: OnvifProfile = {
      token: String(token),
      name: String(p.name ?? token),
      encoding: String(enc.encoding ?? ""),
      width: Number(enc.resolution?.width ?? 0),
      height: Number(enc.resolution?.height ?? 0),
    };
    const fps = Number(enc.rateControl?.frameRateLimit);
    if (Number.isFinite(fps)) profile.fps = fps;
    out.push(profile);
  }
  return out;
}
