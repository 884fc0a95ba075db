import { FieldLink, type FieldLinkStats } from "../field-link.ts";
import { localWindowStart, utcOffsetMinutes } from "../local-time.ts";
import { FIVE_MINUTES, HydrologySite, type HydrologySiteOptions } from "./hydrology-model.ts";
import { encodeSl651Message, type Sl651UplinkSpec, sl651AnswerParser, sl651Key } from "./sl651-frame.ts";
import {
  ADD_REPORT,
  EVENLY_TIMED_REPORT,
  element,
  HOURLY_REPORT,
  KEEP_ALIVE,
  level5MinSeries,
  messageStart,
  type ReportHeading,
  rain5MinSeries,
  repeatedElement,
  reportBody,
  timeStep,
} from "./sl651-reports.ts";

/** Faults of a real RTU's link, injected on purpose. */
export interface Sl651Faults {
  /** Every Nth report (the Nth, 2Nth, …) goes out once with a wrong CRC; the resend is right. */
  badCrcEvery?: number;
  /** Every Nth report's first frame is written in two halves, `splitGapMs` apart. */
  splitEvery?: number;
  /** Pause between split halves and between the packets of a multi-packet message; default 20 ms. */
  splitGapMs?: number;
}

export interface SimulatedSl651RtuOptions {
  /** Station address, 10 hex digits (5 bytes, as in the frame header). */
  station: string;
  /** The centre this RTU connects to. */
  port: number;
  host?: string;
  /** Centre address (1 byte); default 1. */
  centre?: number;
  /** Password, 4 hex digits; default 1234. */
  password?: string;
  /** Station category byte after the address in `F1F1`; default 0x48 ('H', river station). */
  category?: number;
  /** UTC offset of the RTU's clock; default +08:00. */
  timezone?: string;
  /** Keep-alive (2F) interval while connected and idle; default 60 s, 0: none. */
  keepAliveMs?: number;
  /** How often the RTU looks at its clock for due reports; default 1 s. */
  tickMs?: number;
  /** Hourly report (34) at every full hour; default true. */
  hourlyReport?: boolean;
  /**
   * Send the hourly report (34) of the last full hour right after start, as an RTU does when it
   * powers up, instead of waiting up to an hour for the first; default false.
   */
  reportAtStart?: boolean;
  /** Evenly-timed report (31) of the hour's 5-minute water levels after each hourly report; default true. */
  evenlyTimedReport?: boolean;
  /** Add-report (33) at the end of each 5 minutes whose rain reaches `addReportThresholdMm`; default true. */
  addReport?: boolean;
  /** Rain in 5 minutes that triggers an add-report, mm; default 1 (12 mm/h). */
  addReportThresholdMm?: number;
  /** Base of the relative levels in F5 (level − base), m; default 0. */
  seriesBaseM?: number;
  /** The gauge's running total (PT) when the RTU starts, mm; default 0. */
  initialRainTotalMm?: number;
  /** Wait for the confirmation before resending the same frame; default 10 s. */
  replyTimeoutMs?: number;
  /** Resends after the first transmission; default 3. */
  maxResends?: number;
  /** Messages kept while the centre is unreachable; default 720 (a few days of reports). */
  maxBacklog?: number;
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Bodies longer than this go as packets (SYN … ETB, the last ETX); default 4095, what one frame holds. */
  maxBodyBytes?: number;
  seed?: number;
  now?: () => number;
  /** The river and the weather: base level, rain, storm and below-datum scenarios. */
  site?: Omit<HydrologySiteOptions, "seed" | "offsetMinutes">;
  faults?: Sl651Faults;
  /** Called with the writes of every message the RTU makes (as first written: faults included), for demos and tests. */
  onMessage?: (writes: readonly Buffer[], fn: number) => void;
}

export interface SimulatedSl651RtuStats extends FieldLinkStats {
  /** Series values the format cannot carry, sent as no data: F5 below the series base or above 655.34 m, F4 above 25.4 mm. */
  seriesOutOfRange: number;
  injected: { badCrc: number; split: number };
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/**
 * A hydrology RTU (rain gauge and radar water-level gauge) that speaks SL 651-2014 HEX/BCD as a
 * TCP client: hourly reports with the hour's 5-minute series, evenly-timed reports, add-reports
 * in heavy rain and keep-alives. Reports wait for the centre's confirmation and are sent again,
 * unchanged, when none comes.
 */
export class SimulatedSl651Rtu {
  readonly station: string;
  readonly site: HydrologySite;
  readonly #options: SimulatedSl651RtuOptions;
  readonly #link: FieldLink;
  readonly #now: () => number;
  readonly #offset: number;
  #serial = 0;
  #reports = 0;
  #startedAt = 0;
  #lastRainReport = 0;
  #nextBoundary: number | undefined;
  #seriesOutOfRange = 0;
  readonly #injected = { badCrc: 0, split: 0 };
  #timers: NodeJS.Timeout[] = [];

  constructor(options: SimulatedSl651RtuOptions) {
    this.#options = options;
    this.station = options.station.toUpperCase();
    this.#now = options.now ?? Date.now;
    this.#offset = utcOffsetMinutes(options.timezone ?? "+08:00");
    this.site = new HydrologySite({ ...options.site, seed: options.seed ?? 1, offsetMinutes: this.#offset });
    this.#link = new FieldLink({
      host: options.host ?? "127.0.0.1",
      port: options.port,
      replyTimeoutMs: options.replyTimeoutMs ?? 10_000,
      maxResends: options.maxResends ?? 3,
      maxBacklog: options.maxBacklog ?? 720,
      reconnectInitialMs: options.reconnect?.initialMs ?? 1_000,
      reconnectMaxMs: options.reconnect?.maxMs ?? 60_000,
      writeGapMs: options.faults?.splitGapMs ?? 20,
      answers: () => sl651AnswerParser(this.station),
    });
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  /** Connects and starts the schedule; resolves after the first connection attempt (it retries either way). */
  async start(): Promise<void> {
    this.#startedAt = this.#now();
    this.#lastRainReport = this.#startedAt;
    this.#nextBoundary = localWindowStart(this.#startedAt, this.#offset, FIVE_MINUTES) + FIVE_MINUTES;
    if (this.#options.reportAtStart) {
      this.#hourlyReport(localWindowStart(this.#startedAt, this.#offset, HOUR), this.#startedAt);
    }
    await this.#link.start();
    this.#timers.push(setInterval(() => this.tick(), this.#options.tickMs ?? 1_000));
    const keepAlive = this.#options.keepAliveMs ?? 60_000;
    if (keepAlive > 0) this.#timers.push(setInterval(() => this.keepAlive(), keepAlive));
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#link.stop();
  }

  stats(): SimulatedSl651RtuStats {
    return { ...this.#link.stats(), seriesOutOfRange: this.#seriesOutOfRange, injected: { ...this.#injected } };
  }

  /** Sends the reports due at every 5-minute boundary the clock has passed since the last tick. */
  tick(): void {
    if (this.#nextBoundary === undefined) return;
    const t = this.#now();
    // A clock that jumped more than a day ahead is not an RTU that was busy for a day: skip ahead.
    if (t - this.#nextBoundary > DAY) this.#nextBoundary = localWindowStart(t, this.#offset, FIVE_MINUTES);
    while (this.#nextBoundary <= t) {
      this.#boundary(this.#nextBoundary, t);
      this.#nextBoundary += FIVE_MINUTES;
    }
  }

  /** Link keep-alive (2F, §6.6.4.2): serial number and send time, no answer; only on an idle link. */
  keepAlive(): void {
    if (!this.#link.connected || !this.#link.idle) return;
    const serial = this.#nextSerial();
    this.#send(KEEP_ALIVE, serial, messageStart(serial, this.#now(), this.#offset));
  }

  #boundary(end: number, sendTime: number): void {
    const hourly = this.#options.hourlyReport ?? true;
    const onTheHour = localWindowStart(end, this.#offset, HOUR) === end;
    if (onTheHour && hourly) this.#hourlyReport(end, sendTime);
    else if (
      (this.#options.addReport ?? true) &&
      this.site.rainEndingAt(end) >= (this.#options.addReportThresholdMm ?? 1)
    ) {
      this.#addReport(end, sendTime);
    }
    if (onTheHour && (this.#options.evenlyTimedReport ?? true)) this.#evenlyTimedReport(end, sendTime);
  }

  /** Hourly report (34): the hour's 5-minute rain (F4) and levels (F5), then PJ, P1, PD, PT, Z, VT at the hour. */
  #hourlyReport(end: number, sendTime: number): void {
    const steps = Array.from({ length: 12 }, (_, i) => end - (11 - i) * FIVE_MINUTES);
    const base = this.#options.seriesBaseM ?? 0;
    const levels = steps.map((t) => {
      const cm = Math.round((this.site.waterLevel(t) - base) * 100);
      if (cm >= 0 && cm <= 0xfffe) return cm;
      this.#seriesOutOfRange++;
      return undefined; // FFFF, no data: a relative level has no sign
    });
    const elements = [
      rain5MinSeries(
        steps.map((t) => {
          const tenths = this.site.rainTenths(Math.round(t / FIVE_MINUTES) - 1);
          if (tenths <= 0xfe) return tenths;
          this.#seriesOutOfRange++;
          return undefined; // FF, no data: past 25.4 mm in 5 minutes one byte cannot say it
        }),
      ),
      level5MinSeries(levels),
      ...this.#rainElements(end, ["currentRain", "rain1h", "rainDay", "rainTotal"]),
      element("waterLevel", this.site.waterLevel(end)),
      element("voltage", this.site.voltage(end)),
    ];
    this.#report(HOURLY_REPORT, end, sendTime, elements);
  }

  /** Evenly-timed report (31, §6.6.4.4): the time step, then Z every 5 minutes from the first step of the hour. */
  #evenlyTimedReport(end: number, sendTime: number): void {
    const first = end - 11 * FIVE_MINUTES;
    const levels = Array.from({ length: 12 }, (_, i) => this.site.waterLevel(first + i * FIVE_MINUTES));
    this.#report(EVENLY_TIMED_REPORT, first, sendTime, [timeStep(5), repeatedElement("waterLevel", levels)]);
  }

  /** Add-report (33): heavy rain in the last 5 minutes: PJ, PN05, PT, Z, VT. */
  #addReport(end: number, sendTime: number): void {
    const elements = [
      ...this.#rainElements(end, ["currentRain", "rain5min", "rainTotal"]),
      element("waterLevel", this.site.waterLevel(end)),
      element("voltage", this.site.voltage(end)),
    ];
    this.#report(ADD_REPORT, end, sendTime, elements);
  }

  #rainElements(end: number, which: readonly ("currentRain" | "rain1h" | "rainDay" | "rain5min" | "rainTotal")[]) {
    const between = (from: number) => this.site.rainTenthsBetween(from, end) / 10;
    // The hydrological day runs from 08:00 to 08:00: PD at 08:00 is the whole of the day before.
    const dayStart = localWindowStart(end - 1 - 8 * HOUR, this.#offset, DAY) + 8 * HOUR;
    const total =
      ((this.#options.initialRainTotalMm ?? 0) * 10 + this.site.rainTenthsBetween(this.#startedAt, end)) / 10;
    const values = {
      currentRain: between(this.#lastRainReport),
      rain1h: between(end - HOUR),
      rainDay: between(dayStart),
      rain5min: between(end - FIVE_MINUTES),
      rainTotal: total % 100_000, // the counter's 3 BCD bytes wrap, as the gauge's display does
    };
    this.#lastRainReport = end;
    return which.map((w) => element(w, values[w]));
  }

  #report(fn: number, observed: number, sendTime: number, elements: Buffer[]): void {
    const serial = this.#nextSerial();
    const heading: ReportHeading = {
      serial,
      sendTime,
      observed,
      offsetMinutes: this.#offset,
      station: this.station,
      category: this.#options.category ?? 0x48,
    };
    this.#send(fn, serial, reportBody(heading, elements));
  }

  #send(fn: number, serial: number, body: Buffer): void {
    const spec: Sl651UplinkSpec = {
      centre: this.#options.centre ?? 1,
      station: this.station,
      password: this.#options.password ?? "1234",
      fn,
      body,
    };
    const maxBodyBytes = this.#options.maxBodyBytes;
    const clean = encodeSl651Message(spec, { maxBodyBytes });
    let first = clean;
    if (fn !== KEEP_ALIVE) {
      const n = ++this.#reports;
      const faults = this.#options.faults ?? {};
      if (faults.badCrcEvery !== undefined && n % faults.badCrcEvery === 0) {
        first = encodeSl651Message(spec, { maxBodyBytes, corruptCrc: true });
        this.#injected.badCrc++;
      }
      if (faults.splitEvery !== undefined && n % faults.splitEvery === 0) {
        const [head, ...rest] = first as [Buffer, ...Buffer[]];
        const cut = Math.floor(head.length / 2);
        first = [head.subarray(0, cut), head.subarray(cut), ...rest];
        this.#injected.split++;
      }
    }
    this.#options.onMessage?.(first, fn);
    const kind = fn.toString(16).toUpperCase().padStart(2, "0");
    // The keep-alive is not answered (§6.6.4.2); every report waits for its confirmation.
    const wantsAnswer = fn !== KEEP_ALIVE;
    this.#link.send({ key: sl651Key(fn, serial), kind, writes: first, retryWrites: clean, wantsAnswer });
  }

  /** Serial numbers run 1..65535 and wrap. */
  #nextSerial(): number {
    this.#serial = (this.#serial % 0xffff) + 1;
    return this.#serial;
  }
}
