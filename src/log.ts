import { ResponseBodyError } from "oauth4webapi";
import { AuthError, describeCause } from "./errors";
import { currentRequestId } from "./request-scope";

/**
 * One JSON line per decision, for Workers observability. Callers pass codes, ids and `sub`s,
 * never a token, cookie, authorization code or secret.
 */
export function logEvent(
  level: "info" | "warn" | "error",
  event: string,
  fields: Record<string, string | number | boolean | undefined> = {},
): void {
  const line = JSON.stringify({ level, event, requestId: currentRequestId(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * A failure's log fields, named the same on every line: `code` (an AuthError's, or ERR_INTERNAL
 * for anything else: a bug or a platform failure), `detail` (ours, for the reader) and `cause`
 * (the underlying error's code and a bounded message, errors.ts `describeCause`).
 */
export function failureFields(error: unknown): { code: string; detail?: string; cause?: string } {
  if (error instanceof AuthError) return { code: error.code, detail: error.detail, cause: describeCause(error.cause) };
  return { code: "ERR_INTERNAL", cause: describeCause(error) };
}

/**
 * What the log says of a failed call to a token endpoint (the provider's, Google's for the
 * directory): the status and the OAuth `error` code it answered with, bounded, never its body.
 */
export function tokenEndpointFailure(error: unknown): string {
  return error instanceof ResponseBodyError
    ? `token endpoint: HTTP ${error.status} ${String(error.error).slice(0, 40)}`
    : "token endpoint failed";
}
