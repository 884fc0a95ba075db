import { describe, expect, it } from "vitest";
import type { PositionFix } from "../src/mavlink/drone-telemetry.ts";
import { PositionTrack } from "../src/mavlink/position-track.ts";

const T0 = Date.UTC(2026, 6, 1, 2, 0, 0);
// Binary-exact coordinates, so that interpolated values can be compared exactly.
const fix = (dt: number, lat: number, lon: number, alt: number): PositionFix => ({
  ts: T0 + dt,
  lat,
  lon,
  alt,
  relAlt: alt - 100,
  groundSpeedMps: 0,
});

describe("PositionTrack", () => {
  it("interpolates linearly between the two fixes around a capture time", () => {
    const track = new PositionTrack({ maxGapMs: 1000 });
    track.add(1, fix(0, 22.5, 114, 100));
    track.add(1, fix(200, 22.75, 114.5, 104));
    expect(track.at(1, T0)).toEqual({ lat: 22.5, lon: 114, alt: 100 });
    expect(track.at(1, T0 + 50)).toEqual({ lat: 22.5625, lon: 114.125, alt: 101 });
    expect(track.at(1, T0 + 150)).toEqual({ lat: 22.6875, lon: 114.375, alt: 103 });
    expect(track.at(1, T0 + 200)).toEqual({ lat: 22.75, lon: 114.5, alt: 104 });
  });

  it("extrapolates at most maxGapMs beyond the track, then refuses", () => {
    const track = new PositionTrack({ maxGapMs: 1000 });
    track.add(1, fix(0, 22.5, 114, 100));
    track.add(1, fix(200, 22.75, 114.5, 104));
    expect(track.at(1, T0 + 400)).toEqual({ lat: 23, lon: 115, alt: 108 });
    expect(track.at(1, T0 + 1200)).toEqual({ lat: 24, lon: 117, alt: 124 });
    expect(track.at(1, T0 + 1201)).toBeUndefined();
    expect(track.at(1, T0 - 200)).toEqual({ lat: 22.25, lon: 113.5, alt: 96 });
    expect(track.at(1, T0 - 1001)).toBeUndefined();
    expect(track.at(2, T0)).toBeUndefined();
  });

  it("does not interpolate across a link drop longer than maxGapMs", () => {
    const track = new PositionTrack({ maxGapMs: 1000 });
    track.add(1, fix(0, 22.5, 114, 100));
    track.add(1, fix(500, 22.75, 114, 100));
    track.add(1, fix(10_000, 30, 120, 200));
    // Near the fix before the drop: along the last leg before it.
    expect(track.at(1, T0 + 1000)).toEqual({ lat: 23, lon: 114, alt: 100 });
    // In the middle of the drop: nothing.
    expect(track.at(1, T0 + 5000)).toBeUndefined();
    // Just before the first fix after the drop, which has no neighbour close enough: that fix held.
    expect(track.at(1, T0 + 9500)).toEqual({ lat: 30, lon: 120, alt: 200 });
  });

  it("sorts out-of-order fixes, replaces a repeated time, and forgets fixes past the window", () => {
    const track = new PositionTrack({ windowMs: 1000, maxGapMs: 1000 });
    track.add(1, fix(400, 22.75, 114, 100));
    track.add(1, fix(0, 22.5, 114, 100));
    track.add(1, fix(200, 22.5, 114, 100));
    track.add(1, fix(200, 22.625, 114, 100));
    expect(track.fixes(1).map((f) => [f.ts - T0, f.lat])).toEqual([
      [0, 22.5],
      [200, 22.625],
      [400, 22.75],
    ]);
    track.add(1, fix(1300, 23, 114, 100));
    expect(track.fixes(1).map((f) => f.ts - T0)).toEqual([400, 1300]);
    track.clear(1);
    expect(track.fixes(1)).toEqual([]);
  });

  it("interpolates across the antimeridian the short way", () => {
    const track = new PositionTrack();
    track.add(1, fix(0, -17, 179.75, 100));
    track.add(1, fix(1000, -17, -179.75, 100));
    expect(track.at(1, T0 + 250)).toEqual({ lat: -17, lon: 179.875, alt: 100 });
    expect(track.at(1, T0 + 750)).toEqual({ lat: -17, lon: -179.875, alt: 100 });
  });

  it("keeps drones apart", () => {
    const track = new PositionTrack();
    track.add(1, fix(0, 22.5, 114, 100));
    track.add(2, fix(0, -33.875, 151.25, 50));
    expect(track.at(1, T0)).toEqual({ lat: 22.5, lon: 114, alt: 100 });
    expect(track.at(2, T0)).toEqual({ lat: -33.875, lon: 151.25, alt: 50 });
  });
});
