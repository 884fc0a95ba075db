import { type Random, seededRandom } from "../random.ts";
import { NoiseField } from "./scene-noise.ts";

export type SceneView = "mine" | "road";

/**
 * The static part of one camera's view in full daylight: RGB in 0..1 (planar-free, packed like
 * RGB24), where the road is, the horizon, and the sky's colour per row (what water reflects).
 */
export interface SceneLayout {
  view: SceneView;
  width: number;
  height: number;
  rgb: Float32Array;
  /** 1 on the road surface (inside berms or kerbs), 0 elsewhere; one value per pixel. */
  road: Uint8Array;
  /** Per pixel: the road's depth 0 (horizon) .. 1 (bottom row) where it is road, else 0. */
  depth: Float32Array;
  horizon: number;
  /** Sky colour at each row 0..horizon, 3 values a row; rows below reuse the horizon colour. */
  sky: Float32Array;
  /** Road centre line x at each row and half-width, for vehicles; NaN above the horizon. */
  roadCentre: Float32Array;
  roadHalfWidth: Float32Array;
}

type Rgb = readonly [number, number, number];

/** Lays out the view for `seed`; the same arguments give the same layout. */
export function sceneLayout(view: SceneView, width: number, height: number, seed: number): SceneLayout {
  const random = seededRandom(seed ^ 0x5ce4e);
  const horizon = Math.round(height * (view === "mine" ? 0.2 + 0.12 * random() : 0.36 + 0.08 * random()));
  const layout: SceneLayout = {
    view,
    width,
    height,
    rgb: new Float32Array(width * height * 3),
    road: new Uint8Array(width * height),
    depth: new Float32Array(width * height),
    horizon,
    sky: new Float32Array(height * 3),
    roadCentre: new Float32Array(height).fill(Number.NaN),
    roadHalfWidth: new Float32Array(height).fill(Number.NaN),
  };
  paintSky(layout, random);
  traceRoad(layout, random);
  if (view === "mine") paintPit(layout, random);
  else paintStreet(layout, random);
  return layout;
}

function paintSky(s: SceneLayout, random: Random): void {
  const top: Rgb = [0.3 + 0.1 * random(), 0.5 + 0.1 * random(), 0.82 + 0.1 * random()];
  const low: Rgb = [0.72 + 0.08 * random(), 0.8 + 0.06 * random(), 0.88 + 0.06 * random()];
  for (let y = 0; y < s.height; y++) {
    const f = Math.min(1, y / Math.max(1, s.horizon));
    for (let c = 0; c < 3; c++) s.sky[y * 3 + c] = (top[c] as number) * (1 - f) + (low[c] as number) * f;
  }
  for (let y = 0; y < s.horizon; y++) {
    for (let x = 0; x < s.width; x++) s.rgb.set(s.sky.subarray(y * 3, y * 3 + 3), (y * s.width + x) * 3);
  }
}

/** A road from the bottom of the frame to a vanishing point on the horizon, curving for a haul road. */
function traceRoad(s: SceneLayout, random: Random): void {
  const vanish = s.width * (0.35 + 0.3 * random());
  const base = s.width * (0.4 + 0.2 * random());
  const bend = s.view === "mine" ? (random() - 0.5) * 0.5 * s.width : 0;
  const bottomHalf = s.width * (s.view === "mine" ? 0.22 + 0.1 * random() : 0.4 + 0.1 * random());
  const farHalf = s.width * (s.view === "mine" ? 0.015 : 0.03);
  for (let y = s.horizon; y < s.height; y++) {
    const d = (y - s.horizon) / Math.max(1, s.height - 1 - s.horizon);
    s.roadCentre[y] = vanish + (base - vanish) * d + bend * Math.sin(Math.PI * d);
    s.roadHalfWidth[y] = farHalf + (bottomHalf - farHalf) * d;
    for (let x = 0; x < s.width; x++) {
      if (Math.abs(x + 0.5 - (s.roadCentre[y] as number)) <= (s.roadHalfWidth[y] as number)) {
        s.road[y * s.width + x] = 1;
        s.depth[y * s.width + x] = d;
      }
    }
  }
}

/** Open-pit benches (terraced rock bands of a few palettes) with a haul road and its berms. */
function paintPit(s: SceneLayout, random: Random): void {
  const palette: Rgb[] = [
    [0.6, 0.47, 0.34],
    [0.5, 0.48, 0.45],
    [0.55, 0.37, 0.27],
    [0.66, 0.58, 0.44],
  ];
  const grain = new NoiseField(random, 32, 32);
  const wobble = new NoiseField(random, 8, 1);
  const bench = Math.max(3, s.height * (0.06 + 0.04 * random()));
  const offset = Math.floor(random() * palette.length);
  const roadColour: Rgb = [0.62, 0.57, 0.5];
  for (let y = s.horizon; y < s.height; y++) {
    const centre = s.roadCentre[y] as number;
    const half = s.roadHalfWidth[y] as number;
    const berm = 1 + half * 0.12;
    for (let x = 0; x < s.width; x++) {
      const i = y * s.width + x;
      const h = (y - s.horizon) / bench + 1.5 * wobble.at((x / s.width) * 8, 0);
      const band = Math.floor(h);
      const floor = h - band < 0.25; // the bench floor catches the sun, the face below it does not
      const colour = palette[(band + offset) % palette.length] as Rgb;
      const texture = 0.8 + 0.35 * grain.at((x / s.width) * 32, (y / s.height) * 32) + 0.12 * (random() - 0.5);
      let k = texture * (floor ? 1.15 : 0.88);
      let rgb = colour;
      const off = Math.abs(x + 0.5 - centre);
      if (s.road[i] === 1) {
        rgb = roadColour;
        k = 0.97 + 0.06 * (random() - 0.5) - (Math.abs(off - half * 0.45) < half * 0.06 ? 0.08 : 0);
      } else if (off <= half + berm) {
        rgb = [0.38, 0.33, 0.28];
        k = 0.9 + 0.2 * random();
      }
      for (let c = 0; c < 3; c++) s.rgb[i * 3 + c] = Math.min(1, (rgb[c] as number) * k);
    }
  }
}

/** An urban street: buildings with windows on the horizon, pavements, kerbs, lanes with dashed lines. */
function paintStreet(s: SceneLayout, random: Random): void {
  paintBuildings(s, random);
  const lanes = 2 + Math.floor(random() * 2);
  const asphalt: Rgb = [0.3 + 0.04 * random(), 0.3 + 0.04 * random(), 0.32 + 0.04 * random()];
  const dashPhase = random();
  for (let y = s.horizon; y < s.height; y++) {
    const centre = s.roadCentre[y] as number;
    const half = s.roadHalfWidth[y] as number;
    const d = s.depth[y * s.width + Math.round(centre)] || (y - s.horizon) / Math.max(1, s.height - 1 - s.horizon);
    const kerb = 0.6 + half * 0.05;
    const line = Math.max(0.5, half * 0.03);
    // Dashes repeat evenly in ground distance, which is proportional to 1 / depth in the image.
    const dashOn = ((1 / Math.max(d, 0.02)) * 0.9 + dashPhase) % 1 < 0.5;
    for (let x = 0; x < s.width; x++) {
      const i = y * s.width + x;
      const off = x + 0.5 - centre;
      let rgb: Rgb;
      let k = 1;
      if (s.road[i] === 1) {
        rgb = asphalt;
        k = 0.92 + 0.16 * random();
        const lanePos = ((off / half + 1) / 2) * lanes;
        const nearLine = Math.abs(lanePos - Math.round(lanePos)) * ((2 * half) / lanes) < line;
        const inner = Math.round(lanePos) > 0 && Math.round(lanePos) < lanes;
        if (nearLine && inner && dashOn) rgb = [0.86, 0.86, 0.82];
      } else if (Math.abs(off) <= half + kerb) {
        rgb = [0.78, 0.78, 0.75];
      } else {
        rgb = [0.62, 0.6, 0.57];
        k = 0.94 + 0.12 * random() - (Math.floor((x + y * 0.3) / 6) % 2 === 0 ? 0.04 : 0);
      }
      for (let c = 0; c < 3; c++) s.rgb[i * 3 + c] = Math.min(1, (rgb[c] as number) * k);
    }
  }
}

function paintBuildings(s: SceneLayout, random: Random): void {
  const colours: Rgb[] = [
    [0.7, 0.66, 0.58],
    [0.55, 0.34, 0.28],
    [0.6, 0.62, 0.64],
    [0.82, 0.78, 0.7],
  ];
  let x0 = 0;
  while (x0 < s.width) {
    const w = Math.max(4, Math.round(s.width * (0.08 + 0.12 * random())));
    const top = Math.max(0, Math.round(s.horizon - s.height * (0.08 + 0.25 * random())));
    const colour = colours[Math.floor(random() * colours.length)] as Rgb;
    const pitch = Math.max(3, Math.round(s.width / 40));
    for (let y = top; y < s.horizon; y++) {
      for (let x = x0; x < Math.min(s.width, x0 + w); x++) {
        const window = (x - x0) % pitch >= 1 && (y - top) % pitch >= 1 && x - x0 < w - 1 && y - top > 0;
        const k = window ? 0.45 : 1;
        for (let c = 0; c < 3; c++) s.rgb[(y * s.width + x) * 3 + c] = (colour[c] as number) * k;
      }
    }
    x0 += w;
  }
}
