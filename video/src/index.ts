export { type AnalysedStream, type AnalysedStreamOptions, analyseStream } from "./analysis/analysed-stream.ts";
export {
  BatchScheduler,
  type BatchSchedulerOptions,
  type BatchSchedulerStats,
  ShedError,
} from "./analysis/batch-scheduler.ts";
export { CleanBackground } from "./analysis/clean-background.ts";
export { type DetectionChange, DetectionTracker } from "./analysis/detection-tracker.ts";
export { EvidenceOutbox, type EvidenceOutboxOptions, type EvidenceOutboxStats } from "./analysis/evidence-outbox.ts";
export { BUNDLED_VISION_MODEL, type FrameModel, loadFrameModel } from "./analysis/frame-models.ts";
export {
  type FrameScores,
  type ScoreJob,
  StreamAnalyzer,
  type StreamAnalyzerOptions,
  type StreamAnalyzerStats,
  type StreamReadings,
} from "./analysis/stream-analyzer.ts";
export { type LoadedModel, VideoRuntime, type VideoRuntimeOptions } from "./analysis/video-runtime.ts";
export { encodeJpeg, rgbToRgba } from "./evidence/encode-jpeg.ts";
export {
  type RecordingCounters,
  type RecordingSegment,
  type RecordingSource,
  RecordingStore,
  type RecordingStoreOptions,
} from "./evidence/recording-store.ts";
export { checkEvidenceName, formatSnapshotId, parseSnapshotId, type SnapshotIdParts } from "./evidence/snapshot-id.ts";
export {
  type SnapshotEntry,
  type SnapshotInput,
  SnapshotStore,
  type SnapshotStoreCounters,
  type SnapshotStoreOptions,
  type StoredSnapshot,
} from "./evidence/snapshot-store.ts";
export { type Frame, frameBytes } from "./frame.ts";
export {
  type FfmpegFrameSource,
  type FrameSourceOptions,
  type FrameSourceState,
  openFrameSource,
} from "./frames/ffmpeg-frame-source.ts";
export { probeStream, type StreamInfo } from "./frames/probe-stream.ts";
export { BootClock } from "./mavlink/boot-clock.ts";
export { DRONE_TELEMETRY_MESSAGES, type PositionFix } from "./mavlink/drone-telemetry.ts";
export {
  type FramedDatagram,
  frameMavlinkDatagram,
  MAVLINK_REJECT_REASONS,
  type MavlinkFrame,
  type MavlinkReject,
  type MavlinkRejectReason,
} from "./mavlink/mavlink-framer.ts";
export { type MavlinkLink, type MavlinkLinkOptions, openMavlinkLink } from "./mavlink/mavlink-link.ts";
export {
  type DroneLinkEvent,
  type DroneLinkState,
  type DroneLinkStatus,
  MavlinkReceiver,
  type MavlinkReceiverOptions,
  type MavlinkReceiverStats,
  type MavlinkRejectCount,
} from "./mavlink/mavlink-receiver.ts";
export { type FramePosition, PositionTrack, type PositionTrackOptions } from "./mavlink/position-track.ts";
export {
  lumaGrid,
  type MotionDecision,
  MotionGate,
  type MotionGateCounters,
  type MotionGateOptions,
  type MotionReason,
} from "./motion/motion-gate.ts";
export { type CameraStatus, CameraSupervisor, type CameraSupervisorOptions } from "./onvif/camera-supervisor.ts";
export { getWithDigest } from "./onvif/http-digest-client.ts";
export {
  type ConnectCameraOptions,
  connectCamera,
  OnvifCamera,
  type OnvifDeviceInfo,
  type OnvifPreset,
  type OnvifProfile,
} from "./onvif/onvif-camera.ts";
export { type DiscoveredCamera, type DiscoverOnvifOptions, discoverOnvif } from "./onvif/onvif-discovery.ts";
export type { CameraEvent, CameraEventHandler, EventPull } from "./onvif/onvif-events.ts";
export { formatProbe, type ProbeOnvifOptions, type ProbeRow, probeOnvif } from "./onvif/onvif-probe.ts";
export { type BackoffOptions, backoffDelay } from "./reconnect-backoff.ts";
export { VideoError } from "./video-error.ts";
