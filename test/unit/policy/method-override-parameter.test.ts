import { describe, expect, it } from "vitest";
import { MAX_OVERRIDE_BODY_BYTES } from "../../../src/http/method-override";
import { callWith, signedIn } from "../../support/workerd/helpers";
import type { Echo } from "../../support/echo";

/**
 * A `_method` parameter makes Rails, Laravel, Symfony, Spring, Express and Hono origins act on a
 * POST as another method: in the query (Symfony, Laravel, Spring, Express), in a form body
 * (urlencoded or multipart: Rails, Laravel, Spring) or in a JSON body (Laravel). Where a rule
 * depends on the method, such a request is decided under the method it is sent with and every
 * method it names: it must pass all of their rules. Ordinary POSTs, and overrides a person's rules
 * allow, still reach the origin with their body unchanged.
 */
const POLICY = JSON.stringify([
  { path: "/items/*", allow: { emails: ["ada@example.com", "boss@example.com"] } },
  { path: "/items/*", methods: ["DELETE"], allow: { emails: ["boss@example.com"] } },
  { path: "/hooks/github", methods: ["POST"], public: true },
  { path: "/hooks/large", public: true },
]);
const FORM = { "content-type": "application/x-www-form-urlencoded" };
const boss = { provider: "default", sub: "2002", email: "boss@example.com" };

async function post(path: string, init: { headers?: Record<string, string>; body?: BodyInit } = {}) {
  return callWith({ ACCESS_POLICY: POLICY }, path, { method: "POST", ...init });
}

async function asAda(path: string, headers: Record<string, string>, body?: BodyInit) {
  const { cookie } = await signedIn();
  return post(path, { headers: { cookie, ...headers }, ...(body === undefined ? {} : { body }) });
}

/** A multipart body with these fields (and a file), built by hand so that the test sees its exact bytes. */
function multipart(fields: [string, string][], boundary = "----edge-test-boundary"): { type: string; body: string } {
  const parts = fields.map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const file = `--${boundary}\r\nContent-Disposition: form-data; name="photo"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nbytes of a file\r\n`;
  return { type: `multipart/form-data; boundary=${boundary}`, body: `${parts.join("")}${file}--${boundary}--\r\n` };
}

describe("a POST that names another method in `_method`, where a rule depends on the method", () => {
  it.each([
    "/items/42?_method=DELETE",
    "/items/42?_method=delete",
    "/items/42?_METHOD=Delete",
    "/items/42?%5Fmethod=DELETE",
    "/items/42?a=1&_method=DELETE&b=2",
    "/items/42?_method=PATCH&_method=DELETE",
  ])("is refused (403) to someone only the POST rule admits: %s", async (path) => {
    expect((await asAda(path, FORM, "name=x")).status).toBe(403);
  });

  it.each([
    ["urlencoded", "_method=delete"],
    ["urlencoded, among other fields", "name=x&_method=DELETE&other=y"],
    ["urlencoded, escaped", "%5Fmethod=DEL%45TE"],
    ["urlencoded, with `;` separators", "name=x;_method=delete"],
    ["urlencoded, PHP's spelling of `.method`", ".method=delete"],
    ["not a method name (read as any method)", "_method=DEL%20ETE"],
  ])("is refused in a form body (%s)", async (_, body) => {
    expect((await asAda("/items/42", FORM, body)).status).toBe(403);
  });

  it("is refused in a POST body without a Content-Type, which Rack reads as a form", async () => {
    // Bytes, not a string: a string body would bring its own `text/plain` Content-Type.
    expect((await asAda("/items/42", {}, new TextEncoder().encode("_method=delete"))).status).toBe(403);
  });

  it("is refused in a multipart body, first or last field, and in any multipart type Rack parses", async () => {
    const first = multipart([
      ["_method", "delete"],
      ["name", "x"],
    ]);
    expect((await asAda("/items/42", { "content-type": first.type }, first.body)).status).toBe(403);
    const last = multipart([
      ["name", "x"],
      ["_method", "DELETE"],
    ]);
    expect((await asAda("/items/42", { "content-type": last.type }, last.body)).status).toBe(403);
    const mixed = multipart([["_method", "delete"]]);
    const mixedType = mixed.type.replace("form-data", "mixed");
    expect((await asAda("/items/42", { "content-type": mixedType }, mixed.body)).status).toBe(403);
  });

  it("is refused in a JSON body (Laravel reads `_method` from JSON)", async () => {
    const json = { "content-type": "application/json" };
    expect((await asAda("/items/42", json, '{"name":"x","_method":"DELETE"}')).status).toBe(403);
  });

  it("reaches the origin, body and all, for someone every rule it names admits", async () => {
    const { cookie } = await signedIn(boss);
    const form = "name=x&_method=delete";
    const response = await post("/items/42?_method=DELETE", { headers: { cookie, ...FORM }, body: form });
    expect(response.status).toBe(200);
    const echo = (await response.json()) as Echo;
    expect([echo.method, echo.path, echo.body]).toEqual(["POST", "/items/42?_method=DELETE", form]);
    expect(echo.headers["content-length"]).toBe(String(form.length));
  });

  it("reads no further than its bound: a longer body is decided under every method, and still reaches the origin whole", async () => {
    const long = `_method=patch&text=${"a".repeat(MAX_OVERRIDE_BODY_BYTES)}`;
    expect((await asAda("/items/42", FORM, long)).status).toBe(403);
    const { cookie } = await signedIn(boss);
    const response = await post("/items/42", { headers: { cookie, ...FORM }, body: long });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).body.length).toBe(long.length);
  });

  it("reads a streamed body of unknown length only up to its bound, and sends all of it on", async () => {
    const chunk = new TextEncoder().encode(`_method=patch&text=${"a".repeat(64 * 1024)}`);
    const chunks = Math.ceil(MAX_OVERRIDE_BODY_BYTES / chunk.byteLength) + 2;
    const stream = () => {
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ < chunks) controller.enqueue(chunk);
          else controller.close();
        },
      });
    };
    expect((await asAda("/items/42", FORM, stream())).status).toBe(403);
    const { cookie } = await signedIn(boss);
    const response = await post("/items/42", { headers: { cookie, ...FORM }, body: stream() });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).body.length).toBe(chunks * chunk.byteLength);
  });

  it("keeps a public POST rule from opening the path to another method", async () => {
    expect((await post("/hooks/github?_method=DELETE", { headers: FORM, body: "a=1" })).status).toBe(401);
    const json = { "content-type": "application/json" };
    expect((await post("/hooks/github", { headers: json, body: '{"_method":"DELETE"}' })).status).toBe(401);
    // The webhook itself stays public (control).
    expect((await post("/hooks/github", { headers: json, body: '{"action":"opened"}' })).status).toBe(200);
  });

  it("counts a delivery past the bound to a POST-only public rule as any method; a rule for every method reads nothing", async () => {
    const json = { "content-type": "application/json" };
    const large = JSON.stringify({ action: "push", commits: "c".repeat(MAX_OVERRIDE_BODY_BYTES) });
    expect((await post("/hooks/github", { headers: json, body: large })).status).toBe(401);
    const response = await post("/hooks/large?_method=DELETE", { headers: json, body: large });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).body.length).toBe(large.length);
  });
});

describe("ordinary POSTs", () => {
  it("reach the origin with their body unchanged: a form, a multipart upload, an override the rules allow", async () => {
    for (const [headers, body] of [
      [FORM, "name=x&note=a%26b"],
      [FORM, "_method=patch&name=x"],
      [
        { "content-type": multipart([]).type },
        multipart([
          ["_method", "put"],
          ["name", "x"],
        ]).body,
      ],
      [{ "content-type": "application/json" }, '{"method":"DELETE","_method":"PATCH"}'],
      [{ "content-type": "text/plain" }, "_method=DELETE"],
    ] as const) {
      const response = await asAda("/items/42", headers, body);
      expect([body, response.status]).toEqual([body, 200]);
      const echo = (await response.json()) as Echo;
      expect([echo.method, echo.body]).toEqual(["POST", body]);
    }
  });

  it("are never read where no rule depends on the method", async () => {
    const { cookie } = await signedIn();
    const response = await callWith({}, "/other?_method=DELETE", {
      method: "POST",
      headers: { cookie, ...FORM },
      body: "_method=delete",
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as Echo).body).toBe("_method=delete");
  });
});
