import { randomUUID } from "node:crypto";
import { createSocket } from "node:dgram";
import { isIP } from "node:net";
import { VideoError } from "../video-error.ts";

/** WS-Discovery 2005/04 multicast group and port (ONVIF Core §7.3). */
export const WS_DISCOVERY_ADDRESS = "239.255.255.250";
export const WS_DISCOVERY_PORT = 3702;

export interface DiscoverOnvifOptions {
  /** How long to collect ProbeMatches; default 3 s. */
  timeoutMs?: number;
  /** Where to send the Probe: the multicast group (default), or one host for a directed probe. */
  address?: string;
  /** Default 3702; tests point it at a simulator's ephemeral port. */
  port?: number;
}

export interface DiscoveredCamera {
  /** The device service URL to connect to. */
  xaddr: string;
  xaddrs: string[];
  /** The device's stable urn:uuid (WS-Addressing EndpointReference). */
  endpoint: string;
  /** From the `onvif://www.onvif.org/name/…` scope. */
  name?: string;
  /** From the `onvif://www.onvif.org/hardware/…` scope. */
  hardware?: string;
  scopes: string[];
}

/**
 * Sends one WS-Discovery Probe for NetworkVideoTransmitters and collects the ProbeMatches that
 * answer it. Our own small probe rather than the `onvif` package's, which always sends to
 * 239.255.255.250:3702: a directed probe to a host and port is what tests and routed sites need.
 */
export async function discoverOnvif(options: DiscoverOnvifOptions = {}): Promise<DiscoveredCamera[]> {
  const address = options.address ?? WS_DISCOVERY_ADDRESS;
  const port = options.port ?? WS_DISCOVERY_PORT;
  if (isIP(address) !== 4) {
    throw new VideoError("VIDEO_ONVIF_DISCOVERY", `discovery address ${address} is not an IPv4 address`, {
      detail: { address },
    });
  }
  const messageId = `urn:uuid:${randomUUID()}`;
  const found = new Map<string, DiscoveredCamera>();
  const socket = createSocket({ type: "udp4", reuseAddr: true });
  socket.on("message", (msg, rinfo) => {
    const camera = parseProbeMatch(msg.toString("utf8"), messageId, rinfo.address);
    if (camera && !found.has(camera.endpoint)) found.set(camera.endpoint, camera);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, () => resolve());
    });
    const probe = Buffer.from(probeMessage(messageId), "utf8");
    await new Promise<void>((resolve, reject) =>
      socket.send(probe, port, address, (err) => (err ? reject(err) : resolve())),
    );
    await new Promise((resolve) => setTimeout(resolve, options.timeoutMs ?? 3_000));
  } catch (err) {
    throw new VideoError("VIDEO_ONVIF_DISCOVERY", `WS-Discovery probe to ${address}:${port} failed`, {
      cause: err,
      detail: { address, port },
    });
  } finally {
    socket.close();
  }
  return [...found.values()];
}

/** WS-Discovery §5.2 Probe, with the ONVIF device type (ONVIF Core §7.3.1). */
export function probeMessage(messageId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
    `<s:Header><a:MessageID>${messageId}</a:MessageID>` +
    "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>" +
    "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>" +
    "<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"
  );
}

/** A ProbeMatches answering `messageId`, else undefined (other traffic on the group is ignored). */
export function parseProbeMatch(xml: string, messageId: string, fromAddress: string): DiscoveredCamera | undefined {
  if (!/<(?:[\w.-]+:)?ProbeMatches\b/.test(xml)) return undefined;
  const relatesTo = elementText(xml, "RelatesTo");
  if (relatesTo !== undefined && relatesTo !== messageId) return undefined;
  const xaddrs = (elementText(xml, "XAddrs") ?? "").split(/\s+/).filter(Boolean);
  if (xaddrs.length === 0) return undefined;
  const scopes = (elementText(xml, "Scopes") ?? "").split(/\s+/).filter(Boolean);
  const scope = (kind: string) => {
    const prefix = `onvif://www.onvif.org/${kind}/`;
    const s = scopes.find((x) => x.startsWith(prefix));
    return s === undefined ? undefined : decodeURIComponent(s.slice(prefix.length));
  };
  // The XAddr on the interface the answer came from is the one that routes back.
  const xaddr = xaddrs.find((x) => URL.canParse(x) && new URL(x).hostname === fromAddress) ?? (xaddrs[0] as string);
  return {
    xaddr,
    xaddrs,
    endpoint: elementText(xml, "Address") ?? xaddr,
    name: scope("name"),
    hardware: scope("hardware"),
    scopes,
  };
}

function elementText(xml: string, localName: string): string | undefined {
  const m = new RegExp(`<(?:[\\w.-]+:)?${localName}\\b[^>]*?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${localName}>)`).exec(
    xml,
  );
  if (!m) return undefined;
  return (m[1] ?? "")
    .trim()
    .replace(
      /&(lt|gt|amp|quot|apos);/g,
      (_, e: string) => ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" })[e] ?? "",
    );
}
