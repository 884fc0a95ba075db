import { MAX_READINGS_PER_ENVELOPE, type Reading } from "@lifeline/contracts";

/**
 * Gathers the readings node-opcua hands over one by one while it walks a PublishResponse, and
 * delivers them per device once that walk is over (a microtask later): one sink call per device
 * per publish instead of one per data change, never more than an envelope holds.
 */
export class ReadingBatcher {
  readonly #deliver: (device: string, readings: Reading[]) => void;
  #pending = new Map<string, Reading[]>();
  #scheduled = false;

  constructor(deliver: (device: string, readings: Reading[]) => void) {
    this.#deliver = deliver;
  }

  add(device: string, reading: Reading): void {
    const list = this.#pending.get(device);
    if (list) list.push(reading);
    else this.#pending.set(device, [reading]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  flush(): void {
    this.#scheduled = false;
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [device, readings] of pending) {
      for (let i = 0; i < readings.length; i += MAX_READINGS_PER_ENVELOPE) {
        this.#deliver(device, readings.slice(i, i + MAX_READINGS_PER_ENVELOPE));
      }
    }
  }
}
