/**
 * The fixed image statistics of the vision model, in TypeScript: the reference the ONNX graph
 * (`visionFeatureGraph`) is tested against, and what training computes features with.
 *
 * The picture is cut into a grid of GRID_ROWS × GRID_COLS regions (water lies on the road at the
 * bottom, plumes rise from the ground). Per region, of the frame and of the camera's clean
 * background alike: brightness, contrast, dark channel, saturation, edge density and warmth; then
 * the change between them. Features are ordered [statistic][row][col].
 */
export const GRID_ROWS = 4;
export const GRID_COLS = 2;
/** Side of the square patches the dark channel takes its minimum over. */
export const DARK_PATCH = 8;
/** Edge magnitude (|Sobel x| + |Sobel y| of grey 0..1) at which a pixel counts as a full edge. */
export const EDGE_SATURATION = 0.25;
/** Added to the variance before the square root, so that a flat region's contrast has a bounded slope. */
export const CONTRAST_EPSILON = 1e-4;
/** ITU-R BT.601 luma weights. */
export const LUMA = [0.299, 0.587, 0.114] as const;

export const IMAGE_STATS = ["brightness", "contrast", "dark", "saturation", "edges", "warmth"] as const;
export const REGIONS = GRID_ROWS * GRID_COLS;
export const VISION_FEATURE_COUNT = (2 * IMAGE_STATS.length + 1) * REGIONS;

/** Names in feature order: `frame.contrast.r3c0`, `background.edges.r0c1`, `change.r2c1`, … */
export function visionFeatureNames(): string[] {
  const names: string[] = [];
  const regions = (prefix: string) => {
    for (let r = 0; r < GRID_ROWS; r++) for (let c = 0; c < GRID_COLS; c++) names.push(`${prefix}.r${r}c${c}`);
  };
  for (const s of IMAGE_STATS) regions(`frame.${s}`);
  for (const s of IMAGE_STATS) regions(`background.${s}`);
  regions("change");
  return names;
}

/** Whether a model input of `width × height` splits evenly into regions and dark-channel patches. */
export function checkVisionSize(width: number, height: number): void {
  const w = GRID_COLS * DARK_PATCH;
  const h = GRID_ROWS * DARK_PATCH;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width % w || height % h || width < w) {
    throw new RangeError(`vision input ${width}×${height}: width must be a multiple of ${w}, height of ${h}`);
  }
}

/**
 * Features of one frame against its background; both planar [3, height, width] float 0..1 at
 * `offset` in their arrays. Sums run in float64.
 */
export function visionFeatures(
  frame: Float32Array,
  background: Float32Array,
  width: number,
  height: number,
  offset = 0,
): Float64Array {
  checkVisionSize(width, height);
  const out = new Float64Array(VISION_FEATURE_COUNT);
  const frameStats = imageStats(frame, offset, width, height);
  const backgroundStats = imageStats(background, offset, width, height);
  out.set(frameStats, 0);
  out.set(backgroundStats, IMAGE_STATS.length * REGIONS);
  const plane = width * height;
  const change = new Float64Array(plane);
  for (let i = 0; i < plane; i++) {
    let d = 0;
    for (let c = 0; c < 3; c++)
      d += Math.abs((frame[offset + c * plane + i] as number) - (background[offset + c * plane + i] as number));
    change[i] = d / 3;
  }
  out.set(regionMeans(change, width, height), 2 * IMAGE_STATS.length * REGIONS);
  return out;
}

/** The six statistics × regions of one image, in IMAGE_STATS order. */
function imageStats(img: Float32Array, offset: number, width: number, height: number): Float64Array {
  const plane = width * height;
  const grey = new Float64Array(plane);
  const grey2 = new Float64Array(plane);
  const minC = new Float64Array(plane);
  const sat = new Float64Array(plane);
  const warm = new Float64Array(plane);
  for (let i = 0; i < plane; i++) {
    const r = img[offset + i] as number;
    const g = img[offset + plane + i] as number;
    const b = img[offset + 2 * plane + i] as number;
    grey[i] = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    grey2[i] = (grey[i] as number) ** 2;
    minC[i] = Math.min(r, g, b);
    sat[i] = Math.max(r, g, b) - (minC[i] as number);
    warm[i] = r - b;
  }
  const brightness = regionMeans(grey, width, height);
  const meanSquare = regionMeans(grey2, width, height);
  const contrast = brightness.map((m, k) =>
    Math.sqrt(Math.max(0, (meanSquare[k] as number) - m * m) + CONTRAST_EPSILON),
  );
  const stats = [brightness, contrast, darkChannel(minC, width, height), regionMeans(sat, width, height)];
  stats.push(regionMeans(edgeDensity(grey, width, height), width, height), regionMeans(warm, width, height));
  const out = new Float64Array(IMAGE_STATS.length * REGIONS);
  stats.forEach((s, k) => {
    out.set(s, k * REGIONS);
  });
  return out;
}

/** Mean over each region of the minimum over each DARK_PATCH² patch (He et al.'s dark channel, on a patch grid). */
function darkChannel(minC: Float64Array, width: number, height: number): Float64Array {
  const pw = width / DARK_PATCH;
  const ph = height / DARK_PATCH;
  const patches = new Float64Array(pw * ph).fill(Number.POSITIVE_INFINITY);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = Math.floor(y / DARK_PATCH) * pw + Math.floor(x / DARK_PATCH);
      patches[p] = Math.min(patches[p] as number, minC[y * width + x] as number);
    }
  }
  return regionMeans(patches, pw, ph);
}

/** min(|Sobel x| + |Sobel y|, EDGE_SATURATION) / EDGE_SATURATION, the border replicated. */
function edgeDensity(grey: Float64Array, width: number, height: number): Float64Array {
  const out = new Float64Array(width * height);
  const at = (x: number, y: number) =>
    grey[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))] as number;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx =
        at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy =
        at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      out[y * width + x] = Math.min(Math.abs(gx) + Math.abs(gy), EDGE_SATURATION) / EDGE_SATURATION;
    }
  }
  return out;
}

/** Mean of `values` (a width × height map) over each grid region, row-major. */
function regionMeans(values: Float64Array, width: number, height: number): Float64Array {
  const rh = height / GRID_ROWS;
  const rw = width / GRID_COLS;
  const out = new Float64Array(REGIONS);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = Math.floor(y / rh) * GRID_COLS + Math.floor(x / rw);
      out[k] = (out[k] as number) + (values[y * width + x] as number);
    }
  }
  return out.map((s) => s / (rh * rw));
}
