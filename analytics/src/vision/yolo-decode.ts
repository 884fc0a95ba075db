/** A detected object: its class, score, and box `[x, y, width, height]` in frame pixels. */
export interface Detection {
  class: string;
  classIndex: number;
  score: number;
  box: [number, number, number, number];
}

/** How the frame was fitted into the model input: scaled by `scale`, then offset by the padding. */
export interface Letterbox {
  scale: number;
  padX: number;
  padY: number;
  frameWidth: number;
  frameHeight: number;
}

export type YoloLayout = "yolov5" | "yolov8";

export interface YoloDecodeOptions {
  layout: YoloLayout;
  classes: readonly string[];
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
}

/** The scale and centring padding that fit a frame into the model input without changing its aspect. */
export function letterboxOf(
  frameWidth: number,
  frameHeight: number,
  inputWidth: number,
  inputHeight: number,
): Letterbox {
  const scale = Math.min(inputWidth / frameWidth, inputHeight / frameHeight);
  const padX = Math.floor((inputWidth - Math.round(frameWidth * scale)) / 2);
  const padY = Math.floor((inputHeight - Math.round(frameHeight * scale)) / 2);
  return { scale, padX, padY, frameWidth, frameHeight };
}

/**
 * Decodes one image's raw head output. yolov5 rows are `[cx, cy, w, h, objectness, class scores…]`
 * (output [1, N, 5 + C]), score = objectness × class score; yolov8 has no objectness and is
 * transposed (output [1, 4 + C, N]). Boxes are in model-input pixels, centre and size. Each
 * candidate keeps its best class; then non-maximum suppression per class.
 */
export function decodeYolo(
  output: Float32Array,
  candidates: number,
  box: Letterbox,
  o: YoloDecodeOptions,
): Detection[] {
  const c = o.classes.length;
  const stride = o.layout === "yolov5" ? 5 + c : 4 + c;
  // yolov5: value v of candidate i at i·stride + v; yolov8: at v·candidates + i.
  const at =
    o.layout === "yolov5"
      ? (i: number, v: number) => output[i * stride + v] as number
      : (i: number, v: number) => output[v * candidates + i] as number;
  const first = o.layout === "yolov5" ? 5 : 4;
  const found: Detection[] = [];
  for (let i = 0; i < candidates; i++) {
    const objectness = o.layout === "yolov5" ? at(i, 4) : 1;
    if (objectness < o.scoreThreshold) continue;
    let best = 0;
    for (let k = 1; k < c; k++) if (at(i, first + k) > at(i, first + best)) best = k;
    const score = objectness * at(i, first + best);
    if (!(score >= o.scoreThreshold)) continue;
    found.push({
      class: o.classes[best] as string,
      classIndex: best,
      score,
      box: toFrame(at(i, 0), at(i, 1), at(i, 2), at(i, 3), box),
    });
  }
  return nonMaximumSuppression(found, o.iouThreshold).slice(0, o.maxDetections);
}

/** Greedy NMS per class: highest score first, dropping boxes of its class that overlap it more than `iou`. */
export function nonMaximumSuppression(detections: readonly Detection[], iou: number): Detection[] {
  const sorted = [...detections].sort((a, b) => b.score - a.score || a.classIndex - b.classIndex);
  const kept: Detection[] = [];
  for (const d of sorted) {
    if (!kept.some((k) => k.classIndex === d.classIndex && intersectionOverUnion(k.box, d.box) > iou)) kept.push(d);
  }
  return kept;
}

export function intersectionOverUnion(a: readonly number[], b: readonly number[]): number {
  const [ax, ay, aw, ah] = a as [number, number, number, number];
  const [bx, by, bw, bh] = b as [number, number, number, number];
  const w = Math.min(ax + aw, bx + bw) - Math.max(ax, bx);
  const h = Math.min(ay + ah, by + bh) - Math.max(ay, by);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (aw * ah + bw * bh - inter);
}

/** A centre-size box in model pixels to a corner-size box in frame pixels, clipped to the frame. */
function toFrame(cx: number, cy: number, w: number, h: number, l: Letterbox): [number, number, number, number] {
  const x0 = Math.max(0, (cx - w / 2 - l.padX) / l.scale);
  const y0 = Math.max(0, (cy - h / 2 - l.padY) / l.scale);
  const x1 = Math.min(l.frameWidth, (cx + w / 2 - l.padX) / l.scale);
  const y1 = Math.min(l.frameHeight, (cy + h / 2 - l.padY) / l.scale);
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}
