import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startGoogleDirectory } from "../../demo/google-directory.mjs";
import { startOrigin } from "../../demo/origin.mjs";
import { startProvider } from "../../demo/provider.mjs";
import { createRiscTransmitter } from "../../demo/risc-transmitter.mjs";
import { createServiceAccount } from "../../demo/service-account.mjs";
import { startOriginWorker, startWorker } from "../../demo/worker.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { inject } from "vitest";
import {
  CLIENT_ID,
  DEFAULT_VARS,
  freePort,
  ORIGIN_AUDIENCE,
  PARTNER_CLIENT_ID,
  providerSettings,
  type WorkerLease,
  type WorkerRequest,
} from "./stack-settings";

export { freePort } from "./stack-settings";

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
  /** The worker's PUBLIC_URL, if it has one (`previewHost`, `publicOnLocalhost`). */
  publicUrl?: string;
  providerUrl: string;
  originUrl: string;
  clientId: string;
  clientSecret: string;
  originRequests: OriginRequest[];
  /** Every WebSocket close the origin saw: its path, code and reason. */
  originSocketCloses: { url: string; code: number; reason: string }[];
  sessionKeys: { keys: { kid: string; alg: string }[] };
  /** The provider's private signing keys (RS256 JWKs). */
  providerPrivateJwks: { keys: { kid: string }[] };
  /**
   * With `secondProvider`: the other provider, its own issuer, keys and client. The worker then
   * has OIDC_PROVIDERS with the stack's provider as "corp" and this one as "partner".
   */
  partner?: { url: string; clientId: string; privateJwks: { keys: { kid: string }[] } };
  /** How many times each path of the provider was requested (e.g. "/jwks"). */
  providerHits: Map<string, number>;
  /** The provider's fake RISC transmitter and the service account that may manage it (with `risc`). */
  risc?: {
    transmitter: Awaited<ReturnType<typeof createRiscTransmitter>>;
    serviceAccount: Awaited<ReturnType<typeof createServiceAccount>>;
  };
  /** The fake Google directory, when the stack was started with `groups`. */
  directory?: Awaited<ReturnType<typeof startGoogleDirectory>>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Worker vars on top of the defaults below (ALLOWED_DOMAINS "*" etc.). */
  vars?: Record<string, string>;
  /** Secrets on top of OIDC_CLIENT_SECRET and SESSION_KEYS (KEY_WRAPPING_SECRET, say). */
  secrets?: Record<string, string>;
  /** Serve `/__scheduled` (`wrangler dev --test-scheduled`): a GET runs the cron trigger's handler once. */
  testScheduled?: boolean;
  /** Rewrites ID tokens at the provider's token endpoint (see demo/README.md). */
  idTokenHook?: (claims: Record<string, unknown>) => object | undefined;
  /**
   * A second local provider (demo/provider.mjs again: another issuer, other keys, its own client),
   * and OIDC_PROVIDERS naming both: "corp" (the stack's provider) and "partner" (this one).
   * Its own `idTokenHook`, if any.
   */
  secondProvider?: { idTokenHook?: (claims: Record<string, unknown>) => object | undefined };
  /** wrangler's log level; "log" passes the worker's console output through. Default "none". */
  logLevel?: "none" | "log";
  /** Point ORIGIN_URL (or, behind the binding, the origin Worker) at a port where nothing listens. */
  originDown?: boolean;
  /**
   * Start the fake Google directory with these groups (group address -> members) and point
   * the worker at it with a service account (GOOGLE_GROUPS_CREDENTIALS).
   */
  groups?: Record<string, string[]>;
  /** Serve a fake RISC transmitter at the provider's issuer (its SETs are for this stack's client id). */
  risc?: boolean;
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
  /**
   * An origin of the test's own instead of the demo origin (an example origin in another
   * language, say), started once the worker's address is known: it verifies assertions against
   * `${workerUrl}/.well-known/jwks.json` with `iss` = workerUrl and `aud` = "e2e-origin" (the
   * stack's ORIGIN_AUDIENCE). Stopped with the stack. `originRequests` stays empty.
   */
  origin?: (worker: { workerUrl: string; audience: string }) => Promise<{ url: string; close(): Promise<void> }>;
  /** SESSION_KEYS (a private JWK Set, first key signs); default: one fresh ES256 key. */
  sessionKeys?: { keys: { kid: string; alg: string }[] };
  /**
   * PUBLIC_URL is http://localhost:PORT (the only redirect URI the provider knows), as `npm start`
   * runs it, while `workerUrl` stays http://127.0.0.1:PORT: another host name of the same worker,
   * not a preview's.
   */
  publicOnLocalhost?: boolean;
}

/**
 * The whole system on loopback: the local OpenID provider (oidc-provider, behaving like
 * Google), the demo origin, and this worker under wrangler's local runtime with real KV.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const broker = inject("sharedWorkers");
  if (broker && canShare(options)) return startOnSharedWorker(broker, options);
  const workerPort = await freePort();
  const workerUrl = `http://127.0.0.1:${workerPort}`;
  const publicUrl = options.publicOnLocalhost
    ? `http://localhost:${workerPort}`
    : options.previewHost
      ? workerUrl
      : undefined;
  const clientId = CLIENT_ID;
  const clientSecret = randomBytes(24).toString("hex");
  const sessionKeys = options.sessionKeys ?? (await generateKeySet("ES256"));
  const providerHits = new Map<string, number>();
  const serviceAccount = options.risc ? await createServiceAccount() : undefined;
  const transmitter = serviceAccount ? await createRiscTransmitter({ audience: clientId, serviceAccount }) : undefined;
  const provider = await startProvider({
    ...(transmitter ? { routes: transmitter.handle } : {}),
    onRequest: (request: { url?: string }) => {
      const path = new URL(request.url ?? "/", "http://provider").pathname;
      providerHits.set(path, (providerHits.get(path) ?? 0) + 1);
    },
    clients: [
      { client_id: clientId, client_secret: clientSecret, redirect_uris: [`${publicUrl ?? workerUrl}/auth/callback`] },
    ],
    idTokenHook: options.idTokenHook && ((claims: object) => options.idTokenHook!(claims as Record<string, unknown>)),
  });
  transmitter?.bind(provider.issuer);
  const partnerClient = { id: PARTNER_CLIENT_ID, secret: randomBytes(24).toString("hex") };
  const second = options.secondProvider;
  const partner = second
    ? await startProvider({
        clients: [
          {
            client_id: partnerClient.id,
            client_secret: partnerClient.secret,
            redirect_uris: [`${publicUrl ?? workerUrl}/auth/callback`],
          },
        ],
        ...(second.idTokenHook
          ? { idTokenHook: (claims: object) => second.idTokenHook!(claims as Record<string, unknown>) }
          : {}),
      })
    : undefined;
  // One provider as OIDC_ISSUER/OIDC_CLIENT_ID/OIDC_CLIENT_SECRET, or both in OIDC_PROVIDERS.
  const { vars: providerVars, secrets: providerSecrets } = providerSettings(
    { issuer: provider.issuer, clientSecret },
    partner && { issuer: partner.issuer, clientSecret: partnerClient.secret },
  );
  const originPort = options.originDown ? await freePort() : 0;
  const origin = options.originDown
    ? { url: `http://127.0.0.1:${originPort}`, requests: [], socketCloses: [], close: async () => {} }
    : options.origin
      ? { requests: [], socketCloses: [], ...(await options.origin({ workerUrl, audience: ORIGIN_AUDIENCE })) }
      : await startOrigin({
          jwksUrl: `${workerUrl}/.well-known/jwks.json`,
          issuer: publicUrl ?? workerUrl,
          audience: ORIGIN_AUDIENCE,
        });
  const directory = options.groups ? await startGoogleDirectory({ groups: options.groups }) : undefined;
  const directoryVars: Record<string, string> = directory
    ? { GOOGLE_API_BASE_URL: directory.apiBaseUrl, GOOGLE_OAUTH_TOKEN_URL: directory.tokenUrl }
    : {};
  const viaBinding = options.originVia === "service-binding";
  const registry = viaBinding ? mkdtempSync(join(tmpdir(), "e2e-registry-")) : undefined;
  const originWorker = registry
    ? await startOriginWorker({ privateOriginUrl: origin.url, registry, logLevel: "none", rebuildOnChange: false })
    : undefined;
  const worker = await startWorker({
    port: workerPort,
    ...(registry && originWorker ? { originService: { registry, service: originWorker.name } } : {}),
    vars: {
      ORIGIN_URL: viaBinding ? "" : origin.url,
      ...providerVars,
      ...DEFAULT_VARS,
      ...directoryVars,
      ...(options.previewHost ? { PUBLIC_URL: workerUrl, PREVIEW_HOSTS: `localhost:${workerPort}` } : {}),
      ...(options.publicOnLocalhost ? { PUBLIC_URL: publicUrl! } : {}),
      ...options.vars,
    },
    secrets: {
      ...providerSecrets,
      SESSION_KEYS: JSON.stringify(sessionKeys),
      ...(directory ? { GOOGLE_GROUPS_CREDENTIALS: directory.credentials } : {}),
      ...options.secrets,
    },
    logLevel: options.logLevel ?? "none",
    testScheduled: options.testScheduled ?? false,
    // A test's worker runs the sources as they were when it started (demo/worker.mjs, BUNDLE_ONCE).
    rebuildOnChange: false,
  });
  return {
    workerUrl,
    previewUrl: `http://localhost:${workerPort}`,
    ...(publicUrl ? { publicUrl } : {}),
    providerUrl: provider.issuer,
    originUrl: origin.url,
    clientId,
    clientSecret,
    // Node gives arrays only for Set-Cookie, which requests do not carry.
    originRequests: origin.requests as OriginRequest[],
    originSocketCloses: origin.socketCloses,
    sessionKeys,
    providerPrivateJwks: provider.privateJwks as Stack["providerPrivateJwks"],
    ...(partner
      ? {
          partner: {
            url: partner.issuer,
            clientId: partnerClient.id,
            privateJwks: partner.privateJwks as Stack["providerPrivateJwks"],
          },
        }
      : {}),
    providerHits,
    ...(directory ? { directory } : {}),
    ...(transmitter && serviceAccount ? { risc: { transmitter, serviceAccount } } : {}),
    async close() {
      // The origin Worker first: stopping the worker first makes its dev session rebuild as it goes.
      await originWorker?.dispose();
      await worker.dispose();
      await Promise.all([provider.close(), partner?.close(), origin.close(), directory?.close()]);
      if (registry) rmSync(registry, { recursive: true, force: true });
    },
  };
}

/**
 * A worker from the broker of shared workers (test/support/shared-workers.ts, whose URL the
 * project's global setup provides as `sharedWorkers`), and how to hand it back.
 */
export async function leaseWorker(
  broker: string,
  request: WorkerRequest,
): Promise<{ lease: WorkerLease; release(): Promise<void> }> {
  const call = async (route: string, body: object) => {
    const response = await fetch(`${broker}${route}`, { method: "POST", body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`shared worker broker, ${route}: ${await response.text()}`);
    return response.json();
  };
  const lease = (await call("/lease", request)) as WorkerLease;
  return { lease, release: async () => void (await call("/release", { id: lease.id })) };
}

/**
 * Whether a shared worker (test/support/shared-workers.ts) can stand in for this stack's own:
 * only the worker vars and what the file's own provider and origin do may differ.
 */
function canShare(options: StackOptions): boolean {
  const shareable = new Set(["vars", "idTokenHook", "originDown", "logLevel", "publicOnLocalhost", "secondProvider"]);
  const differs = Object.entries(options).filter(([name, value]) => value !== undefined && !shareable.has(name));
  return differs.length === 0 && (options.logLevel ?? "none") === "none";
}

/** What a file runs beside a leased worker, and how (test/browser/support.ts uses it too). */
export interface LeasedPartsOptions {
  idTokenHook?: StackOptions["idTokenHook"];
  /** Called first for every request to the provider. */
  onProviderRequest?: (request: { url?: string }) => void;
  /** The accounts the provider's account chooser lists. */
  providerAccounts?: string[];
  /** The demo origin's test hook: runs before it answers a request. */
  onOriginRequest?: NonNullable<Parameters<typeof startOrigin>[0]>["onRequest"];
  /** Leave the origin's port without a listener. */
  originDown?: boolean;
  /** With a lease that has a partner provider: its ID-token hook. */
  partnerIdTokenHook?: StackOptions["idTokenHook"];
}

/**
 * This file's provider and origin on the ports a leased worker knows them by, with the keys and
 * client secret it was started with; on failure, what was started is stopped and the worker
 * handed back.
 */
export async function startLeasedParts(
  lease: WorkerLease,
  release: () => Promise<void>,
  options: LeasedPartsOptions,
): Promise<{
  provider: Awaited<ReturnType<typeof startProvider>>;
  partner: Awaited<ReturnType<typeof startProvider>> | undefined;
  origin: Awaited<ReturnType<typeof startOrigin>> | undefined;
}> {
  let provider: Awaited<ReturnType<typeof startProvider>> | undefined;
  let partner: Awaited<ReturnType<typeof startProvider>> | undefined;
  try {
    provider = await startLeasedProvider(lease, options);
    // The file's second provider, as the leased worker knows it.
    partner =
      lease.partner &&
      (await startProviderFor(
        lease,
        { ...lease.partner, clientId: PARTNER_CLIENT_ID },
        { idTokenHook: options.partnerIdTokenHook },
      ));
    const origin = options.originDown ? undefined : await startLeasedOrigin(lease, options);
    return { provider, partner, origin };
  } catch (error) {
    await Promise.all([provider?.close(), partner?.close()]);
    await release();
    throw error;
  }
}

/** Who a provider of a leased worker is: its port and keys (as the lease names the partner's), and our client there. */
type LeasedParty = NonNullable<WorkerLease["partner"]> & { clientId: string };

/** A provider on the port, with the keys and the client a leased worker was started with. */
function startProviderFor(
  lease: WorkerLease,
  party: LeasedParty,
  options: Pick<LeasedPartsOptions, "idTokenHook" | "onProviderRequest" | "providerAccounts">,
): ReturnType<typeof startProvider> {
  const site = lease.publicUrl ?? lease.workerUrl;
  const { idTokenHook } = options;
  return startProvider({
    port: party.port,
    keys: party.privateJwks,
    ...(options.onProviderRequest ? { onRequest: options.onProviderRequest } : {}),
    ...(options.providerAccounts ? { accounts: options.providerAccounts } : {}),
    clients: [
      { client_id: party.clientId, client_secret: party.clientSecret, redirect_uris: [`${site}/auth/callback`] },
    ],
    idTokenHook: idTokenHook && ((claims: object) => idTokenHook(claims as Record<string, unknown>)),
  });
}

/** The file's provider, as the leased worker knows it (again after a test stopped it, say). */
export function startLeasedProvider(
  lease: WorkerLease,
  options: Pick<LeasedPartsOptions, "idTokenHook" | "onProviderRequest" | "providerAccounts">,
): ReturnType<typeof startProvider> {
  const party = {
    port: lease.providerPort,
    privateJwks: lease.providerPrivateJwks,
    clientId: CLIENT_ID,
    clientSecret: lease.clientSecret,
  };
  return startProviderFor(lease, party, options);
}

/** The file's demo origin on the port a leased worker knows it by (ORIGIN_URL). */
export function startLeasedOrigin(
  lease: WorkerLease,
  options: Pick<LeasedPartsOptions, "onOriginRequest">,
): ReturnType<typeof startOrigin> {
  // The origin fetches the worker's JWKS from Node: 127.0.0.1, not localhost (which may be ::1).
  return startOrigin({
    port: lease.originPort,
    jwksUrl: `${lease.workerUrl}/.well-known/jwks.json`,
    issuer: lease.publicUrl ?? lease.workerUrl,
    audience: ORIGIN_AUDIENCE,
    onRequest: options.onOriginRequest,
  });
}

/** The stack on a leased shared worker; `close()` stops the file's provider and origin and hands the worker back. */
async function startOnSharedWorker(broker: string, options: StackOptions): Promise<Stack> {
  const { lease, release } = await leaseWorker(broker, {
    vars: options.vars ?? {},
    publicOnLocalhost: options.publicOnLocalhost === true,
    secondProvider: options.secondProvider !== undefined,
  });
  const providerHits = new Map<string, number>();
  const { provider, partner, origin } = await startLeasedParts(lease, release, {
    idTokenHook: options.idTokenHook,
    partnerIdTokenHook: options.secondProvider?.idTokenHook,
    onProviderRequest: (request) => {
      const path = new URL(request.url ?? "/", "http://provider").pathname;
      providerHits.set(path, (providerHits.get(path) ?? 0) + 1);
    },
    originDown: options.originDown,
  });
  return {
    workerUrl: lease.workerUrl,
    previewUrl: lease.workerUrl.replace("127.0.0.1", "localhost"),
    ...(lease.publicUrl ? { publicUrl: lease.publicUrl } : {}),
    providerUrl: provider.issuer,
    originUrl: origin?.url ?? `http://127.0.0.1:${lease.originPort}`,
    clientId: CLIENT_ID,
    clientSecret: lease.clientSecret,
    originRequests: (origin?.requests ?? []) as OriginRequest[],
    originSocketCloses: origin?.socketCloses ?? [],
    sessionKeys: lease.sessionKeys,
    providerPrivateJwks: lease.providerPrivateJwks,
    ...(partner && lease.partner
      ? {
          partner: {
            url: partner.issuer,
            clientId: PARTNER_CLIENT_ID,
            privateJwks: lease.partner.privateJwks,
          },
        }
      : {}),
    providerHits,
    async close() {
      await Promise.all([provider.close(), partner?.close(), origin?.close()]);
      await release();
    },
  };
}
