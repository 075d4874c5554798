/** The commands `npm run deploy` runs for `argv`, or why it refuses (scripts/deploy.mjs). */
export function deployPlan(
  argv: string[],
  environments: string[],
  outdir?: string,
): { steps: [string, string[]][]; error?: undefined } | { error: string; steps?: undefined };
/** `npm run deploy` with `argv` (scripts/deploy.mjs): its exit code. The streams default to the process's. */
export function main(
  argv: string[],
  io?: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream },
): Promise<number>;
