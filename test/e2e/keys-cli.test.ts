import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKeySet, main as keys } from "../../scripts/keys.mjs";
import { runCommand } from "../support/run-command";
import { standInEnv, standInWrangler } from "../support/setup-workspace";

/**
 * `npm run keys`: rotating and retiring the keys of an environment from its published key set,
 * put with a stand-in `wrangler` (test/support/fake-wrangler.mjs: wrangler 4.86's output, a JSON
 * file for the Cloudflare account), from a git working tree that must end as it began.
 */
type Jwk = { kid: string; alg: string; kty: string; crv: string; d?: string };

const publicOnly = ({ d: _d, ...rest }: Jwk) => rest;
let served: { keys: object[] } = { keys: [] };
let server: Server;
let jwksUrl = "";

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify(served));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});
afterAll(() => new Promise((done) => server.close(done)));

/** A git working tree holding wrangler.toml whose staging PUBLIC_URL is the served key set's origin; the account elsewhere. */
function workspace(keyRotation = "manual") {
  const tree = mkdtempSync(join(tmpdir(), "keys-tree-"));
  const outside = mkdtempSync(join(tmpdir(), "keys-account-"));
  const bin = standInWrangler(outside);
  const toml = readFileSync("wrangler.toml", "utf8")
    .replace('PUBLIC_URL = "https://staging.app.example.com"', `PUBLIC_URL = "${new URL(jwksUrl).origin}"`)
    .replace(/(\[env\.staging\.vars\][\s\S]*?)KEY_ROTATION = "manual"/, `$1KEY_ROTATION = "${keyRotation}"`);
  writeFileSync(join(tree, "wrangler.toml"), toml);
  const git = (...args: string[]) => execFileSync("git", args, { cwd: tree, encoding: "utf8" });
  git("init", "-q");
  git("add", ".");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "start");
  const state = join(outside, "account.json");
  const env = standInEnv(bin, { state, calls: join(outside, "calls.jsonl") });
  return {
    tree,
    /** `npm run keys -- ARGS` from the tree, as the docs show it, run in this process (test/support/run-command.ts). */
    keys: async (args: string[]) => {
      const { code, stdout, stderr } = await runCommand(keys, args, { cwd: tree, env });
      return { status: code, stdout, stderr };
    },
    stagingKeys: () => {
      const account = JSON.parse(readFileSync(state, "utf8")) as {
        workers: Record<string, { secrets: Record<string, string> }>;
      };
      return JSON.parse(account.workers["edge-auth-worker-staging"]!.secrets.SESSION_KEYS!) as { keys: Jwk[] };
    },
    /** Every file in the tree (ignored ones too) that git does not already hold, and any holding a private JWK member. */
    leftBehind: () => {
      const status = git("status", "--porcelain", "--ignored").trim();
      const files = (dir: string): string[] =>
        readdirSync(dir).flatMap((name) =>
          name === ".git" ? [] : statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)],
        );
      const withPrivateKey = files(tree).filter((path) => /"d"\s*:/.test(readFileSync(path, "utf8")));
      return { status, withPrivateKey };
    },
  };
}

describe("npm run keys -- rotate / retire --env NAME", () => {
  it("rotates from the published key set: a new private key first, the published ones public-only, nothing left in the tree", async () => {
    const old = (await generateKeySet("EdDSA")).keys[0] as Jwk;
    served = { keys: [publicOnly(old)] };
    const space = workspace();
    const rotated = await space.keys(["rotate", "--env", "staging"]);
    expect(rotated.stderr + rotated.stdout).toContain(`verifies: ${old.kid} (EdDSA, public only)`);
    expect(rotated.status).toBe(0);
    const [fresh, kept, ...rest] = space.stagingKeys().keys;
    expect(rest).toEqual([]);
    // Same algorithm as the key it replaces, private, a kid of its own; the old key exactly as published.
    expect(fresh).toMatchObject({ alg: "EdDSA", crv: "Ed25519", d: expect.any(String) });
    expect(fresh!.kid).not.toBe(old.kid);
    expect(kept).toEqual(publicOnly(old));
    // No private key printed, and the tree as it was: no key file, no other file.
    expect(rotated.stdout + rotated.stderr).not.toContain(fresh!.d);
    expect(space.leftBehind()).toEqual({ status: "", withPrivateKey: [] });

    // Retiring: the worker now publishes [fresh, old]; old goes, and (the private key being only
    // in the secret) a new key signs, with `fresh` kept to verify.
    served = { keys: [publicOnly(fresh!), publicOnly(old)] };
    const retired = await space.keys(["retire", old.kid, "--env", "staging"]);
    expect(retired.status).toBe(0);
    const after = space.stagingKeys().keys;
    expect(after.map((key) => key.kid)).not.toContain(old.kid);
    expect(after[0]).toMatchObject({ alg: "EdDSA", d: expect.any(String) });
    expect(after.slice(1)).toEqual([publicOnly(fresh!)]);
    expect(space.leftBehind()).toEqual({ status: "", withPrivateKey: [] });
  });

  it("refuses to retire the key that signs or an unknown one, an environment that rotates its own keys, and a key set that leaks a private key", async () => {
    const [signing, other] = [(await generateKeySet()).keys[0] as Jwk, (await generateKeySet()).keys[0] as Jwk];
    served = { keys: [publicOnly(signing), publicOnly(other)] };
    const space = workspace();
    const first = await space.keys(["retire", signing.kid, "--env", "staging"]);
    expect(first.status).toBe(1);
    expect(first.stderr).toContain(`${signing.kid} signs now`);
    expect((await space.keys(["retire", "nope", "--env", "staging"])).stderr).toContain("lists no key nope");
    served = { keys: [signing] };
    expect((await space.keys(["rotate", "--env", "staging"])).stderr).toContain("publishes a private key");
    const auto = await workspace("auto").keys(["rotate", "--env", "staging"]);
    expect(auto.status).toBe(1);
    expect(auto.stderr).toContain('KEY_ROTATION = "auto"');
  });

  // As a process of its own, as .dev.vars is filled in: the entry point, its exit status, its real stdout.
  it("generates an ES256 private key set by default and EdDSA on request, on standard output", () => {
    const run = (args: string[]) =>
      JSON.parse(execFileSync("node", ["scripts/keys.mjs", ...args], { encoding: "utf8" })) as { keys: Jwk[] };
    expect(run(["generate"]).keys[0]).toMatchObject({ alg: "ES256", crv: "P-256", d: expect.any(String) });
    expect(run(["generate", "--alg", "EdDSA"]).keys[0]).toMatchObject({ alg: "EdDSA", crv: "Ed25519" });
  });
});
