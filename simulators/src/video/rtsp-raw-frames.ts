import { open } from "node:fs/promises";

/** Writes frames (each packed RGB24 of one size) one after another: the `raw` source of an RTSP mount. */
export async function writeRawFrames(file: string, frames: Iterable<Uint8Array>): Promise<void> {
  const handle = await open(file, "w");
  try {
    let size: number | undefined;
    for (const frame of frames) {
      size ??= frame.byteLength;
      if (frame.byteLength !== size) {
        throw new RangeError(`frames of ${file} differ in size: ${frame.byteLength} bytes after ${size}`);
      }
      await handle.write(frame);
    }
  } finally {
    await handle.close();
  }
}
