import type { TrustedWorkload } from "../config/trusted-workloads";
import { cacheOf, type BoundedCache } from "../util/bounded-cache";
import { verifyWorkloadToken, type WorkloadToken } from "./workload-token";

/**
 * Verified workload tokens kept per isolate. A deployment has few machine callers, and each
 * reuses its token for the token's whole life (GitHub's minutes, Google's hour), so a few hundred
 * cover them; at up to 8 KiB a token, the bound keeps the cache under 2 MiB.
 */
const MAX_CACHED_TOKENS = 256;
/**
 * A cached token is verified again after at most this long, seconds: as long as jose keeps the
 * issuer's keys, so a key the issuer withdraws stops working here as soon as it would uncached.
 */
const REVERIFY_AFTER_SECONDS = 600;
/** One cache per configuration's workloads (a changed TRUSTED_WORKLOADS starts empty). */
const verifiedByWorkloads = new WeakMap<readonly TrustedWorkload[], BoundedCache<WorkloadToken>>();

/**
 * The workload a bearer token of a TRUSTED_WORKLOADS issuer proves (`issuer`: what
 * trustedIssuerOf read from it). A token that fails any check throws ERR_WORKLOAD_TOKEN_INVALID
 * (401), never falling back to cookies: a workload never refreshes and never gets a session.
 * Verified fully once, then only for expiry (same bytes, same signature); failures are never kept.
 */
export async function workloadFromBearer(
  workloads: readonly TrustedWorkload[],
  bearer: string,
  issuer: string,
  nowSeconds: number,
  nowMs: number,
): Promise<WorkloadToken> {
  const cache = cacheOf(verifiedByWorkloads, workloads, MAX_CACHED_TOKENS);
  const known = cache.get(bearer, nowSeconds);
  if (known) return known;
  const verified = await verifyWorkloadToken(workloads, issuer, bearer, nowSeconds, nowMs);
  cache.set(bearer, verified, Math.min(verified.exp, nowSeconds + REVERIFY_AFTER_SECONDS));
  return verified;
}
