// A local stand-in for Google's RISC transmitter (Cross-Account Protection), served by the local
// provider at its issuer: the configuration at /.well-known/risc-configuration, the signing keys,
// the stream management API that `npm run google -- risc register` calls (checking the service
// account's JWT as Google does), and Security Event Tokens signed like Google's, pushed over
// real HTTP (RFC 8935).
import { randomBytes, randomUUID } from "node:crypto";
import { exportJWK, SignJWT } from "jose";
import { subjectFor } from "./provider.mjs";
import { rsaKeyPair } from "./rsa-keys.mjs";
import { verifyServiceAccountJwt } from "./service-account.mjs";

export const RISC_API_AUDIENCE = "https://risc.googleapis.com/google.identity.risc.v1beta.RiscManagementService";
const PUSH = "https://schemas.openid.net/secevent/risc/delivery-method/push";
export const RISC_EVENT = (name) => `https://schemas.openid.net/secevent/risc/event-type/${name}`;

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    return undefined;
  }
}

/**
 * A transmitter for the provider at `issuer` (Google's SETs name it with a trailing slash, so
 * does this one). Mount `handle` in the provider's server (startProvider's `routes`).
 *
 * @param {object} options
 * @param {string} options.audience the OAuth client id the SETs are for (Google: the project's client ids)
 * @param {{publicKey: CryptoKey, clientEmail: string}} [options.serviceAccount] who may manage the stream
 * @param {import("jose").JWK} [options.key] the private RS256 JWK it signs with (default: a fresh key)
 */
export async function createRiscTransmitter({ audience, serviceAccount, key }) {
  const { privateKey, publicKey } = await rsaKeyPair(key);
  const kid = `risc-${randomBytes(6).toString("hex")}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" }] };
  let base = "";
  /** The registered stream, as `stream:update` left it. */
  const stream = { receiver: undefined, eventsRequested: [], pushes: [] };

  const transmitter = {
    get issuer() {
      return `${base}/`;
    },
    stream,
    /** Sets the provider's issuer (known once it listens). */
    bind(issuer) {
      base = issuer;
    },
    /** A signed SET as Google makes it; `overrides` replace claims (`aud`, `iss`, `iat`, `jti`) and header fields. */
    async sign(events, overrides = {}) {
      const { header = {}, key = privateKey, ...claims } = overrides;
      return new SignJWT({ events, ...claims })
        .setProtectedHeader({ alg: "RS256", kid, typ: "secevent+jwt", ...header })
        .setIssuer(claims.iss ?? `${base}/`)
        .setAudience(claims.aud ?? audience)
        .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
        .setJti(claims.jti ?? randomUUID())
        .sign(key);
    },
    /** An event about an account of this provider (`subject_type: iss-sub`). */
    accountEvent(name, sub, extra = {}) {
      return { [RISC_EVENT(name)]: { subject: { subject_type: "iss-sub", iss: `${base}/`, sub }, ...extra } };
    },
    /** POSTs a SET to `url` as RFC 8935 push delivery; resolves to the receiver's status and body. */
    async push(url, set, contentType = "application/secevent+jwt") {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": contentType, Accept: "application/json" },
        body: set,
      });
      const result = { status: response.status, body: await response.text() };
      stream.pushes.push(result);
      return result;
    },
    /** Serves the transmitter's routes; false for any other request. */
    handle(req, res, issuer) {
      base ||= issuer;
      const path = (req.url ?? "/").split("?")[0];
      if (req.method === "GET" && path === "/.well-known/risc-configuration") {
        sendJson(res, 200, {
          issuer: `${issuer}/`,
          jwks_uri: `${issuer}/risc/jwks`,
          delivery_methods_supported: [PUSH],
          configuration_endpoint: `${issuer}/risc/v1beta/stream`,
          status_endpoint: `${issuer}/risc/v1beta/stream/status`,
          verification_endpoint: `${issuer}/risc/v1beta/stream:verify`,
          add_subject_endpoint: `${issuer}/risc/v1beta/subject:add`,
          remove_subject_endpoint: `${issuer}/risc/v1beta/subject:remove`,
        });
        return true;
      }
      if (req.method === "GET" && path === "/risc/jwks") {
        sendJson(res, 200, jwks);
        return true;
      }
      // For people trying the demo: POST /risc/_fake/account-disabled?email=ada@demo.test makes the
      // transmitter send that event about the local provider's account to the registered receiver.
      const fake = /^\/risc\/_fake\/([a-z-]+)$/.exec(path);
      if (req.method === "POST" && fake) {
        const email = new URL(req.url ?? "/", issuer).searchParams.get("email") ?? "";
        if (!stream.receiver)
          sendJson(res, 409, { error: "no receiver registered: npm run google -- risc register first" });
        else
          transmitter
            .sign(transmitter.accountEvent(fake[1], subjectFor(email)))
            .then((set) => transmitter.push(stream.receiver, set))
            .then((result) => sendJson(res, 200, { delivered: result.status, body: result.body }));
        return true;
      }
      if (req.method === "POST" && (path === "/risc/v1beta/stream:update" || path === "/risc/v1beta/stream:verify")) {
        manage(req, res, path.endsWith(":update")).catch((error) =>
          sendJson(res, 500, { error: { code: 500, message: String(error?.message ?? error) } }),
        );
        return true;
      }
      return false;
    },
  };

  async function manage(req, res, update) {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    try {
      if (!serviceAccount || !bearer) throw new Error("no credentials");
      await verifyServiceAccountJwt(bearer, serviceAccount, RISC_API_AUDIENCE);
    } catch {
      return sendJson(res, 401, {
        error: { code: 401, message: "Request had invalid authentication credentials.", status: "UNAUTHENTICATED" },
      });
    }
    const body = await readJson(req);
    if (update) {
      if (body?.delivery?.delivery_method !== PUSH || typeof body?.delivery?.url !== "string") {
        return sendJson(res, 400, { error: { code: 400, message: "Invalid delivery.", status: "INVALID_ARGUMENT" } });
      }
      stream.receiver = body.delivery.url;
      stream.eventsRequested = body.events_requested ?? [];
      return sendJson(res, 200, {});
    }
    if (!stream.receiver)
      return sendJson(res, 400, {
        error: { code: 400, message: "No stream configured.", status: "FAILED_PRECONDITION" },
      });
    // Google answers, then delivers a verification event to the receiver.
    const set = await transmitter.sign({ [RISC_EVENT("verification")]: { state: String(body?.state ?? "") } });
    const delivered = await transmitter.push(stream.receiver, set);
    sendJson(res, 200, { delivered: delivered.status });
  }

  return transmitter;
}
