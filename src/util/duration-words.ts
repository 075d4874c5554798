/** Durations as people read them: "15 minutes", "30 days". */

/** The units, largest last. */
export const DURATION_UNITS: readonly { word: string; seconds: number }[] = [
  { word: "second", seconds: 1 },
  { word: "minute", seconds: 60 },
  { word: "hour", seconds: 3_600 },
  { word: "day", seconds: 86_400 },
  { word: "week", seconds: 604_800 },
];

/** Whole seconds in the largest unit that divides them: 900 is "15 minutes", 2592000 "30 days", 90 "90 seconds". */
export function durationInWords(totalSeconds: number): string {
  const unit = [...DURATION_UNITS].reverse().find((candidate) => totalSeconds % candidate.seconds === 0);
  const { word, seconds } = unit ?? DURATION_UNITS[0]!;
  const count = totalSeconds / seconds;
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}
