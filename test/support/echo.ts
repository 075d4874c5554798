/**
 * What the echo origin (test/support/echo-origin.mjs) answers: the request exactly as it reached
 * the origin. One type for every test that reads it.
 */
export interface Echo {
  method: string;
  /** Path and query, as the origin saw them. */
  path: string;
  url: string;
  /** Every header, by lower-case name. */
  headers: Record<string, string>;
  /** Empty for GET and HEAD. */
  body: string;
}
