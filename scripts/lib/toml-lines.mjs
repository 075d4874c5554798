// Edits wrangler.toml as lines, so every comment and every table setup does not touch stays
// byte for byte as the operator wrote it (a TOML parse and re-serialization would drop comments).
// Understands what this repository's wrangler.toml uses: [tables], [[arrays of tables]],
// `key = value` lines, and values spanning lines ('''...''' strings, [...] arrays).

const HEADER = /^\s*(\[\[?)\s*([A-Za-z0-9_.\-"]+?)\s*\]\]?\s*(#.*)?$/;
const KEY = /^\s*([A-Za-z0-9_\-]+)\s*=/;

/** The line index after a value that starts on line `at`, past a multi-line string or array. */
function valueEnd(lines, at) {
  const value = lines[at].replace(KEY, "").trim();
  for (const quote of ["'''", '"""']) {
    if (value.startsWith(quote) && value.indexOf(quote, 3) < 0) {
      let end = at + 1;
      while (end < lines.length && !lines[end].includes(quote)) end++;
      return end + 1;
    }
  }
  if (value.startsWith("[")) {
    let depth = 0;
    for (let end = at; end < lines.length; end++) {
      const text = end === at ? value : lines[end].replace(/#.*$/, "");
      for (const char of text.replace(/"(?:[^"\\]|\\.)*"|'[^']*'/g, ""))
        depth += char === "[" ? 1 : char === "]" ? -1 : 0;
      if (depth <= 0) return end + 1;
    }
  }
  return at + 1;
}

/** Every table of the file: its name, whether it is an array entry, and its line span. */
export function tables(lines) {
  const found = [];
  for (let i = 0; i < lines.length; i++) {
    const match = HEADER.exec(lines[i]);
    if (!match || KEY.test(lines[i])) continue;
    if (found.length > 0) found.at(-1).end = i;
    found.push({ name: match[2], array: match[1] === "[[", start: i, end: lines.length });
  }
  return found;
}

/** The keys of a table (or of the top level, table undefined) with their line spans. */
export function keysOf(lines, table) {
  const keys = [];
  const from = table ? table.start + 1 : 0;
  const to = table ? table.end : (tables(lines)[0]?.start ?? lines.length);
  for (let i = from; i < to; i++) {
    const match = KEY.exec(lines[i]);
    if (!match || lines[i].trimStart().startsWith("#")) continue;
    const end = valueEnd(lines, i);
    keys.push({ key: match[1], start: i, end });
    i = end - 1;
  }
  return keys;
}

/** Where new lines of a table go: after its last key (comments below it belong to the next table). */
export function contentEnd(lines, table) {
  const keys = keysOf(lines, table);
  return keys.length > 0 ? keys.at(-1).end : table.start + 1;
}

/** Sets `key = value` (value already TOML) in a table: replaced where it is, else added after its last key. */
export function setKey(lines, table, key, value) {
  const existing = keysOf(lines, table).find((entry) => entry.key === key);
  if (existing) lines.splice(existing.start, existing.end - existing.start, `${key} = ${value}`);
  else lines.splice(contentEnd(lines, table), 0, `${key} = ${value}`);
}

/** Removes a table: its header and keys, keeping comments that sit right above the next table. */
export function removeTable(lines, table) {
  let end = table.end;
  while (end > table.start + 1 && lines[end - 1].trimStart().startsWith("#")) end--;
  lines.splice(table.start, end - table.start);
}

/** A TOML basic string: JSON's escapes are all valid in TOML. */
export const tomlString = (value) => JSON.stringify(String(value));

/**
 * A multi-line TOML literal string, kept exactly as written (a JSON value stays readable, one
 * entry a line); a basic string when the value itself holds three quotes.
 */
export const tomlLiteral = (value) => (String(value).includes("'''") ? tomlString(value) : `'''\n${value}'''`);
