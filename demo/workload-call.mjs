#!/usr/bin/env node
// `npm run demo:workload`: what a CI job does to call an API behind the worker with no stored
// secret. It asks its platform for an OIDC token with the worker's audience and sends it as
// `Authorization: Bearer`. In GitHub Actions (with `permissions: id-token: write`) GitHub sets
// ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN; under `npm start` they come
// from .demo/workload-job.json, written by the demo's stand-in for GitHub.
//   npm run demo:workload                      POST {worker}/api/deploy
//   npm run demo:workload -- /api/status GET   another path or method
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const JOB_FILE = fileURLToPath(new URL("../.demo/workload-job.json", import.meta.url));

async function jobEnvironment() {
  const {
    ACTIONS_ID_TOKEN_REQUEST_URL: tokenRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    WORKLOAD_AUDIENCE: audience,
    WORKER_URL: workerUrl,
  } = process.env;
  if (tokenRequestUrl && requestToken && audience && workerUrl)
    return { tokenRequestUrl, requestToken, audience, workerUrl };
  try {
    return JSON.parse(await readFile(JOB_FILE, "utf8"));
  } catch {
    throw new Error(
      "no job environment: run `npm start` first (it writes .demo/workload-job.json), or set ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN, WORKLOAD_AUDIENCE and WORKER_URL",
    );
  }
}

async function main([path = "/api/deploy", method = "POST"]) {
  const job = await jobEnvironment();
  // 1. The platform's token for this job, for the worker's audience (GitHub: core.getIDToken(audience)).
  const issued = await fetch(`${job.tokenRequestUrl}&audience=${encodeURIComponent(job.audience)}`, {
    headers: { Authorization: `bearer ${job.requestToken}` },
  });
  if (!issued.ok) throw new Error(`the token endpoint answered ${issued.status}`);
  const { value: token } = await issued.json();
  // 2. The call, with that token: no cookie, no client secret.
  const response = await fetch(`${job.workerUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", Accept: "application/json" },
    ...(method === "GET" || method === "HEAD" ? {} : { body: JSON.stringify({ version: "demo" }) }),
  });
  const text = await response.text();
  console.log(`${method} ${path} -> HTTP ${response.status}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    console.log(text.slice(0, 400));
    return;
  }
  if (!body.headers) {
    console.log(JSON.stringify(body));
    return;
  }
  // The demo origin echoes what it received: the identity headers and its check of the assertion.
  for (const name of ["x-auth-workload", "x-auth-user-sub", "x-auth-user-email", "authorization"])
    console.log(`  origin saw ${name}: ${body.headers[name] ?? "(none)"}`);
  console.log(
    `  origin's check of X-Auth-Assertion: ${body.assertion?.valid ? `verified, workload=${body.assertion.claims.workload}` : `not verified (${body.assertion?.error})`}`,
  );
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`demo:workload: ${error.message}`);
  process.exitCode = 1;
});
