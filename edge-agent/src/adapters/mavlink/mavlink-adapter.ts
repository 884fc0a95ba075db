import type { Logger, MavlinkDroneConfig, Reading } from "@lifeline/contracts";
import type { AnalysedStream, MavlinkLink, PositionTrack, VideoRuntime } from "@lifeline/video";
import type { Clock, ReadingSink, StreamingAdapter } from "../../adapter.ts";
import { AdapterError } from "../../adapter-error.ts";

export interface MavlinkAdapterOptions {
  site: string;
  video: () => Promise<VideoRuntime>;
  clock: Clock;
  log: Logger;
}

/**
 * A drone: its MAVLink v2 link (HEARTBEAT, GLOBAL_POSITION_INT, SYS_STATUS, BATTERY_STATUS →
 * readings, `online` from the heartbeat) on its own UDP port, and, when the profile names its
 * video, the stream analysed like a camera's, each analysed frame tagged with where the drone was
 * when it was captured (interpolated on its position track), so an alert says where it was seen.
 */
export class MavlinkAdapter implements StreamingAdapter {
  readonly kind = "streaming";
  readonly id: string;
  readonly #config: MavlinkDroneConfig;
  readonly #o: MavlinkAdapterOptions;
  #link: MavlinkLink | undefined;
  #track: PositionTrack | undefined;
  #stream: AnalysedStream | undefined;
  #pending: Reading[] = [];
  #flush: NodeJS.Immediate | undefined;
  #deliver: () => void = () => undefined;

  constructor(config: MavlinkDroneConfig, options: MavlinkAdapterOptions) {
    this.id = config.id;
    this.#config = config;
    this.#o = options;
  }

  async start(sink: ReadingSink): Promise<void> {
    const video = await import("@lifeline/video");
    const track = new video.PositionTrack();
    this.#track = track;
    const mine = (systemId: number) => systemId === this.#config.systemId;
    // Readings of one datagram arrive one by one: gathered into one envelope per turn of the loop.
    this.#deliver = () => {
      clearImmediate(this.#flush);
      this.#flush = undefined;
      const readings = this.#pending;
      this.#pending = [];
      if (readings.length > 0) sink.readings(this.id, readings);
    };
    const push = (reading: Reading) => {
      this.#pending.push(reading);
      this.#flush ??= setImmediate(this.#deliver);
    };
    try {
      this.#link = await video.openMavlinkLink({
        port: this.#config.listen.port,
        host: this.#config.listen.host,
        onReading: (systemId, reading) => {
          if (mine(systemId)) push(reading);
        },
        onPosition: (systemId, fix) => {
          if (mine(systemId)) track.add(systemId, fix);
        },
        onState: (e) => {
          if (mine(e.systemId))
            push({ metric: "online", ts: e.ts, value: e.state === "online" ? 1 : 0, unit: "1", quality: "good" });
        },
        onError: (error) =>
          sink.error(new AdapterError("EDGE_MAVLINK_SOCKET", error.message, { device: this.id }, error)),
      });
    } catch (error) {
      throw new AdapterError(
        "EDGE_MAVLINK_BIND",
        `cannot listen on UDP ${this.#config.listen.host}:${this.#config.listen.port}: ${error instanceof Error ? error.message : String(error)}`,
        { device: this.id },
        error,
      );
    }
    const v = this.#config.video;
    if (v === undefined) return;
    this.#stream = await video.analyseStream({
      runtime: await this.#o.video(),
      site: this.#o.site,
      device: this.id,
      url: v.url,
      analysis: v.analysis,
      readings: sink,
      positionAt: (ts) => {
        const p = track.at(this.#config.systemId, ts);
        return p === undefined ? undefined : { lat: p.lat, lon: p.lon, altM: p.alt };
      },
      now: this.#o.clock,
      log: this.#o.log,
    });
  }

  /** The drone's link, its stream's analysis, and how many fixes its track holds. */
  stats(): Record<string, unknown> {
    return {
      link: this.#link?.stats(),
      fixes: this.#track?.fixes(this.#config.systemId).length ?? 0,
      stream: this.#stream?.analyzer.stats(),
    };
  }

  async close(): Promise<void> {
    await this.#stream?.close();
    await this.#link?.close();
    this.#deliver(); // what the last datagrams gave is handed over, not dropped
  }
}
