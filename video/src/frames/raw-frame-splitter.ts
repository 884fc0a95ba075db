/**
 * Cuts a byte stream of packed frames (ffmpeg `-f rawvideo`) into frames of exactly `frameSize`
 * bytes. Pipe chunks (64 KiB on Linux) fall anywhere in a frame; each byte is copied once, into
 * the frame it belongs to, and the frame is handed over as is (the receiver owns it).
 */
export class RawFrameSplitter {
  #frame: Uint8Array;
  #filled = 0;

  constructor(
    readonly frameSize: number,
    private readonly onFrame: (rgb: Uint8Array) => void,
  ) {
    if (!Number.isInteger(frameSize) || frameSize <= 0) {
      throw new RangeError(`frame size must be a positive integer, got ${frameSize}`);
    }
    this.#frame = allocate(frameSize);
  }

  /** Bytes of the frame being filled. */
  get pending(): number {
    return this.#filled;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const take = Math.min(this.frameSize - this.#filled, chunk.byteLength - offset);
      this.#frame.set(chunk.subarray(offset, offset + take), this.#filled);
      this.#filled += take;
      offset += take;
      if (this.#filled === this.frameSize) {
        const frame = this.#frame;
        this.#frame = allocate(this.frameSize);
        this.#filled = 0;
        this.onFrame(frame);
      }
    }
  }

  /** Drops a partial frame (the stream ended or restarted mid-frame). */
  reset(): void {
    this.#filled = 0;
  }
}

// Every byte is overwritten before the frame is handed over: no need to zero it first.
function allocate(size: number): Uint8Array {
  return Buffer.allocUnsafeSlow(size);
}
