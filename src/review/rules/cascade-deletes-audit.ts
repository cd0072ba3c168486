import type { Rule, RuleHit } from "../engine/types.js";
import { isAuditTable } from "./model.js";

/**
 * A foreign key from an audit (or append-only) table whose ON DELETE rule removes or rewrites audit
 * rows when the audited row goes: the history disappears with the thing it is the history of.
 * SET NULL is a warning: the row stays, but loses what it was about. Chains count too: deleting an account that cascades to realm, which cascades to realm_audit.
 *
 * Bad:  `audit_log.account_id REFERENCES account ON DELETE CASCADE`
 * Good: no foreign key from the audit table (keep the id as plain data), or ON DELETE RESTRICT
 */
export const cascadeDeletesAudit: Rule = {
  id: "cascade-deletes-audit",
  group: "integrity",
  severity: "error",
  needs: [["declaration", "catalog"]],
  summary: "Deleting a row cascades into an audit table.",
  why: "Audit rows are deleted or rewritten by the very deletion they should record.",
  recipe: "drop the foreign key from the audit table, or make it ON DELETE RESTRICT / NO ACTION",
  check: ({ model }) => {
    const hits: RuleHit[] = [];
    // Which tables a delete of each table reaches through cascades (and set null, which rewrites).
    const reaches = new Map<string, { child: string; fk: string; rule: string }[]>();
    for (const t of model.tables)
      for (const fk of t.foreignKeys) {
        if (fk.onDelete !== "cascade" && fk.onDelete !== "set null") continue;
        const list = reaches.get(fk.refTable) ?? [];
        list.push({ child: t.name, fk: fk.name, rule: fk.onDelete });
        reaches.set(fk.refTable, list);
      }
    const audit = new Set(model.tables.filter(isAuditTable).map((t) => t.name));
    for (const start of model.tables) {
      const seen = new Set([start.name]);
      const queue: { table: string; path: string[] }[] = [{ table: start.name, path: [start.name] }];
      while (queue.length > 0) {
        const { table, path } = queue.shift()!;
        for (const edge of reaches.get(table) ?? []) {
          if (seen.has(edge.child)) continue;
          seen.add(edge.child);
          const next = [...path, edge.child];
          if (audit.has(edge.child) && !audit.has(start.name)) {
            hits.push({
              object: `${start.name}→${edge.child}`,
              // SET NULL keeps the audit row and loses who or what it was about; CASCADE loses the row.
              severity: edge.rule === "cascade" ? "error" : "warning",
              table: edge.child,
              message: `deleting a row of ${start.name} ${edge.rule === "cascade" ? "deletes" : "rewrites"} rows of ${edge.child} (${next.join(" → ")}, via ${edge.fk})`,
            });
          }
          queue.push({ table: edge.child, path: next });
        }
      }
    }
    return hits;
  },
};
