import { clientIdProblems } from "./client-id";
import type { Env } from "../env";
import { DEFAULT_PROVIDER_ID } from "../identity";
import { GOOGLE_ISSUER, isSecureOrLoopback } from "../util/issuer-rules";
import { httpUrl, jsonVar, required, text } from "./env-values";
import { fix } from "./fixes";
import { isObject, unknownKeys } from "./json-shapes";

/**
 * One OpenID provider people sign in at (docs/providers.md): an OIDC_PROVIDERS entry, or the one
 * provider OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET describe.
 */
export interface OidcProvider {
  /** What `provider=`, rules' `providers`, X-Auth-User-Provider and the `idp` claim name it by. */
  id: string;
  /** What the sign-in page shows ("Google", "Contractors (Entra ID)"). */
  label: string;
  /** Its issuer: discovery at `{issuer}/.well-known/openid-configuration`, and every `iss` it sends. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /**
   * Google's claims are believed from it: `hd` (ALLOWED_DOMAINS, rules' `domains`), Workspace
   * group lookups by e-mail, and RISC security events. True for Google's issuer, for the one
   * provider of OIDC_ISSUER, which has always been trusted for them (often a stand-in for Google),
   * and for an entry with `"googleStandIn": true`, which only a loopback issuer may say.
   */
  google: boolean;
}

/** `id` of an OIDC_PROVIDERS entry: it becomes part of a secret's name and of a header's value. */
export const PROVIDER_ID = /^[a-z][a-z0-9-]{0,31}$/;
/** A sign-in page lists them all: more than a handful is no choice a person can make. */
const MAX_PROVIDERS = 16;
const MAX_LABEL_LENGTH = 64;
const KEYS = ["id", "label", "issuer", "clientId", "googleStandIn"];

/** OIDC_PROVIDERS' client secrets are named `OIDC_CLIENT_SECRET_<ID>`. */
export const CLIENT_SECRET_PREFIX = "OIDC_CLIENT_SECRET_";

/** An http issuer on a loopback host: a provider on this machine, never a deployment's. */
function isLocalIssuer(issuer: unknown): boolean {
  if (typeof issuer !== "string" || !URL.canParse(issuer)) return false;
  const url = new URL(issuer);
  return url.protocol === "http:" && isSecureOrLoopback(url);
}

/** The secret that holds provider `id`'s client secret: `OIDC_CLIENT_SECRET_<ID>`, `-` as `_`. */
export function clientSecretName(id: string): string {
  return `${CLIENT_SECRET_PREFIX}${id.toUpperCase().replace(/-/g, "_")}`;
}

/** The one provider of OIDC_ISSUER (Google's by default), OIDC_CLIENT_ID and OIDC_CLIENT_SECRET. */
function singleProvider(env: Env, problems: string[]): OidcProvider[] {
  const issuer = text(env, "OIDC_ISSUER", problems) ?? GOOGLE_ISSUER;
  const issuerUrl = httpUrl("OIDC_ISSUER", issuer, problems, true);
  const clientId = required(env, "OIDC_CLIENT_ID", problems);
  if (clientId) problems.push(...clientIdProblems("OIDC_CLIENT_ID", env.OIDC_CLIENT_ID, issuer));
  const clientSecret = required(env, "OIDC_CLIENT_SECRET", problems);
  if (!issuerUrl || !clientId || !clientSecret) return [];
  const label = issuer === GOOGLE_ISSUER ? "Google" : issuerUrl.host;
  return [{ id: DEFAULT_PROVIDER_ID, label, issuer, clientId, clientSecret, google: true }];
}

function parseEntry(env: Env, entry: unknown, label: string, problems: string[]): OidcProvider | undefined {
  if (!isObject(entry)) {
    problems.push(`${label}: must be an object${fix("providerExample", false)}`);
    return undefined;
  }
  const before = problems.length;
  unknownKeys(entry, KEYS, label, problems);
  const { id, label: shown, issuer, clientId, googleStandIn } = entry;
  if (typeof id !== "string" || !PROVIDER_ID.test(id))
    problems.push(`${label}: "id" must be lower-case letters, digits and "-", starting with a letter (at most 32)`);
  if (typeof shown !== "string" || shown.trim() === "" || shown.length > MAX_LABEL_LENGTH)
    problems.push(
      `${label}: "label" must be the name people know the provider by (1 to ${MAX_LABEL_LENGTH} characters)`,
    );
  if (typeof issuer !== "string") problems.push(`${label}: "issuer" must be the provider's issuer URL`);
  else httpUrl(`${label} "issuer"`, issuer, problems, true);
  if (typeof clientId !== "string" || clientId.trim() === "")
    problems.push(`${label}: "clientId" must be the OAuth client id registered at the provider`);
  else if (typeof issuer === "string") problems.push(...clientIdProblems(`${label} "clientId"`, clientId, issuer));
  // A local provider playing Google in a demo or a test; anywhere else it would make a stranger's
  // `hd` and e-mail count as a Workspace's. Google's own issuer needs no flag.
  if (googleStandIn !== undefined && googleStandIn !== true)
    problems.push(`${label}: "googleStandIn" must be true or left out`);
  if (googleStandIn === true && !isLocalIssuer(issuer))
    problems.push(`${label}: "googleStandIn" is only for a local provider${fix("localIssuerOnly")}`);
  const secretName = typeof id === "string" && PROVIDER_ID.test(id) ? clientSecretName(id) : undefined;
  // The names are built from a checked id, so only OIDC_CLIENT_SECRET_* can ever be read here.
  const clientSecret = secretName ? text(env, secretName as keyof Env, problems) : undefined;
  if (secretName && clientSecret === undefined)
    problems.push(`${secretName}: required (the client secret of ${label})`);
  if (problems.length > before || clientSecret === undefined) return undefined;
  return {
    id: id as string,
    label: (shown as string).trim(),
    issuer: issuer as string,
    clientId: (clientId as string).trim(),
    clientSecret,
    google: issuer === GOOGLE_ISSUER || googleStandIn === true,
  };
}

/**
 * The providers people may sign in at: OIDC_PROVIDERS' entries, or else the single provider of
 * OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET. Setting both forms is a problem (OIDC_ISSUER at
 * its default, Google's, as wrangler.toml ships it, counts as unset). Every problem is reported.
 */
export function parseOidcProviders(env: Env, problems: string[]): OidcProvider[] {
  const before = problems.length;
  const parsed = jsonVar("OIDC_PROVIDERS", env.OIDC_PROVIDERS, problems);
  if (!parsed) return problems.length > before ? [] : singleProvider(env, problems);
  const issuerSet = text(env, "OIDC_ISSUER", problems);
  const singleForm = [
    ...(issuerSet !== undefined && issuerSet !== GOOGLE_ISSUER ? ["OIDC_ISSUER"] : []),
    ...(["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const).filter((name) => text(env, name, problems) !== undefined),
  ];
  if (singleForm.length > 0)
    problems.push(
      `OIDC_PROVIDERS: set together with ${singleForm.join(", ")}${fix("providersAndSingleForm", singleForm.length)}`,
    );
  const { value } = parsed;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PROVIDERS) {
    problems.push(
      `OIDC_PROVIDERS: must be a JSON array of 1 to ${MAX_PROVIDERS} providers${fix("providerExample", true)}`,
    );
    return [];
  }
  const providers = value.flatMap((entry, index) => parseEntry(env, entry, `OIDC_PROVIDERS[${index}]`, problems) ?? []);
  // Over every entry as written, valid or not, so a duplicate is reported with the rest.
  const seen = { id: new Set<string>(), issuer: new Set<string>() };
  for (const { id, issuer } of value.filter(isObject)) {
    if (typeof id === "string" && seen.id.has(id)) problems.push(`OIDC_PROVIDERS: "id" "${id}" is used twice`);
    // The issuer is what tells one provider's responses from another's (mix-up defence): unique.
    const bare = typeof issuer === "string" ? issuer.replace(/\/$/, "") : undefined;
    if (bare !== undefined && seen.issuer.has(bare))
      problems.push(`OIDC_PROVIDERS: "issuer" ${String(issuer)} is used twice${fix("issuerTwice")}`);
    if (typeof id === "string") seen.id.add(id);
    if (bare !== undefined) seen.issuer.add(bare);
  }
  return providers;
}

/** The configured provider with this id, if any. */
export function providerById(providers: readonly OidcProvider[], id: string | undefined): OidcProvider | undefined {
  return providers.find((provider) => provider.id === id);
}
