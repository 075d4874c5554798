// Bench-only worker for bench/algorithms.mjs: signs and verifies origin assertions as the worker
// does (src/util/sign-jwt.ts, jose's jwtVerify) with an ES256 or an Ed25519 key, `count` times in
// one request, so that the CPU workerd spends per operation can be read from outside.
import { generateKeyPair, jwtVerify } from "jose";
import { signJwt } from "../src/tokens/our-jwt";

const ALGORITHMS = { ES256: { alg: "ES256" }, EdDSA: { alg: "EdDSA", options: { crv: "Ed25519" } } } as const;
type Algorithm = keyof typeof ALGORITHMS;
const pairs = new Map<Algorithm, Promise<CryptoKeyPair>>();
const tokens = new Map<Algorithm, string[]>();

const claims = (i: number) => ({
  iss: "https://app.example.com",
  aud: "https://origin.example.com",
  sub: `user-${i}`,
  email: `user-${i}@example.com`,
  idp: "default",
  iat: 1_700_000_000 + i,
  exp: 1_700_000_300 + i,
});

export default {
  async fetch(request: Request): Promise<Response> {
    const { alg, op, count } = (await request.json()) as {
      alg: Algorithm;
      op: "sign" | "verify" | "noop";
      count: number;
    };
    const { alg: name, ...rest } = ALGORITHMS[alg];
    if (!pairs.has(alg))
      pairs.set(alg, generateKeyPair(name, { ...("options" in rest ? rest.options : {}), extractable: false }));
    const { privateKey, publicKey } = await pairs.get(alg)!;
    const header = { alg: name, typ: "auth-assertion+jwt", kid: "bench" };
    let done = 0;
    if (op === "sign") {
      const made = [];
      for (let i = 0; i < count; i++) made.push(await signJwt(header, claims(i), privateKey));
      tokens.set(alg, made);
      done = made.length;
    } else if (op === "verify") {
      const options = { algorithms: [name], currentDate: new Date(1_700_000_100_000) };
      for (const token of tokens.get(alg) ?? []) if (await jwtVerify(token, publicKey, options)) done++;
    }
    return Response.json({ done });
  },
};
