#!/usr/bin/env node
// `npm run google -- risc register|verify|status`: manages the worker's RISC stream with Google's
// RISC API (Cross-Account Protection), authenticated as a service account of the OAuth client's
// Google Cloud project (a JWT it signs, as Google's RISC documentation describes).
//
//   npm run google -- risc register --url https://app.example.com/auth/risc --credentials key.json
//   npm run google -- risc verify   --credentials key.json [--state TEXT]
//   npm run google -- risc status   --credentials key.json
//
// --issuer ISSUER   the provider (default https://accounts.google.com): its
//                   /.well-known/risc-configuration names the endpoints
// --dry-run         print the request instead of sending it (no network at all; Google's endpoints)
// Every request is printed first, with the bearer token left out.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { importPKCS8, SignJWT } from "jose";

export const RISC_API_AUDIENCE = "https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService";
const GOOGLE_ISSUER = "https://accounts.google.com";
/** Google's endpoints, as its risc-configuration lists them (used by --dry-run, which fetches nothing). */
const GOOGLE_ENDPOINTS = {
  configuration_endpoint: "https://risc.googleapis.com/v1beta/stream",
  status_endpoint: "https://risc.googleapis.com/v1beta/stream/status",
  verification_endpoint: "https://risc.googleapis.com/v1beta/stream:verify",
};
const PUSH = "https://schemas.openid.net/secevent/risc/delivery-method/push";
/** What the worker acts on (docs/operating.md, "Accounts Google disables"), plus verification. */
export const EVENTS_REQUESTED = [
  "https://schemas.openid.net/secevent/risc/event-type/sessions-revoked",
  "https://schemas.openid.net/secevent/oauth/event-type/tokens-revoked",
  "https://schemas.openid.net/secevent/risc/event-type/account-disabled",
  "https://schemas.openid.net/secevent/risc/event-type/account-enabled",
  "https://schemas.openid.net/secevent/risc/event-type/account-purged",
  "https://schemas.openid.net/secevent/risc/event-type/account-credential-change-required",
  "https://schemas.openid.net/secevent/risc/event-type/verification",
];
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

class UsageError extends Error {}

/** A service account's JWT for the RISC API: `iss` = `sub` = the account, an hour at most. */
export async function riscApiToken(credentialsJson, nowSeconds = Math.floor(Date.now() / 1000)) {
  const key = JSON.parse(credentialsJson);
  if (key?.type !== "service_account" || typeof key.client_email !== "string")
    throw new UsageError('--credentials: not a service-account key (JSON with "type": "service_account")');
  const privateKey = await importPKCS8(String(key.private_key), "RS256");
  return new SignJWT({})
    .setProtectedHeader({ alg: "RS256", typ: "JWT", ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
    .setIssuer(key.client_email)
    .setSubject(key.client_email)
    .setAudience(RISC_API_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + 3600)
    .sign(privateKey);
}

function receiverUrl(value) {
  let url;
  try {
    url = new URL(value ?? "");
  } catch {
    throw new UsageError("--url: the worker's receiver, e.g. https://app.example.com/auth/risc");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    throw new UsageError("--url: must be https (Google delivers only over TLS)");
  return url.href;
}

/** The request for `action` ("register", "verify", "status"), without its Authorization header. */
export function riscRequest(action, endpoints, { url, state } = {}) {
  if (action === "register") {
    return {
      method: "POST",
      url: `${endpoints.configuration_endpoint}:update`,
      body: { delivery: { delivery_method: PUSH, url: receiverUrl(url) }, events_requested: EVENTS_REQUESTED },
    };
  }
  if (action === "verify")
    return {
      method: "POST",
      url: endpoints.verification_endpoint,
      body: { state: state ?? `edge-auth-worker ${new Date().toISOString()}` },
    };
  if (action === "status") return { method: "GET", url: endpoints.status_endpoint };
  throw new UsageError(`unknown action ${JSON.stringify(action)}: use register, verify or status`);
}

async function endpointsOf(issuer) {
  const response = await fetch(`${issuer.replace(/\/$/, "")}/.well-known/risc-configuration`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok) throw new Error(`${issuer}/.well-known/risc-configuration: HTTP ${response.status}`);
  const document = await response.json();
  for (const name of ["configuration_endpoint", "verification_endpoint", "status_endpoint"]) {
    if (typeof document[name] !== "string") throw new Error(`risc-configuration has no ${name}`);
  }
  return document;
}

function printRequest(request, clientEmail, out) {
  out(`${request.method} ${request.url}`);
  out(`Authorization: Bearer <JWT signed by ${clientEmail}, aud ${RISC_API_AUDIENCE}, valid 1 h; not shown>`);
  if (request.body) out(`Content-Type: application/json\n\n${JSON.stringify(request.body, null, 2)}`);
}

/**
 * `npm run google` with these arguments: prints each request and Google's answer, and resolves with
 * the exit code: 0, 1 when the request or Google failed, 2 for a usage error (each printed, never
 * thrown). The tests run it in their own process, as the other commands of scripts/.
 */
export async function main(argv) {
  try {
    return (await manageRisc(argv, console.log)) ? 0 : 1;
  } catch (error) {
    console.error(`google: ${error.message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** Runs the RISC action argv names; true when Google (or the provider) accepted it, or for a dry run. */
async function manageRisc(argv, out) {
  const option = (name) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);
  const [area, action] = argv.filter((arg, i) => !arg.startsWith("--") && !argv[i - 1]?.startsWith("--"));
  if (area !== "risc")
    throw new UsageError(
      "usage: npm run google -- risc register --url URL --credentials FILE [--issuer URL] [--dry-run]",
    );
  const dryRun = argv.includes("--dry-run");
  const issuer = option("--issuer") ?? GOOGLE_ISSUER;
  const endpoints = dryRun ? GOOGLE_ENDPOINTS : await endpointsOf(issuer);
  const request = riscRequest(action, endpoints, { url: option("--url"), state: option("--state") });
  const credentialsFile = option("--credentials");
  if (!credentialsFile)
    throw new UsageError(
      "--credentials FILE: the JSON key of a service account in the OAuth client's Google Cloud project",
    );
  const credentials = readFileSync(credentialsFile === "-" ? 0 : credentialsFile, "utf8");
  const token = await riscApiToken(credentials);
  printRequest(request, JSON.parse(credentials).client_email, out);
  if (dryRun) {
    out(
      `\n(dry run: nothing sent${issuer === GOOGLE_ISSUER ? "" : `; endpoints shown are Google's, --issuer is read only when sending`})`,
    );
    return true;
  }
  const response = await fetch(request.url, {
    method: request.method,
    headers: { Authorization: `Bearer ${token}`, ...(request.body ? { "Content-Type": "application/json" } : {}) },
    ...(request.body ? { body: JSON.stringify(request.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  out(`\n-> HTTP ${response.status}${text ? `\n${text}` : ""}`);
  return response.ok;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
