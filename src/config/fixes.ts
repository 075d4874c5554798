import type { NestedKeys } from "./json-shapes";

/**
 * The second half of a configuration problem: how to fix it, with examples and where the docs
 * say more. The worker states every problem it refuses a configuration for, each in its short
 * form: it only logs them, nobody is there to follow a recipe, and the recipes would cost its
 * bundle about a kilobyte. `npm run check`, `npm start` and `npm run setup`, where a person reads
 * each problem, install the long forms (config/fix-texts.ts) before they parse.
 */
export interface FixTexts {
  /** After `unknown key "x"`: "; did you mean ...", or where the key belongs. */
  unknownKey(key: string, allowed: readonly string[], nested?: NestedKeys): string;
  /** The whole problem for a duration written with a unit ("30d"); undefined: the plain one. */
  secondsWithUnit(name: string, value: string, min: number, max: number): string | undefined;
  /** After `set together with A, B`: why, and what to remove (`count` names). */
  providersAndSingleForm(count: number): string;
  /** After `names groups, but GOOGLE_GROUPS_CREDENTIALS is not set`. */
  groupsWithoutCredentials(): string;
  /** After `unreachable: X has the same path`. */
  unreachableRule(): string;
  /** After `would make the whole site (or its home page) public`. */
  wholeSitePublic(): string;
  /** After a client secret found where the client id goes. */
  secretAsClientId(): string;
  /** After `not a Google client id`. */
  notGoogleClientId(): string;
  /** After `is a URL` for a client id; `google`: the provider is Google. */
  clientIdIsUrl(google: boolean): string;
  /** After a problem with GOOGLE_GROUPS_CREDENTIALS' key. */
  serviceAccountKey(): string;
  /** After `ACCESS_POLICY: names N groups; at most M`. */
  tooManyGroups(): string;
  /** An example entry, after a TRUSTED_WORKLOADS entry that is not an object. */
  workloadExample(): string;
  /** An example, after TRUSTED_WORKLOADS that is not an object. */
  workloadsExample(): string;
  /** After `"claims": must be an object`. */
  claimsExample(): string;
  /** After `"issuer" is this worker's own PUBLIC_URL`. */
  workloadOwnIssuer(): string;
  /** After `not valid JSON`: `describedBy` is where the setting is described. */
  invalidJson(describedBy: string): string;
  /** An example rule, after a rule that is not an object (`list`: after ACCESS_POLICY that is not an array). */
  ruleExample(list: boolean): string;
  /** An example entry, after an OIDC_PROVIDERS entry that is not an object (`list`: after a list of the wrong length). */
  providerExample(list: boolean): string;
}

let installed: FixTexts | undefined;

/**
 * Makes every later problem carry its fix: the commands a person runs call this, the worker never
 * does. Undefined: back to the short forms.
 */
export function installFixTexts(texts: FixTexts | undefined): void {
  installed = texts;
}

type FixArgs<K extends keyof FixTexts> = Parameters<FixTexts[K]>;

/** The fix to append to a problem's short form: empty unless the long forms are installed. */
export function fix<K extends keyof FixTexts>(id: K, ...args: FixArgs<K>): string {
  return installed ? ((installed[id] as (...values: FixArgs<K>) => string | undefined)(...args) ?? "") : "";
}

/** The long form of a problem stated whole, when the long forms are installed. */
export function fixedProblem<K extends keyof FixTexts>(id: K, ...args: FixArgs<K>): string | undefined {
  return installed ? (installed[id] as (...values: FixArgs<K>) => string | undefined)(...args) : undefined;
}
