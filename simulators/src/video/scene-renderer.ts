import { type Random, seededRandom } from "../random.ts";
import { type SceneLayout, type SceneView, sceneLayout } from "./scene-layout.ts";
import { fractal, NoiseField, normalish } from "./scene-noise.ts";

/** One frame of a simulated camera; every field but view, size and seed has a neutral default. */
export interface SceneSpec {
  view: SceneView;
  width: number;
  height: number;
  /** The camera: its layout, plume source, puddle pattern, vehicle colour. */
  seed: number;
  /** Seconds into the episode; plumes, clouds and vehicles move with it. Default 0. */
  t?: number;
  /** Dust plume / haze intensity 0..1; default 0. */
  dust?: number;
  /** Surface water on the road 0..1 (roughly the share of the road covered); default 0. */
  water?: number;
  /** Daylight 0 (dusk) .. 1 (full daylight, as the clean background is); default 1. */
  light?: number;
  /** Drifting cloud shadows 0..1; default 0. */
  clouds?: number;
  /** Light mist 0..1: a uniform grey-white veil thickest at the horizon, capped at 30 % opacity; default 0. */
  mist?: number;
  /** Rain streaks 0..1; default 0. */
  rain?: number;
  /** A vehicle driving along the road; default false. */
  vehicle?: boolean;
  /** Camera noise: standard deviation per channel in 0..1 units; default 0.01. */
  noise?: number;
  /** Seeds the per-frame randomness (noise, rain); default derived from seed and t. */
  frameSeed?: number;
}

/** What the frame shows, measured while drawing it (the labels come from here, not from the spec). */
export interface SceneTruth {
  /** Mean dust opacity over the frame, 0..1. */
  dustOpacity: number;
  /** Share of the road's pixels under water, 0..1. */
  waterFraction: number;
}

export interface SceneFrame {
  width: number;
  height: number;
  /** Packed RGB24, `width * height * 3` bytes. */
  rgb: Uint8Array;
  truth: SceneTruth;
}

/** A camera's layout and its seeded fields, built once per view, size and seed. */
interface SceneCamera {
  layout: SceneLayout;
  dustCoarse: NoiseField;
  dustFine: NoiseField;
  puddleCoarse: NoiseField;
  puddleFine: NoiseField;
  clouds: NoiseField;
  plume: { x: number; y: number; lean: number; wind: number; colour: [number, number, number] };
  vehicle: { phase: number; lane: number; colour: [number, number, number] };
}

const CAMERA_CACHE_SIZE = 64;
const NOISE_TABLE = ((random: Random) => Float32Array.from({ length: 1 << 16 }, () => normalish(random)))(
  seededRandom(0x401e),
);
const cameras = new Map<string, SceneCamera>();

/** Renders one frame; the same spec gives the same bytes. */
export function renderScene(spec: SceneSpec): SceneFrame {
  const cam = cameraOf(spec.view, spec.width, spec.height, spec.seed);
  const { width, height } = spec;
  const t = spec.t ?? 0;
  const img = Float32Array.from(cam.layout.rgb);
  const waterFraction = paintWater(img, cam, spec.water ?? 0, t);
  if (spec.vehicle === true) paintVehicle(img, cam, t);
  applyLight(img, cam, spec.light ?? 1, spec.clouds ?? 0, spec.rain ?? 0, t);
  const gain = daylightGain(spec.light ?? 1);
  const dustOpacity = paintDust(img, cam, spec.dust ?? 0, gain, t);
  paintMist(img, cam.layout, spec.mist ?? 0, gain);
  const random = seededRandom(spec.frameSeed ?? (spec.seed * 7919 + Math.round(t * 1000)) >>> 0);
  paintRain(img, width, height, spec.rain ?? 0, gain, random);
  // Uint8ClampedArray clamps to 0..255 and rounds (half to even) on assignment.
  const clamped = new Uint8ClampedArray(width * height * 3);
  const sd = 255 * (spec.noise ?? 0.01);
  // Camera noise is read from a fixed table at a random start and odd stride per frame: drawing
  // three normals per pixel per frame took two thirds of the rendering time.
  const mask = NOISE_TABLE.length - 1;
  let at = Math.floor(random() * NOISE_TABLE.length);
  const stride = 2 * Math.floor(random() * 64) + 1;
  for (let i = 0; i < clamped.length; i++) {
    clamped[i] = 255 * (img[i] as number) + sd * (NOISE_TABLE[at] as number);
    at = (at + stride) & mask;
  }
  const rgb = new Uint8Array(clamped.buffer);
  return { width, height, rgb, truth: { dustOpacity, waterFraction } };
}

function cameraOf(view: SceneView, width: number, height: number, seed: number): SceneCamera {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 8 || height < 8) {
    throw new RangeError(`scene ${view}: size ${width}×${height} must be whole numbers of at least 8`);
  }
  const key = `${view}/${width}x${height}/${seed}`;
  const cached = cameras.get(key);
  if (cached !== undefined) return cached;
  const layout = sceneLayout(view, width, height, seed);
  const random = seededRandom((seed * 2654435761) ^ 0xd057);
  const groundY = layout.horizon + (height - layout.horizon) * (0.35 + 0.5 * random());
  const cam: SceneCamera = {
    layout,
    dustCoarse: new NoiseField(random, 6, 6),
    dustFine: new NoiseField(random, 12, 12),
    puddleCoarse: new NoiseField(random, 7, 7),
    puddleFine: new NoiseField(random, 14, 14),
    clouds: new NoiseField(random, 5, 5),
    plume: {
      x: width * (0.15 + 0.7 * random()),
      y: groundY,
      lean: (random() - 0.5) * 0.8,
      wind: (random() - 0.5) * 0.06,
      colour: [0.74 + 0.08 * random(), 0.64 + 0.06 * random(), 0.5 + 0.06 * random()],
    },
    vehicle: {
      phase: random(),
      lane: (random() - 0.5) * 0.8,
      colour:
        view === "mine"
          ? [0.85, 0.68, 0.12]
          : ([
              [0.75, 0.1, 0.1],
              [0.1, 0.2, 0.6],
              [0.9, 0.9, 0.9],
              [0.12, 0.12, 0.12],
            ][Math.floor(random() * 4)] as [number, number, number]),
    },
  };
  if (cameras.size >= CAMERA_CACHE_SIZE) cameras.delete(cameras.keys().next().value as string);
  cameras.set(key, cam);
  return cam;
}

/** Puddles: dark, smooth, reflecting the sky (mirrored about the horizon); returns the road share covered. */
function paintWater(img: Float32Array, cam: SceneCamera, water: number, t: number): number {
  const { layout } = cam;
  const { width, height, horizon } = layout;
  let covered = 0;
  let road = 0;
  const level = water <= 0 ? -1 : 0.22 + 0.6 * Math.min(1, water);
  for (let y = horizon; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (layout.road[i] === 0) continue;
      road++;
      if (level < 0) continue;
      // Puddles are flattened by perspective: the field is stretched across and squeezed in depth.
      const f = fractal(cam.puddleCoarse, cam.puddleFine, (x / width) * 5, (y / height) * 12);
      const alpha = Math.min(1, Math.max(0, (level - f) / 0.03));
      if (alpha <= 0) continue;
      covered += alpha;
      const d = layout.depth[i] as number;
      const skyRow = Math.max(0, Math.min(horizon - 1, Math.round(horizon * (1 - d))));
      const ripple = 0.92 + 0.08 * Math.sin(x * 0.9 + t * 3 + y * 0.2);
      for (let c = 0; c < 3; c++) {
        const reflected = 0.18 * (img[i * 3 + c] as number) + 0.6 * (layout.sky[skyRow * 3 + c] as number) * ripple;
        img[i * 3 + c] = (img[i * 3 + c] as number) * (1 - alpha) + reflected * alpha;
      }
    }
  }
  return road === 0 ? 0 : covered / road;
}

/** A car (road) or haul truck (mine) driving towards the camera along its lane. */
function paintVehicle(img: Float32Array, cam: SceneCamera, t: number): void {
  const { layout, vehicle } = cam;
  const { width, height, horizon } = layout;
  const d = 0.25 + 0.75 * ((vehicle.phase + t * 0.05) % 1);
  const base = Math.min(height - 1, Math.round(horizon + d * (height - 1 - horizon)));
  const half = layout.roadHalfWidth[base] as number;
  const w = Math.max(3, Math.round(half * (layout.view === "mine" ? 0.9 : 0.6)));
  const h = Math.max(2, Math.round(w * (layout.view === "mine" ? 0.75 : 0.55)));
  const x0 = Math.round((layout.roadCentre[base] as number) + vehicle.lane * half - w / 2);
  for (let y = Math.max(0, base - h); y <= base; y++) {
    for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) {
      const v = (y - (base - h)) / h;
      const u = (x - x0) / w;
      let rgb: readonly number[] = vehicle.colour;
      if (v > 0.12 && v < 0.42 && u > 0.12 && u < 0.88) rgb = [0.15, 0.18, 0.22];
      if (v > 0.82 && (u < 0.25 || u > 0.75)) rgb = [0.05, 0.05, 0.05];
      for (let c = 0; c < 3; c++) img[(y * width + x) * 3 + c] = rgb[c] as number;
    }
  }
}

function daylightGain(light: number): number {
  return 0.35 + 0.65 * Math.min(1, Math.max(0, light));
}

/** Time of day (gain and a warm tint at dusk), drifting cloud shadows, and the dimming of rain. */
function applyLight(img: Float32Array, cam: SceneCamera, light: number, clouds: number, rain: number, t: number) {
  const { width, height } = cam.layout;
  const gain = daylightGain(light) * (1 - 0.15 * Math.min(1, rain));
  const dusk = 1 - Math.min(1, Math.max(0, light));
  const tint = [1 + 0.1 * dusk, 1, 1 - 0.18 * dusk];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let k = gain;
      if (clouds > 0) {
        const c = cam.clouds.at((x / width) * 3 - t * 0.03, (y / height) * 3);
        k *= 1 - 0.45 * clouds * Math.min(1, Math.max(0, (c - 0.45) / 0.25));
      }
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) img[i + c] = (img[i + c] as number) * k * (tint[c] as number);
    }
  }
}

/** A plume rising from a ground source and leaning with the wind, over a thinner haze; returns mean opacity. */
function paintDust(img: Float32Array, cam: SceneCamera, dust: number, gain: number, t: number): number {
  if (dust <= 0) return 0;
  const { width, height } = cam.layout;
  const p = cam.plume;
  const drift = p.wind * width * t;
  let total = 0;
  for (let y = 0; y < height; y++) {
    const h = (p.y - y) / height;
    const rise = Math.max(h, 0);
    const vertical = h >= 0 ? Math.exp(-1.5 * h) : Math.exp(-((h / 0.06) ** 2));
    const spread = width * (0.08 + 0.5 * rise);
    const centre = p.x + p.lean * rise * width + drift * rise;
    for (let x = 0; x < width; x++) {
      const g = Math.exp(-(((x - centre) / spread) ** 2));
      const swirl = fractal(cam.dustCoarse, cam.dustFine, ((x - drift) / width) * 5, (y / height) * 5 + t * 0.05);
      const opacity = Math.min(0.95, 1.4 * dust * (0.3 + g * vertical) * (0.35 + 0.65 * swirl));
      total += opacity;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) {
        img[i + c] = (img[i + c] as number) * (1 - opacity) + (p.colour[c] as number) * gain * opacity;
      }
    }
  }
  return total / (width * height);
}

/** A neutral veil, thickest at the horizon: the negative that looks most like haze. */
function paintMist(img: Float32Array, layout: SceneLayout, mist: number, gain: number): void {
  if (mist <= 0) return;
  const { width, height, horizon } = layout;
  const veil = [0.85, 0.87, 0.9];
  for (let y = 0; y < height; y++) {
    const opacity = 0.3 * Math.min(1, mist) * (1 - (0.6 * Math.abs(y - horizon)) / height);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++)
        img[i + c] = (img[i + c] as number) * (1 - opacity) + (veil[c] as number) * gain * opacity;
    }
  }
}

/** Short bright slanted streaks, fresh every frame. */
function paintRain(img: Float32Array, width: number, height: number, rain: number, gain: number, random: Random) {
  const streaks = Math.round((Math.min(1, rain) * width * height) / 120);
  for (let s = 0; s < streaks; s++) {
    const x0 = random() * width;
    const y0 = random() * height;
    const length = 3 + Math.floor(random() * 7);
    for (let k = 0; k < length; k++) {
      const x = Math.floor(x0 + 0.3 * k);
      const y = Math.floor(y0 + k);
      if (x >= width || y >= height) break;
      const i = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) img[i + c] = (img[i + c] as number) * 0.65 + 0.85 * gain * 0.35 + 0.05;
    }
  }
}
