import { createHash, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { parseDuration } from "../src/onvif/pull-point-subscriptions.ts";
import {
  type OnvifSimulator,
  type OnvifSimulatorOptions,
  startOnvifSimulator,
} from "../src/onvif/simulated-onvif-camera.ts";

// The simulator checked against the specs' own formulas, with no ONVIF client library in between.

const JPEG = Buffer.from("ffd8ffe000104a46494600010100000100010000ffd9", "hex");
const HOUR = 3_600_000;
const sims: OnvifSimulator[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.stop();
});

async function sim(options: Partial<OnvifSimulatorOptions> = {}): Promise<OnvifSimulator> {
  const s = await startOnvifSimulator({
    username: "admin",
    password: "s3cret",
    rtspUrl: "rtsp://127.0.0.1:8554/cam1",
    snapshot: () => JPEG,
    ...options,
  });
  sims.push(s);
  return s;
}

/** WSS UsernameToken Profile 1.0 §3.1: Base64(SHA-1(nonce + created + password)). */
function securityHeader(username: string, password: string, createdMs: number, nonce = randomBytes(16)): string {
  const created = new Date(createdMs).toISOString();
  const digest = createHash("sha1")
    .update(Buffer.concat([nonce, Buffer.from(created), Buffer.from(password)]))
    .digest("base64");
  return (
    '<wsse:Security xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" ' +
    'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">' +
    `<wsse:UsernameToken><wsse:Username>${username}</wsse:Username><wsse:Password>${digest}</wsse:Password>` +
    `<wsse:Nonce>${nonce.toString("base64")}</wsse:Nonce><wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}

async function soap(url: string, body: string, header = ""): Promise<{ status: number; xml: string }> {
  const xml =
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tds="http://www.onvif.org/ver10/device/wsdl">' +
    `<s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/soap+xml" }, body: xml });
  return { status: res.status, xml: await res.text() };
}

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

describe("ONVIF simulator: device service and WS-Security", () => {
  it("tells its clock without credentials, running clockOffsetMs ahead", async () => {
    const s = await sim({ clockOffsetMs: HOUR });
    const before = Date.now();
    const { status, xml } = await soap(s.deviceUrl, "<tds:GetSystemDateAndTime/>");
    const n = (tag: string) => Number(new RegExp(`<tt:${tag}>(\\d+)</tt:${tag}>`).exec(xml)?.[1]);
    const camera = Date.UTC(n("Year"), n("Month") - 1, n("Day"), n("Hour"), n("Minute"), n("Second"));
    expect(status).toBe(200);
    expect(camera - (before + HOUR)).toBeGreaterThanOrEqual(-1_000);
    expect(camera - (Date.now() + HOUR)).toBeLessThanOrEqual(0);
  });

  it("answers a token signed on the camera clock and refuses missing, wrong, stale and replayed ones", async () => {
    const s = await sim({ clockOffsetMs: HOUR });
    const info = "<tds:GetDeviceInformation/>";
    const good = securityHeader("admin", "s3cret", Date.now() + HOUR);
    const ok = await soap(s.deviceUrl, info, good);
    expect(ok.status).toBe(200);
    expect(ok.xml).toContain("<tds:Model>LL-SIM-PTZ</tds:Model><tds:FirmwareVersion>1.0.0</tds:FirmwareVersion>");
    const refused = [
      await soap(s.deviceUrl, info),
      await soap(s.deviceUrl, info, securityHeader("admin", "wrong", Date.now() + HOUR)),
      await soap(s.deviceUrl, info, securityHeader("viewer", "s3cret", Date.now() + HOUR)),
      await soap(s.deviceUrl, info, securityHeader("admin", "s3cret", Date.now())),
      await soap(s.deviceUrl, info, good),
    ];
    expect(refused.map((r) => r.status)).toEqual([400, 400, 400, 400, 400]);
    for (const r of refused) {
      expect(r.xml).toContain("<soap:Subcode><soap:Value>ter:NotAuthorized</soap:Value></soap:Subcode>");
    }
    expect(s.refusals).toEqual(["missing", "bad-digest", "unknown-user", "stale-created", "replayed-nonce"]);
    expect(s.operations).toEqual(Array(6).fill("GetDeviceInformation"));
  });

  it("serves the snapshot behind HTTP Digest (RFC 7616, MD5, qop=auth)", async () => {
    const s = await sim();
    const url = `${s.baseUrl}/onvif/snapshot?profile=Profile_1`;
    const challenge = await fetch(url);
    expect(challenge.status).toBe(401);
    const header = challenge.headers.get("www-authenticate") ?? "";
    expect(header).toMatch(/^Digest realm="Lifeline IP Camera", qop="auth", nonce="[0-9a-f]{32}", algorithm=MD5$/);
    const nonce = /nonce="([^"]+)"/.exec(header)?.[1] ?? "";
    const authorization = (password: string) => {
      const uri = "/onvif/snapshot?profile=Profile_1";
      const ha1 = md5(`admin:Lifeline IP Camera:${password}`);
      const response = md5(`${ha1}:${nonce}:00000001:0a4f113b:auth:${md5(`GET:${uri}`)}`);
      return `Digest username="admin", realm="Lifeline IP Camera", nonce="${nonce}", uri="${uri}", qop=auth, nc=00000001, cnonce="0a4f113b", response="${response}"`;
    };
    const wrong = await fetch(url, { headers: { Authorization: authorization("nope") } });
    expect(wrong.status).toBe(401);
    const ok = await fetch(url, { headers: { Authorization: authorization("s3cret") } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("image/jpeg");
    expect(Buffer.from(await ok.arrayBuffer())).toEqual(JPEG);
  });

  it("goes away on drop() and comes back on the same port on restore()", async () => {
    const s = await sim();
    const port = s.port;
    await s.drop();
    await expect(soap(s.deviceUrl, "<tds:GetSystemDateAndTime/>")).rejects.toThrow("fetch failed");
    await s.restore();
    expect(s.port).toBe(port);
    expect((await soap(s.deviceUrl, "<tds:GetSystemDateAndTime/>")).status).toBe(200);
  });
});

describe("ONVIF simulator: WS-Discovery", () => {
  async function probe(port: number, types: string): Promise<string[]> {
    const socket = createSocket("udp4");
    const replies: string[] = [];
    socket.on("message", (m) => replies.push(m.toString("utf8")));
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    const msg =
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
      'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
      "<s:Header><a:MessageID>urn:uuid:11111111-2222-3333-4444-555555555555</a:MessageID></s:Header>" +
      `<s:Body><d:Probe><d:Types>${types}</d:Types></d:Probe></s:Body></s:Envelope>`;
    socket.send(msg, port, "127.0.0.1");
    await new Promise((r) => setTimeout(r, 200));
    socket.close();
    return replies;
  }

  it("answers a Probe for NetworkVideoTransmitter with its device XAddr and scopes", async () => {
    const s = await sim({ name: "Gate Cam" });
    const replies = await probe(s.discoveryPort ?? 0, "dn:NetworkVideoTransmitter");
    expect(replies).toHaveLength(1);
    const reply = replies[0] ?? "";
    expect(reply).toContain("<a:RelatesTo>urn:uuid:11111111-2222-3333-4444-555555555555</a:RelatesTo>");
    expect(reply).toContain(`<d:XAddrs>${s.deviceUrl}</d:XAddrs>`);
    expect(reply).toContain("onvif://www.onvif.org/name/Gate%20Cam onvif://www.onvif.org/hardware/LL-SIM-PTZ");
  });

  it("ignores a Probe for other device types (WS-Discovery §5.2)", async () => {
    const s = await sim();
    expect(await probe(s.discoveryPort ?? 0, "wsdp:Printer")).toEqual([]);
  });
});

describe("parseDuration", () => {
  it("reads the xs:duration forms ONVIF sends", () => {
    expect(["PT1M", "PT10S", "PT0.5S", "PT2H", "P1DT1S", "PT", "60", undefined].map(parseDuration)).toEqual([
      60_000,
      10_000,
      500,
      7_200_000,
      86_401_000,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
