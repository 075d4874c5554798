/** Durations as people read and write them: "15 minutes", "30 days", "30d". */

/** The units, largest last; `short` matches what people append to a number ("15m", "30d", "1 hour"). */
export const DURATION_UNITS: readonly { word: string; seconds: number; short: RegExp }[] = [
  { word: "second", seconds: 1, short: /^(s|secs?|seconds?)$/ },
  { word: "minute", seconds: 60, short: /^(m|mins?|minutes?)$/ },
  { word: "hour", seconds: 3_600, short: /^(h|hrs?|hours?)$/ },
  { word: "day", seconds: 86_400, short: /^(d|days?)$/ },
  { word: "week", seconds: 604_800, short: /^(w|weeks?)$/ },
];

/** Whole seconds in the largest unit that divides them: 900 is "15 minutes", 2592000 "30 days", 90 "90 seconds". */
export function durationInWords(totalSeconds: number): string {
  const unit = [...DURATION_UNITS].reverse().find((candidate) => totalSeconds % candidate.seconds === 0);
  const { word, seconds } = unit ?? DURATION_UNITS[0]!;
  const count = totalSeconds / seconds;
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
