/**
 * A small browser stand-in for end-to-end tests over real HTTP: one cookie jar per host
 * (host-only cookies, as `__Host-` cookies are), manual redirects so each hop can be asserted.
 */
export interface Hop {
  url: string;
  status: number;
  location?: string;
  setCookies: string[];
}

export class CookieJar {
  /** host -> "path name" -> cookie; paths matter for the provider's per-interaction cookies. */
  private readonly cookies = new Map<string, Map<string, { name: string; value: string; path: string }>>();

  store(url: string, setCookies: string[]) {
    const { host, pathname } = new URL(url);
    const jar = this.cookies.get(host) ?? new Map();
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const pathAttribute = attributes.map((a) => a.trim()).find((a) => /^path=/i.test(a));
      const path = pathAttribute ? pathAttribute.slice(5) : pathname.replace(/\/[^/]*$/, "") || "/";
      const key = `${path} ${name}`;
      if (/max-age=0\b/i.test(line) || /expires=thu, 01 jan 1970/i.test(line) || value === "") jar.delete(key);
      else jar.set(key, { name, value, path });
    }
    this.cookies.set(host, jar);
  }

  header(url: string): string {
    const { host, pathname } = new URL(url);
    const matching = [...(this.cookies.get(host)?.values() ?? [])].filter(
      (cookie) =>
        pathname === cookie.path || pathname.startsWith(cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`),
    );
    return matching.map(({ name, value }) => `${name}=${value}`).join("; ");
  }

  get(url: string, name: string): string | undefined {
    return this.cookies.get(new URL(url).host)?.get(`/ ${name}`)?.value;
  }

  delete(url: string, name: string) {
    this.cookies.get(new URL(url).host)?.delete(`/ ${name}`);
  }
}

export class Browser {
  readonly jar = new CookieJar();

  /** One request, no redirect following; cookies from the jar are sent and stored. */
  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.jar.header(url);
    if (cookie && !headers.has("cookie")) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    this.jar.store(url, response.headers.getSetCookie());
    return response;
  }

  /** A top-level navigation: follows redirects (GET), recording every hop. */
  async navigate(
    url: string,
    init: RequestInit = {},
    maxHops = 12,
  ): Promise<{ response: Response; hops: Hop[]; url: string }> {
    const hops: Hop[] = [];
    let current = url;
    let options: RequestInit = {
      ...init,
      headers: { accept: "text/html", "sec-fetch-mode": "navigate", ...(init.headers as Record<string, string>) },
    };
    for (let i = 0; i < maxHops; i++) {
      const response = await this.request(current, options);
      const location = response.headers.get("location") ?? undefined;
      hops.push({ url: current, status: response.status, location, setCookies: response.headers.getSetCookie() });
      if (![301, 302, 303, 307, 308].includes(response.status) || !location) return { response, hops, url: current };
      // Read to its end, not cancelled: a cancel can close the connection while workerd still writes
      // the redirect's small body, which it then logs as a broken pipe.
      await response.arrayBuffer();
      current = new URL(location, current).href;
      options = { headers: { accept: "text/html", "sec-fetch-mode": "navigate" } };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /**
   * Signs in through the local provider's e-mail page: navigate to `url` on the worker, type
   * `email` at the provider, and follow everything back. Returns the final response and hops.
   */
  async signIn(url: string, email: string) {
    const first = await this.navigate(url);
    if (first.response.status !== 200 || !(await peekIsLoginPage(first.response))) return first;
    const post = await this.request(first.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "text/html" },
      body: new URLSearchParams({ email }),
    });
    const location = post.headers.get("location");
    if (!location) return { response: post, hops: first.hops, url: first.url };
    const rest = await this.navigate(new URL(location, first.url).href);
    return { response: rest.response, hops: [...first.hops, ...rest.hops], url: rest.url };
  }
}

async function peekIsLoginPage(response: Response): Promise<boolean> {
  const text = await response.text();
  return /name="email"/.test(text);
}
