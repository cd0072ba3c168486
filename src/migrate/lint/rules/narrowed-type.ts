import type { ColumnModel, ColumnType } from "../../../schema/index.js";
import { col, schema, table } from "../../../schema/index.js";
import { op } from "../../operations.js";
import type { LintRule } from "../types.js";

const before = schema({ account: table("account", { id: col.id(), name: col.varchar(255) }) }).model;
const name: ColumnModel = before.tables[0]!.columns.find((c) => c.name === "name")!;

export const narrowedType: LintRule = {
  id: "narrowed-type",
  catalog: "M15",
  summary: "A column's type is narrowed.",
  why: "Values that fit the old type may not fit the new one: the migration fails, or (on lenient engines) data is cut.",
  bad: `op.alterColumn("account", varchar(255), varchar(80))`,
  good: "check the longest / largest value first, or add a new column and copy with a data step that reports what does not fit",
  examples: {
    bad: {
      before,
      operations: [op.alterColumn("account", name, { ...name, type: { kind: "varchar", length: 80 } })],
    },
    good: {
      before,
      operations: [
        op.addColumn("account", {
          name: "short_name",
          key: "shortName",
          type: { kind: "varchar", length: 80 },
          nullable: true,
        }),
        op.data(
          "copy account.name into account.short_name",
          async ({ db }) => {
            // A name that does not fit stops the migration by name, rather than being cut.
            const tooLong = await db
              .selectFrom("account")
              .select("id")
              .where((eb) => eb(eb.fn("length", ["name"]), ">", 80))
              .execute();
            if (tooLong.length > 0)
              throw new Error(`names longer than 80 in account ${tooLong.map((r) => r.id).join(", ")}`);
            await db
              .updateTable("account")
              .set((eb) => ({ short_name: eb.ref("name") }))
              .execute();
          },
          // Undoing the addColumn drops the copies with the column.
          async () => {},
        ),
      ],
    },
  },
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
};

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
