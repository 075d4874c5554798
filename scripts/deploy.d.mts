/** The commands `npm run deploy` runs for `argv`, or why it refuses (scripts/deploy.mjs). */
export function deployPlan(
  argv: string[],
  environments: string[],
  outdir?: string,
): { steps: [string, string[]][]; error?: undefined } | { error: string; steps?: undefined };
