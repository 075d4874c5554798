import { MAX_WORKLOAD_ISSUERS } from "../config/trusted-workloads";
import { AuthError } from "../errors";
import {
  cachedDiscovery,
  discoverOpenIdIssuer,
  DISCOVERY_FAILURE_MEMORY_MS,
  remoteKeySet,
  type RemoteKeySet,
} from "../oidc/remote-issuer";
import { BoundedCache } from "../util/bounded-cache";

/** A workload issuer's signing keys, from its OpenID discovery document's `jwks_uri`. */
export interface IssuerKeys {
  jwks: RemoteKeySet;
}

/** Issuers per isolate: at most MAX_WORKLOAD_ISSUERS per configuration; twice that across a rollout. */
const discovered = new BoundedCache<Promise<IssuerKeys>>(MAX_WORKLOAD_ISSUERS * 2);

async function discover(issuer: string): Promise<IssuerKeys> {
  try {
    const { jwksUri } = await discoverOpenIdIssuer(new URL(issuer));
    return { jwks: remoteKeySet(jwksUri) };
  } catch (error) {
    throw new AuthError("ERR_WORKLOAD_ISSUER_UNAVAILABLE", { detail: `discovery of ${issuer} failed`, cause: error });
  }
}

/**
 * The keys of a TRUSTED_WORKLOADS issuer: discovered once per isolate and again hourly, shared by
 * every workload of that issuer. ERR_WORKLOAD_ISSUER_UNAVAILABLE (503) when the issuer cannot be
 * read, remembered for a minute; only configured issuers ever get here, so a token cannot make
 * the worker call anywhere.
 */
export function issuerKeysFor(issuer: string, nowMs: number): Promise<IssuerKeys> {
  return cachedDiscovery(discovered, issuer, nowMs, DISCOVERY_FAILURE_MEMORY_MS, () => discover(issuer));
}
