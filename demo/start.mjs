#!/usr/bin/env node
// `npm start`: the whole thing on one machine, no Google account and no Cloudflare account.
//   a local OpenID provider (stands in for Google)  http://127.0.0.1:$PROVIDER_PORT
//   a second one (a partner's, say), to choose from http://127.0.0.1:$PARTNER_PROVIDER_PORT
//   a demo origin (the app being protected)         http://127.0.0.1:$ORIGIN_PORT
//   a fake Google directory (groups) and token URL  http://127.0.0.1:$DIRECTORY_PORT
//   a stand-in for GitHub Actions' OIDC tokens      http://127.0.0.1:$WORKLOAD_ISSUER_PORT
//   the worker in front of it                       http://localhost:$PORT
// ORIGIN_VIA=service-binding puts the origin behind a Worker of its own (demo/origin-worker/)
// that the worker reaches only through its ORIGIN service binding, as in production.
// Dev signing keys (the worker's, and the RSA keys of the local provider and fakes) and the
// client secret live in .demo/ (git-ignored) and are reused across runs, so a browser session
// survives a restart of the demo, and a start makes no RSA key.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateKeySet } from "../scripts/keys.mjs";
import { generateRsaJwk } from "./rsa-keys.mjs";
import { startGoogleDirectory } from "./google-directory.mjs";
import { createRiscTransmitter } from "./risc-transmitter.mjs";
import { createServiceAccount } from "./service-account.mjs";
import { portProblem } from "./listen.mjs";
import { startOrigin } from "./origin.mjs";
import { startProvider } from "./provider.mjs";
import { loadWrangler } from "../scripts/lib/wrangler.mjs";
import { startOriginWorker, startWorker, workerConfigProblems } from "./worker.mjs";
import { startWorkloadIssuer } from "./workload-issuer.mjs";

const STATE_DIR = fileURLToPath(new URL("../.demo/", import.meta.url));
const CLIENT_ID = "demo-client";
// The partner provider's client (the demo uses one secret for both clients; a deployment has one each).
const PARTNER_CLIENT_ID = "demo-partner-client";
// The group-protected part of the demo: /eng/ is for members of this (fake) Google group.
const DEMO_GROUP = "engineering@demo.test";
const DEMO_MEMBERS = ["ada@demo.test", "grace@demo.test"];
const DEMO_OUTSIDER = "lin@demo.test";
// The workload part: a CI job of demo-org/demo-app on main may POST /api/deploy, nobody else.
const DEMO_REPOSITORY = "demo-org/demo-app";
const DEMO_POLICY = [
  { path: "/eng/*", allow: { groups: [DEMO_GROUP] } },
  { path: "/eng", allow: { groups: [DEMO_GROUP] } },
  { path: "/api/deploy", methods: ["POST"], allow: { workloads: ["demo-ci"] } },
  // A fresh sign-in for a sensitive part (docs/access-policies.md, "A fresh sign-in for sensitive paths"): within 5 minutes of signing in at the provider.
  { path: "/account/*", allow: { domains: ["*"] }, maxAge: 300 },
];
// What the origin expects as the assertion's `aud` behind the service binding (it has no URL there).
const SERVICE_ORIGIN_AUDIENCE = "urn:edge-auth-demo:origin";

class StartError extends Error {}

function portFromEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartError(`${name}=${JSON.stringify(raw)} is not a port number (1-65535).`);
  }
  return port;
}

function busyPort(error, port, envName) {
  if (error?.code === "EADDRINUSE" || error?.code === "EACCES") {
    return new StartError(
      `Port ${port} is not available: set ${envName} to a free port (e.g. ${envName}=${port + 10} npm start).`,
    );
  }
  return error;
}

/**
 * Every port problem at once, before anything starts: one run names all of them, instead of one
 * per run. `ports` maps each variable to its port; every server of the demo listens on 127.0.0.1.
 */
async function checkPorts(ports) {
  const problems = [];
  const owner = new Map();
  for (const [name, port] of Object.entries(ports)) {
    if (owner.has(port)) problems.push(`${owner.get(port)} and ${name} are both ${port}: give each its own port.`);
    else owner.set(port, name);
  }
  const checked = await Promise.all(
    [...owner].map(async ([port, name]) => ({ port, name, problem: await portProblem(port, "127.0.0.1") })),
  );
  const busy = checked.filter(({ problem }) => problem !== undefined);
  if (busy.length > 0) {
    const list = busy.map(({ port, name }) => `${port} (${name})`).join(", ");
    const fix = busy.map(({ port, name }) => `${name}=${port + 10}`).join(" ");
    const one = busy.length === 1;
    problems.push(
      `${one ? "Port" : "Ports"} not available: ${list}. Set ${one ? "it" : "each"} to a free port, e.g. ${fix} npm start`,
    );
  }
  if (problems.length > 0) throw new StartError(problems.join("\n"));
}

/** Read a file from .demo/, or create it with `make()` on first run (mode 0600: these are secrets). */
async function loadOrCreate(name, make, check) {
  const path = `${STATE_DIR}${name}`;
  try {
    const text = await readFile(path, "utf8");
    if (!check(text))
      throw new StartError(`.demo/${name} is not valid: delete it (or the whole .demo/ folder) to generate a new one.`);
    return text;
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
  }
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 });
  const text = await make();
  await writeFile(path, text, { mode: 0o600, flag: "wx" });
  return text;
}

/** Who in the demo signs with an RSA key of its own, kept in .demo/rsa-keys.json. */
const RSA_KEY_OWNERS = [
  "provider",
  "partnerProvider",
  "riscTransmitter",
  "riscServiceAccount",
  "directoryServiceAccount",
  "workloadIssuer",
];

/** Each owner's private RS256 JWK, made side by side (on Node's worker threads) on the first run. */
async function makeRsaKeys() {
  const keys = await Promise.all(RSA_KEY_OWNERS.map(() => generateRsaJwk()));
  return JSON.stringify(Object.fromEntries(RSA_KEY_OWNERS.map((owner, index) => [owner, keys[index]])), null, 2) + "\n";
}

function isRsaKeys(text) {
  try {
    const keys = JSON.parse(text);
    return RSA_KEY_OWNERS.every((owner) => keys?.[owner]?.kty === "RSA" && keys[owner].d && keys[owner].kid);
  } catch {
    return false;
  }
}

function isKeySet(text) {
  try {
    const set = JSON.parse(text);
    return Array.isArray(set?.keys) && set.keys.length > 0 && set.keys.every((key) => key.kid && key.alg && key.d);
  } catch {
    return false;
  }
}

/**
 * `wrangler dev` reads .dev.vars (or .env) for the worker's secrets and local settings; the demo
 * does not: it brings its own provider, client, keys and origin, which a real client secret or
 * allowlist would only break. Say so, rather than let someone edit a file that changes nothing.
 */
function noteIgnoredLocalFiles() {
  const root = fileURLToPath(new URL("../", import.meta.url));
  for (const name of [".dev.vars", ".env"].filter((file) => existsSync(join(root, file))))
    console.log(
      `npm start: ${name} is not read by the demo, which brings its own provider, client, keys and origin (wrangler.toml's [vars] give the rest). To run the worker with ${name}, against your own provider: npm run dev`,
    );
}

/**
 * The provider standing in for Google, serving Google's RISC transmitter at its issuer like Google,
 * and the service account that may manage it (its key in .demo/, for `npm run google -- risc ...`).
 * The browser talks to the worker as http://localhost:PORT, so that is the redirect URI registered
 * at the provider (and the worker's PUBLIC_URL); the provider itself is reached directly at its
 * issuer http://127.0.0.1:PROVIDER_PORT.
 */
async function startRiscProvider({ providerPort, publicUrl, clientSecret, rsaKeys }) {
  const riscAccount = await createServiceAccount({
    clientEmail: "risc-admin@demo-project.iam.gserviceaccount.com",
    key: rsaKeys.riscServiceAccount,
  });
  const transmitter = await createRiscTransmitter({
    audience: CLIENT_ID,
    serviceAccount: riscAccount,
    key: rsaKeys.riscTransmitter,
  });
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 });
  await writeFile(`${STATE_DIR}risc-service-account.json`, riscAccount.credentials, { mode: 0o600 });
  const provider = await startProvider({
    routes: transmitter.handle,
    port: providerPort,
    keys: { keys: [rsaKeys.provider] },
    // Listed by the account chooser ("Sign in with another account"): two group members, one not.
    accounts: [...DEMO_MEMBERS, DEMO_OUTSIDER],
    clients: [{ client_id: CLIENT_ID, client_secret: clientSecret, redirect_uris: [`${publicUrl}/auth/callback`] }],
  }).catch((error) => {
    throw busyPort(error, providerPort, "PROVIDER_PORT");
  });
  transmitter.bind(provider.issuer);
  return provider;
}

/**
 * Waits for servers starting side by side (by name, each a promise of something with `close()`),
 * all of them even when one fails, so that none is left running unseen: adds each one that started
 * to `running` (in the order named, so that they stop in the same order every time), then resolves
 * to them by name, or rejects with the first failure.
 */
async function allStarted(starting, running) {
  const names = Object.keys(starting);
  const settled = await Promise.allSettled(Object.values(starting));
  for (const result of settled) if (result.status === "fulfilled") running.push(result.value.close);
  const failure = settled.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
  return Object.fromEntries(names.map((name, index) => [name, settled[index].value]));
}

async function main() {
  const workerPort = portFromEnv("PORT", 8787);
  const providerPort = portFromEnv("PROVIDER_PORT", 8788);
  const originPort = portFromEnv("ORIGIN_PORT", 8789);
  const directoryPort = portFromEnv("DIRECTORY_PORT", 8790);
  const workloadIssuerPort = portFromEnv("WORKLOAD_ISSUER_PORT", 8791);
  const partnerProviderPort = portFromEnv("PARTNER_PROVIDER_PORT", 8792);
  await checkPorts({
    PORT: workerPort,
    PROVIDER_PORT: providerPort,
    ORIGIN_PORT: originPort,
    DIRECTORY_PORT: directoryPort,
    WORKLOAD_ISSUER_PORT: workloadIssuerPort,
    PARTNER_PROVIDER_PORT: partnerProviderPort,
  });
  noteIgnoredLocalFiles();
  const publicUrl = `http://localhost:${workerPort}`;
  // SESSION_STORE=durable-object npm start: the exact store, on a local Durable Object.
  const sessionStore = process.env.SESSION_STORE || "kv";
  if (!["kv", "durable-object"].includes(sessionStore))
    throw new StartError(`SESSION_STORE=${JSON.stringify(sessionStore)}: use "kv" or "durable-object".`);
  // ORIGIN_VIA=service-binding npm start: the origin reached through the ORIGIN service binding.
  const originVia = process.env.ORIGIN_VIA || "url";
  if (!["url", "service-binding"].includes(originVia))
    throw new StartError(`ORIGIN_VIA=${JSON.stringify(originVia)}: use "url" or "service-binding".`);
  const viaBinding = originVia === "service-binding";

  const sessionKeys = (
    await loadOrCreate(
      "session-keys.json",
      async () => JSON.stringify(await generateKeySet("ES256"), null, 2) + "\n",
      isKeySet,
    )
  ).trim();
  const clientSecret = (
    await loadOrCreate(
      "client-secret",
      async () => randomBytes(32).toString("base64url") + "\n",
      (text) => text.trim().length >= 32,
    )
  ).trim();

  // Kept like the session keys: a fresh RSA key is a quarter of a second of CPU, and there are six.
  const rsaKeys = JSON.parse(await loadOrCreate("rsa-keys.json", makeRsaKeys, isRsaKeys));

  const running = [];
  const stopAll = async () => {
    for (const stop of running.reverse())
      await stop().catch((error) => console.error("while stopping:", error?.message ?? error));
    running.length = 0;
  };

  try {
    // The servers start side by side, and wrangler, a second or more of CPU, loads meanwhile.
    const servers = {
      provider: startRiscProvider({ providerPort, publicUrl, clientSecret, rsaKeys }),
      // A second provider, so the sign-in page offers a choice (docs/providers.md): its people are
      // others than the first one's, even with the same e-mail, and are in no Google group.
      partner: startProvider({
        port: partnerProviderPort,
        keys: { keys: [rsaKeys.partnerProvider] },
        clients: [
          { client_id: PARTNER_CLIENT_ID, client_secret: clientSecret, redirect_uris: [`${publicUrl}/auth/callback`] },
        ],
      }).catch((error) => {
        throw busyPort(error, partnerProviderPort, "PARTNER_PROVIDER_PORT");
      }),
      origin: startOrigin({
        port: originPort,
        jwksUrl: `${publicUrl}/.well-known/jwks.json`,
        issuer: publicUrl,
        audience: viaBinding ? SERVICE_ORIGIN_AUDIENCE : `http://127.0.0.1:${originPort}`,
      }).catch((error) => {
        throw busyPort(error, originPort, "ORIGIN_PORT");
      }),
      directory: startGoogleDirectory({
        port: directoryPort,
        groups: { [DEMO_GROUP]: DEMO_MEMBERS },
        serviceAccountKey: rsaKeys.directoryServiceAccount,
      }).catch((error) => {
        throw busyPort(error, directoryPort, "DIRECTORY_PORT");
      }),
      // GitHub Actions, as far as the worker can tell: the issuer of a job's OIDC tokens.
      github: startWorkloadIssuer({
        port: workloadIssuerPort,
        job: { repository: DEMO_REPOSITORY },
        key: rsaKeys.workloadIssuer,
      }).catch((error) => {
        throw busyPort(error, workloadIssuerPort, "WORKLOAD_ISSUER_PORT");
      }),
    };
    loadWrangler();
    const { provider, partner, origin, directory, github } = await allStarted(servers, running);
    const providers = [
      {
        id: "google",
        label: "Google (local stand-in)",
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        googleStandIn: true,
      },
      { id: "partner", label: "Partner accounts", issuer: partner.issuer, clientId: PARTNER_CLIENT_ID },
    ];
    // What GitHub gives a job in its environment, for `npm run demo:workload` (demo/workload-call.mjs).
    const job = {
      tokenRequestUrl: github.tokenRequestUrl,
      requestToken: github.requestToken,
      audience: publicUrl,
      workerUrl: publicUrl,
    };
    await writeFile(`${STATE_DIR}workload-job.json`, JSON.stringify(job, null, 2) + "\n", { mode: 0o600 });
    const trustedWorkloads = {
      "demo-ci": {
        issuer: github.issuer,
        audience: publicUrl,
        claims: { repository: DEMO_REPOSITORY, ref: "refs/heads/main" },
      },
    };

    const workerOptions = {
      port: workerPort,
      logLevel: process.env.LOG_LEVEL || "log",
      vars: {
        ...(viaBinding ? { ORIGIN_URL: "", ORIGIN_AUDIENCE: SERVICE_ORIGIN_AUDIENCE } : { ORIGIN_URL: origin.url }),
        PUBLIC_URL: publicUrl,
        OIDC_ISSUER: "",
        OIDC_CLIENT_ID: "",
        OIDC_PROVIDERS: JSON.stringify(providers),
        ALLOWED_EMAILS: "",
        ALLOWED_DOMAINS: "*",
        PUBLIC_PATHS: "/public/*,/healthz",
        ACCESS_TOKEN_TTL: "300",
        SESSION_STORE: sessionStore,
        ACCESS_POLICY: JSON.stringify(DEMO_POLICY),
        TRUSTED_WORKLOADS: JSON.stringify(trustedWorkloads),
        GOOGLE_API_BASE_URL: directory.apiBaseUrl,
        GOOGLE_OAUTH_TOKEN_URL: directory.tokenUrl,
      },
      secrets: {
        OIDC_CLIENT_SECRET_GOOGLE: clientSecret,
        OIDC_CLIENT_SECRET_PARTNER: clientSecret,
        SESSION_KEYS: sessionKeys,
        GOOGLE_GROUPS_CREDENTIALS: directory.credentials,
      },
    };
    // The settings the demo does not give come from wrangler.toml's [vars]: one the worker refuses
    // would answer every page with "Service misconfigured" under a banner saying all is well.
    const problems = await workerConfigProblems({ ...workerOptions, originService: viaBinding });
    if (problems.length > 0)
      throw new StartError(
        `the worker would refuse to serve with wrangler.toml's [vars] and the demo's settings:\n${problems.map((problem) => `  - ${problem}`).join("\n")}\nFix wrangler.toml (npm run check lists the same problems, each with its fix).`,
      );

    // Behind the binding: the origin Worker in front of the demo origin, found by the worker
    // through a dev registry of their own (not wrangler's global one, shared with other sessions).
    // It runs before the worker starts, or the worker's bindings would list ORIGIN as not connected.
    let originWorker;
    if (viaBinding) {
      const registry = await mkdtemp(join(tmpdir(), "edge-auth-demo-registry-"));
      running.push(() => rm(registry, { recursive: true, force: true }));
      originWorker = await startOriginWorker({ privateOriginUrl: origin.url, registry });
      running.push(originWorker.dispose);
      workerOptions.originService = { registry, service: originWorker.name };
    }
    // Resolves once the worker runs, after wrangler's "Ready on ...": the banner is the last thing shown.
    const worker = await startWorker(workerOptions).catch((error) => {
      throw busyPort(error, workerPort, "PORT");
    });
    // The origin Worker stops before the worker bound to it: stopped the other way round, the
    // registry changes under the origin Worker's dev session, which rebuilds while it is being
    // disposed and prints a build error. (`running` is stopped in reverse order.)
    running.push(worker.dispose);
    if (originWorker) running.push(running.splice(running.indexOf(originWorker.dispose), 1)[0]);
    console.log(`
edge-auth-worker demo is running.

  Open      ${publicUrl}/
  Sign in   with any e-mail address, at either provider the sign-in page offers: the first stands
            in for Google, the second is a partner's (the same address there is another person).
  Fresh     ${publicUrl}/account/ needs a sign-in at the provider within 5 minutes (maxAge 300):
            older, the browser goes back to the provider with max_age (an API call gets 401)
  Groups    ${publicUrl}/eng/ is for the group ${DEMO_GROUP} (${DEMO_MEMBERS.join(", ")});
            anyone else (${DEMO_OUTSIDER}) gets the worker's 403 page there, with "Sign in with another account".
  Workload  a CI job of ${DEMO_REPOSITORY} may POST ${publicUrl}/api/deploy with its own OIDC token
            (no cookie, no secret). See it call the origin:  npm run demo:workload
            (GitHub Actions' token service is stood in for at ${github.issuer})
  Directory ${directory.url}  (fake Google token URL and Directory API)
  RISC      the provider is also a RISC transmitter. Register the worker, then disable an account:
              npm run google -- risc register --issuer ${provider.issuer} --url ${publicUrl}/auth/risc --credentials .demo/risc-service-account.json
              curl -X POST '${provider.issuer}/risc/_fake/account-disabled?email=ada@demo.test'
            (every session of ada@demo.test ends: the next refresh signs her out)
  Provider  ${provider.issuer}  (OpenID provider "google", issuer)
            ${partner.issuer}  (OpenID provider "partner", issuer)
  Origin    ${viaBinding ? `the ORIGIN service binding -> demo-origin-worker -> ${origin.url}` : `${origin.url}  (ORIGIN_URL)`}  (the app behind the worker)
  Worker    ${worker.url}  (reached as ${publicUrl})
  Sessions  ${sessionStore === "kv" ? "Workers KV (local)" : "a Durable Object (local)"}; SESSION_STORE=${sessionStore === "kv" ? "durable-object" : "kv"} npm start for the other store;
            ORIGIN_VIA=${viaBinding ? "url" : "service-binding"} npm start for the other way to the origin

Press Ctrl-C to stop.
`);
  } catch (error) {
    await stopAll();
    throw error;
  }

  let stopping = false;
  const shutdown = async (signal) => {
    if (stopping) process.exit(130); // a second Ctrl-C: don't wait any longer
    stopping = true;
    console.log(`\n${signal}: stopping the demo...`);
    await stopAll();
    process.exit(0);
  };
  // Importing wrangler installs SIGINT/SIGTERM listeners that call process.exit() at once.
  // This process owns its shutdown, so those are replaced by one that disposes the worker
  // (and its workerd processes) and closes the servers before exiting.
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.removeAllListeners(signal);
    process.on(signal, () => shutdown(signal));
  }
}

main().catch((error) => {
  if (error instanceof StartError) console.error(`npm start: ${error.message}`);
  else console.error("npm start: could not start the demo:", error);
  process.exit(1);
});
