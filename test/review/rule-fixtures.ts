/**
 * A fixture that makes each declaration-level rule fire and one that does not, as dialect-neutral
 * models: rules.test.ts runs them on the declaration, rules-per-engine.test.ts on each engine's
 * catalog after creating them there.
 */
import type { SchemaModel, TableModel } from "plinth";

export const t = (name: string, over: Partial<TableModel> = {}): TableModel => ({
  name,
  columns: [{ name: "id", key: "id", type: { kind: "integer" }, nullable: false }],
  primaryKey: { name: `pk_${name}`, columns: ["id"] },
  uniques: [],
  checks: [],
  foreignKeys: [],
  indexes: [],
  meta: {},
  ...over,
});
export const column = (
  name: string,
  kind: "integer" | "varchar" | "timestamp" = "integer",
  nullable = false,
) => ({
  name,
  key: name,
  // varchar, not text: MySQL indexes only bounded text, and most fixtures index it.
  type: (kind === "varchar" ? { kind, length: 120 } : { kind }) as { kind: "integer" },
  nullable,
});
export const fk = (columns: string[], refTable: string, refColumns = ["id"], onDelete = "no action") => ({
  name: `fk_${columns.join("_")}_${refTable}`,
  columns,
  refTable,
  refColumns,
  onDelete: onDelete as "no action",
  onUpdate: "no action" as const,
});

export const parent = t("account");
export const CASES: { id: string; bad: SchemaModel; good: SchemaModel; fires: string[] }[] = [
  {
    id: "no-primary-key",
    bad: { tables: [t("note", { primaryKey: { name: "", columns: [] } })] },
    good: { tables: [t("note")] },
    fires: ["note"],
  },
  {
    id: "fk-without-index",
    bad: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    good: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
          indexes: [{ name: "ix_realm_account_id_id", columns: ["account_id", "id"], unique: false }],
        }),
      ],
    },
    fires: ["realm(account_id)"],
  },
  {
    id: "naming-case",
    bad: {
      tables: [t("user_account", { columns: [column("id"), column("first_name"), column("lastName")] })],
    },
    good: {
      tables: [t("user_account", { columns: [column("id"), column("first_name"), column("last_name")] })],
    },
    fires: ["user_account.lastName"],
  },
  {
    id: "duplicate-index",
    bad: {
      tables: [
        t("account", {
          columns: [column("id"), column("email", "varchar")],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
          indexes: [{ name: "ix_account_email", columns: ["email"], unique: false }],
        }),
      ],
    },
    good: {
      tables: [
        t("account", {
          columns: [column("id"), column("email", "varchar")],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
        }),
      ],
    },
    fires: ["account/ix_account_email"],
  },
  {
    id: "redundant-prefix-index",
    bad: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "varchar"), column("created_at", "timestamp")],
          indexes: [
            { name: "ix_job_status", columns: ["status"], unique: false },
            { name: "ix_job_status_created", columns: ["status", "created_at"], unique: false },
          ],
        }),
      ],
    },
    good: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "varchar"), column("created_at", "timestamp")],
          indexes: [
            { name: "ix_job_created", columns: ["created_at"], unique: false },
            { name: "ix_job_status_created", columns: ["status", "created_at"], unique: false },
          ],
        }),
      ],
    },
    fires: ["job/ix_job_status"],
  },
  {
    id: "nullable-in-multicolumn-fk",
    bad: {
      tables: [
        t("project", {
          columns: [column("tenant_id"), column("id")],
          primaryKey: { name: "pk", columns: ["tenant_id", "id"] },
        }),
        t("task", {
          columns: [column("id"), column("tenant_id"), column("project_id", "integer", true)],
          foreignKeys: [fk(["tenant_id", "project_id"], "project", ["tenant_id", "id"])],
        }),
      ],
    },
    good: {
      tables: [
        t("project", {
          columns: [column("tenant_id"), column("id")],
          primaryKey: { name: "pk", columns: ["tenant_id", "id"] },
        }),
        t("task", {
          columns: [column("id"), column("tenant_id"), column("project_id")],
          foreignKeys: [fk(["tenant_id", "project_id"], "project", ["tenant_id", "id"])],
        }),
      ],
    },
    fires: ["task.project_id/fk_tenant_id_project_id_project"],
  },
  {
    id: "fk-target-not-unique",
    bad: {
      tables: [
        // Indexed but not unique: InnoDB accepts a foreign key to it, PostgreSQL refuses one.
        t("realm", {
          columns: [column("id"), column("label", "varchar")],
          indexes: [{ name: "ix_realm_label", columns: ["label"], unique: false }],
        }),
        t("tag", {
          columns: [column("id"), column("label", "varchar")],
          foreignKeys: [fk(["label"], "realm", ["label"])],
        }),
      ],
    },
    good: {
      tables: [
        t("realm", {
          columns: [column("id"), column("label", "varchar")],
          uniques: [{ name: "uq", columns: ["label"] }],
        }),
        t("tag", {
          columns: [column("id"), column("label", "varchar")],
          foreignKeys: [fk(["label"], "realm", ["label"])],
        }),
      ],
    },
    fires: ["tag/fk_label_realm"],
  },
  {
    id: "fk-cycle",
    bad: {
      tables: [
        t("account", {
          columns: [column("id"), column("realm_id")],
          foreignKeys: [fk(["realm_id"], "realm")],
        }),
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    // A table referencing itself (a tree) is not a cycle between tables.
    good: {
      tables: [
        t("folder", {
          columns: [column("id"), column("parent_id", "integer", true)],
          foreignKeys: [fk(["parent_id"], "folder")],
        }),
      ],
    },
    fires: ["account↔realm"],
  },
  {
    id: "id-column-without-fk",
    bad: {
      tables: [parent, t("session", { columns: [column("id"), column("account_id"), column("request_id")] })],
    },
    good: {
      tables: [
        parent,
        t("session", {
          columns: [column("id"), column("account_id"), column("request_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    fires: ["session.account_id"],
  },
  {
    id: "enum-without-check",
    bad: { tables: [t("job", { columns: [column("id"), column("status", "varchar")] })] },
    good: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "varchar")],
          checks: [
            { name: "ck_job_status", predicate: { op: "in", column: "status", values: ["queued", "done"] } },
          ],
        }),
      ],
    },
    fires: ["job.status"],
  },
  {
    id: "timestamp-without-default",
    bad: { tables: [t("job", { columns: [column("id"), column("created_at", "timestamp")] })] },
    good: {
      tables: [
        t("job", {
          columns: [{ ...column("created_at", "timestamp"), default: { kind: "now" } }, column("id")],
        }),
      ],
    },
    fires: ["job.created_at"],
  },
  {
    id: "soft-delete-unique",
    bad: {
      tables: [
        t("account", {
          columns: [
            column("id"),
            column("email", "varchar"),
            { ...column("deleted_at", "timestamp", true), role: "deletedAt" },
          ],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
        }),
      ],
    },
    good: {
      tables: [
        t("account", {
          columns: [
            column("id"),
            column("email", "varchar"),
            { ...column("deleted_at", "timestamp", true), role: "deletedAt" },
          ],
          indexes: [
            {
              name: "uq_account_email",
              columns: ["email"],
              unique: true,
              where: { op: "isNull", column: "deleted_at" },
            },
          ],
        }),
      ],
    },
    fires: ["account/uq_account_email"],
  },
  {
    id: "cascade-deletes-audit",
    bad: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account", ["id"], "cascade")],
        }),
        t("realm_audit", {
          columns: [column("id"), column("realm_id")],
          foreignKeys: [fk(["realm_id"], "realm", ["id"], "cascade")],
        }),
      ],
    },
    good: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account", ["id"], "cascade")],
        }),
        t("realm_audit", { columns: [column("id"), column("realm_id")] }),
      ],
    },
    // The chain counts: deleting an account reaches realm_audit through realm.
    fires: ["account→realm_audit", "realm→realm_audit"],
  },
];
