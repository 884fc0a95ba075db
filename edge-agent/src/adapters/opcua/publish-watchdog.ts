import type { ClientSubscription } from "node-opcua-client";

/** Silence, in keep-alive periods, after which a subscription is taken for dead. */
const MISSED_KEEP_ALIVES = 3;
const MIN_SILENCE_MS = 2_000;

/**
 * A live subscription answers at least once per keep-alive period (publishing interval × max
 * keep-alive count), with data or an empty keep-alive (IEC 62541-4 §5.13.1.1). A server that
 * dropped the session (an administrator, a timeout, a restart behind a proxy) just stops
 * answering, and the channel may stay up; this notices the silence.
 */
export class PublishWatchdog {
  readonly #subscription: ClientSubscription;
  readonly #onSilent: (silentMs: number) => void;
  readonly #paused: () => boolean;
  readonly #touch = () => {
    this.#last = Date.now();
  };
  #last = Date.now();
  #timer: NodeJS.Timeout | undefined;

  /** `paused`: node-opcua is re-opening the channel, and reports that itself. */
  constructor(subscription: ClientSubscription, onSilent: (silentMs: number) => void, paused: () => boolean) {
    this.#subscription = subscription;
    this.#onSilent = onSilent;
    this.#paused = paused;
  }

  start(): void {
    const period = this.#subscription.publishingInterval * this.#subscription.maxKeepAliveCount;
    const limit = Math.max(MISSED_KEEP_ALIVES * period, MIN_SILENCE_MS);
    this.#subscription.on("raw_notification", this.#touch);
    this.#timer = setInterval(
      () => {
        if (this.#paused()) return this.#touch();
        const silent = Date.now() - this.#last;
        if (silent > limit) {
          this.stop();
          this.#onSilent(silent);
        }
      },
      Math.max(period, 100),
    );
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#subscription.off("raw_notification", this.#touch);
  }
}
