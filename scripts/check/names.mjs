// Names the worker never reads: a misspelled var is otherwise silently ignored, and the worker
// runs on the default (or refuses to start for a "required" it cannot see).

/**
 * Edit distance with adjacent transpositions counted once (optimal string alignment):
 * DOMIANS -> DOMAINS is 1, as a typo is.
 */
export function editDistance(a, b) {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}

/** The known name nearest to `name`, when near enough to be a typo of it (a third of its letters at most). */
export function nearestName(name, known) {
  let best;
  for (const candidate of known) {
    const distance = editDistance(name.toUpperCase(), candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/**
 * Findings for names the worker does not read, given as [{ name, where }]: a problem when the
 * name is a near miss of a known one (a typo), a warning otherwise (a var for something else).
 */
export function unknownNames(entries, known) {
  const problems = [];
  const warnings = [];
  for (const { name, where } of entries) {
    if (known.includes(name)) continue;
    const nearest = nearestName(name, known);
    if (nearest) problems.push(`${name} (${where}): not a name the worker reads; did you mean ${nearest}?`);
    else warnings.push(`${name} (${where}): not a name the worker reads; it is ignored`);
  }
  return { problems, warnings };
}
