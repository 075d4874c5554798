import { canonicalIssuer, GOOGLE_ISSUER } from "../util/issuer-rules";
import { fix } from "./fixes";

/**
 * The shape of an OAuth client id, checked before any sign-in: a wrong one only shows up as the
 * provider's own error page ("invalid_client", "The OAuth client was not found") when the first
 * person tries to sign in, long after the deploy that broke it.
 */

/**
 * Google's web client ids: the project number, a dash, an identifier, and Google's domain.
 * @see https://developers.google.com/identity/protocols/oauth2/web-server#creatingcred
 */
const GOOGLE_CLIENT_ID = /^\d+-[a-z0-9]+\.apps\.googleusercontent\.com$/i;
/** What Google's client secrets start with: pasted into the id field, it is a secret in a plain var. */
export const GOOGLE_SECRET_PREFIX = "GOCSPX-";
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\/|^www\./i;

/**
 * The problems of `raw`, the client id exactly as written (surrounding spaces included), for the
 * provider at `issuer`. Any provider: no spaces around it, no URL, no trailing "/", no Google
 * secret. Google's: its shape too. A problem never repeats the value (it may be a secret).
 */
export function clientIdProblems(name: string, raw: string, issuer: string): string[] {
  const value = raw.trim();
  if (value === "") return [];
  const problems: string[] = [];
  const google = canonicalIssuer(issuer) === GOOGLE_ISSUER;
  if (value !== raw) problems.push(`${name}: has spaces or a line break around it${fix("clientIdSpaces")}`);
  if (value.startsWith(GOOGLE_SECRET_PREFIX))
    return [...problems, `${name}: this is a client secret${fix("secretAsClientId")}`];
  if (URL_LIKE.test(value)) problems.push(`${name}: is a URL${fix("clientIdIsUrl", google)}`);
  else if (value.endsWith("/")) problems.push(`${name}: ends in "/"${fix("clientIdSlash")}`);
  if (google && problems.length === 0 && !GOOGLE_CLIENT_ID.test(value))
    problems.push(`${name}: not a Google client id${fix("notGoogleClientId")}`);
  return problems;
}
