#!/usr/bin/env node
// A minimal origin behind edge-auth-worker that trusts nobody: every request must carry a valid
// X-Auth-Assertion. Run: WORKER_URL=https://app.example.com AUDIENCE=https://origin.example.com node examples/node-origin.mjs
import { createServer } from "node:http";
import { verifyAssertion } from "../verifier/verify-assertion.mjs";

const workerUrl = process.env.WORKER_URL ?? "http://localhost:8787";
const options = {
  jwksUrl: `${workerUrl}/.well-known/jwks.json`,
  issuer: workerUrl,
  audience: process.env.AUDIENCE ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`,
};

createServer(async (request, response) => {
  try {
    const user = await verifyAssertion(request, options);
    response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
    response.end(`Hello ${user.email} (${user.sub})\n`);
  } catch (error) {
    // Say why in the log, not to the client.
    console.warn(`refused: ${error.code ?? error.message}`);
    // The worker's key set could not be fetched: the caller did nothing wrong, and may try again.
    if (error.code === "ERR_JWKS_UNAVAILABLE") {
      response.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Retry-After": "30" });
      response.end("unavailable\n");
      return;
    }
    response.writeHead(401, { "Content-Type": "text/plain; charset=utf-8" });
    response.end("unauthorized\n");
  }
}).listen(Number(process.env.PORT ?? 3000), "127.0.0.1");
