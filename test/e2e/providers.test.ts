import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { subjectFor } from "../../demo/provider.mjs";
import { Browser } from "../support/http-client";
import { startStack, type Stack } from "../support/stack";

/**
 * Two real local OpenID providers (demo/provider.mjs twice: other issuers, other keys, other
 * clients) in OIDC_PROVIDERS as "corp" and "partner", both answering the one callback.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    logLevel: "log",
    secondProvider: {},
    // An ID token signed by partner, with partner's issuer, handed out by corp's token endpoint.
    idTokenHook: (claims) =>
      String(claims.email).startsWith("mixup-id-token@")
        ? { claims: { ...claims, iss: stack.partner!.url }, key: stack.partner!.privateJwks.keys[0]! }
        : undefined,
    vars: {
      ACCESS_POLICY: JSON.stringify([
        { path: "/partners/*", allow: { providers: ["partner"] } },
        { path: "/corp-admin/*", allow: { providers: ["corp"], emails: ["boss@example.com"] } },
        { path: "/workspace/*", allow: { domains: ["example.com"] } },
        { path: "/vault/*", allow: { domains: ["*"] }, maxAge: 300 },
      ]),
    },
  });
});
afterAll(() => stack?.close());

/** The worker's log lines written while `run` runs (they reach Node at wrangler's "log" level). */
async function logsOf(run: () => Promise<void>): Promise<string> {
  const lines: string[] = [];
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((method) =>
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" "))),
  );
  const write = process.stdout.write;
  process.stdout.write = (chunk: unknown) => lines.push(String(chunk)) > 0;
  try {
    await run();
    // wrangler forwards the worker's output asynchronously.
    await vi.waitFor(() => expect(lines.join("")).toMatch(/"event":"request_refused"/), { timeout: 5_000 });
  } finally {
    process.stdout.write = write;
    for (const spy of spies) spy.mockRestore();
  }
  return lines.join("");
}

/** Signs `email` in at provider `id`, back on `path`. */
async function signedIn(id: "corp" | "partner", email: string, path = "/whoami"): Promise<Browser> {
  const browser = new Browser();
  const login = `${stack.workerUrl}/auth/login?provider=${id}&return_to=${encodeURIComponent(path)}`;
  const { response, url } = await browser.signIn(login, email);
  expect(url).toBe(`${stack.workerUrl}${path}`);
  expect([200, 403]).toContain(response.status);
  return browser;
}

/** What the origin was told about the last request that reached it. */
function lastAtOrigin() {
  const request = stack.originRequests.at(-1)!;
  return {
    provider: request.headers["x-auth-user-provider"],
    sub: request.headers["x-auth-user-sub"],
    assertion: decodeJwt(request.headers["x-auth-assertion"]!),
  };
}

/** Runs a sign-in at `id` up to the provider's redirect back, without calling our callback. */
async function callbackFrom(browser: Browser, id: "corp" | "partner", email: string): Promise<URL> {
  const { url } = await browser.navigate(`${stack.workerUrl}/auth/login?provider=${id}`);
  const post = await browser.request(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email }),
  });
  let location = new URL(post.headers.get("location")!, url);
  for (let hop = 0; hop < 5 && !location.href.startsWith(`${stack.workerUrl}/auth/callback`); hop++) {
    const next = await browser.request(location.href);
    location = new URL(next.headers.get("location")!, location);
  }
  return location;
}

const sessionCookies = (response: Response) =>
  response.headers.getSetCookie().filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie));

describe("choosing a provider", () => {
  it("sends a navigation without a session to a page with one link per provider, return_to kept", async () => {
    const browser = new Browser();
    const { response, hops } = await browser.navigate(`${stack.workerUrl}/reports?q=1`);
    expect(hops[0]!.location).toBe("/auth/login?return_to=%2Freports%3Fq%3D1");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    const links = [...html.matchAll(/<a[^>]* href="([^"]+)">([^<]+)<\/a>/g)].map(([, href, text]) => [
      href!.replace(/&#38;/g, "&"),
      text,
    ]);
    expect(links).toEqual([
      ["/auth/login?provider=corp&return_to=%2Freports%3Fq%3D1", "Sign in with Corp accounts"],
      ["/auth/login?provider=partner&return_to=%2Freports%3Fq%3D1", "Sign in with Partner accounts"],
    ]);
  });

  it("keeps a fresh sign-in's max_age (and prompt) through the choice, and nothing else", async () => {
    const response = await fetch(
      `${stack.workerUrl}/auth/login?return_to=%2Fadmin&max_age=900&prompt=login&evil=%22%3E`,
      { headers: { accept: "text/html" } },
    );
    const html = await response.text();
    expect(html).toContain(
      'href="/auth/login?provider=partner&#38;return_to=%2Fadmin&#38;prompt=login&#38;max_age=900"',
    );
    expect(html).not.toContain("evil");
  });

  it("sends provider=<id> straight to that provider, and refuses an unknown one with 400", async () => {
    const browser = new Browser();
    const partner = await browser.request(`${stack.workerUrl}/auth/login?provider=partner`);
    expect(partner.status).toBe(302);
    expect(partner.headers.get("location")!.startsWith(`${stack.partner!.url}/`)).toBe(true);
    expect(new URL(partner.headers.get("location")!).searchParams.get("client_id")).toBe(stack.partner!.clientId);
    const corp = await browser.request(`${stack.workerUrl}/auth/login?provider=corp`);
    expect(corp.headers.get("location")!.startsWith(`${stack.providerUrl}/`)).toBe(true);
    const unknown = await browser.request(`${stack.workerUrl}/auth/login?provider=google`);
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).not.toContain("google");
  });
});

describe("the same sub at two providers is two people", () => {
  it("tells the origin which provider, and keeps sessions, lists and revocation apart", async () => {
    const email = "same@example.com";
    const atCorp = await signedIn("corp", email);
    const corpSeen = lastAtOrigin();
    const atPartner = await signedIn("partner", email);
    const partnerSeen = lastAtOrigin();
    // The local provider derives `sub` from the e-mail: both providers issue the same one.
    expect(corpSeen.sub).toBe(subjectFor(email));
    expect(partnerSeen.sub).toBe(corpSeen.sub);
    expect([corpSeen.provider, corpSeen.assertion.idp]).toEqual(["corp", "corp"]);
    expect([partnerSeen.provider, partnerSeen.assertion.idp]).toEqual(["partner", "partner"]);

    const me = await atPartner.request(`${stack.workerUrl}/auth/me`);
    expect(await me.json()).toMatchObject({ sub: corpSeen.sub, email, provider: "partner" });

    const listed = async (browser: Browser) => {
      const response = await browser.request(`${stack.workerUrl}/auth/sessions`, {
        headers: { accept: "application/json" },
      });
      return ((await response.json()) as { sessions: { current: boolean }[] }).sessions;
    };
    const secondAtCorp = await signedIn("corp", email);
    expect(await listed(atCorp)).toHaveLength(2);
    expect(await listed(atPartner)).toHaveLength(1);

    // Signing out everywhere at corp ends corp's sessions only.
    const out = await atCorp.request(`${stack.workerUrl}/auth/logout?scope=all`, {
      method: "POST",
      headers: { origin: stack.workerUrl },
    });
    expect(out.status).toBe(303);
    secondAtCorp.jar.delete(stack.workerUrl, "__Host-access");
    atPartner.jar.delete(stack.workerUrl, "__Host-access");
    const corpAfter = await secondAtCorp.request(`${stack.workerUrl}/whoami`, {
      headers: { accept: "application/json" },
    });
    expect(corpAfter.status).toBe(401);
    const partnerAfter = await atPartner.request(`${stack.workerUrl}/whoami`, {
      headers: { accept: "application/json" },
    });
    expect(partnerAfter.status).toBe(200);
    expect(lastAtOrigin().provider).toBe("partner");

    // And partner's sign-out ends partner's session: its refresh token is refused afterwards.
    const refresh = atPartner.jar.get(stack.workerUrl, "__Host-refresh")!;
    await atPartner.request(`${stack.workerUrl}/auth/logout`, { method: "POST", headers: { origin: stack.workerUrl } });
    const replayed = await fetch(`${stack.workerUrl}/whoami`, {
      headers: { accept: "application/json", cookie: `__Host-refresh=${refresh}` },
    });
    expect(replayed.status).toBe(401);
  });
});

describe("rules per provider", () => {
  const status = async (browser: Browser, path: string) =>
    (await browser.request(`${stack.workerUrl}${path}`, { headers: { accept: "application/json" } })).status;

  it('"providers" alone admits everyone from those providers, and nobody else', async () => {
    expect(await status(await signedIn("partner", "ann@partner.example"), "/partners/x")).toBe(200);
    expect(await status(await signedIn("corp", "ann@partner.example"), "/partners/x")).toBe(403);
  });

  it('"providers" with other entries admits only those entries\' people from those providers', async () => {
    expect(await status(await signedIn("corp", "boss@example.com"), "/corp-admin/")).toBe(200);
    expect(await status(await signedIn("partner", "boss@example.com"), "/corp-admin/")).toBe(403);
    expect(await status(await signedIn("corp", "clerk@example.com"), "/corp-admin/")).toBe(403);
  });

  it("believes hd (a Workspace domain) only from Google's issuer", async () => {
    // The local providers send hd=example.com, but neither is Google.
    const browser = await signedIn("corp", "worker@example.com");
    expect(await status(browser, "/workspace/x")).toBe(403);
    expect(lastAtOrigin().assertion.hd).toBeUndefined();
  });
});

describe("a fresh sign-in (maxAge) with several providers", () => {
  it("asks for it from the first sign-in, and signs a stale session in again at its own provider, without the choice", async () => {
    const fresh = new Browser();
    const first = await fresh.request(`${stack.workerUrl}/vault/x`, { headers: { accept: "text/html" } });
    expect(first.headers.get("location")).toBe("/auth/login?return_to=%2Fvault%2Fx&max_age=300");

    const browser = await signedIn("partner", "stale@example.com");
    const { hops, url } = await browser.navigate(`${stack.workerUrl}/vault/x`);
    expect(hops[0]!.location).toBe("/auth/login?return_to=%2Fvault%2Fx&max_age=300&provider=partner");
    expect(hops[1]!.status).toBe(302);
    expect(hops[1]!.location!.startsWith(`${stack.partner!.url}/`)).toBe(true);
    expect(url).toBe(`${stack.workerUrl}/vault/x`);
    expect(lastAtOrigin().provider).toBe("partner");
  });
});

describe("mix-up (RFC 9700 4.4): a response from one provider presented as another's", () => {
  it("refuses partner's code with corp's state, with or without partner's iss", async () => {
    const browser = new Browser();
    const partnerCallback = await callbackFrom(browser, "partner", "victim@example.com");
    expect(partnerCallback.searchParams.get("iss")).toBe(stack.partner!.url);
    const logs = await logsOf(async () => {
      for (const iss of [stack.partner!.url, null, stack.providerUrl]) {
        // A callback spends its login: each attempt has a login of its own at corp.
        const corpLogin = await browser.request(`${stack.workerUrl}/auth/login?provider=corp`);
        const corpState = new URL(corpLogin.headers.get("location")!).searchParams.get("state")!;
        const spliced = new URL(partnerCallback);
        spliced.searchParams.set("state", corpState);
        if (iss === null) spliced.searchParams.delete("iss");
        else spliced.searchParams.set("iss", iss);
        const response = await browser.request(spliced.href);
        expect(response.status).toBe(400);
        expect(sessionCookies(response)).toEqual([]);
      }
    });
    expect(logs).toContain(
      `"code":"ERR_ISSUER_MISMATCH","detail":"authorization response iss is provider \\"partner\\"'s, not \\"corp\\"'s"`,
    );
    expect(logs).toContain(
      `"code":"ERR_ISSUER_MISMATCH","detail":"authorization response without iss from \\"corp\\""`,
    );
    // With corp's own iss, corp's token endpoint does not know partner's code.
    expect(logs).toContain(`"code":"ERR_BAD_REQUEST","detail":"token endpoint: invalid_grant"`);
  });

  it("refuses an ID token of partner's that corp's token endpoint hands out", async () => {
    let response: Response | undefined;
    const logs = await logsOf(async () => {
      const browser = new Browser();
      const { hops } = await browser.signIn(
        `${stack.workerUrl}/auth/login?provider=corp`,
        "mixup-id-token@example.com",
      );
      const callback = hops.find((hop) => hop.url.startsWith(`${stack.workerUrl}/auth/callback`))!;
      expect(callback.status).toBe(400);
      expect(callback.setCookies.filter((cookie) => /^__Host-(access|refresh)=[^;]/.test(cookie))).toEqual([]);
      response = await browser.request(`${stack.workerUrl}/whoami`, { headers: { accept: "application/json" } });
    });
    expect(response!.status).toBe(401);
    expect(logs).toContain(
      `"code":"ERR_ISSUER_MISMATCH","detail":"id_token iss is provider \\"partner\\"'s, not \\"corp\\"'s"`,
    );
  });

  it("refuses corp's response whose iss names partner", async () => {
    const browser = new Browser();
    const callback = await callbackFrom(browser, "corp", "renamed@example.com");
    callback.searchParams.set("iss", stack.partner!.url);
    const logs = await logsOf(async () => {
      const response = await browser.request(callback.href);
      expect(response.status).toBe(400);
      expect(sessionCookies(response)).toEqual([]);
    });
    expect(logs).toContain(
      `"code":"ERR_ISSUER_MISMATCH","detail":"authorization response iss is provider \\"partner\\"'s, not \\"corp\\"'s"`,
    );
  });
});
