/**
 * TEST_CLOCK_START: the moment every test of the workerd project starts its clock at, for finding
 * tests whose result depends on the time of day they run at (CONTRIBUTING.md, "Tests and the time
 * of day"). Read by vitest.config.ts, applied by test/support/workerd/clock-start.ts.
 *
 * Either a UTC time of day, `HH:MM`, `HH:MM:SS` or `HH:MM:SS.mmm` (today's date, by the real
 * clock), or a full ISO 8601 time with its offset (`2026-12-07T23:59:40Z`). Unset or empty: null,
 * every test runs on the real clock.
 */
declare module "vitest" {
  export interface ProvidedContext {
    /** TEST_CLOCK_START as ms since epoch, or null to run on the real clock. */
    clockStartMs: number | null;
  }
}

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.(\d{1,3}))?)?$/;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/** The start, ms since epoch, or null without one; `nowMs` decides what "today" is. Throws on anything else. */
export function clockStartMs(setting: string | undefined, nowMs = Date.now()): number | null {
  if (setting === undefined || setting.trim() === "") return null;
  const text = setting.trim();
  const time = TIME_OF_DAY.exec(text);
  if (time) {
    const [, hours, minutes, seconds = "0", ms = "0"] = time;
    const sinceMidnightMs =
      ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + Number(ms.padEnd(3, "0"));
    return Math.floor(nowMs / DAY_MS) * DAY_MS + sinceMidnightMs;
  }
  const parsed = ISO_WITH_OFFSET.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(parsed))
    throw new Error(
      `TEST_CLOCK_START: "${text}" is neither a UTC time of day (HH:MM, HH:MM:SS or HH:MM:SS.mmm) nor an ISO 8601 time with its offset (2026-12-07T23:59:40Z)`,
    );
  return parsed;
}
