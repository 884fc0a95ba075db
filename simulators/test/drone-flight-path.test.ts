import { describe, expect, it } from "vitest";
import { EARTH_RADIUS_M, FlightPath, offsetMetres } from "../src/drone/flight-path.ts";

const DEG = 180 / Math.PI;
/** Degrees of latitude in `m` metres, on the sphere the simulator uses. */
const latDeg = (m: number) => (m / EARTH_RADIUS_M) * DEG;

describe("FlightPath", () => {
  const start = { lat: 22.5, lon: 114, alt: 100 };
  const north = { lat: 22.5 + latDeg(1000), lon: 114, alt: 100 };

  it("flies a straight leg at its speed, heading and velocity along the leg", () => {
    const path = new FlightPath([start, north], 10);
    expect(path.lengthM).toBeCloseTo(1000, 9);
    const s = path.at(20_000);
    expect(s.distanceM).toBe(200);
    expect(s.lat).toBeCloseTo(22.5 + latDeg(200), 12);
    expect(s.lon).toBe(114);
    expect(s.alt).toBe(100);
    expect(s.headingDeg).toBe(0);
    expect(s.vNorth).toBeCloseTo(10, 12);
    expect(s.vEast).toBe(0);
    expect(s.vDown).toBe(0);
    expect(s.arrived).toBe(false);
  });

  it("turns onto the next leg, climbing, and hovers at the last waypoint", () => {
    const east = offsetMetres(north, { lat: north.lat, lon: 114.01, alt: 100 }).east;
    const end = { lat: north.lat, lon: 114.01, alt: 100 };
    const climb = { ...end, alt: 130 };
    const path = new FlightPath([start, north, end, climb], 10);
    expect(path.lengthM).toBeCloseTo(1000 + east + 30, 6);
    const onEastLeg = path.at(((1000 + east / 2) / 10) * 1000);
    expect(onEastLeg.headingDeg).toBe(90);
    expect(onEastLeg.lon).toBeCloseTo(114.005, 9);
    expect(onEastLeg.vEast).toBeCloseTo(10, 9);
    const climbing = path.at(((1000 + east + 15) / 10) * 1000);
    expect(climbing.alt).toBeCloseTo(115, 9);
    expect(climbing.vDown).toBeCloseTo(-10, 9);
    const hovering = path.at(3_600_000);
    expect(hovering).toEqual({
      ...climb,
      vNorth: 0,
      vEast: 0,
      vDown: 0,
      headingDeg: 0,
      distanceM: path.lengthM,
      arrived: true,
    });
  });

  it("hovers at a single waypoint and rejects an empty path or a stopped drone", () => {
    expect(new FlightPath([start], 5).at(10_000)).toEqual({
      ...start,
      vNorth: 0,
      vEast: 0,
      vDown: 0,
      headingDeg: 0,
      distanceM: 0,
      arrived: true,
    });
    expect(() => new FlightPath([], 5)).toThrow("a flight path needs at least one waypoint");
    expect(() => new FlightPath([start, north], 0)).toThrow("speedMps must be positive, got 0");
  });
});
