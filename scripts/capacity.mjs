#!/usr/bin/env node
// How many people a day each Cloudflare plan carries, from the session-store operations the
// bench counted per flow (bench/store-ops.json, written by `npm run bench` or
// `node bench/store-ops.mjs`) and the configured lifetimes. `npm run check` prints the line for
// the environment it checks; `node scripts/capacity.mjs` prints the whole table (docs/capacity.md).
import { readFileSync } from "node:fs";

export const STORE_OPS_FILE = new URL("../bench/store-ops.json", import.meta.url);

/**
 * The platform's numbers, each from Cloudflare's documentation (read 2026-12):
 * @see https://developers.cloudflare.com/workers/platform/limits/ (Free: 100,000 requests a day)
 * @see https://developers.cloudflare.com/workers/platform/pricing/ (Paid: 10 million a month, then $0.30 a million)
 * @see https://developers.cloudflare.com/kv/platform/limits/ (Free: 100,000 reads, 1,000 writes a day)
 * @see https://developers.cloudflare.com/kv/platform/pricing/ (Free: 1,000 deletes, 1,000 lists a day;
 *   Paid: 10 million reads, then $0.50 a million; 1 million writes, deletes, lists, each then $5.00 a million)
 * @see https://developers.cloudflare.com/durable-objects/platform/pricing/ (Free: 100,000 requests a day;
 *   Paid: 1 million a month, then $0.15 a million; an RPC call is one request)
 * Free limits reset at 00:00 UTC; past one, that kind of operation fails until then.
 */
export const PLANS = {
  free: {
    perDay: {
      workerRequests: 100_000,
      kvReads: 100_000,
      kvWrites: 1_000,
      kvDeletes: 1_000,
      kvLists: 1_000,
      doRequests: 100_000,
    },
  },
  paid: {
    baseUsdPerMonth: 5,
    includedPerMonth: {
      workerRequests: 10_000_000,
      kvReads: 10_000_000,
      kvWrites: 1_000_000,
      kvDeletes: 1_000_000,
      kvLists: 1_000_000,
      doRequests: 1_000_000,
    },
    usdPerMillion: { workerRequests: 0.3, kvReads: 0.5, kvWrites: 5, kvDeletes: 5, kvLists: 5, doRequests: 0.15 },
  },
};

/**
 * What an active person's day is assumed to be (change them here; docs/capacity.md says why):
 * hours with the app open, and requests through the worker in each of those hours.
 */
export const ACTIVE_HOURS_PER_DAY = 8;
export const REQUESTS_PER_ACTIVE_HOUR = 120;
const DAYS_PER_MONTH = 30;
const KINDS = ["workerRequests", "kvReads", "kvWrites", "kvDeletes", "kvLists", "doRequests"];
const LIMIT_NAMES = {
  workerRequests: "Worker requests",
  kvReads: "KV reads",
  kvWrites: "KV writes",
  kvDeletes: "KV deletes",
  kvLists: "KV lists",
  doRequests: "Durable Object requests",
};

export function readStoreOps(file = STORE_OPS_FILE) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The settings capacity depends on, from Worker bindings (strings) with the worker's defaults. */
export function settingsFrom(bindings = {}) {
  const number = (value, fallback) => (/^\d+$/.test(String(value ?? "").trim()) ? Number(value) : fallback);
  return {
    store: bindings.SESSION_STORE === "durable-object" ? "durable-object" : "kv",
    accessTokenTtlSeconds: number(bindings.ACCESS_TOKEN_TTL, 900),
    refreshTokenTtlSeconds: number(bindings.REFRESH_TOKEN_TTL, 2_592_000),
    revocationCheck: bindings.REVOCATION_CHECK === "true",
  };
}

/**
 * One active person's day, in operations of each kind: a refresh every access-token lifetime
 * while active, a sign-in every session lifetime (at least one a day when sessions are shorter
 * than a day), and every other request a plain one (or a revocation check).
 */
export function usagePerPersonDay(ops, { store, accessTokenTtlSeconds, refreshTokenTtlSeconds, revocationCheck }) {
  const flows = ops.flows[store];
  const activeSeconds = ACTIVE_HOURS_PER_DAY * 3600;
  const refreshes = activeSeconds / accessTokenTtlSeconds;
  const signIns =
    refreshTokenTtlSeconds >= 86_400
      ? 86_400 / refreshTokenTtlSeconds
      : Math.max(1, activeSeconds / refreshTokenTtlSeconds);
  const requests = Math.max(ACTIVE_HOURS_PER_DAY * REQUESTS_PER_ACTIVE_HOUR, refreshes);
  const plain = revocationCheck ? flows.requestWithRevocationCheck : flows.request;
  const usage = { workerRequests: requests + 2 * signIns }; // A sign-in is two requests: login, callback.
  for (const kind of KINDS.slice(1))
    usage[kind] = refreshes * flows.refresh[kind] + signIns * flows.signIn[kind] + (requests - refreshes) * plain[kind];
  return { refreshes, signIns, requests, usage };
}

/** People a day the Free plan carries, and the limit reached first. */
export function freeCapacity(usage) {
  const fits = KINDS.filter((kind) => usage[kind] > 0).map((kind) => ({
    kind,
    people: PLANS.free.perDay[kind] / usage[kind],
  }));
  const first = fits.reduce((low, fit) => (fit.people < low.people ? fit : low));
  return {
    people: Math.floor(first.people),
    limit: first.kind,
    limitPerDay: PLANS.free.perDay[first.kind],
    perPerson: usage[first.kind],
  };
}

/** Paid: people a day within the included amounts, and the month's cost of 1,000 more every day. */
export function paidCapacity(usage) {
  const fits = KINDS.filter((kind) => usage[kind] > 0).map((kind) => ({
    kind,
    people: PLANS.paid.includedPerMonth[kind] / DAYS_PER_MONTH / usage[kind],
  }));
  const first = fits.reduce((low, fit) => (fit.people < low.people ? fit : low));
  const usdPerThousandPeople = KINDS.reduce(
    (sum, kind) => sum + ((usage[kind] * 1000 * DAYS_PER_MONTH) / 1e6) * PLANS.paid.usdPerMillion[kind],
    0,
  );
  return { includedPeople: Math.floor(first.people), limit: first.kind, usdPerThousandPeople };
}

const count = (n) => Math.round(n).toLocaleString("en-US");
const usd = (n) => `$${n.toFixed(2)}`;

/** The line `npm run check` prints for an environment's bindings. */
export function capacityLine(bindings, ops = readStoreOps()) {
  const settings = settingsFrom(bindings);
  const { usage } = usagePerPersonDay(ops, settings);
  const free = freeCapacity(usage),
    paid = paidCapacity(usage);
  return (
    `capacity (SESSION_STORE=${settings.store}, ACCESS_TOKEN_TTL=${settings.accessTokenTtlSeconds}, REFRESH_TOKEN_TTL=${settings.refreshTokenTtlSeconds}` +
    `${settings.revocationCheck ? ", REVOCATION_CHECK" : ""}; ${ACTIVE_HOURS_PER_DAY} active hours of ${REQUESTS_PER_ACTIVE_HOUR} requests a person): ` +
    `Workers Free about ${count(free.people)} people a day (${LIMIT_NAMES[free.limit]}: ${count(free.limitPerDay)} a day, ${free.perPerson.toFixed(1)} a person); ` +
    `Workers Paid about ${count(paid.includedPeople)} a day within the included amounts (${LIMIT_NAMES[paid.limit]} first), ` +
    `then ${usd(paid.usdPerThousandPeople)} a month per 1,000 more (docs/capacity.md)`
  );
}

/** The table of docs/capacity.md: both stores, with and without REVOCATION_CHECK, at `bindings`' lifetimes. */
export function capacityLines(bindings = {}, ops = readStoreOps()) {
  const lines = [
    "| store | REVOCATION_CHECK | per person a day | Free: people a day (first limit) | Paid: people a day included | Paid: per 1,000 more a month |",
    "|---|---|---|---|---|---|",
  ];
  for (const store of ["kv", "durable-object"]) {
    for (const revocationCheck of [false, true]) {
      const settings = { ...settingsFrom(bindings), store, revocationCheck };
      const { usage } = usagePerPersonDay(ops, settings);
      const free = freeCapacity(usage),
        paid = paidCapacity(usage);
      const per = KINDS.filter((kind) => usage[kind] > 0)
        .map((kind) => `${usage[kind].toFixed(1)} ${LIMIT_NAMES[kind]}`)
        .join(", ");
      lines.push(
        `| ${store} | ${revocationCheck ? "on" : "off"} | ${per} | ${count(free.people)} (${LIMIT_NAMES[free.limit]}) | ${count(paid.includedPeople)} (${LIMIT_NAMES[paid.limit]}) | ${usd(paid.usdPerThousandPeople)} |`,
      );
    }
  }
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(capacityLines(process.env).join("\n"));
}
