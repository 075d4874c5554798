// What setup asks, each answer from its flag, else from the terminal, with what the environment
// already has as the default (so a second run is Enter, Enter, ...; with --yes, no question at all).
import { readOriginService, readVar } from "./environment-table.mjs";

const WORKER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** "app.example.com" or "https://app.example.com/" -> "https://app.example.com"; undefined if not an origin. */
export function publicOrigin(answer) {
  if (!answer) return undefined;
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(answer) ? answer : `https://${answer}`);
    return url.protocol === "https:" && url.pathname === "/" && !url.search && !url.hash && !url.username
      ? url.origin
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every answer but the client secret (asked later, and only when the Worker lacks it), and the
 * problems with them, all at once. A `fresh` environment has no answers yet: the values it took
 * from the top level are local placeholders, not defaults.
 */
export async function collectAnswers(options, lines, env, ask, fresh) {
  const problems = [];
  const current = (key) => (fresh ? undefined : readVar(lines, env, key) || undefined);

  const publicAnswer =
    options["public-url"] ?? (await ask("Public hostname of the worker (e.g. app.example.com)", current("PUBLIC_URL")));
  const publicUrl = publicOrigin(publicAnswer);
  if (!publicUrl)
    problems.push(
      publicAnswer
        ? `--public-url: "${publicAnswer}" is not an https origin (e.g. app.example.com)`
        : "--public-url: required",
    );

  const currentService = fresh ? undefined : readOriginService(lines, env);
  let originAnswer =
    options["origin-url"] ??
    (options["origin-service"] === undefined ? undefined : `service:${options["origin-service"]}`);
  originAnswer ??= await ask(
    "Origin: its URL (https://...), or the name of the Worker to reach through the ORIGIN service binding",
    currentService ?? current("ORIGIN_URL"),
  );
  const origin = { url: undefined, service: undefined };
  if (!originAnswer) problems.push("--origin-url or --origin-service: required");
  else if (/^https?:\/\//.test(originAnswer)) origin.url = originAnswer;
  else origin.service = originAnswer.replace(/^service:/, "");
  if (origin.url && !URL.canParse(origin.url)) problems.push(`--origin-url: "${origin.url}" is not a URL`);
  if (origin.service !== undefined && !WORKER_NAME.test(origin.service))
    problems.push(`--origin-service: "${origin.service}" is not a Worker name`);

  // The `aud` of X-Auth-Assertion: kept while the origin stays the same; else the new origin's.
  const sameOrigin =
    origin.service !== undefined ? origin.service === currentService : origin.url === current("ORIGIN_URL");
  const originAudience =
    options["origin-audience"] ??
    (sameOrigin ? current("ORIGIN_AUDIENCE") : undefined) ??
    (origin.url && URL.canParse(origin.url) ? new URL(origin.url).origin : publicUrl && `${publicUrl}/origin`);

  const clientId = options["client-id"] ?? (await ask("Google OAuth client id", current("OIDC_CLIENT_ID")));
  if (!clientId) problems.push("--client-id: required");

  const allowedEmails =
    options["allowed-emails"] ??
    (await ask("Who may sign in: e-mail addresses, comma-separated (empty: none)", current("ALLOWED_EMAILS") ?? ""));
  const allowedDomains =
    options["allowed-domains"] ??
    (await ask(
      "Who may sign in: Google Workspace domains, comma-separated (* = any verified account)",
      current("ALLOWED_DOMAINS") ?? "",
    ));
  if (!allowedEmails?.trim() && !allowedDomains?.trim())
    problems.push("--allowed-emails or --allowed-domains: at least one is required");

  return {
    problems,
    publicUrl,
    origin,
    originAudience: originAudience || "",
    clientId,
    allowedEmails: allowedEmails ?? "",
    allowedDomains: allowedDomains ?? "",
  };
}
