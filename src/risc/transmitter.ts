import { createRemoteJWKSet } from "jose";
import type { Config } from "../config/parse-config";
import { AuthError } from "../errors";
import { BoundedCache, cachedPromise } from "../util/bounded-cache";

/** The provider's RISC transmitter, from `{OIDC_ISSUER}/.well-known/risc-configuration`. */
export interface Transmitter {
  /** The configuration's `issuer`: every SET's `iss` (Google's is `https://accounts.google.com/`, with the slash). */
  issuer: string;
  /** The transmitter's signing keys (`jwks_uri`), fetched on demand and cached by jose (bounded, with cooldown). */
  jwks: ReturnType<typeof createRemoteJWKSet>;
}

/** How long a transmitter's configuration is kept per isolate. Failures are never kept. */
const CONFIGURATION_MAX_AGE_MS = 60 * 60 * 1000;
/** How long one call to the transmitter may take. */
const TRANSMITTER_TIMEOUT_MS = 5_000;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
/** Transmitters per isolate: one in production (the provider's); a few in tests. */
const transmitters = new BoundedCache<Promise<Transmitter>>(4);

const unavailable = (detail: string, cause?: unknown) => new AuthError("ERR_TRANSMITTER_UNAVAILABLE", cause === undefined ? { detail } : { detail, cause });

/** https, or plain http on loopback (local tests), like OIDC_ISSUER itself. */
function trustedUrl(value: unknown): URL | undefined {
  if (typeof value !== "string") return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) ? url : undefined;
  } catch {
    return undefined;
  }
}

async function discover(providerIssuer: string): Promise<Transmitter> {
  const url = `${providerIssuer.replace(/\/$/, "")}/.well-known/risc-configuration`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(TRANSMITTER_TIMEOUT_MS) });
  } catch (error) {
    throw unavailable("risc-configuration unreachable", error);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new AuthError("ERR_NOT_FOUND", { detail: "the provider publishes no RISC configuration" });
  }
  const document = response.ok ? ((await response.json().catch(() => null)) as { issuer?: unknown; jwks_uri?: unknown } | null) : null;
  if (!response.ok) await response.body?.cancel();
  const jwksUri = trustedUrl(document?.jwks_uri);
  if (!document || !trustedUrl(document.issuer) || !jwksUri) throw unavailable(`risc-configuration: HTTP ${response.status}, not a usable document`);
  return {
    issuer: document.issuer as string,
    jwks: createRemoteJWKSet(jwksUri, { timeoutDuration: TRANSMITTER_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60_000 }),
  };
}

/**
 * The provider's RISC transmitter, discovered once per isolate and refreshed hourly (Google
 * documents the configuration at accounts.google.com/.well-known/risc-configuration).
 * ERR_NOT_FOUND when the provider has none; ERR_TRANSMITTER_UNAVAILABLE when it cannot be read.
 */
export function getTransmitter(config: Config, nowMs: number): Promise<Transmitter> {
  return cachedPromise(transmitters, config.providerIssuer, nowMs, nowMs + CONFIGURATION_MAX_AGE_MS, () => discover(config.providerIssuer));
}
