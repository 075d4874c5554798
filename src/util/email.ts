/**
 * The one e-mail rule, for configuration and for ID tokens alike: one `@`, printable ASCII
 * only, no commas (the address travels in X-Auth-User-Email and in comma-separated lists;
 * control characters would break a header, non-ASCII would reach the origin as raw UTF-8 that
 * header parsers read as Latin-1 or refuse; Google's addresses are always ASCII), at most 254
 * characters (RFC 5321's path limit).
 */
const EMAIL = /^[\x21-\x2b\x2d-\x3f\x41-\x7e]+@[\x21-\x2b\x2d-\x3f\x41-\x7e]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
