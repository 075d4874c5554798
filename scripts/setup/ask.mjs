// Questions on the terminal (node:readline), or none at all with --yes.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

/**
 * An asker: `ask(question, fallback)` returns the answer, or `fallback` for an empty one.
 * `hidden` asks without echoing what is typed (the client secret). With `yes`, nothing is
 * asked: every question takes its fallback. Answers may also come piped, one per line.
 */
export function createAsker({ yes }) {
  if (yes) return { ask: async (_question, fallback) => fallback, close() {} };
  let muted = false;
  // readline echoes typed keys through this: silenced while the secret is typed.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const terminal = Boolean(process.stdin.isTTY);
  const lines = createInterface({ input: process.stdin, output: echo, terminal, prompt: "" });
  // Read as a stream of lines, not with question(): piped answers arrive all at once, and
  // question() would drop those that come before it is called.
  const next = lines[Symbol.asyncIterator]();
  return {
    async ask(question, fallback, { hidden = false } = {}) {
      const shownFallback = !fallback ? "" : hidden ? " [keep the one set]" : ` [${fallback}]`;
      process.stdout.write(`${question}${shownFallback}: `);
      muted = hidden && terminal;
      const { value, done } = await next.next();
      if (muted) process.stdout.write("\n");
      muted = false;
      if (!terminal) process.stdout.write("\n");
      // Input that ends before every question is answered (a pipe, Ctrl-D) stops setup instead of hanging.
      if (done) throw new Error(`no answer for "${question}" (input ended); give it as a flag`);
      const answer = value.trim();
      return answer === "" ? fallback : answer;
    },
    close: () => lines.close(),
  };
}
