import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take far longer than any other, longest first: a year of key rotations on each
 * session store (thousands of requests under a moved clock), then the browser's and the docs'
 * longest. Started first, they run beside the many short files instead of after them: vitest
 * orders files by their last run's durations, which a fresh clone (CI) does not have, and then
 * starts the largest files first, which left the year (a small file) for the end, with the other
 * worker idle.
 */
const LONGEST = [
  "test/unit/keys/automatic-key-rotation-durable-object.test.ts",
  "test/unit/keys/automatic-key-rotation-kv.test.ts",
  "test/unit/session/session-store.test.ts",
  "test/e2e/doc-commands.test.ts",
  "test/browser/flow.test.ts",
  "test/browser/pages.test.ts",
];

/** vitest's own order within a group (last durations, else size), with LONGEST first whatever their project. */
export default class LongFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.indexOf(relative(root, spec.moduleId).split("\\").join("/"));
      return at < 0 ? LONGEST.length : at;
    };
    const group = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    // Array.prototype.sort is stable: ties keep vitest's order.
    return sorted.sort((a, b) => group(a) - group(b) || rank(a) - rank(b));
  }
}
