import type { Config } from "../config/parse-config";
import type { SessionKeys } from "../config/session-keys";
import type { CookieJar } from "../http/cookies";

/** What the sign-in flow reads of a request; the app's request context satisfies it. */
export interface SignInScope {
  config: Config;
  /** The keys the login transaction is signed and verified with. */
  keys: SessionKeys;
  /** Our public origin: where the provider sends the browser back. */
  publicOrigin: string;
  nowSeconds: number;
  request: { cookies: CookieJar };
}

/** `redirect_uri`: {public origin}{AUTH_PREFIX}/callback (docs/reference.md). */
export function callbackUrl(scope: Pick<SignInScope, "config" | "publicOrigin">): string {
  return `${scope.publicOrigin}${scope.config.authPrefix}/callback`;
}
