/**
 * One worker per configuration, shared by the test files that need that configuration, one file
 * at a time: the e2e project's global setup starts this broker, and startStack() leases a worker
 * from it (test/support/stack.ts). A worker is what costs most in a stack (wrangler, its bundle,
 * workerd); the provider and the origin are cheap and each file starts its own, on the ports the
 * worker was started with, so a file's hooks and request logs stay its own.
 *
 * A lease asks for the worker vars on top of the defaults (and whether PUBLIC_URL is the worker's
 * `http://localhost:<port>`, as the browser tests reach it); the broker hands out an idle worker
 * started with exactly those, or starts another one. Nothing a file leaves in a worker (KV,
 * caches) is wiped: files use their own accounts, and a file that counts the worker's fetches
 * allows for caches an earlier file filled (test/e2e/provider-keys.test.ts).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { TestProject } from "vitest/node";
import { closeServer, listen } from "../../demo/listen.mjs";
import { generateRsaKeySet } from "../../demo/provider.mjs";
import { startWorker } from "../../demo/worker.mjs";
import { generateKeySet } from "../../scripts/keys.mjs";
import { freePort, workerSettings, type WorkerLease, type WorkerRequest } from "./stack-settings";

declare module "vitest" {
  export interface ProvidedContext {
    /** The broker's URL (POST /lease, POST /release), or "" outside a project that starts it. */
    sharedWorkers: string;
  }
}

interface SharedWorker {
  lease: WorkerLease;
  dispose(): Promise<void>;
}

async function startSharedWorker({ vars, publicOnLocalhost, secondProvider }: WorkerRequest): Promise<SharedWorker> {
  const [workerPort, providerPort, originPort, partnerPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    secondProvider ? freePort() : 0,
  ]);
  const lease: WorkerLease = {
    id: randomBytes(8).toString("hex"),
    workerUrl: `http://127.0.0.1:${workerPort}`,
    ...(publicOnLocalhost ? { publicUrl: `http://localhost:${workerPort}` } : {}),
    providerPort,
    originPort,
    clientSecret: randomBytes(24).toString("hex"),
    sessionKeys: await generateKeySet("ES256"),
    providerPrivateJwks: await generateRsaKeySet(),
    ...(secondProvider
      ? {
          partner: {
            port: partnerPort,
            clientSecret: randomBytes(24).toString("hex"),
            privateJwks: await generateRsaKeySet(),
          },
        }
      : {}),
  };
  const settings = workerSettings({
    providerIssuer: `http://127.0.0.1:${providerPort}`,
    ...(lease.partner
      ? { partner: { issuer: `http://127.0.0.1:${lease.partner.port}`, clientSecret: lease.partner.clientSecret } }
      : {}),
    originUrl: `http://127.0.0.1:${originPort}`,
    clientSecret: lease.clientSecret,
    sessionKeys: lease.sessionKeys,
    vars: { ...vars, ...(lease.publicUrl ? { PUBLIC_URL: lease.publicUrl } : {}) },
  });
  const worker = await startWorker({ port: workerPort, ...settings, logLevel: "none", rebuildOnChange: false });
  return { lease, dispose: () => worker.dispose() };
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
}

export default async function startBroker(project: TestProject) {
  /** Every worker started, by its configuration (the vars as JSON, keys sorted). */
  const workers = new Map<string, SharedWorker[]>();
  const leased = new Set<string>();
  const starting = new Set<Promise<SharedWorker>>();

  async function lease(request: WorkerRequest): Promise<WorkerLease> {
    const key = JSON.stringify([
      Object.entries(request.vars).sort(),
      request.publicOnLocalhost,
      request.secondProvider,
    ]);
    const idle = workers.get(key)?.find((worker) => !leased.has(worker.lease.id));
    let worker = idle;
    if (!worker) {
      const pending = startSharedWorker(request);
      starting.add(pending);
      try {
        worker = await pending;
      } finally {
        starting.delete(pending);
      }
      workers.set(key, [...(workers.get(key) ?? []), worker]);
    }
    leased.add(worker.lease.id);
    return worker.lease;
  }

  const server = createServer((request, response) => {
    const answer = async () => {
      const body = (await readJson(request)) as Partial<WorkerRequest> & { id?: string };
      if (request.method === "POST" && request.url === "/lease")
        return lease({
          vars: body.vars ?? {},
          publicOnLocalhost: body.publicOnLocalhost === true,
          secondProvider: body.secondProvider === true,
        });
      if (request.method === "POST" && request.url === "/release") return void leased.delete(String(body.id));
      throw new Error(`no such broker route: ${request.method} ${request.url}`);
    };
    answer().then(
      (result) => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result ?? {})),
      (error: unknown) => response.writeHead(500).end(error instanceof Error ? error.message : String(error)),
    );
  });
  project.provide("sharedWorkers", await listen(server, 0, "127.0.0.1"));

  return async () => {
    await closeServer(server);
    const late = await Promise.allSettled([...starting]);
    const all = new Set([...workers.values()].flat());
    for (const result of late) if (result.status === "fulfilled") all.add(result.value);
    await Promise.all([...all].map((worker) => worker.dispose()));
  };
}
