import type { VideoError } from "../video-error.ts";

/** A camera event as the pipeline reads it. */
export interface CameraEvent {
  kind: "motion" | "tamper" | "other";
  /** The property's new state (`State`, `IsMotion`, `IsTamper`, `LogicalState`); false when none. */
  state: boolean;
  /** When it happened on our clock: the camera's UtcTime corrected by the measured clock skew. */
  at: number;
  /** The camera's own UtcTime, ms since the epoch. */
  cameraAt: number;
  /** As the camera sent it, e.g. `tns1:VideoSource/MotionAlarm`. */
  topic: string;
  /** The `Source` simple item (video source token), when the message has one. */
  source?: string;
}

export type CameraEventHandler = (event: CameraEvent) => void;

/** A running pull-point loop. */
export interface EventPull {
  /** Unsubscribes and ends the loop; the in-flight PullMessages is left to finish on its own. */
  stop(): Promise<void>;
  /** Settles when the loop ends: resolves after stop(), rejects with the VideoError that ended it. */
  readonly done: Promise<void>;
}

/** The pull-point operations a camera gives the loop (ONVIF Event Service §9.6). */
export interface PullPointOps {
  subscribe(): Promise<void>;
  /** Returns the linerased PullMessagesResponse of the `onvif` package. */
  pull(): Promise<unknown>;
  renew(): Promise<void>;
  unsubscribe(): Promise<void>;
}

const MOTION = [/\/MotionAlarm$/, /RuleEngine\/CellMotionDetector\/Motion$/, /\/Motion$/];
const TAMPER = [/GlobalSceneChange/, /RuleEngine\/TamperDetector\/Tamper$/, /\/Tamper$/];
const STATE_ITEMS = ["State", "IsMotion", "IsTamper", "LogicalState"];

/** Maps a topic to our kinds: ONVIF's own topics, and the rule-engine ones Hikvision and Dahua send. */
export function eventKind(topic: string): CameraEvent["kind"] {
  if (MOTION.some((re) => re.test(topic))) return "motion";
  if (TAMPER.some((re) => re.test(topic))) return "tamper";
  return "other";
}

type Loose = { [key: string]: unknown };
const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const obj = (v: unknown): Loose => (typeof v === "object" && v !== null ? (v as Loose) : {});

/** Events of one PullMessagesResponse as the `onvif` package parses it (tt:Message, ONVIF Core §9.1.3). */
export function toCameraEvents(pullResponse: unknown, clockSkewMs: number, receivedAt: number): CameraEvent[] {
  return asArray(obj(pullResponse).notificationMessage).map((raw) => {
    const m = obj(raw);
    const topicNode = m.topic;
    const topic = String(typeof topicNode === "object" && topicNode !== null ? obj(topicNode)._ : (topicNode ?? ""));
    const message = obj(obj(m.message).message);
    const utc = obj(message.$).UtcTime;
    const cameraAt = utc instanceof Date ? utc.getTime() : typeof utc === "string" ? Date.parse(utc) : Number.NaN;
    const items = (node: unknown) => asArray(obj(node).simpleItem).map((i) => obj(obj(i).$));
    const stateItem = items(message.data).find((i) => STATE_ITEMS.includes(String(i.Name)));
    const sourceItem = items(message.source)[0];
    const event: CameraEvent = {
      kind: eventKind(topic),
      state: stateItem?.Value === true || stateItem?.Value === "true",
      at: Number.isFinite(cameraAt) ? cameraAt - clockSkewMs : receivedAt,
      cameraAt: Number.isFinite(cameraAt) ? cameraAt : receivedAt + clockSkewMs,
      topic,
    };
    if (sourceItem?.Value !== undefined) event.source = String(sourceItem.Value);
    return event;
  });
}

/**
 * The pull-point loop: subscribe, pull, hand each event over in order, renew when the camera says
 * the subscription is about to end. A lost subscription (camera rebooted) is recreated once; a
 * second failure ends the loop with its error, for the supervisor to reconnect.
 */
export function runPullPoint(
  ops: PullPointOps,
  handler: CameraEventHandler,
  clock: { skewMs: number; now: () => number },
  toError: (err: unknown, operation: string) => VideoError,
): EventPull {
  let stopped = false;
  const loop = async () => {
    await ops.subscribe().catch((err) => Promise.reject(toError(err, "CreatePullPointSubscription")));
    let resubscribed = false;
    while (!stopped) {
      let response: unknown;
      try {
        response = await ops.pull();
      } catch (err) {
        if (stopped) return;
        if (resubscribed) throw toError(err, "PullMessages");
        resubscribed = true;
        await ops.subscribe().catch((e) => Promise.reject(toError(e, "CreatePullPointSubscription")));
        continue;
      }
      resubscribed = false;
      if (stopped) return;
      for (const event of toCameraEvents(response, clock.skewMs, clock.now())) handler(event);
      const r = obj(response);
      const left = dateMs(r.terminationTime) - dateMs(r.currentTime);
      if (Number.isFinite(left) && left < 30_000) await ops.renew().catch(() => {}); // a failed renew shows on the next pull
    }
  };
  const done = loop();
  done.catch(() => {}); // the caller may never look at `done`; a failure must not crash the process
  return {
    done,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ops.unsubscribe().catch(() => {}); // the camera may be gone; the subscription then times out there
    },
  };
}

function dateMs(v: unknown): number {
  return v instanceof Date ? v.getTime() : typeof v === "string" ? Date.parse(v) : Number.NaN;
}
