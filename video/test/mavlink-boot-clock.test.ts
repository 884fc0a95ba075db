import { describe, expect, it } from "vitest";
import { BootClock } from "../src/mavlink/boot-clock.ts";

const T0 = Date.UTC(2026, 6, 1, 2, 0, 0);

describe("BootClock", () => {
  it("keeps the least-delayed boot estimate, so a late packet keeps its source time", () => {
    const clock = new BootClock();
    // First packet 40 ms in transit: the estimate is 40 ms late until a faster packet arrives.
    expect(clock.toEpoch(1000, T0 + 1040)).toBe(T0 + 1040);
    expect(clock.toEpoch(1200, T0 + 1205)).toBe(T0 + 1205);
    expect(clock.bootAt).toBe(T0 + 5);
    // Held up 900 ms in a queue: still stamped when the autopilot measured it.
    expect(clock.toEpoch(1400, T0 + 2300)).toBe(T0 + 1405);
    // Reordering by less than the reboot threshold is not a reboot.
    expect(clock.toEpoch(1300, T0 + 2310)).toBe(T0 + 1305);
  });

  it("starts over when time_boot_ms jumps back (the autopilot rebooted)", () => {
    const clock = new BootClock();
    expect(clock.toEpoch(600_000, T0 + 600_000)).toBe(T0 + 600_000);
    expect(clock.toEpoch(2000, T0 + 650_000)).toBe(T0 + 650_000);
    expect(clock.bootAt).toBe(T0 + 648_000);
  });
});
