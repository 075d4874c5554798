import { ResponseBodyError } from "oauth4webapi";

/**
 * What the log says of a failed call to a token endpoint (the provider's, Google's for the
 * directory): the status and the OAuth `error` code it answered with, bounded, never its body.
 */
export function tokenEndpointFailure(error: unknown): string {
  return error instanceof ResponseBodyError
    ? `token endpoint: HTTP ${error.status} ${String(error.error).slice(0, 40)}`
    : "token endpoint failed";
}
