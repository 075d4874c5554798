import { currentRequestId } from "./request-scope";

/**
 * One JSON line per decision, for Workers observability. Callers pass codes, ids and `sub`s,
 * never a token, cookie, authorization code or secret.
 */
export function logEvent(
  level: "info" | "warn" | "error",
  event: string,
  fields: Record<string, string | number | boolean | undefined> = {},
): void {
  const line = JSON.stringify({ level, event, requestId: currentRequestId(), ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
