/**
 * Who a session belongs to: the provider's verified claims we keep (contract 4.6). A neutral
 * module: oidc produces identities, session stores keep them, proxy forwards them.
 */
export interface Identity {
  /** The provider's `sub`: the stable user key. */
  sub: string;
  /** The verified e-mail address, lowercased. */
  email: string;
  /** Google Workspace domain (`hd` claim), when the provider sent one. */
  hd?: string;
}

/** The Identity in any record or claim set that carries one; drops every other field. */
export function identityOf(source: { sub: string; email: string; hd?: unknown }): Identity {
  return typeof source.hd === "string" ? { sub: source.sub, email: source.email, hd: source.hd } : { sub: source.sub, email: source.email };
}
