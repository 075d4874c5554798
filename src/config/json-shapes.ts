import { nearestName } from "../util/nearest-name";

/** Shapes of the values inside a JSON-valued var (ACCESS_POLICY, TRUSTED_WORKLOADS, keys), checked one way everywhere. */

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Keys that belong one level down, in the object under `key` (a rule's lists, inside "allow"). */
export interface NestedKeys {
  key: string;
  keys: readonly string[];
}

/** "; did you mean ...": the allowed key `key` is nearest to, else where it (or a key near it) belongs. */
function guessFor(key: string, allowed: readonly string[], nested?: NestedKeys): string {
  const nearest = nearestName(key, allowed);
  if (nearest) return `; did you mean "${nearest}"?`;
  const below = nested && nearestName(key, nested.keys);
  if (!nested || !below) return "";
  const inside = `"${nested.key}": {"${below}": [...]}`;
  return below === key ? `; it belongs inside ${inside}` : `; did you mean "${below}", inside ${inside}?`;
}

/**
 * A problem for each key of `object` outside `allowed`, with the key it was probably meant to be,
 * or where it belongs when it is one of `nested`'s (or near one): a misspelled or misplaced key
 * would otherwise be silently ignored.
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
      problems.push(`${label}: unknown key "${key}"${guessFor(key, allowed, nested)} (allowed: ${allowed.join(", ")})`);
}
