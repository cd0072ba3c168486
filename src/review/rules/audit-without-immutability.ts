import type { Rule } from "../engine/types.js";
import { isAuditTable } from "./model.js";

/**
 * An audit (or append-only) table that the database lets anyone UPDATE or DELETE: history can be
 * rewritten by a bug, a console session or an attacker with the application's credentials.
 * plinth's `installAppendOnly` (run by `plinth up` for the audit table) adds the triggers.
 *
 * Bad:  `audit_log` with no triggers
 * Good: `audit_log` with BEFORE UPDATE and BEFORE DELETE triggers that refuse the change
 */
export const auditWithoutImmutability: Rule = {
  id: "audit-without-immutability",
  group: "security",
  severity: "warning",
  needs: ["catalog", "probe"],
  summary: "An audit table accepts UPDATE or DELETE.",
  why: "Audit rows that can be changed prove nothing.",
  recipe:
    "install append-only triggers: installAppendOnly(db, table) (plinth up does it for the audit table)",
  check: async ({ catalog, dialect, db }) => {
    const guarded = await dialect!.review.guardedEvents(db!);
    return (catalog?.tables ?? []).filter(isAuditTable).flatMap((t) => {
      const events = guarded.get(t.name) ?? new Set();
      const open = (["update", "delete"] as const).filter((e) => !events.has(e));
      if (open.length === 0) return [];
      return [
        {
          object: t.name,
          table: t.name,
          message: `${t.name} keeps history but nothing in the database refuses ${open.map((e) => e.toUpperCase()).join(" or ")}`,
        },
      ];
    });
  },
};
