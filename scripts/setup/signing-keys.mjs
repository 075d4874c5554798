// The signing-key part of `npm run setup` (docs/deploying.md, "With npm run setup"): an environment without keys gets
// KEY_ROTATION = "auto" and a generated KEY_WRAPPING_SECRET, so the worker makes, keeps and
// rotates its own keys and nobody ever holds one. An environment that already signs with
// SESSION_KEYS keeps them: replacing them would end every access token at once.
import { randomBytes } from "node:crypto";
import { readVar, setVars } from "./environment-table.mjs";
import { putSecret } from "./wrangler-cli.mjs";

/** 256 bits, as the worker requires at least (src/config/signing-key-settings.ts). */
const WRAPPING_SECRET_BYTES = 32;

/**
 * Decides the environment's key mode from the secrets it has (`existing`), writes KEY_ROTATION
 * into `lines` when it chooses "auto", and puts KEY_WRAPPING_SECRET when missing. Returns the
 * secrets it put, by name, for the check that follows.
 */
export async function setUpSigningKeys(lines, env, existing, flags) {
  const mode = (readVar(lines, env, "KEY_ROTATION") ?? "").trim().toLowerCase();
  if (existing.includes("SESSION_KEYS") && mode !== "auto") {
    console.log(
      `secret SESSION_KEYS: kept (KEY_ROTATION = "manual"; rotate with \`npm run keys -- rotate --env ${env}\`, or let the worker do it: docs/operating.md)`,
    );
    return {};
  }
  if (mode !== "auto") {
    setVars(lines, env, { KEY_ROTATION: "auto" });
    console.log(`KEY_ROTATION = "auto" in [env.${env}.vars]: the worker makes and rotates its own signing keys`);
  }
  if (existing.includes("KEY_WRAPPING_SECRET")) {
    console.log("secret KEY_WRAPPING_SECRET: kept (never replaced: the stored keys are encrypted under it)");
    return {};
  }
  const secret = randomBytes(WRAPPING_SECRET_BYTES).toString("base64url");
  await putSecret("KEY_WRAPPING_SECRET", secret, flags);
  console.log("secret KEY_WRAPPING_SECRET: generated and put (no copy is kept anywhere)");
  return { KEY_WRAPPING_SECRET: secret };
}
