import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const run = (args: string[], input?: string) =>
  execFileSync("node", ["scripts/keys.mjs", ...args], { input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });

type KeySet = { keys: { kid: string; alg: string; crv: string; d?: string }[] };

describe("npm run keys", () => {
  it("generates an ES256 private key set by default and EdDSA on request", () => {
    const es = JSON.parse(run(["generate"])) as KeySet;
    expect(es.keys).toHaveLength(1);
    expect(es.keys[0]).toMatchObject({ alg: "ES256", crv: "P-256" });
    expect(es.keys[0]!.d).toBeTruthy();
    const ed = JSON.parse(run(["generate", "--alg", "EdDSA"])) as KeySet;
    expect(ed.keys[0]).toMatchObject({ alg: "EdDSA", crv: "Ed25519" });
  });

  it("rotates a fresh key in first and retires an old one by kid", () => {
    const original = run(["generate"]);
    const [oldKey] = (JSON.parse(original) as KeySet).keys;
    const rotated = JSON.parse(run(["rotate", "-"], original)) as KeySet;
    expect(rotated.keys).toHaveLength(2);
    const [fresh, kept] = rotated.keys;
    // The input's key, unchanged, comes second; the first is new, with a kid of its own.
    expect(kept).toEqual(oldKey);
    expect(fresh).toMatchObject({ alg: "ES256", crv: "P-256", kid: expect.any(String) });
    expect(fresh!.kid).not.toBe(oldKey!.kid);
    expect(fresh!.d).toBeTruthy();
    expect(fresh!.d).not.toBe(oldKey!.d);

    // Retiring the old kid from that two-key input leaves exactly the input's other key.
    const retired = JSON.parse(run(["retire", oldKey!.kid, "-"], JSON.stringify(rotated))) as KeySet;
    expect(retired).toEqual({ keys: [fresh] });
    expect(retired.keys.map((key) => key.kid)).not.toContain(oldKey!.kid);
  });

  it("rotate keeps the algorithm of the current signing key, unless --alg says otherwise", () => {
    const ed = run(["generate", "--alg", "EdDSA"]);
    const rotated = JSON.parse(run(["rotate", "-"], ed)) as KeySet;
    expect(rotated.keys.map((key) => key.alg)).toEqual(["EdDSA", "EdDSA"]);
    expect(rotated.keys[0]).toMatchObject({ crv: "Ed25519" });

    // The first key is the signing one: a set led by ES256 keeps ES256 even with an EdDSA key behind it.
    const mixed = JSON.stringify({ keys: [...(JSON.parse(run(["generate"])) as KeySet).keys, ...rotated.keys] });
    expect((JSON.parse(run(["rotate", "-"], mixed)) as KeySet).keys[0]).toMatchObject({ alg: "ES256", crv: "P-256" });

    // Asked for, the algorithm changes.
    const switched = JSON.parse(run(["rotate", "--alg", "ES256", "-"], ed)) as KeySet;
    expect(switched.keys.map((key) => key.alg)).toEqual(["ES256", "EdDSA"]);
  });

  it("refuses to retire the last key or an unknown kid", () => {
    const set = run(["generate"]);
    const kid = (JSON.parse(set) as KeySet).keys[0]!.kid;
    expect(() => run(["retire", kid, "-"], set)).toThrow(/last key/);
    expect(() => run(["retire", "nope", "-"], set)).toThrow(/no key with kid/);
  });
});
