import { type Random, seededRandom } from "../random.ts";
import { throughCamera } from "./scene-camera.ts";
import type { SceneView } from "./scene-layout.ts";
import { renderScene, type SceneSpec, type SceneTruth } from "./scene-renderer.ts";

export type SceneEpisodeKind = "clear" | "dust" | "water" | "dust+water";

/** A frame counts as dusty above this mean plume opacity, and as wet above this share of road under water. */
export const DUST_LABEL_OPACITY = 0.1;
export const WATER_LABEL_FRACTION = 0.08;

/** The nuisances of one frame: everything that changes it without being dust or water. */
export interface SceneNuisances {
  light: number;
  clouds: number;
  mist: number;
  rain: number;
  vehicle: boolean;
  noise: number;
}

export interface SceneLabels {
  dust: boolean;
  water: boolean;
}

/** Draws nuisances: each present with its own chance, so a frame may have none or several. */
export function sceneNuisances(random: Random): SceneNuisances {
  return {
    light: random() < 0.5 ? 0.3 + 0.7 * random() : 1,
    clouds: random() < 0.35 ? 0.3 + 0.7 * random() : 0,
    mist: random() < 0.25 ? 0.3 + 0.7 * random() : 0,
    rain: random() < 0.25 ? 0.2 + 0.8 * random() : 0,
    vehicle: random() < 0.4,
    noise: 0.005 + 0.025 * random(),
  };
}

/** Names of the nuisances present, for per-nuisance false-positive counts. */
export function nuisanceNames(n: SceneNuisances): string[] {
  const names: string[] = [];
  if (n.light < 0.7) names.push("dusk");
  if (n.clouds > 0) names.push("clouds");
  if (n.mist > 0) names.push("mist");
  if (n.rain > 0) names.push("rain");
  if (n.vehicle) names.push("vehicle");
  if (n.noise > 0.02) names.push("noise");
  return names;
}

export function sceneLabels(truth: SceneTruth): SceneLabels {
  return { dust: truth.dustOpacity >= DUST_LABEL_OPACITY, water: truth.waterFraction >= WATER_LABEL_FRACTION };
}

/** The camera's clean reference: full daylight, no weather, a little noise (a real reference frame has some). */
export function sceneBackground(view: SceneView, width: number, height: number, seed: number): Uint8Array {
  return renderScene({ view, width, height, seed, t: 0, noise: 0.01, frameSeed: seed ^ 0xbac6 }).rgb;
}

export interface SceneClipOptions {
  view: SceneView;
  width: number;
  height: number;
  /** The camera and its episode's nuisances. */
  seed: number;
  kind: SceneEpisodeKind;
  frames: number;
  /** Seconds between frames; default 1. */
  stepSeconds?: number;
}

export interface SceneClipFrame {
  t: number;
  rgb: Uint8Array;
  truth: SceneTruth;
  labels: SceneLabels;
  spec: SceneSpec;
}

export interface SceneClip {
  view: SceneView;
  width: number;
  height: number;
  kind: SceneEpisodeKind;
  nuisances: SceneNuisances;
  background: Uint8Array;
  frames: SceneClipFrame[];
}

/**
 * An episode of one camera: dust builds up over the first 40 % of the clip to a peak drawn from
 * the seed, water is there from the start; labels come from what was drawn (`sceneLabels`), so
 * the first frames of a dust episode are labelled clear.
 */
export function sceneClip(o: SceneClipOptions): SceneClip {
  const random = seededRandom(o.seed ^ 0xc11b);
  const nuisances = sceneNuisances(random);
  const dustPeak = o.kind.startsWith("dust") ? 0.35 + 0.65 * random() : 0;
  const water = o.kind === "water" || o.kind === "dust+water" ? 0.3 + 0.7 * random() : 0;
  const step = o.stepSeconds ?? 1;
  const frames: SceneClipFrame[] = [];
  for (let k = 0; k < o.frames; k++) {
    const t = k * step;
    const dust = dustPeak * Math.min(1, (k + 1) / Math.max(1, o.frames * 0.4));
    const spec: SceneSpec = {
      view: o.view,
      width: o.width,
      height: o.height,
      seed: o.seed,
      t,
      dust,
      water,
      ...nuisances,
    };
    const frame = renderScene(spec);
    frames.push({ t, rgb: frame.rgb, truth: frame.truth, labels: sceneLabels(frame.truth), spec });
  }
  const background = sceneBackground(o.view, o.width, o.height, o.seed);
  return { view: o.view, width: o.width, height: o.height, kind: o.kind, nuisances, background, frames };
}

export interface SceneSampleRequest {
  seed: number;
  count: number;
  width: number;
  height: number;
  kind: SceneEpisodeKind;
  /** Default both, alternating. */
  views?: readonly SceneView[];
  /**
   * Frames as a camera delivers them (see `throughCamera`): rendered at `scale`× the size, JPEG at a
   * quality drawn from `quality`, area-downscaled. The background goes the same way. Default: off.
   */
  camera?: { scale: number; quality: readonly [number, number] };
}

/** One labelled frame with its camera's clean reference: the shape analytics' vision training reads. */
export interface SceneSample {
  view: SceneView;
  width: number;
  height: number;
  rgb: Uint8Array;
  background: Uint8Array;
  dust: boolean;
  water: boolean;
  nuisances: string[];
}

/**
 * `count` independent frames of `kind`, each from a camera of its own (seeds derived from `seed`)
 * with its own nuisances; dust and water intensities are drawn in 0.3..1 where the kind has them.
 */
export function sceneSamples(request: SceneSampleRequest): SceneSample[] {
  const views = request.views ?? ["mine", "road"];
  const out: SceneSample[] = [];
  for (let i = 0; i < request.count; i++) {
    const random = seededRandom((request.seed * 1_000_003 + i * 7_919) >>> 0);
    const view = views[i % views.length] as SceneView;
    const camera = Math.floor(random() * 2 ** 31);
    const nuisances = sceneNuisances(random);
    const dust = request.kind === "dust" || request.kind === "dust+water" ? 0.3 + 0.7 * random() : 0;
    const water = request.kind === "water" || request.kind === "dust+water" ? 0.3 + 0.7 * random() : 0;
    const { width, height } = request;
    const t = 1 + 60 * random();
    const c = request.camera;
    const scale = c?.scale ?? 1;
    const [w, h] = [width * scale, height * scale];
    const frame = renderScene({ view, width: w, height: h, seed: camera, t, dust, water, ...nuisances });
    const labels = sceneLabels(frame.truth);
    const quality = c === undefined ? 0 : Math.round(c.quality[0] + (c.quality[1] - c.quality[0]) * random());
    const through = (rgb: Uint8Array) => (c === undefined ? rgb : throughCamera(rgb, w, h, scale, quality));
    out.push({
      view,
      width,
      height,
      rgb: through(frame.rgb),
      background: through(sceneBackground(view, w, h, camera)),
      ...labels,
      nuisances: nuisanceNames(nuisances),
    });
  }
  return out;
}
