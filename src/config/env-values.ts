import type { Env } from "../env";
import { isSecureOrLoopback } from "../util/issuer-rules";
import { fix, fixedProblem } from "./fixes";

/** Reading single bindings as typed values; every problem is pushed onto `problems`. */

/**
 * A JSON-valued var (a string, or already parsed when wrangler gives a JSON var): undefined when
 * it is unset or blank, or when it does not parse (a problem naming `name`).
 */
export function jsonVar(name: string, raw: unknown, problems: string[]): { value: unknown } | undefined {
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return undefined;
  if (typeof raw !== "string") return { value: raw };
  try {
    return { value: JSON.parse(raw) as unknown };
  } catch {
    problems.push(`${name}: not valid JSON${fix("invalidJson", name)}`);
    return undefined;
  }
}

/** A value that is absent or blank counts as unset, so `VAR = ""` in wrangler.toml means "default". */
export function text(env: Env, name: keyof Env, problems: string[]): string | undefined {
  const value: unknown = env[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    problems.push(`${name}: must be a string`);
    return undefined;
  }
  return value.trim() === "" ? undefined : value.trim();
}

export function required(env: Env, name: keyof Env, problems: string[]): string | undefined {
  const value = text(env, name, problems);
  if (value === undefined) problems.push(`${name}: required`);
  return value;
}

/** A comma-separated list, items trimmed, empty items dropped. */
export function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** A comma-separated var whose items `parse` reads one by one (a string it returns is that item's problem). */
export function listOf<T>(env: Env, name: keyof Env, parse: (item: string) => T | string, problems: string[]): T[] {
  const parsed: T[] = [];
  for (const item of list(text(env, name, problems))) {
    const result = parse(item);
    if (typeof result === "string") problems.push(result);
    else parsed.push(result);
  }
  return parsed;
}

export function httpUrl(
  name: string,
  value: string,
  problems: string[],
  httpsOnlyUnlessLoopback: boolean,
): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: not a URL`);
    return undefined;
  }
  const before = problems.length;
  if (url.protocol !== "https:" && url.protocol !== "http:") problems.push(`${name}: must be http(s)`);
  if (httpsOnlyUnlessLoopback && url.protocol === "http:" && !isSecureOrLoopback(url)) {
    problems.push(`${name}: must be https (http only for localhost or 127.0.0.1)`);
  }
  if (url.username || url.password) problems.push(`${name}: must not contain credentials`);
  if (url.search || url.hash) problems.push(`${name}: must not have a query or fragment`);
  return problems.length === before ? url : undefined;
}

/** An https URL var (http only on loopback), or `fallback` when unset; undefined when unset without one, or refused. */
export function httpsUrlVar(
  env: Env,
  name: keyof Env,
  fallback: string | undefined,
  problems: string[],
): URL | undefined {
  const value = text(env, name, problems) ?? fallback;
  return value === undefined ? undefined : httpUrl(name, value, problems, true);
}

export function seconds(
  env: Env,
  name: keyof Env,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const value = text(env, name, problems);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    // The long form of "30d" says the number of seconds to write instead.
    problems.push(
      fixedProblem("secondsWithUnit", name, value, min, max) ??
        `${name}: must be a whole number of seconds from ${min} to ${max}`,
    );
    return fallback;
  }
  return Number(value);
}

/** One of `choices` (case-insensitive), or `fallback` when unset. */
export function oneOf<T extends string>(
  env: Env,
  name: keyof Env,
  choices: readonly T[],
  fallback: T,
  problems: string[],
): T {
  const value = text(env, name, problems)?.toLowerCase();
  if (value === undefined) return fallback;
  if ((choices as readonly string[]).includes(value)) return value as T;
  problems.push(`${name}: must be one of ${choices.map((choice) => `"${choice}"`).join(", ")}`);
  return fallback;
}
