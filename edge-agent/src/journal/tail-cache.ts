/**
 * The payloads of the most recent records, ids consecutive, bounded in bytes: a forwarder that
 * keeps up reads everything from here and the disk is only written. Older records are read from
 * their segment files.
 */
export class TailCache {
  readonly #maxBytes: number;
  #items: Uint8Array[] = [];
  #head = 0;
  #firstId = 1;
  #bytes = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The lowest id held (`endId` when empty). */
  get firstId(): number {
    return this.#firstId;
  }

  get endId(): number {
    return this.#firstId + this.#items.length - this.#head;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds the record after the last one held; a record that does not follow it starts afresh. */
  push(id: number, payload: Uint8Array): void {
    if (id !== this.endId) this.clear(id);
    this.#items.push(payload);
    this.#bytes += payload.length;
    while (this.#bytes > this.#maxBytes && this.#head < this.#items.length) this.#shift();
    this.#compact();
  }

  get(id: number): Uint8Array | undefined {
    return id >= this.#firstId ? this.#items[this.#head + id - this.#firstId] : undefined;
  }

  /** Forgets records below `id` (their segment was deleted). */
  dropBelow(id: number): void {
    while (this.#firstId < id && this.#head < this.#items.length) this.#shift();
    if (this.#head === this.#items.length && this.#firstId < id) this.clear(id);
    this.#compact();
  }

  clear(nextId: number): void {
    this.#items = [];
    this.#head = 0;
    this.#firstId = nextId;
    this.#bytes = 0;
  }

  #shift(): void {
    const item = this.#items[this.#head] as Uint8Array;
    this.#items[this.#head++] = EMPTY;
    this.#bytes -= item.length;
    this.#firstId++;
  }

  // Drop the consumed front now and then instead of Array.shift on every eviction (O(n) each).
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
}

const EMPTY = new Uint8Array(0);
