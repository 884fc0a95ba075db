import type { ExceedanceForecasterDefinition } from "./exceedance-forecaster.ts";
import type { WindowStat } from "./window-features.ts";

const pm10 = (rows: number, skip = 0, reduce: WindowStat["reduce"] = "mean"): WindowStat => ({
  input: "pm10",
  reduce,
  rows,
  skip,
});

/**
 * Will the trailing 1-hour average PM10 be above the site limit within the next 60 minutes? One row
 * a minute; the window is the last hour, so its mean is the 1-hour average itself. The oldest half
 * hour leaves the average first and the newest minutes say where it is heading.
 */
export const dustForecasterDefinition: ExceedanceForecasterDefinition = {
  name: "dust-pm10-1h-60min",
  description: "P(1-hour average PM10 above the site limit within 60 min) from the last hour of PM10, TSP and wind",
  inputs: ["pm10", "tsp", "wind_speed"],
  window: 60,
  stepMs: 60_000,
  horizonMs: 3_600_000,
  features: [
    { name: "pm10_mean_60", kind: "stat", stat: pm10(60) },
    { name: "pm10_mean_oldest_30", kind: "stat", stat: pm10(30, 30) },
    { name: "pm10_mean_10", kind: "stat", stat: pm10(10) },
    { name: "pm10_mean_3", kind: "stat", stat: pm10(3) },
    { name: "pm10_max_10", kind: "stat", stat: pm10(10, 0, "max") },
    { name: "pm10_change_10", kind: "difference", stat: pm10(5), minus: pm10(5, 10) },
    { name: "tsp_mean_10", kind: "stat", stat: { input: "tsp", reduce: "mean", rows: 10 } },
    { name: "wind_speed_mean_15", kind: "stat", stat: { input: "wind_speed", reduce: "mean", rows: 15 } },
  ],
};
