// Questions on the terminal (node:readline), or none at all with --yes.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

/**
 * An asker: `ask(question, fallback)` returns the answer, or `fallback` for an empty one.
 * `hidden` asks without echoing what is typed (the client secret). With `yes`, nothing is
 * asked: every question takes its fallback. Answers are read from `input` (setup's stdin), one
 * per line, typed or piped; questions are written to `output` (its stdout).
 */
export function createAsker({ yes, input, output }) {
  if (yes) return { ask: async (_question, fallback) => fallback, close() {} };
  let muted = false;
  // readline echoes typed keys through this: silenced while the secret is typed.
  const echo = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) output.write(chunk);
      done();
    },
  });
  const terminal = Boolean(input.isTTY);
  const lines = createInterface({ input, output: echo, terminal, prompt: "" });
  // Read as a stream of lines, not with question(): piped answers arrive all at once, and
  // question() would drop those that come before it is called.
  const next = lines[Symbol.asyncIterator]();
  return {
    async ask(question, fallback, { hidden = false } = {}) {
      const shownFallback = !fallback ? "" : hidden ? " [keep the one set]" : ` [${fallback}]`;
      output.write(`${question}${shownFallback}: `);
      muted = hidden && terminal;
      const { value, done } = await next.next();
      if (muted) output.write("\n");
      muted = false;
      if (!terminal) output.write("\n");
      // Input that ends before every question is answered (a pipe, Ctrl-D) stops setup instead of hanging.
      if (done) throw new Error(`no answer for "${question}" (input ended); give it as a flag`);
      const answer = value.trim();
      return answer === "" ? fallback : answer;
    },
    close: () => lines.close(),
  };
}
