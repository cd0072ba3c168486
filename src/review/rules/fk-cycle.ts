import type { Rule } from "../engine/types.js";

/**
 * Tables that reference each other in a cycle (a → b → a): neither can be filled first without a
 * nullable key or a deferred constraint, and deleting needs the same dance backwards. A table that
 * references itself (a tree) is not reported.
 *
 * Bad:  `account.default_realm_id → realm` and `realm.account_id → account`
 * Good: `realm.account_id → account`, and the default realm as a flag on realm
 */
export const fkCycle: Rule = {
  id: "fk-cycle",
  group: "integrity",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "I06",
  summary: "Foreign keys form a cycle between tables.",
  why: "Rows cannot be inserted, seeded, copied or deleted in any one table order.",
  recipe:
    "break the cycle: move one reference to a join table or a flag, or make it nullable and fill it last",
  check: ({ model }) => {
    const edges = new Map<string, string[]>();
    for (const t of model.tables)
      edges.set(t.name, [...new Set(t.foreignKeys.map((fk) => fk.refTable).filter((r) => r !== t.name))]);
    return stronglyConnected(edges)
      .filter((c) => c.length > 1)
      .map((c) => {
        const sorted = [...c].sort();
        return {
          object: sorted.join("↔"),
          message: `tables ${sorted.join(", ")} reference each other in a cycle`,
        };
      });
  },
};

/** Tarjan's algorithm: the strongly connected components of a directed graph. */
function stronglyConnected(edges: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      out.push(component);
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}
