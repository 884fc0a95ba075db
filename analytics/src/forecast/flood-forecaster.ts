import type { ExceedanceForecasterDefinition } from "./exceedance-forecaster.ts";
import type { WindowFeature, WindowStat } from "./window-features.ts";

const WINDOW = 121;
const level = (rows: number, skip = 0): WindowStat => ({ input: "water_level", reduce: "mean", rows, skip });
const total = (skip: number): WindowStat => ({ input: "rainfall_total", reduce: "mean", rows: 1, skip });
/** Rain of the last `minutes`: the gauge's running total now less its value then. */
const rainOver = (minutes: number): WindowFeature => ({
  name: `rain_${minutes}`,
  kind: "difference",
  stat: total(0),
  minus: total(minutes),
});

/**
 * Will the water level be above the warning level within the next 30 minutes? One row a minute over
 * the last two hours: the level and how fast it rises, and the rain of the last 10 minutes to 2 hours
 * that is still on its way through the catchment. The inputs are metrics the SL 651 adapter emits
 * (element 39 water_level, element 26 rainfall_total, the gauge's running total).
 */
export const floodForecasterDefinition: ExceedanceForecasterDefinition = {
  name: "flood-level-30min",
  description: "P(water level above the warning level within 30 min) from the last two hours of rain and level",
  inputs: ["rainfall_total", "water_level"],
  window: WINDOW,
  stepMs: 60_000,
  horizonMs: 1_800_000,
  features: [
    { name: "level_mean_3", kind: "stat", stat: level(3) },
    { name: "level_change_10", kind: "difference", stat: level(3), minus: level(3, 10) },
    { name: "level_change_30", kind: "difference", stat: level(3), minus: level(3, 30) },
    rainOver(10),
    rainOver(30),
    rainOver(60),
    rainOver(WINDOW - 1),
  ],
};
