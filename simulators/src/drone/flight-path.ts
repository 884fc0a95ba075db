/** A point of a flight path: degrees WGS 84, metres above mean sea level. */
export interface Waypoint {
  readonly lat: number;
  readonly lon: number;
  readonly alt: number;
}

/** Where the drone is and how it moves, `elapsedMs` into the flight. */
export interface FlightState extends Waypoint {
  /** Velocity in m/s, north-east-down as GLOBAL_POSITION_INT has it. */
  readonly vNorth: number;
  readonly vEast: number;
  readonly vDown: number;
  /** Degrees clockwise from north, [0, 360); the last leg's heading once arrived. */
  readonly headingDeg: number;
  /** Metres flown along the path (3-D). */
  readonly distanceM: number;
  /** True once the last waypoint is reached: the drone hovers there. */
  readonly arrived: boolean;
}

/** Mean Earth radius (IUGG), the radius the equirectangular projection below uses. */
export const EARTH_RADIUS_M = 6_371_008.8;

interface Leg {
  readonly from: Waypoint;
  readonly to: Waypoint;
  readonly startM: number;
  readonly north: number;
  readonly east: number;
  readonly up: number;
  readonly lengthM: number;
}

/**
 * A waypoint path flown at constant speed. Each leg is straight in an equirectangular projection
 * around its mean latitude: exact enough for legs of a few kilometres, and simple enough that tests
 * can compute expected positions by hand.
 */
export class FlightPath {
  readonly #legs: Leg[] = [];
  readonly #start: Waypoint;
  readonly lengthM: number;

  constructor(
    path: readonly Waypoint[],
    readonly speedMps: number,
  ) {
    const first = path[0];
    if (first === undefined) throw new RangeError("a flight path needs at least one waypoint");
    if (!(speedMps > 0)) throw new RangeError(`speedMps must be positive, got ${speedMps}`);
    this.#start = first;
    let startM = 0;
    for (let i = 1; i < path.length; i++) {
      const from = path[i - 1] as Waypoint;
      const to = path[i] as Waypoint;
      const { north, east } = offsetMetres(from, to);
      const up = to.alt - from.alt;
      const lengthM = Math.hypot(north, east, up);
      if (lengthM === 0) continue;
      this.#legs.push({ from, to, startM, north, east, up, lengthM });
      startM += lengthM;
    }
    this.lengthM = startM;
  }

  at(elapsedMs: number): FlightState {
    const distanceM = Math.min(Math.max(0, (elapsedMs / 1000) * this.speedMps), this.lengthM);
    const leg = this.#legs.find((l) => distanceM < l.startM + l.lengthM) ?? this.#legs[this.#legs.length - 1];
    if (leg === undefined) {
      return { ...this.#start, vNorth: 0, vEast: 0, vDown: 0, headingDeg: 0, distanceM: 0, arrived: true };
    }
    const arrived = distanceM >= this.lengthM;
    const f = (distanceM - leg.startM) / leg.lengthM;
    const speed = arrived ? 0 : this.speedMps / leg.lengthM;
    return {
      lat: leg.from.lat + f * (leg.to.lat - leg.from.lat),
      lon: leg.from.lon + f * (leg.to.lon - leg.from.lon),
      alt: leg.from.alt + f * leg.up,
      vNorth: speed * leg.north,
      vEast: speed * leg.east,
      vDown: speed * leg.up === 0 ? 0 : -speed * leg.up,
      headingDeg: headingOf(leg),
      distanceM,
      arrived,
    };
  }
}

/** North and east metres from `a` to `b`, equirectangular around their mean latitude. */
export function offsetMetres(a: Waypoint, b: Waypoint): { north: number; east: number } {
  const rad = Math.PI / 180;
  const meanLat = ((a.lat + b.lat) / 2) * rad;
  return {
    north: (b.lat - a.lat) * rad * EARTH_RADIUS_M,
    east: (b.lon - a.lon) * rad * EARTH_RADIUS_M * Math.cos(meanLat),
  };
}

function headingOf(leg: Leg): number {
  if (leg.north === 0 && leg.east === 0) return 0;
  const deg = (Math.atan2(leg.east, leg.north) * 180) / Math.PI;
  return (deg + 360) % 360;
}
