import { AuthError } from "../errors";
import { HTTP_METHOD } from "../config/access-policy";

/**
 * How much of a POST body is read to find a `_method` in it, bytes. Forms without files are far
 * smaller; a longer body is not read at all, and counts as naming any method (docs/security.md,
 * "Method overrides").
 */
export const MAX_OVERRIDE_BODY_BYTES = 1024 * 1024;

/** The methods a request's `_method` parameters name, upper case, or `"any"` when they cannot be known. */
export type NamedMethods = ReadonlySet<string> | "any";

/** What reading a request for method overrides found, and the body it had to read to find them. */
export interface MethodOverrides {
  methods: NamedMethods;
  /** The body, when it was read: sent to the origin in place of the (now spent) stream. */
  body?: ArrayBuffer | ReadableStream;
}

/**
 * A parameter name as PHP hands it to Laravel and Symfony (leading spaces dropped, `.`, ` ` and
 * `[` turned into `_`), in any case: `_method`, `.method`, `_METHOD` are all the override.
 */
const isOverrideName = (name: string) => name.trimStart().replace(/[. []/g, "_").toLowerCase() === "_method";

/** Rack (2.x) splits a form on `;` as well as `&`. */
const formFields = (text: string) => [...new URLSearchParams(text.replace(/;/g, "&"))];

/** A `_method` multipart part, as its header spells it: counted on the raw bytes, whatever the parser made of them. */
const MULTIPART_OVERRIDE = /content-disposition:[^\r\n]*\bname\*?\s*=\s*"?\s*[_. []method"?\s*(?:;|\r|\n)/gi;

function add(found: Set<string> | "any", value: unknown): Set<string> | "any" {
  // Frameworks ignore a `_method` that is not a string (PHP's `_method[]`); a string that is not a
  // method name is one nobody can say how an origin reads: any method.
  if (found === "any" || typeof value !== "string") return found;
  const method = value.trim().toUpperCase();
  return HTTP_METHOD.test(method) ? found.add(method) : "any";
}

function fromFields(fields: Iterable<[string, unknown]>, found: Set<string> | "any") {
  for (const [name, value] of fields) if (isOverrideName(name)) found = add(found, value);
  return found;
}

/**
 * The body, read up to `maxBytes`: its bytes when it is no longer; otherwise the whole body as a
 * stream again (what was read, then the rest, unread), or undefined when its Content-Length
 * already says it is longer (nothing read). A body that cannot be read is the client's fault.
 */
async function readBounded(request: Request, maxBytes: number): Promise<ArrayBuffer | ReadableStream | undefined> {
  if (Number(request.headers.get("content-length") ?? "0") > maxBytes) return undefined;
  const reader = (request.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
      if (size > maxBytes) return resumed(chunks, reader);
    }
  } catch (error) {
    throw new AuthError("ERR_BAD_REQUEST", { detail: "request body unreadable", cause: error });
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes.buffer;
}

/** What was read of a body, then the rest of it as it arrives: the body whole again. */
function resumed(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** The `_method` values of a body that origins parse for it, by its media type. */
async function fromBody(type: string, contentType: string, body: ArrayBuffer, found: Set<string> | "any") {
  const text = new TextDecoder().decode(body);
  // Rack parses a POST without a Content-Type as a form.
  if (type === "" || type === "application/x-www-form-urlencoded") return fromFields(formFields(text), found);
  if (type === "application/json" || type.endsWith("+json")) {
    try {
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === "object" && parsed !== null ? fromFields(Object.entries(parsed), found) : found;
    } catch {
      return found; // Laravel reads nothing from a body that is not JSON.
    }
  }
  if (!type.startsWith("multipart/")) return found;
  let fields: [string, unknown][];
  try {
    // Rack parses multipart/mixed and /related like form-data: the parser here only knows form-data.
    const asForm = contentType.replace(/^\s*multipart\/[^;]*/i, "multipart/form-data");
    fields = [
      ...(await new Request("https://body.invalid/", {
        method: "POST",
        headers: { "content-type": asForm },
        body,
      }).formData()),
    ];
  } catch {
    return "any";
  }
  const overrides = fields.filter(([name]) => isOverrideName(name));
  // A part another parser would see as `_method` but this one did not: no telling what it says.
  if ((new TextDecoder("latin1").decode(body).match(MULTIPART_OVERRIDE)?.length ?? 0) > overrides.length) return "any";
  return fromFields(overrides, found);
}

/** Whether the query holds a `_method` parameter in any spelling (the one place a GET can carry one). */
export function queryNamesMethod(url: URL): boolean {
  return url.search.length > 1 && [...url.searchParams.keys()].some(isOverrideName);
}

/**
 * The methods a request asks its origin to act as through a `_method` parameter: in the query
 * (on any method: reading it costs nothing), and, on a POST, in a urlencoded, multipart or JSON
 * body (POST is the one method every framework overrides). Reading the body spends its stream, so
 * the bytes come back with the answer to be sent on.
 */
export async function readMethodOverrides(request: Request, url: URL): Promise<MethodOverrides> {
  const found = fromFields(url.searchParams, new Set());
  if (request.method !== "POST" || request.body === null) return { methods: found };
  const contentType = request.headers.get("content-type") ?? "";
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  const parsed = type === "" || type.startsWith("multipart/") || type === "application/x-www-form-urlencoded";
  if (!parsed && type !== "application/json" && !type.endsWith("+json")) return { methods: found };
  // A compressed body is one this worker cannot read as the origin's server might: any method.
  if (request.headers.has("content-encoding")) return { methods: "any" };
  const body = await readBounded(request, MAX_OVERRIDE_BODY_BYTES);
  if (!(body instanceof ArrayBuffer)) return { methods: "any", ...(body ? { body } : {}) };
  return { methods: await fromBody(type, contentType, body, found), body };
}
