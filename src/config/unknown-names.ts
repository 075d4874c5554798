import { nearestName } from "../util/nearest-name";

/** Where a setting was written, as `npm run check` names it: "wrangler.toml [vars]", ".dev.vars", ... */
export interface NamedSetting {
  name: string;
  where: string;
}

/**
 * For `npm run check` alone: findings for names the worker never reads, where a misspelled var
 * is otherwise silently ignored and the worker runs on the default (or refuses to start for a
 * "required" it cannot see). A near miss of a known name is a problem (a typo); any other name
 * is a warning (a var for something else).
 */
export function unknownNames(
  entries: readonly NamedSetting[],
  known: readonly string[],
): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const { name, where } of entries) {
    if (known.includes(name)) continue;
    const nearest = nearestName(name, known);
    if (nearest) problems.push(`${name} (${where}): not a name the worker reads; did you mean ${nearest}?`);
    else warnings.push(`${name} (${where}): not a name the worker reads; it is ignored`);
  }
  return { problems, warnings };
}
