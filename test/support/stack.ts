import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOrigin } from "../../demo/origin.mjs";
import { startProvider } from "../../demo/provider.mjs";
import { startOriginWorker, startWorker } from "../../demo/worker.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";

export interface OriginRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface Stack {
  workerUrl: string;
  /** With `previewHost`: the same worker under a second hostname, a preview host PREVIEW_HOSTS names. */
  previewUrl: string;
  providerUrl: string;
  originUrl: string;
  clientId: string;
  clientSecret: string;
  originRequests: OriginRequest[];
  sessionKeys: { keys: { kid: string; alg: string }[] };
  /** How many times each path of the provider was requested (e.g. "/jwks"). */
  providerHits: Map<string, number>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Worker vars on top of the defaults below (ALLOWED_DOMAINS "*" etc.). */
  vars?: Record<string, string>;
  /** Rewrites ID tokens at the provider's token endpoint (see demo/README.md). */
  idTokenHook?: (claims: Record<string, unknown>) => object | undefined;
  /** wrangler's log level; "log" passes the worker's console output through. Default "none". */
  logLevel?: "none" | "log";
  /** Point ORIGIN_URL (or, behind the binding, the origin Worker) at a port where nothing listens. */
  originDown?: boolean;
  /**
   * How the worker reaches the origin: "url" (ORIGIN_URL, the default) or "service-binding"
   * (no ORIGIN_URL: the ORIGIN binding to demo/origin-worker/, a Worker in front of the demo
   * origin, with ORIGIN_AUDIENCE "e2e-origin").
   */
  originVia?: "url" | "service-binding";
  /**
   * A preview deployment under a second hostname: PUBLIC_URL is http://127.0.0.1:PORT (the
   * registered host, the only redirect URI the provider knows) and PREVIEW_HOSTS names
   * localhost:PORT, the same worker reached by another host name.
   */
  previewHost?: boolean;
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

/**
 * The whole system on loopback: the local OpenID provider (oidc-provider, behaving like
 * Google), the demo origin, and this worker under wrangler's local runtime with real KV.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const workerPort = await freePort();
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const clientId = "e2e-client";
  const clientSecret = randomBytes(24).toString("hex");
  const sessionKeys = await generateKeySet("ES256");
  const providerHits = new Map<string, number>();
  const provider = await startProvider({
    onRequest: (request: { url?: string }) => {
      const path = new URL(request.url ?? "/", "http://provider").pathname;
      providerHits.set(path, (providerHits.get(path) ?? 0) + 1);
    },
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [`${workerUrl}/auth/callback`] }],
    idTokenHook: options.idTokenHook && ((claims: object) => options.idTokenHook!(claims as Record<string, unknown>)),
  });
  const originPort = options.originDown ? await freePort() : 0;
  const origin = options.originDown
    ? { url: `http://127.0.0.1:${originPort}`, requests: [], close: async () => {} }
    : await startOrigin({ jwksUrl: `${workerUrl}/.well-known/jwks.json`, issuer: workerUrl, audience: "e2e-origin" });
  const viaBinding = options.originVia === "service-binding";
  const registry = viaBinding ? mkdtempSync(join(tmpdir(), "e2e-registry-")) : undefined;
  const originWorker = registry ? await startOriginWorker({ privateOriginUrl: origin.url, registry, logLevel: "none" }) : undefined;
  const worker = await startWorker({
    port: workerPort,
    ...(registry && originWorker ? { originService: { registry, service: originWorker.name } } : {}),
    vars: {
      ORIGIN_URL: viaBinding ? "" : origin.url,
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: clientId,
      ALLOWED_DOMAINS: "*",
      ORIGIN_AUDIENCE: "e2e-origin",
      PUBLIC_PATHS: "/healthz,/public/*",
      ...(options.previewHost ? { PUBLIC_URL: workerUrl, PREVIEW_HOSTS: `localhost:${workerPort}` } : {}),
      ...options.vars,
    },
    secrets: { OIDC_CLIENT_SECRET: clientSecret, SESSION_KEYS: JSON.stringify(sessionKeys) },
    logLevel: options.logLevel ?? "none",
  });
  return {
    workerUrl,
    previewUrl: `http://localhost:${workerPort}`,
    providerUrl: provider.issuer,
    originUrl: origin.url,
    clientId,
    clientSecret,
    // Node gives arrays only for Set-Cookie, which requests do not carry.
    originRequests: origin.requests as OriginRequest[],
    sessionKeys,
    providerHits,
    async close() {
      // The origin Worker first: stopping the worker first makes its dev session rebuild as it goes.
      await originWorker?.dispose();
      await worker.dispose();
      await Promise.all([provider.close(), origin.close()]);
      if (registry) rmSync(registry, { recursive: true, force: true });
    },
  };
}
