import type { Config } from "./config/parse-config";
import type { Env } from "./env";
import type { SessionStore } from "./session/refresh-store";

/** What every handler can read from the Hono context, set once per request in index.ts. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    /** Our public origin: PUBLIC_URL, else the request's own origin. Issuer of our tokens. */
    issuer: string;
    store: SessionStore;
    /** The request's clock, ms since epoch: one reading per request. */
    now: number;
    /** `cf-ray` or a random id: in every log line and sent to the origin as X-Request-Id. */
    requestId: string;
  };
}
