import { describe, expect, it } from "vitest";
import { clockStartMs } from "../../support/clock-start";

/** TEST_CLOCK_START as vitest.config.ts reads it: the moment every workerd test starts its clock at. */
const NOW = Date.UTC(2026, 11, 7, 15, 4, 5, 678);

describe("TEST_CLOCK_START", () => {
  it("is off when unset or empty", () => {
    expect(clockStartMs(undefined, NOW)).toBeNull();
    expect(clockStartMs("", NOW)).toBeNull();
    expect(clockStartMs("  ", NOW)).toBeNull();
  });

  it("takes a UTC time of day as today's, to the millisecond", () => {
    expect(clockStartMs("23:59", NOW)).toBe(Date.UTC(2026, 11, 7, 23, 59));
    expect(clockStartMs("23:59:40", NOW)).toBe(Date.UTC(2026, 11, 7, 23, 59, 40));
    expect(clockStartMs("00:00:09.999", NOW)).toBe(Date.UTC(2026, 11, 7, 0, 0, 9, 999));
    expect(clockStartMs("12:00:00.5", NOW)).toBe(Date.UTC(2026, 11, 7, 12, 0, 0, 500));
  });

  it("takes an ISO 8601 time with its offset as that moment", () => {
    expect(clockStartMs("2041-06-09T23:59:30.500Z", NOW)).toBe(Date.UTC(2041, 5, 9, 23, 59, 30, 500));
    expect(clockStartMs("2041-06-10T01:59:30+02:00", NOW)).toBe(Date.UTC(2041, 5, 9, 23, 59, 30));
  });

  it("refuses anything else, saying what it takes, rather than run on the real clock unnoticed", () => {
    for (const setting of ["24:00", "9:00", "23:60", "midnight", "2041-06-09T23:59:30", "1765152000000"])
      expect(() => clockStartMs(setting, NOW), setting).toThrow(
        `TEST_CLOCK_START: "${setting}" is neither a UTC time of day (HH:MM, HH:MM:SS or HH:MM:SS.mmm) nor an ISO 8601 time with its offset`,
      );
  });
});
