/** The dashboard's SQL texts over `dataset` for the last `hours` (scripts/metrics.mjs). */
export function dashboardQueries(
  dataset: string,
  hours: number,
): { decisions: string; "refresh-rate": string; latency: string };
/** The dataset wrangler.toml binds as AUTH_METRICS (in [env.NAME] with `env`). */
export function metricsDataset(options?: { configPath?: string; env?: string }): Promise<string>;
/** `npm run metrics` with `argv` (scripts/metrics.mjs): its exit code. */
export function main(argv: string[]): Promise<number>;
