import { postgres } from "../dialect/index.js";
import type { ColumnModel, ColumnType, Dialect, SchemaModel } from "../schema/index.js";
import type { Migration } from "./migration.js";
import type { Operation } from "./operations.js";
import { describeOperation } from "./operations.js";
import { renderOperation } from "./render/index.js";
import { applyOperation } from "./state.js";

export interface LintFinding {
  rule: string;
  migration: string;
  operation: string;
  /** What goes wrong, in this migration's terms. */
  message: string;
  /** The safe way to get the same result. */
  alternative: string;
  /** Only matters on these engines (all, when absent). */
  dialects?: Dialect[];
}

interface LintContext {
  operation: Operation;
  /** The schema just before this operation. */
  before: SchemaModel;
  /** Tables that existed before the migration started: changes to them meet live rows and traffic. */
  existing: Set<string>;
}

export interface LintRule {
  id: string;
  /** The matching rule in the shared catalogue of migration linters (squawk, strong_migrations, ...). */
  catalog: string;
  summary: string;
  why: string;
  bad: string;
  good: string;
  check(ctx: LintContext): Omit<LintFinding, "rule" | "migration" | "operation"> | undefined;
}

/**
 * Rules in the manner of squawk and strong_migrations: each one small, named, explained, with the
 * safe alternative. They look at operations, not SQL, so one rule covers every engine.
 */
export const LINT_RULES: LintRule[] = [
  {
    id: "add-not-null-column-without-default",
    catalog: "M12",
    summary: "A NOT NULL column without a default is added to an existing table.",
    why: "Existing rows have no value for it: the migration fails on a non-empty table, and code still running the old version cannot insert.",
    bad: `op.addColumn("account", { name: "phone", type: { kind: "varchar", length: 20 }, nullable: false })`,
    good: `op.addColumn("account", { ..., nullable: true }), backfill with op.data(...), then make it NOT NULL in a later migration`,
    check: ({ operation: o, existing }) => {
      if (o.op !== "addColumn" || !existing.has(o.table)) return;
      if (o.column.nullable || o.column.default || o.column.generated) return;
      return {
        message: `${o.table}.${o.column.name} is NOT NULL without a default on an existing table`,
        alternative:
          "add it nullable (or with a default), backfill it, then set NOT NULL in a later migration",
      };
    },
  },
  {
    id: "drop-table",
    catalog: "M19",
    summary: "A table is dropped.",
    why: "Its rows are gone for good, and code still reading it fails.",
    bad: `op.dropTable(legacyTable)`,
    good: "stop using the table in one release, back it up, and drop it in a later migration",
    check: ({ operation: o }) =>
      o.op === "dropTable"
        ? {
            message: `table ${o.table.name} and all its rows are dropped (down recreates it empty)`,
            alternative: "remove its use from the code first, keep a backup, and drop it in a later release",
          }
        : undefined,
  },
  {
    id: "drop-column",
    catalog: "M18",
    summary: "A column is dropped.",
    why: "Its data is gone for good, and running code that selects it fails.",
    bad: `op.dropColumn("account", phoneColumn)`,
    good: "stop reading and writing the column in one release, then drop it in the next",
    check: ({ operation: o, existing }) =>
      o.op === "dropColumn" && existing.has(o.table)
        ? {
            message:
              `${o.table}.${o.column.name} and its data are dropped (down recreates it empty` +
              (!o.column.nullable && !o.column.default
                ? ", and fails on a table with rows: it is NOT NULL without a default)"
                : ")"),
            alternative: "stop using it in the code first; drop it in a later release",
          }
        : undefined,
  },
  {
    id: "narrowed-type",
    catalog: "M15",
    summary: "A column's type is narrowed.",
    why: "Values that fit the old type may not fit the new one: the migration fails, or (on lenient engines) data is cut.",
    bad: `op.alterColumn("account", varchar(255), varchar(80))`,
    good: "check the longest / largest value first, or add a new column and copy with a data step that reports what does not fit",
    check: ({ operation: o, existing }) => {
      if (o.op !== "alterColumn" || !existing.has(o.table)) return;
      const why = narrowing(o.from, o.to);
      return why
        ? {
            message: `${o.table}.${o.to.name}: ${why}`,
            alternative: "verify existing values fit (or migrate them with a data step) before narrowing",
          }
        : undefined;
    },
  },
  {
    id: "set-not-null",
    catalog: "M11",
    summary: "An existing column becomes NOT NULL.",
    why: "Every row is checked under an exclusive lock, and the migration fails if any row holds NULL.",
    bad: `op.alterColumn("account", { ...email, nullable: true }, { ...email, nullable: false })`,
    good: "backfill the NULLs first (op.data), then set NOT NULL; on PostgreSQL a validated CHECK (email IS NOT NULL) avoids the long lock",
    check: ({ operation: o, existing }) =>
      o.op === "alterColumn" && existing.has(o.table) && o.from.nullable && !o.to.nullable
        ? {
            message: `${o.table}.${o.to.name} becomes NOT NULL: fails if any row is NULL, and locks the table while checking`,
            alternative: "backfill NULLs with a data step first",
          }
        : undefined,
  },
  {
    id: "create-index-non-concurrently",
    catalog: "M01",
    summary: "An index is built on an existing PostgreSQL table without CONCURRENTLY.",
    why: "CREATE INDEX blocks every write to the table until the index is built.",
    bad: `op.addIndex("activity_log", index)`,
    good: `op.addIndex("activity_log", index, { concurrently: true })  // runs outside a transaction`,
    check: ({ operation: o, existing, before }) => {
      if (o.op !== "addIndex" || o.concurrently || !existing.has(o.table)) return;
      const concurrent = renderOperation({ ...o, concurrently: true }, before, "postgres").map((s) =>
        "sql" in s ? s.sql : "",
      );
      return {
        message: `index ${o.index.name} on ${o.table} blocks writes while it is built`,
        alternative: `op.addIndex(${JSON.stringify(o.table)}, index, { concurrently: true }) → ${concurrent.join("; ")} (run outside a transaction)`,
        dialects: ["postgres"],
      };
    },
  },
  {
    id: "add-foreign-key-without-not-valid",
    catalog: "M07",
    summary: "A foreign key is added to an existing PostgreSQL table and validated at once.",
    why: "Adding it checks every row while holding locks on both tables.",
    bad: `op.addForeignKey("realm", fk)`,
    good: `op.addForeignKey("realm", fk, { notValid: true }) now, op.validateConstraint("realm", fk.name) in a later migration`,
    check: ({ operation: o, existing }) =>
      o.op === "addForeignKey" && !o.notValid && existing.has(o.table)
        ? {
            message: `foreign key ${o.foreignKey.name} on ${o.table} scans the table under lock`,
            alternative:
              `op.addForeignKey(${JSON.stringify(o.table)}, fk, { notValid: true }) → ` +
              `ALTER TABLE ${postgres.quote(o.table)} ADD CONSTRAINT ${postgres.quote(o.foreignKey.name)} ... NOT VALID; ` +
              `then op.validateConstraint(${JSON.stringify(o.table)}, ${JSON.stringify(o.foreignKey.name)}) in a later migration`,
            dialects: ["postgres"],
          }
        : undefined,
  },
  {
    id: "rename-column",
    catalog: "M16",
    summary: "A column is renamed.",
    why: "Code still running the previous release uses the old name and fails until it is redeployed.",
    bad: `op.renameColumn("account", "phone", "mobile")`,
    good: "add the new column, write both, backfill, switch reads, then drop the old one",
    check: ({ operation: o }) =>
      o.op === "renameColumn"
        ? {
            message: `${o.table}.${o.from} is renamed to ${o.to}: running code that uses ${o.from} breaks`,
            alternative: "add the new column, write both, backfill, switch reads, drop the old column later",
          }
        : undefined,
  },
  {
    id: "rename-table",
    catalog: "M17",
    summary: "A table is renamed.",
    why: "Code still running the previous release uses the old name and fails until it is redeployed.",
    bad: `op.renameTable("team", "squad")`,
    good: "create the new table, write both, backfill, switch reads, then drop the old one",
    check: ({ operation: o }) =>
      o.op === "renameTable"
        ? {
            message: `table ${o.from} is renamed to ${o.to}: running code that uses ${o.from} breaks`,
            alternative:
              "deploy code that no longer needs the old name first, or migrate in expand/contract steps",
          }
        : undefined,
  },
];

/** Lints one migration against the schema it will be applied to. */
export function lintMigration(
  m: Migration,
  before: SchemaModel,
  rules: LintRule[] = LINT_RULES,
): LintFinding[] {
  const existing = new Set(before.tables.map((t) => t.name));
  const findings: LintFinding[] = [];
  let state = before;
  for (const operation of m.operations) {
    for (const rule of rules) {
      const found = rule.check({ operation, before: state, existing });
      if (found)
        findings.push({ rule: rule.id, migration: m.id, operation: describeOperation(operation), ...found });
    }
    state = applyOperation(state, operation);
  }
  return findings;
}

/** One finding as printed by `make` and `verify`. */
export function formatFinding(f: LintFinding): string {
  const where = f.dialects ? ` [${f.dialects.join(", ")}]` : "";
  return `${f.rule}${where}: ${f.message}\n    safer: ${f.alternative}`;
}

/** Why the new type may not hold every value of the old one, or undefined if it can. */
function narrowing(from: ColumnModel, to: ColumnModel): string | undefined {
  const a: ColumnType = from.type;
  const b: ColumnType = to.type;
  if (a.kind === "varchar" && b.kind === "varchar" && b.length < a.length)
    return `varchar(${a.length}) → varchar(${b.length})`;
  if (a.kind === "text" && (b.kind === "varchar" || b.kind === "enum")) return `text → ${b.kind}`;
  if (a.kind === "bigint" && b.kind === "integer") return "bigint → integer";
  if (a.kind === "double" && (b.kind === "integer" || b.kind === "bigint" || b.kind === "decimal"))
    return `double → ${b.kind}`;
  if (
    a.kind === "decimal" &&
    b.kind === "decimal" &&
    (b.precision - b.scale < a.precision - a.scale || b.scale < a.scale)
  ) {
    return `decimal(${a.precision}, ${a.scale}) → decimal(${b.precision}, ${b.scale})`;
  }
  if (a.kind === "enum" && b.kind === "enum") {
    const gone = a.values.filter((v) => !b.values.includes(v));
    if (gone.length) return `enum values removed: ${gone.join(", ")}`;
  }
  if (a.kind === "timestamp" && b.kind === "date") return "timestamp → date (time of day lost)";
  if (a.kind === "json" && b.kind !== "json" && b.kind !== "text") return `json → ${b.kind}`;
  return undefined;
}
