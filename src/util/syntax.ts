/** Shapes of values that come from outside and end up in headers or rules, each stated once. */

/** A `sub` that can travel in a header to the origin: printable ASCII, as Google's (digits) always is. */
export const PRINTABLE_SUB = /^[\x21-\x7e]{1,255}$/;

/**
 * An HTTP method token as policies and preflights name it: letters only in practice.
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.1
 */
export const HTTP_METHOD = /^[A-Za-z]{1,20}$/;
