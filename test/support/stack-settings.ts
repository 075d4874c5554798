/**
 * What a local stack's worker is started with, shared by startStack() (test/support/stack.ts)
 * and the broker of shared workers (test/support/shared-workers.ts), which starts workers in
 * vitest's main process.
 */
import { createServer } from "node:net";

export const CLIENT_ID = "e2e-client";
/** The origin's audience for the worker's assertions (ORIGIN_AUDIENCE). */
export const ORIGIN_AUDIENCE = "e2e-origin";

type Jwks = { keys: { kid: string; alg: string }[] };

/** What a test file asks the broker of shared workers for. */
export interface WorkerRequest {
  /** Worker vars on top of DEFAULT_VARS and the provider's and origin's. */
  vars: Record<string, string>;
  /** PUBLIC_URL is `http://localhost:<port>` (the worker's other name): the browser tests' setting. */
  publicOnLocalhost: boolean;
}

/** A shared worker handed to one test file: where it is and the secrets it was started with. */
export interface WorkerLease {
  id: string;
  workerUrl: string;
  /** With `publicOnLocalhost`: `http://localhost:<port>`, its PUBLIC_URL. */
  publicUrl?: string;
  /** The port of OIDC_ISSUER (`http://127.0.0.1:<port>`): the file starts the provider there. */
  providerPort: number;
  /** The port of ORIGIN_URL: the file starts the origin there (or leaves it down). */
  originPort: number;
  clientSecret: string;
  sessionKeys: Jwks;
  /** The provider's RS256 keys: the same for every file, so the worker's cached JWKS stays right. */
  providerPrivateJwks: { keys: { kid: string }[] };
}

/** A port nobody listens on right now (the worker's redirect URI must be known in advance). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The worker's vars and secrets for one provider (OIDC_ISSUER) and an origin by URL, `vars` on top. */
export function workerSettings(stack: {
  providerIssuer: string;
  originUrl: string;
  clientSecret: string;
  sessionKeys: Jwks;
  vars?: Record<string, string>;
}): { vars: Record<string, string>; secrets: Record<string, string> } {
  return {
    vars: {
      ORIGIN_URL: stack.originUrl,
      OIDC_ISSUER: stack.providerIssuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      ...DEFAULT_VARS,
      ...stack.vars,
    },
    secrets: { OIDC_CLIENT_SECRET: stack.clientSecret, SESSION_KEYS: JSON.stringify(stack.sessionKeys) },
  };
}

/** Every stack's worker has these unless a test says otherwise. */
export const DEFAULT_VARS = {
  ALLOWED_DOMAINS: "*",
  ORIGIN_AUDIENCE,
  PUBLIC_PATHS: "/healthz,/public/*",
};
