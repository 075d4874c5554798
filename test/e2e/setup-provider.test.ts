import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { environment, secretsOf, workspace } from "../support/setup-workspace";

/**
 * `npm run setup -- --env NAME --add-provider ID` against the stand-in wrangler, on this repository's
 * wrangler.toml with [env.staging] already set up for one (Google) provider the single way.
 */
const STAGING_CLIENT_ID = "1234-staging.apps.googleusercontent.com";
const SET_UP_TOML = (() => {
  const toml = readFileSync("wrangler.toml", "utf8");
  const at = toml.indexOf("[env.staging]");
  const staging = toml
    .slice(at)
    .replace('id = "00000000000000000000000000000000"', 'id = "5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e"')
    .replace('OIDC_CLIENT_ID = ""', `OIDC_CLIENT_ID = "${STAGING_CLIENT_ID}"`);
  return toml.slice(0, at) + staging;
})();
const OLD_SECRET = "current-google-client-secret";
const NEW_SECRET = "partner-client-secret-value";
const WORKER = "edge-auth-worker-staging";
const PARTNER = [
  "--env",
  "staging",
  "--add-provider",
  "partner",
  "--label",
  "Partner accounts",
  "--issuer",
  "https://login.partner.example",
  "--client-id",
  "partner-web",
  "--client-secret",
  "-",
];

/** A workspace whose staging Worker is deployed with the single provider's secret. */
function setUpStaging(secrets: Record<string, string> = { OIDC_CLIENT_SECRET: OLD_SECRET, SESSION_KEYS: "{}" }) {
  const space = workspace(SET_UP_TOML);
  writeFileSync(space.state, JSON.stringify({ namespaces: [], workers: { [WORKER]: { secrets } } }));
  return space;
}

const putCalls = (calls: { args: string[] }[]) =>
  calls.filter((call) => call.args[0] === "secret" && call.args[1] === "put").map((call) => call.args[2]);

describe("npm run setup -- --add-provider", () => {
  it('turns the single provider into "default" and adds the new one; a second run appends', async () => {
    const space = setUpStaging();
    const result = await space.run(PARTNER, { input: `${NEW_SECRET}\n`, env: { OIDC_CLIENT_SECRET: OLD_SECRET } });
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    const vars = (await environment(space.toml, "staging")).vars;
    // "default" keeps every session: its people are known by their bare `sub`, as before.
    expect(JSON.parse(vars.OIDC_PROVIDERS ?? "")).toEqual([
      { id: "default", label: "Google", issuer: "https://accounts.google.com", clientId: STAGING_CLIENT_ID },
      { id: "partner", label: "Partner accounts", issuer: "https://login.partner.example", clientId: "partner-web" },
    ]);
    expect(vars.OIDC_CLIENT_ID).toBe("");
    expect(secretsOf(space.account(), WORKER)).toMatchObject({
      OIDC_CLIENT_SECRET_DEFAULT: OLD_SECRET,
      OIDC_CLIENT_SECRET_PARTNER: NEW_SECRET,
      // Still read by the version running now: deleted by hand after the deploy, as setup says.
      OIDC_CLIENT_SECRET: OLD_SECRET,
    });
    expect(putCalls(result.calls)).toEqual(["OIDC_CLIENT_SECRET_DEFAULT", "OIDC_CLIENT_SECRET_PARTNER"]);
    expect(result.output).toContain("register the redirect URI:\n  https://staging.app.example.com/auth/callback\n");
    expect(result.output).toContain("npx wrangler secret delete OIDC_CLIENT_SECRET --env staging");
    // Only the two vars changed; every other line, comments included, is as it was.
    const text = space.text();
    expect(text.replace(/OIDC_PROVIDERS = '''\n[^']*'''\n/, "")).toBe(
      SET_UP_TOML.replace(`OIDC_CLIENT_ID = "${STAGING_CLIENT_ID}"`, 'OIDC_CLIENT_ID = ""'),
    );
    for (const secret of [OLD_SECRET, NEW_SECRET]) {
      expect(result.output).not.toContain(secret);
      expect(text).not.toContain(secret);
    }

    // After the deploy, the single provider's secret deleted as setup said.
    const deployed = space.account();
    delete secretsOf(deployed, WORKER).OIDC_CLIENT_SECRET;
    writeFileSync(space.state, JSON.stringify(deployed));
    const second = await space.run(
      ["--env", "staging", "--add-provider", "corp-sso", "--label", "Corp SSO"].concat([
        "--issuer",
        "https://sso.corp.example/realms/main",
        "--client-id",
        "edge",
        "--client-secret",
        "-",
      ]),
      { input: "corp-secret\n" },
    );
    expect(second.output).toContain("configuration OK");
    expect(second.code).toBe(0);
    const after = JSON.parse((await environment(space.toml, "staging")).vars.OIDC_PROVIDERS ?? "");
    expect(after.map((entry: { id: string }) => entry.id)).toEqual(["default", "partner", "corp-sso"]);
    expect(putCalls(second.calls)).toEqual(["OIDC_CLIENT_SECRET_CORP_SSO"]);
    expect(secretsOf(space.account(), WORKER).OIDC_CLIENT_SECRET_CORP_SSO).toBe("corp-secret");
    expect(second.output).not.toContain("secret delete");
  }, 120_000);

  it("refuses a bad id, a taken id or an http issuer before any file or secret changes", async () => {
    const space = setUpStaging();
    const before = space.files();
    const cases: [string, string, string][] = [
      ["--add-provider", "Partner", '"id" must be lower-case letters'],
      ["--add-provider", "default", '"id" "default" is used twice'],
      ["--issuer", "http://login.partner.example", '"issuer": must be https'],
      ["--issuer", "https://accounts.google.com", '"issuer" https://accounts.google.com is used twice'],
      ["--client-id", "https://login.partner.example/client", '"clientId": is a URL'],
    ];
    for (const [flag, value, expected] of cases) {
      const args = [...PARTNER];
      args[args.indexOf(flag) + 1] = value;
      const result = await space.run(args, { input: `${NEW_SECRET}\n`, env: { OIDC_CLIENT_SECRET: OLD_SECRET } });
      expect([value, result.code]).toEqual([value, 1]);
      expect(result.output).toContain("setup: nothing changed");
      expect(result.output).toContain(expected);
      expect(putCalls(result.calls)).toEqual([]);
      expect(result.output).not.toContain(NEW_SECRET);
    }
    expect(space.files()).toEqual(before);
  }, 120_000);

  it("without the current provider's secret, changes nothing and says what to put; then goes on without it", async () => {
    const space = setUpStaging();
    const before = space.files();
    const refused = await space.run(PARTNER, { input: `${NEW_SECRET}\n` });
    expect(refused.code).toBe(1);
    expect(refused.output).toContain("npx wrangler secret put OIDC_CLIENT_SECRET_DEFAULT --env staging");
    expect(putCalls(refused.calls)).toEqual([]);
    expect(space.files()).toEqual(before);

    // The operator put it under its new name: setup does not ask for it again.
    const state = space.account();
    secretsOf(state, WORKER).OIDC_CLIENT_SECRET_DEFAULT = OLD_SECRET;
    writeFileSync(space.state, JSON.stringify(state));
    const result = await space.run(PARTNER, { input: `${NEW_SECRET}\n` });
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    expect(putCalls(result.calls)).toEqual(["OIDC_CLIENT_SECRET_PARTNER"]);
    expect((await environment(space.toml, "staging")).vars.OIDC_CLIENT_ID).toBe("");
  }, 120_000);

  it("empties a single provider's own OIDC_ISSUER, and warns that Google's claims no longer count from it", async () => {
    const space = workspace(
      SET_UP_TOML.replace(
        /(\[env\.staging\.vars\][^]*?)OIDC_ISSUER = "https:\/\/accounts\.google\.com"/,
        '$1OIDC_ISSUER = "https://sso.example.net"',
      ),
    );
    writeFileSync(space.state, JSON.stringify({ namespaces: [], workers: { [WORKER]: { secrets: {} } } }));
    const result = await space.run(PARTNER, { input: `${NEW_SECRET}\n`, env: { OIDC_CLIENT_SECRET: OLD_SECRET } });
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    const vars = (await environment(space.toml, "staging")).vars;
    expect(vars.OIDC_ISSUER).toBe("");
    expect(JSON.parse(vars.OIDC_PROVIDERS ?? "")[0]).toEqual({
      id: "default",
      label: "sso.example.net",
      issuer: "https://sso.example.net",
      clientId: STAGING_CLIENT_ID,
    });
    expect(result.output).toContain(`warning: "default" (https://sso.example.net) is not Google's`);
    // A Worker without the old secret has nothing to delete.
    expect(result.output).not.toContain("secret delete");
  }, 120_000);

  it("asks on the terminal, both secrets without echo", async () => {
    const space = setUpStaging();
    const input = [
      "partner",
      "Partner accounts",
      "https://login.partner.example",
      "partner-web",
      OLD_SECRET,
      NEW_SECRET,
    ]
      .map((line) => `${line}\n`)
      .join("");
    const result = await space.run(["--env", "staging", "--add-provider="], { input });
    for (const question of ["Provider id", "Label", "Issuer URL", "client id", "current provider", "Client secret at"])
      expect(result.output).toContain(question);
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
    expect(secretsOf(space.account(), WORKER)).toMatchObject({
      OIDC_CLIENT_SECRET_DEFAULT: OLD_SECRET,
      OIDC_CLIENT_SECRET_PARTNER: NEW_SECRET,
    });
    expect(JSON.parse((await environment(space.toml, "staging")).vars.OIDC_PROVIDERS ?? "")).toHaveLength(2);
  }, 120_000);
});
