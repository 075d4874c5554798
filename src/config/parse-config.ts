import type { Env } from "../env";
import { allowFrom, parseAccessPolicyRules } from "./access-policy";
import { httpsUrlVar, httpUrl, list, listOf, oneOf, required, seconds, text } from "./env-values";
import { fix } from "./fixes";
import { parseGroupDirectory, type GroupDirectory } from "./google-groups";
import { parseOidcProviders, type OidcProvider } from "./oidc-providers";
import { assemblePolicy, type AccessPolicy } from "./policy-checks";
import { parsePreviewHost, type HostPattern } from "./preview-hosts";
import { parsePublicPath } from "./public-paths";
import { parseSigningKeySettings, type SigningKeySettings } from "./signing-key-settings";
import { parseTrustedWorkloads, type TrustedWorkload } from "./trusted-workloads";

export const DEFAULT_AUTH_PREFIX = "/auth";

/** The worker's key set, where JWKS consumers look for it: the one route outside AUTH_PREFIX. */
export const JWKS_PATH = "/.well-known/jwks.json";

/** True for a path the worker answers itself: the key set, and everything under AUTH_PREFIX. */
export function isOwnPath(authPrefix: string, pathname: string): boolean {
  return pathname === JWKS_PATH || pathname === authPrefix || pathname.startsWith(`${authPrefix}/`);
}

export type SessionStoreKind = "kv" | "durable-object";
/** How the gate reaches the origin: `fetch()` to ORIGIN_URL, or the ORIGIN service binding. */
export type OriginVia = "url" | "service-binding";

/** Everything the worker needs, parsed once per isolate from the bindings (docs/configuration.md). */
export interface Config extends SigningKeySettings {
  /**
   * ORIGIN_URL without a trailing slash; request paths are appended to it. Undefined only with
   * the ORIGIN service binding, which then gets the request's URL on our public origin.
   */
  originBase: string | undefined;
  originVia: OriginVia;
  /** PUBLIC_URL's origin, or undefined to take each request's own origin. */
  publicOrigin: string | undefined;
  /** PUBLIC_URL's host (name and port): a request on any other host that is no preview's is moved to it to sign in. */
  publicHost: string | undefined;
  /**
   * The OpenID providers people sign in at (never our own origin, which issues our tokens):
   * OIDC_PROVIDERS, or the one of OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET. Never empty.
   */
  providers: readonly OidcProvider[];
  /** Who may see what: ACCESS_POLICY, PUBLIC_PATHS and the default rule (ALLOWED_EMAILS/ALLOWED_DOMAINS). */
  policy: AccessPolicy;
  /** TRUSTED_WORKLOADS: machine callers whose OIDC tokens are accepted where a rule names them. */
  workloads: readonly TrustedWorkload[];
  /** GOOGLE_GROUPS_CREDENTIALS and where to call: set when the policy names groups. */
  groupDirectory?: GroupDirectory;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  refreshReuseGraceSeconds: number;
  originAudience: string;
  authPrefix: string;
  /** REVOCATION_CHECK: look the session up in the store on every request, so revocation is immediate. */
  revocationCheck: boolean;
  /** SESSION_STORE: where refresh-token families live. */
  sessionStore: SessionStoreKind;
  /** WORKERS_PLAN: on `free`, people and addresses get daily shares of KV's quotas (docs/capacity.md). */
  workersPlan: "free" | "paid";
  /** PREVIEW_HOSTS: preview deployments that sign in through the registered host (PUBLIC_URL). */
  previewHosts: readonly HostPattern[];
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const AUTH_PREFIX = /^(\/[A-Za-z0-9\-._~]+)+$/;

function hasMethod(binding: unknown, method: string): boolean {
  return typeof (binding as Record<string, unknown> | undefined)?.[method] === "function";
}

/**
 * Parses and checks every binding; collects every problem instead of stopping at the first,
 * so an operator fixes a deployment in one round. Problems never contain a secret's value.
 */
export async function parseConfig(env: Env): Promise<ConfigResult> {
  const problems: string[] = [];

  // A service binding reaches the origin without any address: ORIGIN_URL is then optional.
  const originVia: OriginVia = env.ORIGIN === undefined || env.ORIGIN === null ? "url" : "service-binding";
  if (originVia === "service-binding" && !hasMethod(env.ORIGIN, "fetch"))
    problems.push(`ORIGIN: must be a service binding${fix("originBinding")}`);
  const originRaw = originVia === "url" ? required(env, "ORIGIN_URL", problems) : text(env, "ORIGIN_URL", problems);
  const originUrl = originRaw ? httpUrl("ORIGIN_URL", originRaw, problems, false) : undefined;

  const publicUrl = httpsUrlVar(env, "PUBLIC_URL", undefined, problems);
  if (publicUrl && publicUrl.pathname !== "/") problems.push("PUBLIC_URL: must be an origin, without a path");

  const providers = parseOidcProviders(env, problems);
  const signingKeys = await parseSigningKeySettings(env, problems);

  const { emails } = allowFrom({ emails: list(text(env, "ALLOWED_EMAILS", problems)) }, "ALLOWED_EMAILS", problems);
  const { domains, anyVerifiedEmail } = allowFrom(
    { domains: list(text(env, "ALLOWED_DOMAINS", problems)) },
    "ALLOWED_DOMAINS",
    problems,
  );
  const publicPaths = listOf(env, "PUBLIC_PATHS", parsePublicPath, problems);

  const accessTokenTtlSeconds = seconds(env, "ACCESS_TOKEN_TTL", 900, 1, 86_400, problems);
  // 400 days is the longest cookie lifetime browsers honour. Short sessions are fine: KV's
  // 60-second minimum expiry is applied at the write site, and expiry is enforced in code.
  const refreshTokenTtlSeconds = seconds(env, "REFRESH_TOKEN_TTL", 2_592_000, 1, 34_560_000, problems);
  const refreshReuseGraceSeconds = seconds(env, "REFRESH_REUSE_GRACE", 30, 0, 3_600, problems);

  const authPrefix = text(env, "AUTH_PREFIX", problems) ?? DEFAULT_AUTH_PREFIX;
  if (!AUTH_PREFIX.test(authPrefix) || authPrefix.startsWith("/.well-known")) {
    problems.push('AUTH_PREFIX: must be a path like "/auth" (no trailing slash)');
  }
  const revocationCheck = oneOf(env, "REVOCATION_CHECK", ["true", "false"], "false", problems) === "true";
  const audienceRaw = text(env, "ORIGIN_AUDIENCE", problems);
  // Behind a service binding the origin's own URL, if any, says nothing about who it is.
  if (originVia === "service-binding" && audienceRaw === undefined) {
    problems.push(`ORIGIN_AUDIENCE: required with the ORIGIN service binding${fix("originAudience")}`);
  }
  const originAudience = audienceRaw ?? originUrl?.origin ?? "";

  const groupDirectory = await parseGroupDirectory(env, problems);
  const trusted = parseTrustedWorkloads(env.TRUSTED_WORKLOADS, problems);
  for (const workload of trusted.workloads) {
    // Our own tokens name PUBLIC_URL as their issuer: they must never be taken for a workload's.
    if (publicUrl && workload.issuer.replace(/\/$/, "") === publicUrl.origin)
      problems.push(
        `TRUSTED_WORKLOADS "${workload.name}": "issuer" is this worker's own PUBLIC_URL${fix("workloadOwnIssuer")}`,
      );
  }
  const policy = assemblePolicy(
    {
      policyRules: parseAccessPolicyRules(env.ACCESS_POLICY, problems),
      publicPaths,
      defaultAllow: { emails, domains, anyVerifiedEmail, groups: new Set(), workloads: new Set() },
      hasGroupCredentials: text(env, "GOOGLE_GROUPS_CREDENTIALS", []) !== undefined,
      workloadNames: trusted.names,
      providerIds: new Set(providers.map((provider) => provider.id)),
    },
    problems,
  );

  if (env.AUTH_METRICS !== undefined && env.AUTH_METRICS !== null && !hasMethod(env.AUTH_METRICS, "writeDataPoint")) {
    problems.push(`AUTH_METRICS: must be an Analytics Engine dataset binding${fix("metricsBinding")}`);
  }
  const previewHosts = listOf(env, "PREVIEW_HOSTS", parsePreviewHost, problems);
  // The relay starts and ends at one registered host: it must be fixed, and never a preview.
  if (previewHosts.length > 0 && !publicUrl)
    problems.push(`PREVIEW_HOSTS: needs PUBLIC_URL${fix("previewNeedsPublicUrl")}`);
  if (publicUrl && previewHosts.some((pattern) => pattern.regex.test(publicUrl.host)))
    problems.push("PREVIEW_HOSTS: must not match PUBLIC_URL's own host");
  const sessionStore = oneOf(env, "SESSION_STORE", ["kv", "durable-object"], "kv", problems);
  const workersPlan = oneOf(env, "WORKERS_PLAN", ["free", "paid"], "free", problems);
  if (sessionStore === "kv" && !hasMethod(env.SESSIONS, "get")) problems.push("SESSIONS: KV namespace binding missing");
  if (sessionStore === "durable-object" && !hasMethod(env.SESSION_FAMILIES, "idFromName")) {
    problems.push(`SESSION_FAMILIES: Durable Object binding missing${fix("familiesBinding")}`);
  }

  if (problems.length > 0 || (originVia === "url" && !originUrl) || providers.length === 0 || !signingKeys) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      originBase: originUrl?.href.replace(/\/$/, ""),
      originVia,
      publicOrigin: publicUrl?.origin,
      publicHost: publicUrl?.host,
      providers,
      ...signingKeys,
      policy,
      workloads: trusted.workloads,
      ...(groupDirectory ? { groupDirectory } : {}),
      accessTokenTtlSeconds,
      refreshTokenTtlSeconds,
      refreshReuseGraceSeconds,
      originAudience,
      authPrefix,
      revocationCheck,
      sessionStore,
      workersPlan,
      previewHosts,
    },
  };
}
