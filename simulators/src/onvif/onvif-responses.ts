import { escapeXml, isoUtc } from "./onvif-soap.ts";

/** A media profile of the simulated camera (ONVIF Media Service §5.2). */
export interface SimulatedOnvifProfile {
  token: string;
  name: string;
  encoding: "H264" | "H265" | "JPEG";
  width: number;
  height: number;
  fps?: number;
  bitrateKbps?: number;
  /** Overrides the simulator's `rtspUrl` for this profile. */
  rtspUrl?: string;
}

export interface SimulatedOnvifPreset {
  token: string;
  name: string;
}

export interface CameraIdentity {
  name: string;
  manufacturer: string;
  model: string;
  firmware: string;
  serial: string;
}

export const VIDEO_SOURCE_TOKEN = "VideoSource_1";

/** Service paths; GetServices and GetCapabilities give them as absolute XAddrs. */
export const PATHS = {
  device: "/onvif/device_service",
  media: "/onvif/media_service",
  events: "/onvif/events_service",
  ptz: "/onvif/ptz_service",
  subscription: "/onvif/subscription/",
  snapshot: "/onvif/snapshot",
} as const;

/** WS-Discovery scopes (ONVIF Core §7.3.2.2): name and hardware are what an operator reads. */
export function scopesOf(identity: CameraIdentity): string[] {
  return [
    "onvif://www.onvif.org/type/video_encoder",
    "onvif://www.onvif.org/Profile/Streaming",
    `onvif://www.onvif.org/name/${encodeURIComponent(identity.name)}`,
    `onvif://www.onvif.org/hardware/${encodeURIComponent(identity.model)}`,
  ];
}

export function systemDateAndTime(cameraNow: number): string {
  const d = new Date(cameraNow);
  return (
    "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>" +
    "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>" +
    "<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone>" +
    `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
    "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
  );
}

export function services(base: string): string {
  const service = (ns: string, path: string, major: number, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${base}${path}</tds:XAddr>` +
    `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    "<tds:GetServicesResponse>" +
    service("http://www.onvif.org/ver10/device/wsdl", PATHS.device, 2, 60) +
    service("http://www.onvif.org/ver10/media/wsdl", PATHS.media, 2, 60) +
    service("http://www.onvif.org/ver10/events/wsdl", PATHS.events, 2, 60) +
    service("http://www.onvif.org/ver20/ptz/wsdl", PATHS.ptz, 2, 60) +
    "</tds:GetServicesResponse>"
  );
}

export function capabilities(base: string): string {
  return (
    "<tds:GetCapabilitiesResponse><tds:Capabilities>" +
    `<tt:Device><tt:XAddr>${base}${PATHS.device}</tt:XAddr></tt:Device>` +
    `<tt:Events><tt:XAddr>${base}${PATHS.events}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
    "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>" +
    "<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>" +
    `<tt:Media><tt:XAddr>${base}${PATHS.media}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
    "<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>" +
    `<tt:PTZ><tt:XAddr>${base}${PATHS.ptz}</tt:XAddr></tt:PTZ>` +
    "</tds:Capabilities></tds:GetCapabilitiesResponse>"
  );
}

export function deviceInformation(id: CameraIdentity): string {
  return (
    `<tds:GetDeviceInformationResponse><tds:Manufacturer>${escapeXml(id.manufacturer)}</tds:Manufacturer>` +
    `<tds:Model>${escapeXml(id.model)}</tds:Model><tds:FirmwareVersion>${escapeXml(id.firmware)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${escapeXml(id.serial)}</tds:SerialNumber><tds:HardwareId>${escapeXml(id.model)}</tds:HardwareId>` +
    "</tds:GetDeviceInformationResponse>"
  );
}

export function scopes(id: CameraIdentity): string {
  const items = scopesOf(id)
    .map((s) => `<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>${escapeXml(s)}</tt:ScopeItem></tds:Scopes>`)
    .join("");
  return `<tds:GetScopesResponse>${items}</tds:GetScopesResponse>`;
}

function profileXml(p: SimulatedOnvifProfile, maxWidth: number, maxHeight: number): string {
  return (
    `<trt:Profiles token="${escapeXml(p.token)}" fixed="true"><tt:Name>${escapeXml(p.name)}</tt:Name>` +
    `<tt:VideoSourceConfiguration token="VideoSourceConfig_1"><tt:Name>VideoSourceConfig_1</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${maxWidth}" height="${maxHeight}"/></tt:VideoSourceConfiguration>` +
    `<tt:VideoEncoderConfiguration token="Encoder_${escapeXml(p.token)}"><tt:Name>Encoder_${escapeXml(p.token)}</tt:Name>` +
    `<tt:UseCount>1</tt:UseCount><tt:Encoding>${p.encoding}</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${p.width}</tt:Width><tt:Height>${p.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>${p.fps ?? 25}</tt:FrameRateLimit>` +
    `<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>${p.bitrateKbps ?? 4096}</tt:BitrateLimit></tt:RateControl>` +
    "<tt:SessionTimeout>PT60S</tt:SessionTimeout></tt:VideoEncoderConfiguration>" +
    '<tt:PTZConfiguration token="PTZConfig_1"><tt:Name>PTZConfig_1</tt:Name><tt:UseCount>2</tt:UseCount>' +
    "<tt:NodeToken>PTZNode_1</tt:NodeToken></tt:PTZConfiguration>" +
    "</trt:Profiles>"
  );
}

export function profiles(list: readonly SimulatedOnvifProfile[]): string {
  const w = Math.max(...list.map((p) => p.width));
  const h = Math.max(...list.map((p) => p.height));
  return `<trt:GetProfilesResponse>${list.map((p) => profileXml(p, w, h)).join("")}</trt:GetProfilesResponse>`;
}

export function videoSources(list: readonly SimulatedOnvifProfile[]): string {
  const w = Math.max(...list.map((p) => p.width));
  const h = Math.max(...list.map((p) => p.height));
  return (
    `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}"><tt:Framerate>25</tt:Framerate>` +
    `<tt:Resolution><tt:Width>${w}</tt:Width><tt:Height>${h}</tt:Height></tt:Resolution></trt:VideoSources>` +
    "</trt:GetVideoSourcesResponse>"
  );
}

/** Media Service §5.15.1 GetStreamUri / §5.16.1 GetSnapshotUri share the MediaUri shape. */
export function mediaUri(operation: "GetStreamUri" | "GetSnapshotUri", uri: string): string {
  return (
    `<trt:${operation}Response><trt:MediaUri><tt:Uri>${escapeXml(uri)}</tt:Uri>` +
    "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false</tt:InvalidAfterReboot>" +
    `<tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:${operation}Response>`
  );
}

export function presets(list: readonly SimulatedOnvifPreset[]): string {
  const items = list
    .map((p) => `<tptz:Preset token="${escapeXml(p.token)}"><tt:Name>${escapeXml(p.name)}</tt:Name></tptz:Preset>`)
    .join("");
  return `<tptz:GetPresetsResponse>${items}</tptz:GetPresetsResponse>`;
}

/** PTZ Service §5.3.4 GetStatus: idle, as the simulated head moves at once. */
export function ptzStatus(cameraNow: number): string {
  return (
    "<tptz:GetStatusResponse><tptz:PTZStatus>" +
    "<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus>" +
    `<tt:UtcTime>${isoUtc(cameraNow)}</tt:UtcTime></tptz:PTZStatus></tptz:GetStatusResponse>`
  );
}

export const EVENT_TOPICS = {
  motion: "tns1:VideoSource/MotionAlarm",
  tamper: "tns1:VideoSource/GlobalSceneChange/ImagingService",
} as const;

/** Event Service §9.5.1: the topic set, so a client can see what the camera can raise. */
export function eventProperties(): string {
  const stateMessage =
    '<tt:MessageDescription IsProperty="true"><tt:Source><tt:SimpleItemDescription Name="Source" Type="tt:ReferenceToken"/>' +
    '</tt:Source><tt:Data><tt:SimpleItemDescription Name="State" Type="xs:boolean"/></tt:Data></tt:MessageDescription>';
  return (
    "<tev:GetEventPropertiesResponse>" +
    "<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>" +
    "<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>" +
    '<wstop:TopicSet xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"><tns1:VideoSource>' +
    `<MotionAlarm wstop:topic="true">${stateMessage}</MotionAlarm>` +
    `<GlobalSceneChange><ImagingService wstop:topic="true">${stateMessage}</ImagingService></GlobalSceneChange>` +
    "</tns1:VideoSource></wstop:TopicSet>" +
    "<wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>" +
    "<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>" +
    "</tev:GetEventPropertiesResponse>"
  );
}

export interface QueuedEvent {
  topic: string;
  state: boolean;
  /** Camera clock when raised. */
  at: number;
  source: string;
}

/** One wsnt:NotificationMessage with a tt:Message payload (ONVIF Core §9.1.3). */
export function notificationMessage(e: QueuedEvent): string {
  return (
    "<wsnt:NotificationMessage>" +
    `<wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">${escapeXml(e.topic)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${isoUtc(e.at)}" PropertyOperation="Changed">` +
    `<tt:Source><tt:SimpleItem Name="Source" Value="${escapeXml(e.source)}"/></tt:Source>` +
    `<tt:Data><tt:SimpleItem Name="State" Value="${e.state}"/></tt:Data>` +
    "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
  );
}

export function subscriptionCreated(address: string, cameraNow: number, terminationAt: number): string {
  return (
    "<tev:CreatePullPointSubscriptionResponse>" +
    `<tev:SubscriptionReference><wsa:Address>${escapeXml(address)}</wsa:Address></tev:SubscriptionReference>` +
    `<wsnt:CurrentTime>${isoUtc(cameraNow)}</wsnt:CurrentTime><wsnt:TerminationTime>${isoUtc(terminationAt)}</wsnt:TerminationTime>` +
    "</tev:CreatePullPointSubscriptionResponse>"
  );
}

export function pulled(events: readonly QueuedEvent[], cameraNow: number, terminationAt: number): string {
  return (
    `<tev:PullMessagesResponse><tev:CurrentTime>${isoUtc(cameraNow)}</tev:CurrentTime>` +
    `<tev:TerminationTime>${isoUtc(terminationAt)}</tev:TerminationTime>` +
    `${events.map(notificationMessage).join("")}</tev:PullMessagesResponse>`
  );
}

export function renewed(cameraNow: number, terminationAt: number): string {
  return (
    `<wsnt:RenewResponse><wsnt:TerminationTime>${isoUtc(terminationAt)}</wsnt:TerminationTime>` +
    `<wsnt:CurrentTime>${isoUtc(cameraNow)}</wsnt:CurrentTime></wsnt:RenewResponse>`
  );
}
