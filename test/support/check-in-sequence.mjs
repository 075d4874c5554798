// `npm run check` several times in one process, in order: node test/support/check-in-sequence.mjs
// '[["--deploy","--env","staging"], ...]'. Before each run it writes a line `=== check N ===` to
// stdout and to stderr, so that the caller can cut each stream into the runs' own output.
//
// Wrangler remembers some warnings for the life of its process (the logger's `once` history, a
// deprecated variable's warning) and prints them only the first time. A run's "no warning" is as
// strong as in a fresh process only while every run before it printed none: order the runs so.
import { runCheckCommand } from "../../scripts/check-config.mjs";

const runs = JSON.parse(process.argv[2] ?? "[]");
for (const [index, argv] of runs.entries()) {
  const mark = `=== check ${index} ===\n`;
  process.stdout.write(mark);
  process.stderr.write(mark);
  const code = await runCheckCommand(argv);
  process.stdout.write(`exit status ${code}\n`);
}
