import { fix } from "./fixes";

/** Shapes of the values inside a JSON-valued var (ACCESS_POLICY, TRUSTED_WORKLOADS, keys), checked one way everywhere. */

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Keys that belong one level down, in the object under `key` (a rule's lists, inside "allow"). */
export interface NestedKeys {
  key: string;
  keys: readonly string[];
}

/**
 * A problem for each key of `object` outside `allowed` (a misspelled or misplaced key would otherwise
 * be silently ignored); the long form adds the key it was probably meant to be, or where it belongs
 * when it is one of `nested`'s (or near one).
 */
export function unknownKeys(
  object: Record<string, unknown>,
  allowed: readonly string[],
  label: string,
  problems: string[],
  nested?: NestedKeys,
): void {
  for (const key of Object.keys(object))
    if (!allowed.includes(key))
      problems.push(
        `${label}: unknown key "${key}"${fix("unknownKey", key, allowed, nested)} (allowed: ${allowed.join(", ")})`,
      );
}
