import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpDigestGuard } from "./http-digest-guard.ts";
import * as reply from "./onvif-responses.ts";
import {
  EVENT_TOPICS,
  PATHS,
  type QueuedEvent,
  type SimulatedOnvifPreset,
  type SimulatedOnvifProfile,
} from "./onvif-responses.ts";
import { operationOf, soapEnvelope, soapFault, textOf } from "./onvif-soap.ts";
import { PullPointSubscriptions } from "./pull-point-subscriptions.ts";
import { WsDiscoveryResponder } from "./ws-discovery-responder.ts";
import { type UsernameTokenVerdict, verifyUsernameToken } from "./ws-username-token.ts";

export interface OnvifSimulatorOptions {
  /** HTTP port of all services and the snapshot; 0 (default) picks a free one. */
  port?: number;
  host?: string;
  username: string;
  password: string;
  /** What GetStreamUri answers (the RTSP stream itself is served elsewhere). */
  rtspUrl: string;
  /** The JPEG served at the snapshot URI (behind HTTP Digest). */
  snapshot: (profileToken: string) => Buffer;
  /** The camera clock runs this far from ours, to test clock skew; default 0. */
  clockOffsetMs?: number;
  /** How far a UsernameToken's Created may be from the camera clock; default 5 s. */
  maxTokenSkewMs?: number;
  profiles?: SimulatedOnvifProfile[];
  presets?: SimulatedOnvifPreset[];
  /** Shown as the onvif name scope and the serial number; default `SIM-CAM-01`. */
  name?: string;
  /** WS-Discovery UDP port; default 0 (a free one). Pass `false` for no responder. */
  discoveryPort?: number | false;
  /** Also join 239.255.255.250 (then use discoveryPort 3702 to be found like a real camera). */
  discoveryMulticast?: boolean;
  /** Upper bound on how long a PullMessages waits for events; default 10 s (cameras honour up to PT1M). */
  maxPullWaitMs?: number;
}

export interface EmittedEvent {
  /** `motion`, `tamper` or a full topic such as `tns1:VideoSource/MotionAlarm`. */
  topic: "motion" | "tamper" | (string & {});
  state: boolean;
  source?: string;
}

export const DEFAULT_PROFILES: readonly SimulatedOnvifProfile[] = [
  { token: "Profile_1", name: "mainStream", encoding: "H264", width: 1920, height: 1080, fps: 25, bitrateKbps: 4096 },
  { token: "Profile_2", name: "subStream", encoding: "H264", width: 640, height: 360, fps: 15, bitrateKbps: 512 },
];
export const DEFAULT_PRESETS: readonly SimulatedOnvifPreset[] = [
  { token: "1", name: "gate" },
  { token: "2", name: "yard" },
];

/**
 * An ONVIF Profile S camera (device, media, events with pull points, PTZ presets) over SOAP 1.2,
 * with WS-Security UsernameToken on every request but GetSystemDateAndTime (ONVIF Core §5.9.1),
 * HTTP Digest on the snapshot, and a WS-Discovery responder. Emits `preset` (token) on GotoPreset.
 */
export class OnvifSimulator extends EventEmitter {
  readonly #o: Required<Omit<OnvifSimulatorOptions, "host" | "port" | "discoveryPort">> & { host: string };
  readonly #server: Server;
  readonly #digest: HttpDigestGuard;
  readonly #nonces = new Set<string>();
  readonly #subscriptions: PullPointSubscriptions;
  readonly #discovery: WsDiscoveryResponder | undefined;
  readonly #held = new Set<ServerResponse>();
  #port = 0;
  #mode: "up" | "closed" | "hang" = "up";
  /** Token of the last GotoPreset, undefined until one. */
  currentPreset: string | undefined;
  /** Operation names in the order received, for tests that check what a client sent. */
  readonly operations: string[] = [];
  /** Why requests were refused, in order. */
  readonly refusals: Array<Extract<UsernameTokenVerdict, { ok: false }>["reason"]> = [];

  constructor(options: OnvifSimulatorOptions, requestedPort: number, requestedDiscoveryPort: number | false) {
    super();
    this.#o = {
      host: options.host ?? "127.0.0.1",
      username: options.username,
      password: options.password,
      rtspUrl: options.rtspUrl,
      snapshot: options.snapshot,
      clockOffsetMs: options.clockOffsetMs ?? 0,
      maxTokenSkewMs: options.maxTokenSkewMs ?? 5_000,
      profiles: options.profiles ?? [...DEFAULT_PROFILES],
      presets: options.presets ?? [...DEFAULT_PRESETS],
      name: options.name ?? "SIM-CAM-01",
      discoveryMulticast: options.discoveryMulticast ?? false,
      maxPullWaitMs: options.maxPullWaitMs ?? 10_000,
    };
    this.#port = requestedPort;
    this.#digest = new HttpDigestGuard({
      realm: "Lifeline IP Camera",
      username: options.username,
      password: options.password,
    });
    this.#subscriptions = new PullPointSubscriptions(() => this.cameraNow());
    this.#server = createServer((req, res) => this.#onRequest(req, res));
    if (requestedDiscoveryPort !== false) {
      this.#discovery = new WsDiscoveryResponder({
        port: requestedDiscoveryPort,
        host: this.#o.discoveryMulticast ? undefined : this.#o.host,
        multicast: this.#o.discoveryMulticast,
        endpoint: `urn:uuid:${randomUUID()}`,
        xaddrs: () => [this.deviceUrl],
        scopes: reply.scopesOf(this.#identity()),
      });
    }
  }

  get port(): number {
    return this.#port;
  }
  get baseUrl(): string {
    return `http://${this.#o.host}:${this.#port}`;
  }
  /** The device service XAddr, as discovery reports it. */
  get deviceUrl(): string {
    return `${this.baseUrl}${PATHS.device}`;
  }
  get discoveryPort(): number | undefined {
    return this.#discovery?.port;
  }
  get clockOffsetMs(): number {
    return this.#o.clockOffsetMs;
  }
  set clockOffsetMs(ms: number) {
    this.#o.clockOffsetMs = ms;
  }
  /** The camera's clock. */
  cameraNow(): number {
    return Date.now() + this.#o.clockOffsetMs;
  }

  async start(): Promise<void> {
    await this.#listen();
    await this.#discovery?.start();
  }

  /** Queues an event on every live pull-point subscription. */
  emitEvent(event: EmittedEvent): void {
    const topic =
      event.topic === "motion" ? EVENT_TOPICS.motion : event.topic === "tamper" ? EVENT_TOPICS.tamper : event.topic;
    const queued: QueuedEvent = {
      topic,
      state: event.state,
      at: this.cameraNow(),
      source: event.source ?? "VideoSource_1",
    };
    this.#subscriptions.publish(queued);
  }

  /**
   * The camera goes away: `close` (default) closes the port so connections are refused, `hang`
   * accepts connections and never answers, as a camera behind a dead link does.
   */
  async drop(mode: "close" | "hang" = "close"): Promise<void> {
    if (this.#mode !== "up") return;
    if (mode === "close") await this.#close();
    else this.#mode = "hang";
  }

  /** Comes back on the same port; pull-point subscriptions are lost as on a reboot. */
  async restore(): Promise<void> {
    const was = this.#mode;
    this.#mode = "up";
    for (const res of this.#held) res.destroy();
    this.#held.clear();
    this.#subscriptions.clear();
    if (was === "closed") await this.#listen();
  }

  async stop(): Promise<void> {
    this.#subscriptions.clear();
    for (const res of this.#held) res.destroy();
    this.#held.clear();
    if (this.#mode !== "closed") await this.#close();
    this.#mode = "closed";
    await this.#discovery?.stop();
  }

  async #listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#port, this.#o.host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  async #close(): Promise<void> {
    this.#mode = "closed";
    this.#subscriptions.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  #identity(): reply.CameraIdentity {
    return {
      name: this.#o.name,
      manufacturer: "Lifeline",
      model: "LL-SIM-PTZ",
      firmware: "1.0.0",
      serial: this.#o.name,
    };
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (this.#mode === "hang") {
      this.#held.add(res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", this.baseUrl);
      if (req.method === "GET" && url.pathname === PATHS.snapshot) return this.#snapshot(req, res, url);
      if (req.method !== "POST") return void res.writeHead(405).end();
      this.#soap(url.pathname, Buffer.concat(chunks).toString("utf8"), res).catch((err: unknown) => {
        send(res, 500, soapFault("Receiver", "ter:Action", String(err)));
      });
    });
  }

  #snapshot(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!this.#digest.admit(req, res)) return;
    const jpeg = this.#o.snapshot(url.searchParams.get("profile") ?? this.#o.profiles[0]?.token ?? "");
    res.writeHead(200, { "Content-Type": "image/jpeg", "Content-Length": jpeg.length });
    res.end(jpeg);
  }

  async #soap(path: string, xml: string, res: ServerResponse): Promise<void> {
    const op = operationOf(xml) ?? "";
    this.operations.push(op);
    // ONVIF Core §5.9.1: GetSystemDateAndTime is open so a client can learn the clock before signing.
    if (op !== "GetSystemDateAndTime") {
      const verdict = verifyUsernameToken(xml, {
        username: this.#o.username,
        password: this.#o.password,
        now: this.cameraNow(),
        maxSkewMs: this.#o.maxTokenSkewMs,
        seenNonces: this.#nonces,
      });
      if (!verdict.ok) {
        this.refusals.push(verdict.reason);
        // §5.11.2.1: a rejected WS-Security header is HTTP 400 with ter:NotAuthorized.
        return send(res, 400, soapFault("Sender", "ter:NotAuthorized", "Sender not Authorized"));
      }
    }
    const body = await this.#dispatch(op, path, xml);
    if (typeof body === "string") return send(res, 200, soapEnvelope(body));
    send(res, body.status, body.fault);
  }

  async #dispatch(op: string, path: string, xml: string): Promise<string | { status: number; fault: string }> {
    const now = this.cameraNow();
    const profile = () => this.#profile(textOf(xml, "ProfileToken"));
    switch (op) {
      case "GetSystemDateAndTime":
        return reply.systemDateAndTime(now);
      case "GetServices":
        return reply.services(this.baseUrl);
      case "GetCapabilities":
        return reply.capabilities(this.baseUrl);
      case "GetDeviceInformation":
        return reply.deviceInformation(this.#identity());
      case "GetScopes":
        return reply.scopes(this.#identity());
      case "GetProfiles":
        return reply.profiles(this.#o.profiles);
      case "GetVideoSources":
        return reply.videoSources(this.#o.profiles);
      case "GetStreamUri": {
        const p = profile();
        return p ? reply.mediaUri("GetStreamUri", p.rtspUrl ?? this.#o.rtspUrl) : noProfile();
      }
      case "GetSnapshotUri": {
        const p = profile();
        const uri = `${this.baseUrl}${PATHS.snapshot}?profile=${encodeURIComponent(p?.token ?? "")}`;
        return p ? reply.mediaUri("GetSnapshotUri", uri) : noProfile();
      }
      case "GetPresets":
        return reply.presets(this.#o.presets);
      case "GotoPreset":
        return this.#gotoPreset(textOf(xml, "PresetToken"));
      case "GetStatus":
        return reply.ptzStatus(now);
      case "GetEventProperties":
        return reply.eventProperties();
      case "CreatePullPointSubscription":
      case "PullMessages":
      case "Renew":
      case "Unsubscribe":
        return this.#subscriptions.handle(op, path, xml, this.baseUrl, this.#o.maxPullWaitMs);
      default:
        return { status: 400, fault: soapFault("Receiver", "ter:ActionNotSupported", `${op} is not supported`) };
    }
  }

  #profile(token: string | undefined): SimulatedOnvifProfile | undefined {
    return this.#o.profiles.find((p) => p.token === token);
  }

  #gotoPreset(token: string | undefined): string | { status: number; fault: string } {
    const preset = this.#o.presets.find((p) => p.token === token);
    if (!preset) {
      return { status: 400, fault: soapFault("Sender", "ter:InvalidArgVal", `no preset ${token ?? "(none)"}`) };
    }
    this.currentPreset = preset.token;
    this.emit("preset", preset.token);
    return "<tptz:GotoPresetResponse/>";
  }
}

function noProfile(): { status: number; fault: string } {
  return { status: 400, fault: soapFault("Sender", "ter:InvalidArgVal", "ter:NoProfile: no such profile token") };
}

function send(res: ServerResponse, status: number, xml: string): void {
  res.writeHead(status, {
    "Content-Type": "application/soap+xml; charset=utf-8",
    "Content-Length": Buffer.byteLength(xml),
  });
  res.end(xml);
}

/** Starts a simulated camera; `discoveryPort` 0 (default) gives the responder a free UDP port. */
export async function startOnvifSimulator(options: OnvifSimulatorOptions): Promise<OnvifSimulator> {
  const sim = new OnvifSimulator(options, options.port ?? 0, options.discoveryPort ?? 0);
  await sim.start();
  return sim;
}
