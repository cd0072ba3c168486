import { EvidenceNotAvailable } from "../engine/not-available.js";
import type { Rule } from "../engine/types.js";

/**
 * What the engine's own consistency checks find: SQLite's `integrity_check` (a damaged file) and
 * `foreign_key_check` (rows pointing at no parent, written while enforcement was off), PostgreSQL's
 * constraints added NOT VALID and never validated. Counts only: no row value is printed.
 *
 * Bad:  `PRAGMA foreign_key_check` lists realm rows whose account is gone
 * Good: both checks report nothing
 */
export const integrityCheck: Rule = {
  id: "integrity-check",
  group: "integrity",
  severity: "error",
  needs: ["probe"],
  summary: "The engine's own consistency checks report problems.",
  why: "The data already breaks constraints the schema claims, or the file is damaged.",
  recipe: "repair the rows the check names (or restore), then validate the constraint",
  check: async ({ dialect, db }) => {
    const problems = await dialect!.review.integrityProblems(db!);
    if (!problems)
      throw new EvidenceNotAvailable(`${dialect!.name} has no cheap whole-database consistency check`);
    return problems.map((p) => {
      // Stable object: the problem without its counts.
      const object = `integrity:${p.replace(/\d+ row\(s\) of /, "")}`;
      return { object, message: p };
    });
  },
};
