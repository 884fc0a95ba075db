import { randomUUID } from "node:crypto";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { escapeXml, textOf } from "./onvif-soap.ts";

/** WS-Discovery (2005/04, as ONVIF Core §7.3 uses it) multicast group and port. */
export const WS_DISCOVERY_GROUP = "239.255.255.250";
export const WS_DISCOVERY_PORT = 3702;

export interface WsDiscoveryResponderOptions {
  /** UDP port; 0 (default) picks a free one so tests need neither 3702 nor multicast. */
  port?: number;
  host?: string;
  /** Join 239.255.255.250 as a real camera does (then bind 3702 to be found by ordinary probes). */
  multicast?: boolean;
  /** urn:uuid:… of the device; stays the same across probes. */
  endpoint: string;
  xaddrs: () => string[];
  scopes: string[];
}

/** Answers Probe messages with a ProbeMatch (WS-Discovery §5.3) sent unicast to the prober. */
export class WsDiscoveryResponder {
  readonly #options: WsDiscoveryResponderOptions;
  #socket: Socket | undefined;
  #port = 0;
  probes = 0;

  constructor(options: WsDiscoveryResponderOptions) {
    this.#options = options;
  }

  get port(): number {
    return this.#port;
  }

  async start(): Promise<void> {
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    socket.on("message", (msg, rinfo) => this.#onMessage(socket, msg, rinfo));
    socket.on("error", () => {}); // a stray ICMP error must not end the responder
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(this.#port || this.#options.port || 0, this.#options.host, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (this.#options.multicast) socket.addMembership(WS_DISCOVERY_GROUP);
    this.#port = socket.address().port;
    this.#socket = socket;
  }

  async stop(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #onMessage(socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    const xml = msg.toString("utf8");
    if (!/<(?:[\w.-]+:)?Probe\b/.test(xml)) return;
    const types = textOf(xml, "Types") ?? "";
    // §5.2: a Probe for other types must go unanswered; an empty Types matches everything.
    if (types !== "" && !/NetworkVideoTransmitter|Device\b/.test(types)) return;
    this.probes++;
    const reply = Buffer.from(this.#probeMatch(textOf(xml, "MessageID") ?? ""), "utf8");
    socket.send(reply, rinfo.port, rinfo.address);
  }

  #probeMatch(relatesTo: string): string {
    return (
      '<?xml version="1.0" encoding="UTF-8"?>' +
      '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" ' +
      'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
      'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">' +
      `<s:Header><a:MessageID>urn:uuid:${randomUUID()}</a:MessageID><a:RelatesTo>${escapeXml(relatesTo)}</a:RelatesTo>` +
      "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>" +
      "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>" +
      "<s:Body><d:ProbeMatches><d:ProbeMatch>" +
      `<a:EndpointReference><a:Address>${escapeXml(this.#options.endpoint)}</a:Address></a:EndpointReference>` +
      "<d:Types>dn:NetworkVideoTransmitter</d:Types>" +
      `<d:Scopes>${escapeXml(this.#options.scopes.join(" "))}</d:Scopes>` +
      `<d:XAddrs>${escapeXml(this.#options.xaddrs().join(" "))}</d:XAddrs>` +
      "<d:MetadataVersion>1</d:MetadataVersion>" +
      "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
    );
  }
}
