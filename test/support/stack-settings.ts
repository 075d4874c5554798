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

/**
 * Ports a test hands to a server that starts later (a worker is configured with its provider's and
 * origin's ports before they listen) are drawn from below the range the system hands out for
 * `listen(0)` and for outgoing connections (Linux 32768-60999, macOS and Windows from 49152): a port
 * from that range, free when drawn, could be handed to another process's server or connection in
 * the meantime (EADDRINUSE when the test's server starts). Only another draw could take one here.
 */
const DRAWN_PORTS = { from: 20_000, to: 32_767 };

/** A port free on 127.0.0.1 now, for a server that listens on it later (DRAWN_PORTS). */
export async function freePort(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = DRAWN_PORTS.from + Math.floor(Math.random() * (DRAWN_PORTS.to - DRAWN_PORTS.from + 1));
    const free = await new Promise<boolean>((resolve, reject) => {
      const server = createServer();
      server.once("error", (error: NodeJS.ErrnoException) =>
        error.code === "EADDRINUSE" && attempt < 100 ? resolve(false) : reject(error),
      );
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
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
