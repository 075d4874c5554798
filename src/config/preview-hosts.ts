import { fix } from "./fixes";

/**
 * PREVIEW_HOSTS: hosts of preview deployments allowed to sign in through the registered host.
 * A pattern is a host (with `:port` if not the default) whose first label may hold one `*`,
 * standing for one or more of `a-z 0-9 -` (never a dot): `*-app.acme.workers.dev` matches
 * `0f1e2d3c-app.acme.workers.dev` and `feature-x-app.acme.workers.dev`, not
 * `x.y-app.acme.workers.dev`. Matched against the request's own host, lowercased by the URL parser.
 */
export interface HostPattern {
  regex: RegExp;
}

const LABEL = /^[a-z0-9-]{1,63}$/;
const WILD_LABEL = /^[a-z0-9-]{0,62}\*[a-z0-9-]{0,62}$/;
const PORT = /^[0-9]{1,5}$/;
/**
 * Suffixes where anyone can get a host (hosting platforms): a wildcard right below one would
 * admit anyone's deployment. The worker carries only these and COUNTRY_SECOND_LEVEL; the whole
 * Public Suffix List (tens of KiB) is checked by `npm run check` (docs/security.md, "Path readings").
 */
const SHARED_SUFFIXES = new Set([
  "workers.dev",
  "pages.dev",
  "r2.dev",
  "trycloudflare.com",
  "vercel.app",
  "now.sh",
  "netlify.app",
  "github.io",
  "gitlab.io",
  "herokuapp.com",
  "herokudns.com",
  "onrender.com",
  "fly.dev",
  "web.app",
  "firebaseapp.com",
  "appspot.com",
  "azurewebsites.net",
  "azurestaticapps.net",
  "cloudfront.net",
  "amplifyapp.com",
  "ngrok.io",
  "ngrok-free.app",
  "ngrok.app",
  "glitch.me",
  "replit.app",
  "railway.app",
  "deno.dev",
  "surge.sh",
  "blogspot.com",
]);
/** `co.uk`, `com.au`, `ne.jp`: a country's second level, where anyone registers a domain. */
const COUNTRY_SECOND_LEVEL = /^(co|com|net|org|gov|edu|ac|ne|or|go|gv|nic|ltd|plc|me|info|biz)\.[a-z]{2}$/;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");

/** Parses one PREVIEW_HOSTS entry; a string is a problem for the log. */
export function parsePreviewHost(entry: string): HostPattern | string {
  const problem = `PREVIEW_HOSTS: "${entry}" must be a host like "*-app.example.workers.dev"${fix("previewHostShape")}`;
  const lower = entry.toLowerCase();
  const colon = lower.lastIndexOf(":");
  const host = colon < 0 ? lower : lower.slice(0, colon);
  const port = colon < 0 ? undefined : lower.slice(colon + 1);
  if (port !== undefined && !PORT.test(port)) return problem;
  const [first = "", ...rest] = host.split(".");
  const wild = first.includes("*");
  if (!(wild ? WILD_LABEL : LABEL).test(first) || !rest.every((label) => LABEL.test(label))) return problem;
  const fixed = rest.join(".");
  if (wild && (rest.length < 2 || SHARED_SUFFIXES.has(fixed) || COUNTRY_SECOND_LEVEL.test(fixed)))
    return `PREVIEW_HOSTS: "${entry}" is too broad${fix("previewTooBroad", fixed)}`;
  const [before = "", after = ""] = first.split("*");
  const firstPattern = wild ? `${escape(before)}[a-z0-9-]+${escape(after)}` : escape(first);
  const hostPattern = [firstPattern, ...rest.map(escape)].join("\\.");
  return { regex: new RegExp(`^${hostPattern}${port === undefined ? "" : `:${port}`}$`) };
}
