/**
 * What a local stack's worker is started with, shared by startStack() (test/support/stack.ts)
 * and the broker of shared workers (test/support/shared-workers.ts), which starts workers in
 * vitest's main process.
 */
import { createServer } from "node:net";

export const CLIENT_ID = "e2e-client";
/** The second provider's client (`secondProvider`): OIDC_PROVIDERS names it "partner". */
export const PARTNER_CLIENT_ID = "e2e-partner-client";
/** The origin's audience for the worker's assertions (ORIGIN_AUDIENCE). */
export const ORIGIN_AUDIENCE = "e2e-origin";

type Jwks = { keys: { kid: string; alg: string }[] };

/** What a test file asks the broker of shared workers for. */
export interface WorkerRequest {
  /** Worker vars on top of DEFAULT_VARS and the provider's and origin's. */
  vars: Record<string, string>;
  /** PUBLIC_URL is `http://localhost:<port>` (the worker's other name): the browser tests' setting. */
  publicOnLocalhost: boolean;
  /** A second provider: OIDC_PROVIDERS names the file's provider "corp" and this one "partner". */
  secondProvider: boolean;
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
  /** With `secondProvider`: where the file starts the partner provider, and its client's secret and keys. */
  partner?: { port: number; clientSecret: string; privateJwks: { keys: { kid: string }[] } };
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

/**
 * The worker's settings for its providers: one as OIDC_ISSUER, or with a `partner`, both in
 * OIDC_PROVIDERS, the first as "corp" and the partner as "partner".
 */
export function providerSettings(
  provider: { issuer: string; clientSecret: string },
  partner?: { issuer: string; clientSecret: string },
): { vars: Record<string, string>; secrets: Record<string, string> } {
  if (!partner)
    return {
      vars: { OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: CLIENT_ID },
      secrets: { OIDC_CLIENT_SECRET: provider.clientSecret },
    };
  return {
    vars: {
      OIDC_ISSUER: "",
      OIDC_CLIENT_ID: "",
      OIDC_PROVIDERS: JSON.stringify([
        { id: "corp", label: "Corp accounts", issuer: provider.issuer, clientId: CLIENT_ID },
        { id: "partner", label: "Partner accounts", issuer: partner.issuer, clientId: PARTNER_CLIENT_ID },
      ]),
    },
    secrets: { OIDC_CLIENT_SECRET_CORP: provider.clientSecret, OIDC_CLIENT_SECRET_PARTNER: partner.clientSecret },
  };
}

/** The worker's vars and secrets for its providers (providerSettings) and an origin by URL, `vars` on top. */
export function workerSettings(stack: {
  providerIssuer: string;
  partner?: { issuer: string; clientSecret: string };
  originUrl: string;
  clientSecret: string;
  sessionKeys: Jwks;
  vars?: Record<string, string>;
}): { vars: Record<string, string>; secrets: Record<string, string> } {
  const providers = providerSettings({ issuer: stack.providerIssuer, clientSecret: stack.clientSecret }, stack.partner);
  return {
    vars: { ORIGIN_URL: stack.originUrl, ...providers.vars, ...DEFAULT_VARS, ...stack.vars },
    secrets: { ...providers.secrets, SESSION_KEYS: JSON.stringify(stack.sessionKeys) },
  };
}

/** Every stack's worker has these unless a test says otherwise. */
export const DEFAULT_VARS = {
  ALLOWED_DOMAINS: "*",
  ORIGIN_AUDIENCE,
  PUBLIC_PATHS: "/healthz,/public/*",
};
