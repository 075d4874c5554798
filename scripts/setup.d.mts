// Types for setup.mjs, so TypeScript tests can import it.
/** `npm run setup` with `argv`: its exit code. Answers are read from `io.stdin`, questions written to `io.stdout` (default: the process's). */
export function setup(
  argv: string[],
  io?: { stdin?: NodeJS.ReadableStream & { isTTY?: boolean }; stdout?: NodeJS.WritableStream },
): Promise<number>;
