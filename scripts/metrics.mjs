#!/usr/bin/env node
// `npm run metrics -- QUERY [--hours N] [--env NAME] [--config FILE] [--print]`: the small
// dashboard of docs/operating.md "Metrics", run against the Workers Analytics Engine SQL API (wrangler has
// no command for it). The dataset is the one wrangler.toml binds as AUTH_METRICS (in [env.NAME]
// with --env).
//   QUERY    decisions (sign-ins and refusals per hour, by code), refresh-rate (per hour),
//            latency (p50/p95 time in the worker, per route kind), or all
//   --hours  how far back, whole hours (default 24)
//   --print  print the SQL and the equivalent curl command instead of running it
// Needs CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (a token with Account Analytics: Read).
import { pathToFileURL } from "node:url";
import { loadWrangler } from "./lib/wrangler.mjs";

const DEFAULT_API = "https://api.cloudflare.com/client/v4";

/**
 * The dashboard's SQL over `dataset` for the last `hours`. Analytics Engine samples at high
 * volume, so rows are counted with SUM(_sample_interval) and quantiles weighted by it. The
 * columns are the data point's layout (src/app/decision-metrics.ts): blob1 outcome, blob2 route
 * kind, blob3 refreshed, blob4 hashed sub, double1 time in the worker (ms).
 */
export function dashboardQueries(dataset, hours) {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(dataset))
    throw new Error(`dataset ${JSON.stringify(dataset)}: letters, digits and _ only`);
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90)
    throw new Error("--hours: a whole number from 1 to 2160 (Analytics Engine keeps 3 months)");
  const since = `timestamp > NOW() - INTERVAL '${hours}' HOUR`;
  return {
    // Sign-ins are route "callback" with outcome "OK"; every other row is a refusal, by code.
    decisions: `SELECT toStartOfInterval(timestamp, INTERVAL '1' HOUR) AS hour, blob2 AS route, blob1 AS outcome,
  SUM(_sample_interval) AS decisions
FROM ${dataset}
WHERE ${since} AND (blob1 != 'OK' OR blob2 = 'callback')
GROUP BY hour, route, outcome
ORDER BY hour, decisions DESC
FORMAT JSON`,
    // Of the requests that carry a session (the gate, /auth/me, /auth/refresh), how many rotated a refresh token.
    "refresh-rate": `SELECT toStartOfInterval(timestamp, INTERVAL '1' HOUR) AS hour,
  SUM(_sample_interval) AS decisions,
  SUM(if(blob3 = 'yes', _sample_interval, 0)) AS refreshes,
  SUM(if(blob3 = 'yes', _sample_interval, 0)) / SUM(_sample_interval) AS refresh_rate
FROM ${dataset}
WHERE ${since} AND blob2 IN ('gate', 'me', 'refresh')
GROUP BY hour
ORDER BY hour
FORMAT JSON`,
    latency: `SELECT blob2 AS route,
  SUM(_sample_interval) AS decisions,
  quantileExactWeighted(0.5)(double1, _sample_interval) AS p50_ms,
  quantileExactWeighted(0.95)(double1, _sample_interval) AS p95_ms
FROM ${dataset}
WHERE ${since}
GROUP BY route
ORDER BY decisions DESC
FORMAT JSON`,
  };
}

/** The Analytics Engine dataset wrangler.toml binds as AUTH_METRICS (in [env.NAME] with `env`). */
export async function metricsDataset({ configPath = "wrangler.toml", env } = {}) {
  const { unstable_readConfig } = loadWrangler();
  const config = unstable_readConfig({ config: configPath, env });
  const binding = (config.analytics_engine_datasets ?? []).find((dataset) => dataset.binding === "AUTH_METRICS");
  if (!binding)
    throw new Error(`no [[analytics_engine_datasets]] binding AUTH_METRICS${env ? ` in [env.${env}]` : ""}`);
  return binding.dataset ?? binding.binding;
}

function curlFor(api, sql) {
  const quoted = sql.replace(/'/g, "'\\''");
  return `curl -sS "${api}/accounts/$CLOUDFLARE_ACCOUNT_ID/analytics_engine/sql" \\\n  -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" \\\n  --data-binary '${quoted}'`;
}

async function runQuery(api, account, token, sql) {
  const response = await fetch(`${api}/accounts/${encodeURIComponent(account)}/analytics_engine/sql`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}` },
    body: sql,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`the SQL API answered ${response.status}: ${text.slice(0, 300)}`);
  return text;
}

/** `npm run metrics` with these arguments: its exit code; a failure is printed, never thrown. */
export async function main(argv) {
  process.env.WRANGLER_SEND_METRICS = "false";
  try {
    await showDashboard(argv);
    return 0;
  } catch (error) {
    console.error(`metrics: ${error.message}`);
    return 1;
  }
}

async function showDashboard(argv) {
  const option = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const name =
    argv.find((arg, i) => !arg.startsWith("--") && !["--hours", "--env", "--config"].includes(argv[i - 1] ?? "")) ??
    "all";
  const hours = Number(option("--hours") ?? 24);
  const dataset = await metricsDataset({ configPath: option("--config"), env: option("--env") });
  const queries = dashboardQueries(dataset, hours);
  const names = name === "all" ? Object.keys(queries) : [name];
  for (const each of names)
    if (!queries[each])
      throw new Error(`unknown query ${JSON.stringify(each)}: use ${Object.keys(queries).join(", ")} or all`);
  const api = (process.env.CLOUDFLARE_API_BASE_URL || DEFAULT_API).replace(/\/$/, "");
  if (argv.includes("--print")) {
    for (const each of names) console.log(`-- ${each}\n${queries[each]}\n\n${curlFor(api, queries[each])}\n`);
    return;
  }
  const account = process.env.CLOUDFLARE_ACCOUNT_ID;
  const token = process.env.CLOUDFLARE_API_TOKEN;
  if (!account || !token)
    throw new Error(
      "set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (a token with Account Analytics: Read), or use --print",
    );
  for (const each of names) console.log(`-- ${each}\n${await runQuery(api, account, token, queries[each])}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
