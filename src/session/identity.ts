/** Who a session belongs to: the provider's verified claims we keep (contract 4.6). */
export interface Identity {
  /** The provider's `sub`: the stable user key. */
  sub: string;
  /** The verified e-mail address, lowercased. */
  email: string;
  /** Google Workspace domain (`hd` claim), when the provider sent one. */
  hd?: string;
}
