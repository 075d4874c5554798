import type { NestedKeys } from "./json-shapes";

/**
 * The second half of a configuration problem: how to fix it, with examples and where the docs
 * say more. The worker states every problem it refuses a configuration for, each in its short
 * form: it only logs them, nobody is there to follow a recipe, and the recipes would cost its
 * bundle 1.5 KiB gzipped. `npm run check`, `npm start` and `npm run setup`, where a person reads
 * each problem, install the long forms (config/fix-texts.ts) before they parse.
 */
export interface FixFunctions {
  /** After `unknown key "x"`: "; did you mean ...", or where the key belongs. */
  unknownKey(key: string, allowed: readonly string[], nested?: NestedKeys): string;
  /** The whole problem for a duration written with a unit ("30d"); undefined: the plain one. */
  secondsWithUnit(name: string, value: string, min: number, max: number): string | undefined;
  /** After `OIDC_PROVIDERS: set together with A, B`: why, and what to remove (`count` names). */
  providersAndSingleForm(count: number): string;
  /** After a client id that `is a URL`; `google`: the provider is Google. */
  clientIdIsUrl(google: boolean): string;
  /** After `not valid JSON`: where setting `name` is described. */
  invalidJson(name: string): string;
  /** An example rule, after a rule that is not an object (`list`: after ACCESS_POLICY that is not an array). */
  ruleExample(list: boolean): string;
  /** An example entry, after an OIDC_PROVIDERS entry that is not an object (`list`: after a list of the wrong length). */
  providerExample(list: boolean): string;
  /** After `workload "x" is not defined in TRUSTED_WORKLOADS`: the names it defines. */
  undefinedWorkload(defined: string): string;
  /** After `provider "x" is not in OIDC_PROVIDERS`: the ids it has. */
  unknownProvider(ids: string): string;
  /** After a workload's `"claims": names none of A, B`: `first` is A. */
  identifyingClaim(first: string): string;
  /** After `"claims.x": not allowed here`: who checks claim `name` instead. */
  checkedClaim(name: string): string;
  /** After a PREVIEW_HOSTS entry that `is too broad`: `fixed` is what follows its `*`. */
  previewTooBroad(fixed: string): string;
}

/** Fixes that are one text, each named for the problem it follows (config/fix-texts.ts has them). */
export type FixedText =
  | "secretAsClientId"
  | "notGoogleClientId"
  | "serviceAccountKey"
  | "groupsWithoutCredentials"
  | "unreachableRule"
  | "wholeSitePublic"
  | "tooManyGroups"
  | "workloadExample"
  | "workloadsExample"
  | "workloadIssuerExample"
  | "workloadAudience"
  | "workloadOwnIssuer"
  | "claimsExample"
  | "claimsEmpty"
  | "claimValue"
  | "tooManyIssuers"
  | "allowShape"
  | "admitsNobody"
  | "publicAndAllow"
  | "pathExample"
  | "methodsEmpty"
  | "providersEmpty"
  | "originBinding"
  | "originAudience"
  | "metricsBinding"
  | "familiesBinding"
  | "previewNeedsPublicUrl"
  | "wrappingSecretMissing"
  | "wrappingSecretShort"
  | "firstKeyPrivate"
  | "localIssuerOnly"
  | "issuerTwice"
  | "previewHostShape"
  | "clientIdSpaces"
  | "clientIdSlash"
  | "nobodyAllowed";

export type FixTexts = FixFunctions & Record<FixedText, string>;

let installed: FixTexts | undefined;

/**
 * Makes every later problem carry its fix: the commands a person runs call this, the worker never
 * does. Undefined: back to the short forms.
 */
export function installFixTexts(texts: FixTexts | undefined): void {
  installed = texts;
}

type FixArgs<K extends keyof FixTexts> = FixTexts[K] extends (...values: infer A) => unknown ? A : [];

/** The fix to append to a problem's short form: empty unless the long forms are installed. */
export function fix<K extends keyof FixTexts>(id: K, ...args: FixArgs<K>): string {
  return fixedProblem(id, ...args) ?? "";
}

/** The long form of a problem stated whole, when the long forms are installed. */
export function fixedProblem<K extends keyof FixTexts>(id: K, ...args: FixArgs<K>): string | undefined {
  const text = installed?.[id];
  return typeof text === "function"
    ? (text as unknown as (...values: FixArgs<K>) => string | undefined)(...args)
    : text;
}
