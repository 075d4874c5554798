import { escapeHtml, type Page } from "./page-shell";

/** A provider as the sign-in page lists it. */
export interface ProviderChoice {
  id: string;
  label: string;
}

/**
 * GET {AUTH_PREFIX}/login with several providers and none chosen (docs/providers.md): one link per
 * provider, in OIDC_PROVIDERS' order, each to {AUTH_PREFIX}/login?provider=<id> with the rest of
 * the sign-in's parameters (`keep`: return_to, prompt, max_age, a preview's relay) kept. Links, not
 * a form, so each is one Tab stop and opens with Enter; all drawn alike, as buttons: no choice is
 * the page's suggestion.
 */
export function providerChoicePage(
  authPrefix: string,
  providers: readonly ProviderChoice[],
  keep: URLSearchParams,
): Page {
  const links = providers.map((provider) => {
    const query = new URLSearchParams([["provider", provider.id], ...keep]);
    const href = `${authPrefix}/login?${query.toString()}`;
    return `<a class="button" href="${escapeHtml(href)}">Sign in with ${escapeHtml(provider.label)}</a>`;
  });
  return {
    title: "Sign in",
    tone: "info",
    lead: "Choose where you have your account.",
    detail: `<div class="actions">\n${links.join("\n")}\n</div>`,
    note: "Each choice is a separate account here: the same e-mail address at two of them is two people, with separate sessions.",
  };
}
