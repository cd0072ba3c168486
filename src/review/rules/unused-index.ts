import { EvidenceNotAvailable } from "../engine/not-available.js";
import type { Rule } from "../engine/types.js";
import { dropIndexSql } from "./model.js";

/** Below this many rows an index may go unused because a scan is cheaper: not worth a finding. */
const MIN_ROWS = 10_000;

/**
 * A plain index never scanned since statistics were reset, on a table large enough that it should
 * have been: it only costs writes. Needs an engine that counts index scans (PostgreSQL).
 *
 * Bad:  `ix_job_log_host` with 0 scans on a table of 2 million rows
 * Good: every index on a large table has scans, or is unique (a constraint, used by writes)
 */
export const unusedIndex: Rule = {
  id: "unused-index",
  group: "performance-ops",
  severity: "info",
  needs: ["statistics", ["declaration", "catalog"]],
  catalog: "X04",
  summary: "A plain index on a large table has never been scanned.",
  why: "It slows every write and takes space, for no read.",
  recipe: "check the statistics cover a full business cycle, then drop it",
  check: (ctx) => {
    const usage = ctx.statistics?.indexes;
    if (!usage)
      throw new EvidenceNotAvailable(`${ctx.dialect?.name ?? "this engine"} does not count index scans`);
    const rows = new Map(ctx.statistics!.tables.map((t) => [t.table, t.rows]));
    return ctx.model.tables.flatMap((t) =>
      t.indexes
        .filter((ix) => !ix.unique && (rows.get(t.name) ?? 0) >= MIN_ROWS)
        .filter((ix) => usage.find((u) => u.table === t.name && u.index === ix.name)?.scans === 0)
        .map((ix) => ({
          object: `${t.name}/${ix.name}`,
          table: t.name,
          message: `index ${ix.name} on ${t.name} has not been scanned since statistics were reset`,
          fix: dropIndexSql(ctx, t, ix.name),
        })),
    );
  },
};
