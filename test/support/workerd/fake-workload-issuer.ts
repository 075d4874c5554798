import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from "jose";
import { vi } from "vitest";

/**
 * A workload issuer outside this machine (a GitHub Actions or Google stand-in) for tests inside
 * workerd: its discovery document and key set served through a fetch stand-in (the e2e tests run
 * a real one over HTTP, test/support/workload-issuer.ts). It counts what the worker fetched, can
 * rotate its key and can go down.
 */
export interface FakeWorkloadIssuer {
  issuer: string;
  hits: { discovery: number; jwks: number };
  /** Signs a token: GitHub-like claims for `aud` https://app.test by default; `claims` replace them. */
  token(claims?: JWTPayload, header?: Record<string, unknown>): Promise<string>;
  /** A new signing key under a new kid; the old one leaves the key set. */
  rotate(): Promise<void>;
  setAvailable(up: boolean): void;
}

export const WORKLOAD_CLAIMS = {
  sub: "repo:org/app:ref:refs/heads/main",
  repository: "org/app",
  ref: "refs/heads/main",
};

/** Every fake issuer made in this test process, by URL: one fetch stand-in serves them all (a test names an issuer of its own). */
const issuers = new Map<string, (url: string) => Promise<Response | undefined>>();
const realFetch = globalThis.fetch;

/** Installs the stand-in on globalThis.fetch (restore with vi.restoreAllMocks()); other URLs pass through. */
export async function fakeWorkloadIssuer(issuer: string): Promise<FakeWorkloadIssuer> {
  let key = await generateKeyPair("RS256");
  let kid = "w-1";
  let up = true;
  const hits = { discovery: 0, jwks: 0 };
  if (!vi.isMockFunction(globalThis.fetch)) {
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      // Read the URL without building a Request from `input`: that would take its body.
      const url = input instanceof Request ? input.url : String(input);
      for (const serve of issuers.values()) {
        const response = await serve(url);
        if (response) return response;
      }
      return realFetch(input, init);
    });
  }
  issuers.set(issuer, async (url) => {
    if (url === `${issuer}/.well-known/openid-configuration`) {
      hits.discovery++;
      if (!up) throw new TypeError("Network connection lost.");
      return Response.json({
        issuer,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
      });
    }
    if (url === `${issuer}/jwks`) {
      hits.jwks++;
      if (!up) return new Response("unavailable", { status: 503 });
      return Response.json({ keys: [{ ...(await exportJWK(key.publicKey)), kid, alg: "RS256", use: "sig" }] });
    }
    return undefined;
  });
  return {
    issuer,
    hits,
    token(claims = {}, header = {}) {
      const nowSeconds = Math.floor(Date.now() / 1000);
      return new SignJWT({
        ...WORKLOAD_CLAIMS,
        iss: issuer,
        aud: "https://app.test",
        iat: nowSeconds,
        exp: nowSeconds + 300,
        ...claims,
      })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT", ...header })
        .sign(key.privateKey);
    },
    async rotate() {
      key = await generateKeyPair("RS256");
      kid = `w-${Date.now()}`;
    },
    setAvailable(next) {
      up = next;
    },
  };
}
