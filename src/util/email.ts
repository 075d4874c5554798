/**
 * The one e-mail rule, for configuration and for ID tokens alike: one `@`, no white space,
 * commas or control characters (a value that would break a header or a list), at most 254
 * characters (RFC 5321's path limit).
 */
const EMAIL = /^[^\s@,\u0000-\u001f\u007f]+@[^\s@,\u0000-\u001f\u007f]+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}
