// Where a JSON value stops parsing: "not valid JSON" alone leaves the reader to find the stray
// comma in a 40-line ACCESS_POLICY.

/** Vars and secrets whose value is JSON. */
export const JSON_NAMES = ["ACCESS_POLICY", "TRUSTED_WORKLOADS", "SESSION_KEYS", "GOOGLE_GROUPS_CREDENTIALS"];

/** The error JSON.parse gives for `text`, or undefined when it parses. */
function parseError(text) {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return error;
  }
}

/** The offset V8 names, when it names one inside the text (at the end, the text only stopped early). */
function namedOffset(error, text) {
  const match = / at position (\d+)/.exec(error.message);
  return match && Number(match[1]) < text.length ? Number(match[1]) : undefined;
}

/** Whether a prefix fails before its end (not merely by stopping early, as every prefix may). */
function failsInside(prefix) {
  const error = parseError(prefix);
  if (!error || /end of JSON input/.test(error.message)) return false;
  return /^Unexpected token/.test(error.message) || namedOffset(error, prefix) !== undefined;
}

/**
 * The 0-based offset of the first character JSON.parse refuses. V8 names it for most mistakes but
 * not for an unexpected character ("Unexpected token"): then it is found as the shortest prefix
 * that fails for a reason other than stopping early (a prefix of a prefix that only stops early
 * stops early too, so the search can halve).
 */
function errorOffset(error, text) {
  const named = namedOffset(error, text);
  if (named !== undefined || !/^Unexpected token/.test(error.message)) return named ?? text.length;
  let [low, high] = [0, text.length];
  while (low < high) {
    const middle = (low + high) >> 1;
    if (failsInside(text.slice(0, middle + 1))) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** Why it stops, in V8's words but never with the value's text (it may be a secret). */
function reasonOf(error) {
  if (/end of JSON input/.test(error.message)) return "the value ends too early";
  if (/^Unexpected token/.test(error.message)) return "a character that does not belong there";
  return error.message.replace(/ in JSON at position \d+.*$/, "");
}

/**
 * The offset of a comma that only whitespace separates from the "]" or "}" at `offset`: JSON
 * allows no comma after the last item, which JavaScript, TOML arrays and most editors accept.
 */
function trailingComma(text, offset) {
  if (text[offset] !== "]" && text[offset] !== "}") return undefined;
  const comma = text.slice(0, offset).trimEnd().length - 1;
  return text[comma] === "," ? comma : undefined;
}

/** The 1-based line and column in `text` where JSON.parse gives up, and why; undefined when it parses. */
export function jsonErrorPosition(text) {
  const error = parseError(text);
  if (!error) return undefined;
  const offset = errorOffset(error, text);
  const comma = trailingComma(text, offset);
  const reason =
    comma === undefined
      ? reasonOf(error)
      : `remove the comma after the last ${text[offset] === "]" ? "item of the list" : "entry of the object"}: JSON allows none before "${text[offset]}"`;
  const before = text.slice(0, comma ?? offset).split("\n");
  return { line: before.length, column: before.at(-1).length + 1, reason };
}

/**
 * "NAME: not valid JSON ..." for a value that does not parse: its line and column in the value,
 * and the file and line it was written at when `source` says ({ label, line }).
 */
export function describeJsonError(name, value, source) {
  const position = jsonErrorPosition(value.trim());
  if (!position) return undefined;
  // The parser reads the value trimmed: count from its first character as written.
  const leading = value.slice(0, value.length - value.trimStart().length).split("\n");
  const line = position.line + leading.length - 1;
  const column = position.column + (position.line === 1 ? leading.at(-1).length : 0);
  const where = source ? `; ${source.label} line ${source.line + line - 1}` : "";
  return `${name}: not valid JSON at line ${line}, column ${column} of the value (${position.reason}${where})`;
}
