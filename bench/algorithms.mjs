#!/usr/bin/env node
// `node bench/algorithms.mjs [--rounds N] [--count N]`: CPU per origin-assertion signature and
// per verification, ES256 against Ed25519, inside workerd (bench/algorithms-worker.ts: the
// worker's own signing code and jose's jwtVerify). Not part of `npm run bench`: it informs the
// choice of the signing algorithm (bench/README.md, "ES256 or Ed25519"). CPU is workerd's own
// (schedstat), per request of `count` operations, minus a request that does none.
import { join } from "node:path";
import { BUILD, bundleWorker } from "./build.mjs";
import { freePort, startWorkerd } from "./stack.mjs";
import { cpuNs } from "./workerd-process.mjs";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rounds = option("--rounds", 7);
const count = option("--count", 200);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

const script = join(BUILD, "algorithms-worker.js");
await bundleWorker(join(import.meta.dirname, "algorithms-worker.ts"), script);
const port = await freePort();
const stack = await startWorkerd([{ name: "algorithms", scriptPath: script, port }]);
const url = stack.urls.algorithms;
const timed = async (body) => {
  const before = cpuNs(stack.pid);
  const response = await fetch(url, { method: "POST", body: JSON.stringify(body) });
  const { done } = await response.json();
  return { ns: cpuNs(stack.pid) - before, done };
};
try {
  const results = {};
  for (const alg of ["ES256", "EdDSA"]) {
    await timed({ alg, op: "sign", count }); // key pair, first compilation
    await timed({ alg, op: "verify", count });
    results[alg] = { sign: [], verify: [] };
  }
  for (let round = 0; round < rounds; round++) {
    for (const alg of ["ES256", "EdDSA"]) {
      const noop = await timed({ alg, op: "noop", count });
      for (const op of ["sign", "verify"]) {
        const { ns, done } = await timed({ alg, op, count });
        if (done !== count) throw new Error(`${alg} ${op}: ${done} of ${count} done`);
        results[alg][op].push((ns - noop.ns) / count / 1000);
      }
    }
  }
  console.log(`CPU µs per operation in workerd, median of ${rounds} rounds of ${count}:`);
  for (const [alg, { sign, verify }] of Object.entries(results))
    console.log(
      `  ${alg.padEnd(6)} sign ${median(sign).toFixed(1).padStart(6)}   verify ${median(verify).toFixed(1).padStart(6)}`,
    );
  const ratio = (op) => median(results.EdDSA[op]) / median(results.ES256[op]);
  console.log(`  Ed25519 / ES256: sign ${ratio("sign").toFixed(2)}x, verify ${ratio("verify").toFixed(2)}x`);
} finally {
  await stack.mf.dispose();
}
