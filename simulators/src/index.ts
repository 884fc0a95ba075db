export {
  dustMonitor,
  pipelineTransmitter,
  type SimulatedDatatype,
  type SimulatedDeviceModel,
  type SimulatedPoint,
} from "./device-models.ts";
export {
  ModbusTcpServer,
  type ModbusTcpServerOptions,
  type ModbusTcpServerStats,
} from "./modbus/modbus-tcp-server.ts";
export { type ByteOrder, RegisterBank } from "./modbus/register-bank.ts";
export { type Random, seededRandom } from "./random.ts";
export {
  SimulatedModbusDevice,
  type SimulatedModbusDeviceOptions,
  writePoint,
} from "./simulated-modbus-device.ts";

// HJ 212 data loggers and SL 651 RTUs: TCP clients of the edge agent's receivers.

export { crc16Modbus } from "./crc16-modbus.ts";
export type { FieldLinkStats } from "./field-link.ts";
export {
  type DustEpisode,
  dustMonitorFactors,
  type Hj212SimulatedFactor,
} from "./hj212/dust-site-model.ts";
export { type Hj212CrcDialect, hj212Crc } from "./hj212/hj212-crc.ts";
export {
  encodeHj212Frame,
  type Hj212FrameOptions,
  type Hj212Header,
  hj212DataSegment,
} from "./hj212/hj212-frame.ts";
export {
  type Hj212Faults,
  SimulatedHj212Logger,
  type SimulatedHj212LoggerOptions,
  type SimulatedHj212LoggerStats,
} from "./hj212/simulated-hj212-logger.ts";
export {
  type BelowDatumScenario,
  HydrologySite,
  type HydrologySiteOptions,
  type StormScenario,
} from "./sl651/hydrology-model.ts";
export {
  SimulatedSl651Rtu,
  type SimulatedSl651RtuOptions,
  type SimulatedSl651RtuStats,
  type Sl651Faults,
} from "./sl651/simulated-sl651-rtu.ts";
export {
  encodeSl651Frame,
  encodeSl651Message,
  type Sl651Station,
  type Sl651UplinkSpec,
} from "./sl651/sl651-frame.ts";

// Models and the reference sites of firmware-profiles/sites/.

export { gasDetector, heatMeter, radarLevelGauge } from "./device-models.ts";
export { type BatteryReading, type DroneBatteryOptions, droneBattery } from "./drone/drone-messages.ts";
export {
  type DroneSimulator,
  type DroneSimulatorOptions,
  type DroneSimulatorStats,
  startDroneSimulator,
} from "./drone/drone-simulator.ts";
export { EARTH_RADIUS_M, FlightPath, type FlightState, offsetMetres, type Waypoint } from "./drone/flight-path.ts";
export type { SimulatedOnvifPreset, SimulatedOnvifProfile } from "./onvif/onvif-responses.ts";
export {
  DEFAULT_PRESETS,
  DEFAULT_PROFILES,
  type EmittedEvent,
  OnvifSimulator,
  type OnvifSimulatorOptions,
  startOnvifSimulator,
} from "./onvif/simulated-onvif-camera.ts";
// The OPC UA substation has its own entry point, @lifeline/simulators/opcua: exporting it here
// would load node-opcua (~1–3 s of CPU) with this package.
export {
  REFERENCE_SITE_KINDS,
  type ReferenceSite,
  type ReferenceSiteKind,
  type ReferenceSiteOptions,
  startReferenceSite,
} from "./reference-sites.ts";
// Labelled days for training and evaluating forecasters (issue 8).
export {
  type DustDeviceSeries,
  type DustIncident,
  type DustIncidentKind,
  type DustSiteDays,
  type DustSiteEpisode,
  type DustSiteEpisodeKind,
  type DustSiteOptions,
  downwindFactor,
  dustSiteDays,
} from "./scenarios/dust-site-days.ts";
export {
  type FloodIncident,
  type FloodStationOptions,
  type FloodStationSeries,
  floodStationDays,
  type RainEvent,
} from "./scenarios/flood-station-days.ts";
export type { ExceedanceInterval, ScenarioClockOptions } from "./scenarios/scenario-clock.ts";
export { type ScenarioSeries, scenarioCsv } from "./scenarios/scenario-csv.ts";
export { type EncodeH264Options, encodeH264File } from "./video/h264-encode.ts";
export { writeRawFrames } from "./video/rtsp-raw-frames.ts";
export {
  type H264MountSource,
  type RawMountSource,
  type RtspMount,
  type RtspServer,
  type RtspServerOptions,
  startRtspServer,
} from "./video/rtsp-server.ts";
export {
  DUST_LABEL_OPACITY,
  nuisanceNames,
  type SceneClip,
  type SceneClipFrame,
  type SceneClipOptions,
  type SceneEpisodeKind,
  type SceneLabels,
  type SceneNuisances,
  type SceneSample,
  type SceneSampleRequest,
  sceneBackground,
  sceneClip,
  sceneLabels,
  sceneNuisances,
  sceneSamples,
  WATER_LABEL_FRACTION,
} from "./video/scene-clip.ts";
export { type SceneLayout, type SceneView, sceneLayout } from "./video/scene-layout.ts";
export { renderScene, type SceneFrame, type SceneSpec, type SceneTruth } from "./video/scene-renderer.ts";
