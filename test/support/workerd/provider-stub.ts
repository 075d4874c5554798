import { importJWK, SignJWT, type JWK } from "jose";
import { vi } from "vitest";
import { callWith, ISSUER } from "./helpers";

/**
 * The OpenID provider's token and JWKS endpoints for sign-ins inside workerd (discovery is
 * vitest.config.ts's outboundService): a code handed out here is exchanged once for an ID token
 * signed with this fixed test key (fixed, so that the worker's per-isolate JWKS cache never
 * holds a stale one). The e2e tests use a real provider instead.
 */
const PROVIDER_KEY: JWK = {
  kty: "RSA",
  n: "oiVwT3-5e9_qYoQiZdnxSgDPGJZDwyIDBWObRY_m-XWcXCSDpwgoQNGfFv46e3tHen5KUxJvrbN-D5yXYgG4_a8wgZSQaObZMU04Rtc6Aiv4auAb9VdfLutPSMRVB_5n-m4IcWpMyNCUDnQX6nH01GufU8Xorh0ywQE7fZr_Ix7RJRlemaWd4I969aX2fjXFQxSifocGT3Ys51smHYdLu64sLCAKFZ2B8Oo4KVmwHd81Z0V8-h8FavhwV7oIe3Ang1dUrIm6FWGA14zVqtd-BpLZM7JBBO5sFArr1P5zzVYSj-31I2S3rKJI95FEWFhYdk0t9wK6cXKx36dbHAHD4Q",
  e: "AQAB",
  d: "AXKn4sqDTvS9iIPBSmCfNSqAxD7llpbFc-J92r8e6wFBZDhpFWBfD_rHNXAk-HYN-ffUz6fWx98WJrXJYMUe6vip4a2rJJ1Tbmt6pOBLtW9W1H575W2SV85fBX7HpcQAQfCtAjVBVQWOyDpsvb78K-WU9UKrcfA9uX06iU6NYsRXpWhdpJxOeTdbPjHDjbVH_2HDjV_YtOw5BjJvMGmYqAK9E-YOYDZmr7HC2-gv_0tCEhTUfZ-ufBAIiD-Np3GrrhP1EfJxXDCC5_DYuflR5GOhfAq-syB4Lg6yOXXzakCzMRH03F4vMK34KUvclndVWf7cTxWNstl8Lkteho0raQ",
  p: "4j6-X7qTiKjyXRfV6aajI_SmImFWK-SB583DAZIoARhKkfeBW9E_TEGwRbz_lLLoq0L2E6Ye3bK9uo2U0mv-b_twy5DaIZ9zS_80KjRpSrhVdDhzt-SmmNjKsB93KDhy9yCV1CA7fsmdkIdD1POt1zFuGovY3AvmftQt9w0pR0k",
  q: "t3iazghzNwTC9K_37pjoQyWGY3kw4_8wlqWUHBTFY1gHiPBo-RAisA5bxXl5MJZusofNBP1iAXH5YQmzzuoHFrH_88wCblpRZKOrOF0qZkAH5f2IGp3PSFQ4ulr9lsVELDacfh7UCihEM8ZXur8gE6crKyNWAB9wTHDG4VTOn9k",
  dp: "eY3yZKZum88BoGitAoMIRcos9G3NiXmVHgDcE9z951Cwx-nts3IiCwuD9IQN4UuaXGF2qqnnDX_6Fd_5pHBnXK0ANi7WM5hiruMnmMFeDMorB21JJvUPWTGo_KV7NL3XbtUwCq9ip8UVBdDW7fQaY3LoUBTw55DxPxUquQB2PBk",
  dq: "rHgUVg_9dr_kIK52i_VziQNydHoNapaOb18RfuBLuZqb4q_UjiUL5qJoxJbvRKx1PSCJquIiSieA_SZov96hcUU8zUp_EouWrdtpbh-uZtZUVnBhjFvC6kQ5230Dm8Ku1j00GR8TxsSZcG5INAXMuozP-MpL4uuq3kC5xEK7xek",
  qi: "B0c6bvryOWLZ4rf30VE6MhGtaFtN8fMtZKSzS1slHUgJT36RnY_vBOCk0_WhzVjWqScNyzZ4L1xX7LUwkAO_cXOZ-vBF-QCclojEBS4EhqmF1SfJmTp0kyoGiAOFJ0P-XwA23BhIfBfvomXFhrjBBBmoJvUMvytr-48XBdbnHqI",
  kid: "unit-provider-1",
  alg: "RS256",
};
const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...PUBLIC_KEY } = PROVIDER_KEY;
const PROVIDER = "https://issuer.test";

const codes = new Map<string, Record<string, unknown>>();
/** Marks the installed stub, so that it is installed again after a test's vi.restoreAllMocks(). */
const STUB = Symbol("provider stub");

function installProvider() {
  if ((globalThis.fetch as { [STUB]?: true })[STUB]) return;
  const real = globalThis.fetch;
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (request.url === `${PROVIDER}/jwks`) return Response.json({ keys: [PUBLIC_KEY] });
    if (request.url !== `${PROVIDER}/token`) return real(input, init);
    const code = new URLSearchParams(await request.text()).get("code") ?? "";
    const claims = codes.get(code);
    codes.delete(code);
    if (!claims) return Response.json({ error: "invalid_grant" }, { status: 400 });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: PROVIDER_KEY.kid! })
      .setIssuer(PROVIDER)
      // A test may sign what a misbehaving provider would: its own audience or issue time.
      .setAudience((claims.aud as string | string[] | undefined) ?? "unit-client")
      .setIssuedAt((claims.iat as number | undefined) ?? nowSeconds)
      .setExpirationTime(nowSeconds + 300)
      .sign(await importJWK(PROVIDER_KEY, "RS256"));
    return Response.json({ access_token: "provider-access", token_type: "Bearer", id_token: idToken, expires_in: 300 });
  });
  (spy as unknown as { [STUB]: true })[STUB] = true;
}

/** Who signs in, and any other claim the ID token should carry instead of the usual one (`nonce`, `aud`, `iat`, `azp`). */
export type ProviderClaims = { sub: string; email: string; email_verified?: unknown } & Record<string, unknown>;

/**
 * The provider's side of a sign-in started at `authorizeLocation` (the worker's redirect to the
 * authorization endpoint): `who` consents, and the browser is sent back. Returns the callback
 * URL the provider redirects to, with a one-time code for an ID token with the login's nonce.
 */
export function consent(authorizeLocation: string, who: ProviderClaims): URL {
  installProvider();
  const authorize = new URL(authorizeLocation);
  if (authorize.origin !== PROVIDER) throw new Error(`not the provider: ${authorize.origin}`);
  const code = crypto.randomUUID();
  codes.set(code, { email_verified: true, nonce: authorize.searchParams.get("nonce"), ...who });
  const callback = new URL(authorize.searchParams.get("redirect_uri") ?? "");
  callback.search = new URLSearchParams({ code, state: authorize.searchParams.get("state") ?? "" }).toString();
  return callback;
}

/**
 * A whole sign-in through the worker's real routes: GET /auth/login on `host` (default our
 * public origin), the provider's consent (here: a code for `sub`/`email`), then the callback
 * with this browser's login cookie. Returns the callback's response.
 */
export async function signInThroughProvider(
  who: ProviderClaims,
  options: { bindings?: Record<string, unknown>; returnTo?: string; origin?: string; cookie?: string } = {},
): Promise<Response> {
  installProvider();
  const bindings = options.bindings ?? {};
  const origin = options.origin ?? ISSUER;
  const login = await callWith(
    bindings,
    `/auth/login?return_to=${encodeURIComponent(options.returnTo ?? "/")}`,
    {},
    origin,
  );
  // The browser's other cookies (an earlier session's) come back with the callback too.
  const cookie = [
    ...login.headers.getSetCookie().map((line) => line.split(";")[0]),
    ...(options.cookie ? [options.cookie] : []),
  ].join("; ");
  const callback = consent(login.headers.get("location") ?? "", who);
  return callWith(bindings, callback.pathname + callback.search, { headers: { cookie } }, callback.origin);
}
