// A local stand-in for Google's OAuth token endpoint and the Admin SDK Directory API's
// members.hasMember, for `npm start` and the tests. Real HTTP, Google's status codes and error
// shapes, and Google's checks of the service account's JWT; membership lives in memory.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { closeServer, listen } from "./listen.mjs";
import { createServiceAccount, verifyServiceAccountJwt } from "./service-account.mjs";

const SCOPE = "https://www.googleapis.com/auth/admin.directory.group.member.readonly";
const TOKEN_TTL_SECONDS = 3600;
const HAS_MEMBER = /^\/admin\/directory\/v1\/groups\/([^/]+)\/hasMember\/([^/]+)$/;

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json; charset=UTF-8", "Cache-Control": "no-store" });
  res.end(JSON.stringify(body));
}

const googleError = (res, status, message) =>
  sendJson(res, status, { error: { code: status, message, errors: [{ message, domain: "global" }] } });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const domainOf = (address) => address.slice(address.lastIndexOf("@") + 1);

/**
 * Start the fake. `groups` maps a group address to its members (people or other groups).
 *
 * @param {object} [options]
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.port=0]
 * @param {Record<string, string[]>} [options.groups]
 * @param {import("jose").JWK} [options.serviceAccountKey] the private RS256 JWK of the service account it trusts (default: a fresh key)
 * @returns {Promise<{url: string, tokenUrl: string, apiBaseUrl: string, credentials: string, setMembers(group: string, members: string[]): void, setAvailable(up: boolean): void, hits: {token: number, hasMember: number}, close(): Promise<void>}>}
 */
export async function startGoogleDirectory({ host = "127.0.0.1", port = 0, groups = {}, serviceAccountKey } = {}) {
  const members = new Map(
    Object.entries(groups).map(([group, list]) => [group.toLowerCase(), new Set(list.map((m) => m.toLowerCase()))]),
  );
  const tokens = new Map();
  const hits = { token: 0, hasMember: 0 };
  let available = true;
  let account;
  let tokenUrl;

  /** Direct membership always; nested only inside the group's own domain, as Google answers it. */
  function isMember(group, member, seen = new Set()) {
    const list = members.get(group);
    if (!list || seen.has(group)) return false;
    seen.add(group);
    if (list.has(member)) return true;
    return [...list].some(
      (inner) =>
        members.has(inner) &&
        domainOf(inner) === domainOf(group) &&
        domainOf(member) === domainOf(group) &&
        isMember(inner, member, seen),
    );
  }

  async function token(req, res) {
    hits.token++;
    const form = new URLSearchParams(await readBody(req));
    if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
      return sendJson(res, 400, { error: "unsupported_grant_type" });
    try {
      const claims = await verifyServiceAccountJwt(form.get("assertion") ?? "", account, tokenUrl);
      if (
        !String(claims.scope ?? "")
          .split(" ")
          .includes(SCOPE)
      )
        return sendJson(res, 400, {
          error: "invalid_scope",
          error_description: "Invalid OAuth scope or ID token audience provided.",
        });
    } catch {
      return sendJson(res, 400, { error: "invalid_grant", error_description: "Invalid JWT Signature." });
    }
    const accessToken = `ya29.fake-${randomBytes(24).toString("base64url")}`;
    tokens.set(accessToken, Date.now() + TOKEN_TTL_SECONDS * 1000);
    sendJson(res, 200, { access_token: accessToken, expires_in: TOKEN_TTL_SECONDS, token_type: "Bearer" });
  }

  function hasMember(req, res, group, member) {
    hits.hasMember++;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer || !(tokens.get(bearer) > Date.now()))
      return googleError(res, 401, "Request had invalid authentication credentials.");
    if (!members.has(group)) return googleError(res, 404, "Resource Not Found: groupKey");
    const found = isMember(group, member);
    // Google refuses a nested check for an account outside the group's domain.
    if (!found && domainOf(member) !== domainOf(group) && [...members.get(group)].some((inner) => members.has(inner)))
      return googleError(res, 400, "Invalid Input: memberKey");
    sendJson(res, 200, { isMember: found });
  }

  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (!available) return googleError(res, 503, "The service is currently unavailable.");
    if (req.method === "POST" && path === "/token") {
      return token(req, res).catch(() => googleError(res, 500, "Internal error"));
    }
    const match = HAS_MEMBER.exec(path);
    if (req.method === "GET" && match)
      return hasMember(
        req,
        res,
        decodeURIComponent(match[1]).toLowerCase(),
        decodeURIComponent(match[2]).toLowerCase(),
      );
    googleError(res, 404, "Not Found");
  });
  const url = await listen(server, port, host);
  tokenUrl = `${url}/token`;
  account = await createServiceAccount({ tokenUri: tokenUrl, key: serviceAccountKey });

  return {
    url,
    tokenUrl,
    apiBaseUrl: url,
    credentials: account.credentials,
    serviceAccount: account,
    /** Replace a group's members (people's or groups' addresses). */
    setMembers(group, list) {
      members.set(group.toLowerCase(), new Set(list.map((m) => m.toLowerCase())));
    },
    /** false: every request gets Google's 503, as in an outage. */
    setAvailable(up) {
      available = up;
    },
    hits,
    close: () => closeServer(server),
  };
}
