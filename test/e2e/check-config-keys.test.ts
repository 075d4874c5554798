import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCheck } from "../support/run-command";

/** `npm run check` on the signing-key settings: KEY_ROTATION, KEY_ROTATION_DAYS, KEY_WRAPPING_SECRET. */
function project(vars: string, devVars: string, triggers = '[triggers]\ncrons = ["17 * * * *"]\n') {
  const dir = mkdtempSync(join(tmpdir(), "check-keys-"));
  writeFileSync(
    join(dir, "wrangler.toml"),
    `name = "t"\nmain = "index.js"\ncompatibility_date = "2026-05-03"\n${triggers}[[kv_namespaces]]\nbinding = "SESSIONS"\nid = "0123456789abcdef0123456789abcdef"\n[vars]\nORIGIN_URL = "https://origin.example.com"\nOIDC_CLIENT_ID = "1234-keys.apps.googleusercontent.com"\nALLOWED_DOMAINS = "example.com"\n${vars}\n`,
  );
  writeFileSync(join(dir, ".dev.vars"), devVars);
  return join(dir, "wrangler.toml");
}
const SECRET = "mrjiEhBjqzlmy0xOuRL88fgEm963a8U884hYsvWtWZU";

describe("npm run check with KEY_ROTATION", () => {
  it('passes "auto" with KEY_WRAPPING_SECRET and no SESSION_KEYS', async () => {
    const result = await runCheck(
      project('KEY_ROTATION = "auto"', `OIDC_CLIENT_SECRET=s\nKEY_WRAPPING_SECRET=${SECRET}\n`),
    );
    expect(result.output).toContain("configuration OK");
    expect(result.code).toBe(0);
  });

  it("lists a missing secret, a bad period and a missing cron trigger at once, with fixes, never the secret", async () => {
    const { code, output } = await runCheck(
      project(
        'KEY_ROTATION = "auto"\nKEY_ROTATION_DAYS = "30d"',
        "OIDC_CLIENT_SECRET=s\nKEY_WRAPPING_SECRET=tooshort\n",
        "",
      ),
    );
    expect(code).toBe(1);
    expect(output).toContain("3 configuration problems");
    expect(output).toContain("KEY_ROTATION_DAYS: must be a whole number of days from 1 to 365");
    expect(output).toContain("KEY_WRAPPING_SECRET: must be at least 32 random bytes");
    expect(output).toContain("npx wrangler secret put KEY_WRAPPING_SECRET");
    expect(output).toContain('KEY_ROTATION: "auto" needs a cron trigger');
    expect(output).not.toContain("tooshort");
  });

  it("with --deploy, an unseen KEY_WRAPPING_SECRET is a warning, and SESSION_KEYS is not asked for", async () => {
    const { code, output } = await runCheck(project('KEY_ROTATION = "auto"', ""), ["--deploy"], {
      OIDC_CLIENT_SECRET: "s",
    });
    expect(output).toContain("warning: KEY_WRAPPING_SECRET: not available here");
    expect(output).not.toContain("SESSION_KEYS");
    expect(code).toBe(0);
  });
});
