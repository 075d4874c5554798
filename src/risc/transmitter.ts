import { AuthError } from "../errors";
import {
  cachedDiscovery,
  DISCOVERY_FAILURE_MEMORY_MS,
  ISSUER_TIMEOUT_MS,
  remoteKeySet,
  type RemoteKeySet,
} from "../oidc/remote-issuer";
import { BoundedCache } from "../util/bounded-cache";
import { secureOrLoopbackUrl } from "../util/issuer-rules";

/** The provider's RISC transmitter, from `{OIDC_ISSUER}/.well-known/risc-configuration`. */
export interface Transmitter {
  /** The configuration's `issuer`: every SET's `iss` (Google's is `https://accounts.google.com/`, with the slash). */
  issuer: string;
  /** The transmitter's signing keys (`jwks_uri`). */
  jwks: RemoteKeySet;
}

/** Transmitters per isolate: one in production (the provider's); a few in tests. */
const transmitters = new BoundedCache<Promise<Transmitter>>(4);

const unavailable = (detail: string, cause?: unknown) =>
  new AuthError("ERR_TRANSMITTER_UNAVAILABLE", { detail, cause });

async function discover(providerIssuer: string): Promise<Transmitter> {
  const url = `${providerIssuer.replace(/\/$/, "")}/.well-known/risc-configuration`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { Accept: "application/json" },
      signal: AbortSignal.timeout(ISSUER_TIMEOUT_MS),
    });
  } catch (error) {
    throw unavailable("risc-configuration unreachable", error);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new AuthError("ERR_NOT_FOUND", { detail: "the provider publishes no RISC configuration" });
  }
  const document = response.ok
    ? ((await response.json().catch(() => null)) as { issuer?: unknown; jwks_uri?: unknown } | null)
    : null;
  if (!response.ok) await response.body?.cancel();
  const jwksUri = secureOrLoopbackUrl(document?.jwks_uri);
  if (!document || !secureOrLoopbackUrl(document.issuer) || !jwksUri)
    throw unavailable(`risc-configuration: HTTP ${response.status}, not a usable document`);
  return { issuer: document.issuer as string, jwks: remoteKeySet(jwksUri) };
}

/**
 * The provider's RISC transmitter, discovered once per isolate and refreshed hourly.
 * ERR_NOT_FOUND when the provider has none; ERR_TRANSMITTER_UNAVAILABLE when it cannot be read.
 * Either is remembered for a minute: a provider without RISC costs one call a minute, not one per event.
 * @see https://developers.google.com/identity/protocols/risc
 */
export function getTransmitter(providerIssuer: string, nowMs: number): Promise<Transmitter> {
  return cachedDiscovery(transmitters, providerIssuer, nowMs, DISCOVERY_FAILURE_MEMORY_MS, () =>
    discover(providerIssuer),
  );
}
