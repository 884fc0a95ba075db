import { FieldLink, type FieldLinkStats } from "../field-link.ts";
import { type LocalTime, localHourOfDay, localTime, localWindowStart, pad, utcOffsetMinutes } from "../local-time.ts";
import { type Random, seededRandom } from "../random.ts";
import { type DustEpisode, dustMonitorFactors, episodePm10, type Hj212SimulatedFactor } from "./dust-site-model.ts";
import type { Hj212CrcDialect } from "./hj212-crc.ts";
import { encodeHj212Frame, hj212AnswerParser, hj212DataSegment } from "./hj212-frame.ts";
import { formatValue, type SentValue, WindowStatistics } from "./window-statistics.ts";

/** Faults a real logger's link shows now and then, injected on purpose. */
export interface Hj212Faults {
  /** Chance per real-time sample that one factor carries one of `flags` instead of N. */
  flagProbability?: number;
  /** Data flags to inject (HJ 212-2017 表 8); default F (stopped) and D (fault). */
  flags?: readonly string[];
  /** Every Nth data frame (the Nth, 2Nth, …) goes out once with a wrong CRC; the resend is right. */
  badCrcEvery?: number;
  /** Every Nth data frame is written in two halves, `splitGapMs` apart. */
  splitEvery?: number;
  splitGapMs?: number;
}

export interface SimulatedHj212LoggerOptions {
  /** The logger's MN (HJ 212-2017 §6.3.2). */
  mn: string;
  /** The receiver (platform) this logger connects to. */
  port: number;
  host?: string;
  /** PW; default 123456. */
  password?: string;
  /** ST; default 39 (construction-site dust, 工地扬尘). */
  st?: string;
  factors?: readonly Hj212SimulatedFactor[];
  /** Real-time data (2011) interval; default 30 s. */
  realtimeIntervalMs?: number;
  /** Minute data (2051) at each minute's end; default true. */
  minuteData?: boolean;
  /** Hourly data (2061) at each hour's end; default false. */
  hourlyData?: boolean;
  /** Heartbeat (9015) interval while connected and idle; 0 (default): none. */
  heartbeatMs?: number;
  /** HJ 212-2017 (Flag 4/5, default) or HJ 212-2025 (Flag 8/9). */
  version?: "2017" | "2025";
  /** Ask for the data response 9014 (Flag's A bit); default true. */
  replyWanted?: boolean;
  crc?: Hj212CrcDialect;
  /** UTC offset of the logger's clock; default +08:00. */
  timezone?: string;
  /** Wait for the answer before resending with the same QN; default 5 s. */
  replyTimeoutMs?: number;
  /** Resends after the first transmission; default 3. */
  maxResends?: number;
  /** Frames kept while the platform is unreachable (补发 later); default 2880 (a day of 30 s data). */
  maxBacklog?: number;
  reconnect?: { initialMs?: number; maxMs?: number };
  seed?: number;
  now?: () => number;
  pm10Episode?: DustEpisode;
  faults?: Hj212Faults;
  /** Called with every frame the logger makes (as first written), for demos and tests. */
  onFrame?: (frame: Buffer, cn: string) => void;
}

export interface SimulatedHj212LoggerStats extends FieldLinkStats {
  samples: number;
  injected: { badCrc: number; split: number; flags: number };
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * An environmental data logger (数采仪) that speaks HJ 212 as a TCP client: real-time data every
 * `realtimeIntervalMs`, minute and hourly statistics of what it sent, an optional heartbeat. It
 * waits for the platform's 9014 when its Flag asks for one, resends with the same QN when none
 * comes, and keeps what it could not send for after the reconnection.
 */
export class SimulatedHj212Logger {
  readonly mn: string;
  readonly factors: readonly Hj212SimulatedFactor[];
  readonly #options: SimulatedHj212LoggerOptions;
  readonly #link: FieldLink;
  readonly #random: Random;
  readonly #faultRandom: Random;
  readonly #now: () => number;
  readonly #offset: number;
  readonly #versionBits: number;
  #minute: WindowStatistics | undefined;
  #hour: WindowStatistics | undefined;
  #lastQnMs = Number.NEGATIVE_INFINITY;
  #dataFrames = 0;
  #samples = 0;
  readonly #injected = { badCrc: 0, split: 0, flags: 0 };
  #timers: NodeJS.Timeout[] = [];

  constructor(options: SimulatedHj212LoggerOptions) {
    this.#options = options;
    this.mn = options.mn;
    this.factors = options.factors ?? dustMonitorFactors;
    this.#now = options.now ?? Date.now;
    this.#offset = utcOffsetMinutes(options.timezone ?? "+08:00");
    const seed = options.seed ?? 1;
    this.#random = seededRandom(seed);
    // Faults draw from their own stream, so that switching them on does not change the values.
    this.#faultRandom = seededRandom(seed ^ 0x5bd1e995);
    // HJ 212-2017 §6.3.2 Flag: version in bits 7..2 (000001 for 2017, 000010 for 2025), D, A.
    this.#versionBits = options.version === "2025" ? 0b1000 : 0b0100;
    const crc = options.crc ?? "hj212";
    this.#link = new FieldLink({
      host: options.host ?? "127.0.0.1",
      port: options.port,
      replyTimeoutMs: options.replyTimeoutMs ?? 5_000,
      maxResends: options.maxResends ?? 3,
      maxBacklog: options.maxBacklog ?? 2_880,
      reconnectInitialMs: options.reconnect?.initialMs ?? 1_000,
      reconnectMaxMs: options.reconnect?.maxMs ?? 60_000,
      writeGapMs: options.faults?.splitGapMs ?? 50,
      answers: () => hj212AnswerParser(crc),
    });
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** Takes the first sample, connects, and keeps sampling; resolves after the first connection attempt. */
  async start(): Promise<void> {
    this.tick();
    await this.#link.start();
    this.#timers.push(setInterval(() => this.tick(), this.#options.realtimeIntervalMs ?? 30_000));
    const heartbeat = this.#options.heartbeatMs ?? 0;
    if (heartbeat > 0) this.#timers.push(setInterval(() => this.heartbeat(), heartbeat));
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#link.stop();
  }

  stats(): SimulatedHj212LoggerStats {
    return { ...this.#link.stats(), samples: this.#samples, injected: { ...this.#injected } };
  }

  /**
   * Samples the instruments at `now()` and sends the real-time frame; a sample in a new minute
   * (hour) first closes the previous one, whose statistics follow the real-time frame.
   */
  tick(): void {
    const t = this.#now();
    const sample = this.#sample(t);
    const items = sample.map((v) => {
      const f = this.factors.find((x) => x.code === v.code) as Hj212SimulatedFactor;
      return `${v.code}-Rtd=${formatValue(v.value, f.decimals)},${v.code}-Flag=${v.flag}`;
    });
    this.#sendData("2011", t, `DataTime=${dataTime(this.#local(t))};${items.join(";")}`);
    if (this.#options.minuteData ?? true) this.#minute = this.#roll(this.#minute, "2051", t, MINUTE);
    if (this.#options.hourlyData ?? false) this.#hour = this.#roll(this.#hour, "2061", t, HOUR);
    this.#minute?.add(sample);
    this.#hour?.add(sample);
  }

  /** HJ 212-2025 表 12 heartbeat 9015, sent only on an idle connection (traffic already shows life). */
  heartbeat(): void {
    if (!this.#link.connected || !this.#link.idle) return;
    const t = this.#now();
    const qn = this.#nextQn(t);
    const segment = hj212DataSegment({ ...this.#header(qn, "9015"), flag: this.#versionBits }, "");
    const frame = encodeHj212Frame(segment, { crc: this.#options.crc ?? "hj212" });
    this.#options.onFrame?.(frame, "9015");
    this.#link.send({ key: qn, kind: "9015", writes: [frame], wantsAnswer: false });
  }

  #sample(t: number): SentValue[] {
    this.#samples++;
    const site = { hour: localHourOfDay(t, this.#offset), pm10Episode: episodePm10(this.#options.pm10Episode, t) };
    const sample = this.factors.map((f) => ({
      code: f.code,
      // Rounded as the frame carries it, so that minute statistics are those of what was sent.
      value: Number(formatValue(f.signal(t, this.#random, site), f.decimals)),
      flag: "N",
    }));
    const faults = this.#options.faults;
    if ((faults?.flagProbability ?? 0) > 0 && this.#faultRandom() < (faults?.flagProbability ?? 0)) {
      const flags = faults?.flags ?? ["F", "D"];
      const victim = sample[Math.floor(this.#faultRandom() * sample.length)];
      const flag = flags[Math.floor(this.#faultRandom() * flags.length)];
      if (victim !== undefined && flag !== undefined) {
        victim.flag = flag;
        this.#injected.flags++;
      }
    }
    return sample;
  }

  /** Sends the statistics of a window that `t` has left, and returns the window `t` is in. */
  #roll(window: WindowStatistics | undefined, cn: string, t: number, size: number): WindowStatistics {
    const start = localWindowStart(t, this.#offset, size);
    if (window !== undefined && window.start === start) return window;
    if (window !== undefined && !window.empty) {
      // HJ 212 minute/hourly data are stamped with the start of their window.
      this.#sendData(cn, t, `DataTime=${dataTime(this.#local(window.start))};${window.dataArea()}`);
    }
    return new WindowStatistics(start, this.factors);
  }

  #sendData(cn: string, t: number, dataArea: string): void {
    const qn = this.#nextQn(t);
    const replyWanted = this.#options.replyWanted ?? true;
    const segment = hj212DataSegment(
      { ...this.#header(qn, cn), flag: this.#versionBits | (replyWanted ? 1 : 0) },
      dataArea,
    );
    const crc = this.#options.crc ?? "hj212";
    const clean = encodeHj212Frame(segment, { crc });
    const n = ++this.#dataFrames;
    const faults = this.#options.faults ?? {};
    let first = clean;
    if (faults.badCrcEvery !== undefined && n % faults.badCrcEvery === 0) {
      first = encodeHj212Frame(segment, { crc, corruptCrc: true });
      this.#injected.badCrc++;
    }
    let writes = [first];
    if (faults.splitEvery !== undefined && n % faults.splitEvery === 0) {
      const cut = Math.floor(first.length / 2);
      writes = [first.subarray(0, cut), first.subarray(cut)];
      this.#injected.split++;
    }
    this.#options.onFrame?.(first, cn);
    this.#link.send({ key: qn, kind: cn, writes, retryWrites: [clean], wantsAnswer: replyWanted });
  }

  #header(qn: string, cn: string) {
    return { qn, st: this.#options.st ?? "39", cn, pw: this.#options.password ?? "123456", mn: this.mn };
  }

  /** QN is the request time with milliseconds (§6.3.2); it must be unique, so a clash moves it on by 1 ms. */
  #nextQn(t: number): string {
    const ms = Math.max(t, this.#lastQnMs + 1);
    this.#lastQnMs = ms;
    const local = this.#local(ms);
    return `${dataTime(local)}${pad(local.millisecond, 3)}`;
  }

  #local(t: number): LocalTime {
    return localTime(t, this.#offset);
  }
}

/** DataTime (HJ 212-2017 §6.3.3, the data area) is YYYYMMDDhhmmss on the logger's clock, no zone. */
function dataTime(l: LocalTime): string {
  return `${l.year}${pad(l.month)}${pad(l.day)}${pad(l.hour)}${pad(l.minute)}${pad(l.second)}`;
}
