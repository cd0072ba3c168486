import type { Rule, RuleHit } from "../engine/types.js";

type Style = "snake_case" | "camelCase" | "PascalCase" | "UPPER_CASE" | "other";

function styleOf(name: string): Style {
  if (/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(name)) return "snake_case";
  if (/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/.test(name)) return "UPPER_CASE";
  if (/^[a-z][a-zA-Z0-9]*$/.test(name)) return "camelCase";
  if (/^[A-Z][a-zA-Z0-9]*$/.test(name)) return "PascalCase";
  return "other";
}

/**
 * Table and column names in a case other than the one most of the schema uses. Mixed case must be
 * quoted on PostgreSQL forever after, and folds differently on each engine (MySQL table names
 * follow the file system's case rules).
 *
 * Bad:  tables `account`, `realm`, and `AuthToken` with column `accountId`
 * Good: `account`, `realm`, `auth_token` with `account_id`
 */
export const namingCase: Rule = {
  id: "naming-case",
  group: "structure",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "S21",
  summary: "Names do not follow the case most of the schema uses.",
  why: "Mixed conventions force quoting, and identifiers fold case differently on each engine.",
  recipe: "rename to the schema's convention (plinth declares snake_case database names)",
  check: ({ model }) => {
    const names: { object: string; table: string; name: string }[] = [];
    for (const t of model.tables) {
      names.push({ object: t.name, table: t.name, name: t.name });
      for (const c of t.columns) names.push({ object: `${t.name}.${c.name}`, table: t.name, name: c.name });
    }
    // One-word lower-case names fit snake_case and camelCase alike: they do not vote.
    const votes = new Map<Style, number>();
    for (const n of names) {
      if (/^[a-z0-9]+$/.test(n.name)) continue;
      const s = styleOf(n.name);
      votes.set(s, (votes.get(s) ?? 0) + 1);
    }
    const ranked = [...votes].sort((a, b) => b[1] - a[1] || (a[0] === "snake_case" ? -1 : 1));
    const dominant = ranked[0]?.[0] ?? "snake_case";
    const hits: RuleHit[] = [];
    for (const n of names) {
      const s = /^[a-z0-9]+$/.test(n.name)
        ? dominant === "camelCase"
          ? "camelCase"
          : "snake_case"
        : styleOf(n.name);
      if (s === dominant) continue;
      hits.push({
        object: n.object,
        table: n.table,
        message: `${n.object} is ${s}; most of this schema is ${dominant}`,
      });
    }
    return hits;
  },
};
