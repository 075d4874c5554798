import { nearestName } from "../util/nearest-name";

/** Shapes of the values inside a JSON-valued var (ACCESS_POLICY, TRUSTED_WORKLOADS, keys), checked one way everywhere. */

/** A JSON object: not null, not an array. */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A problem for each key of `object` outside `allowed`, with the key it was probably meant to be:
 * a misspelled key would otherwise be silently ignored.
 */
export function unknownKeys(
  object: Record<string, unknown>,
  allowed: readonly string[],
  label: string,
  problems: string[],
): void {
  for (const key of Object.keys(object)) {
    if (allowed.includes(key)) continue;
    const nearest = nearestName(key, allowed);
    const guess = nearest ? `; did you mean "${nearest}"?` : "";
    problems.push(`${label}: unknown key "${key}"${guess} (allowed: ${allowed.join(", ")})`);
  }
}
