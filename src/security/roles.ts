/**
 * Role-based access control as ordinary declarations plus a small service over them.
 *
 *   const rbac = rbacTables({ user: () => users.id });
 *   const app = schema({ users, ...rbac });
 *   const access = new Rbac(db, rbac);
 *   await access.ensureRoles([{ name: "ADMIN", permissions: ["user.manage"] }]);
 *   await access.grant(userId, "ADMIN");
 *   await access.hasPermission(userId, "user.manage"); // true, in one query
 */
import type { Kysely, RawBuilder } from "kysely";
import type { Db } from "../data/index.js";
import { NotFoundError, PlinthError } from "../errors.js";
import type { ColumnRef } from "../schema/index.js";
import { col, ref, table } from "../schema/index.js";

export interface RbacNames {
  role: string;
  permission: string;
  userRole: string;
  rolePermission: string;
}

export const DEFAULT_RBAC_NAMES = {
  role: "role",
  permission: "permission",
  userRole: "user_role",
  rolePermission: "role_permission",
} as const satisfies RbacNames;

type NameOf<N extends Partial<RbacNames>, K extends keyof RbacNames> = N[K] extends string
  ? N[K]
  : (typeof DEFAULT_RBAC_NAMES)[K];

export interface RbacTableOptions<U, N extends Partial<RbacNames>> {
  /** The users' primary key; user_role.user_id references it (and takes its type). */
  user: () => ColumnRef<U>;
  /** Database names of the four tables, for schemas that already use other names. */
  names?: N;
}

/**
 * The four RBAC tables, to spread into a schema: `schema({ users, ...rbacTables({ user: () => users.id }) })`.
 * Pairs are primary keys (so a grant exists once), and both sides cascade: deleting a user, role or
 * permission removes its grants.
 */
export function rbacTables<U, const N extends Partial<RbacNames> = Record<never, never>>(
  options: RbacTableOptions<U, N>,
) {
  const names = { ...DEFAULT_RBAC_NAMES, ...options.names } as {
    [K in keyof RbacNames]: NameOf<N, K>;
  };
  const role = table(
    names.role,
    {
      id: col.id(),
      name: col.varchar(64).unique().doc('Role name as code uses it, e.g. "ADMIN".'),
      description: col.text().nullable(),
      createdAt: col.timestamp().defaultNow(),
    },
    { doc: "A named set of permissions that users are granted.", growth: "static" },
  );
  const permission = table(
    names.permission,
    {
      id: col.id(),
      name: col.varchar(128).unique().doc('Permission name as code checks it, e.g. "request.approve".'),
      description: col.text().nullable(),
    },
    { doc: "Something a role may allow.", growth: "static" },
  );
  const userRole = table(
    names.userRole,
    {
      userId: ref(options.user, { onDelete: "cascade" }),
      roleId: ref(() => role.id, { onDelete: "cascade" }),
      grantedAt: col.timestamp().defaultNow(),
    },
    {
      doc: "Which user holds which role.",
      growth: "slow",
      // The key's leading user_id serves every check by user; role_id needs its own index.
      primaryKey: ["userId", "roleId"],
      indexes: [["roleId"]],
    },
  );
  const rolePermission = table(
    names.rolePermission,
    {
      roleId: ref(() => role.id, { onDelete: "cascade" }),
      permissionId: ref(() => permission.id, { onDelete: "cascade" }),
    },
    {
      doc: "Which role allows which permission.",
      growth: "static",
      primaryKey: ["roleId", "permissionId"],
      indexes: [["permissionId"]],
    },
  );
  return { role, permission, userRole, rolePermission };
}

/**
 * The declarations `Rbac` works on: what `rbacTables` returned, or a schema's own tables with the
 * same column keys (role: id, name; user role: userId, roleId; permission: id, name; role
 * permission: roleId, permissionId). Only the names are read. The two permission tables may be left
 * out when roles keep their permissions in a JSON column (see `RbacOptions.permissionsColumn`).
 */
export interface RbacTables {
  role: { $name: string };
  userRole: { $name: string };
  permission?: { $name: string };
  rolePermission?: { $name: string };
}

export interface RbacOptions {
  /**
   * The key of a JSON string-array column on the role table that lists each role's permissions
   * (`roles.permissions = ["request.approve", ...]`), used instead of the permission tables.
   */
  permissionsColumn?: string;
}

export interface RoleDefinition {
  name: string;
  description?: string;
  permissions?: readonly string[];
}

export type UserId = number | string;

/**
 * Checks and changes who holds which role. Every check is one statement; writes join the caller's
 * `db.transaction` when there is one.
 */
export class Rbac {
  private readonly t: { role: string; userRole: string; permission?: string; rolePermission?: string };
  private readonly permissionsColumn: string | undefined;

  constructor(
    private readonly db: Db<any>,
    tables: RbacTables,
    options: RbacOptions = {},
  ) {
    this.t = {
      role: tables.role.$name,
      userRole: tables.userRole.$name,
      permission: tables.permission?.$name,
      rolePermission: tables.rolePermission?.$name,
    };
    this.permissionsColumn = options.permissionsColumn;
    if (!this.permissionsColumn && !(this.t.permission && this.t.rolePermission))
      throw new PlinthError(
        `Rbac(${this.t.role}): give the permission and role-permission tables, or options.permissionsColumn`,
      );
  }

  private get q(): Kysely<any> {
    return this.db.current as Kysely<any>;
  }

  /** Whether the user holds the role: one indexed join. */
  async hasRole(userId: UserId, role: string): Promise<boolean> {
    const { userRole, role: r } = this.t;
    const row = await this.q
      .selectFrom(`${userRole} as ur`)
      .innerJoin(`${r} as r`, "r.id", "ur.roleId")
      .select("ur.roleId")
      .where("ur.userId", "=", userId)
      .where("r.name", "=", role)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Whether any of the user's roles allows the permission: one statement. */
  async hasPermission(userId: UserId, permission: string): Promise<boolean> {
    if (this.permissionsColumn) {
      const row = await this.q
        .selectFrom(`${this.t.userRole} as ur`)
        .innerJoin(`${this.t.role} as r`, "r.id", "ur.roleId")
        .select("ur.roleId")
        .where("ur.userId", "=", userId)
        .where(this.jsonListHas(`r.${this.permissionsColumn}`, permission))
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    }
    const { userRole, rolePermission, permission: p } = this.linkTables();
    const row = await this.q
      .selectFrom(`${userRole} as ur`)
      .innerJoin(`${rolePermission} as rp`, "rp.roleId", "ur.roleId")
      .innerJoin(`${p} as p`, "p.id", "rp.permissionId")
      .select("p.id")
      .where("ur.userId", "=", userId)
      .where("p.name", "=", permission)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** The names of the user's roles, sorted. */
  async rolesOf(userId: UserId): Promise<string[]> {
    const { userRole, role } = this.t;
    const rows = await this.q
      .selectFrom(`${userRole} as ur`)
      .innerJoin(`${role} as r`, "r.id", "ur.roleId")
      .select("r.name")
      .where("ur.userId", "=", userId)
      .orderBy("r.name")
      .execute();
    return rows.map((row) => row.name as string);
  }

  /** The names of every permission the user's roles allow, sorted and without repeats. */
  async permissionsOf(userId: UserId): Promise<string[]> {
    if (this.permissionsColumn) {
      const column = this.permissionsColumn;
      const rows = await this.q
        .selectFrom(`${this.t.userRole} as ur`)
        .innerJoin(`${this.t.role} as r`, "r.id", "ur.roleId")
        .select(`r.${column}`)
        .where("ur.userId", "=", userId)
        .execute();
      const all = rows.flatMap((row) => stringList(row[column]));
      return [...new Set(all)].sort();
    }
    const { userRole, rolePermission, permission } = this.linkTables();
    const rows = await this.q
      .selectFrom(`${userRole} as ur`)
      .innerJoin(`${rolePermission} as rp`, "rp.roleId", "ur.roleId")
      .innerJoin(`${permission} as p`, "p.id", "rp.permissionId")
      .select("p.name")
      .distinct()
      .where("ur.userId", "=", userId)
      .orderBy("p.name")
      .execute();
    return rows.map((row) => row.name as string);
  }

  /** Gives the user the role; granting it again changes nothing. An unknown role is a NotFoundError. */
  async grant(userId: UserId, role: string): Promise<void> {
    const roleId = await this.roleId(role);
    await this.insertSkippingDuplicates(this.t.userRole, [{ userId, roleId }], ["userId", "roleId"]);
  }

  /** Takes the role away; returns whether the user held it. */
  async revoke(userId: UserId, role: string): Promise<boolean> {
    const { userRole, role: r } = this.t;
    const result = await this.q
      .deleteFrom(userRole)
      .where("userId", "=", userId)
      .where("roleId", "in", (sub: Kysely<any>) => sub.selectFrom(r).select("id").where("name", "=", role))
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /**
   * Creates the roles and permissions that are missing and gives each role its listed permissions.
   * Existing rows are left alone (descriptions included) and permissions are only added, so it can
   * run at every start-up; two processes running it at once end with one row each, because every
   * insert skips rows that already exist.
   */
  async ensureRoles(defs: readonly RoleDefinition[]): Promise<void> {
    const roles = [...new Map(defs.map((d) => [d.name, d])).values()].sort(byName);
    if (roles.length === 0) return;
    await this.db.transaction(async () => {
      if (this.permissionsColumn) return this.ensureRolesWithJsonPermissions(roles, this.permissionsColumn);
      const { role, permission, rolePermission } = this.linkTables();
      const permissionNames = [...new Set(roles.flatMap((d) => d.permissions ?? []))].sort();
      await this.insertSkippingDuplicates(
        role,
        roles.map((d) => ({ name: d.name, description: d.description ?? null })),
        ["name"],
      );
      if (permissionNames.length === 0) return;
      await this.insertSkippingDuplicates(
        permission,
        permissionNames.map((name) => ({ name })),
        ["name"],
      );
      const roleIds = await this.idsByName(
        role,
        roles.map((d) => d.name),
      );
      const permissionIds = await this.idsByName(permission, permissionNames);
      const pairs = roles.flatMap((d) =>
        [...new Set(d.permissions ?? [])].map((p) => ({
          roleId: roleIds.get(d.name),
          permissionId: permissionIds.get(p),
        })),
      );
      if (pairs.length > 0)
        await this.insertSkippingDuplicates(rolePermission, pairs, ["roleId", "permissionId"]);
    });
  }

  /** Roles with a JSON permission list: insert the missing roles, then add missing entries to the lists. */
  private async ensureRolesWithJsonPermissions(roles: RoleDefinition[], column: string): Promise<void> {
    await this.insertSkippingDuplicates(
      this.t.role,
      roles.map((d) => ({
        name: d.name,
        description: d.description ?? null,
        [column]: [...new Set(d.permissions ?? [])].sort(),
      })),
      ["name"],
    );
    const stored = await this.q
      .selectFrom(this.t.role)
      .select(["id", "name", column])
      .where(
        "name",
        "in",
        roles.map((d) => d.name),
      )
      .execute();
    for (const row of stored) {
      const have = stringList(row[column]);
      const want = roles.find((d) => d.name === row.name)?.permissions ?? [];
      const missing = want.filter((p) => !have.includes(p));
      if (missing.length === 0) continue;
      await this.db
        .repo(this.t.role as never)
        .update(row.id as never, { [column]: [...new Set([...have, ...missing])].sort() } as never);
    }
  }

  private async roleId(name: string): Promise<unknown> {
    const row = await this.q.selectFrom(this.t.role).select("id").where("name", "=", name).executeTakeFirst();
    if (!row) throw new NotFoundError(this.t.role, name);
    return row.id;
  }

  private async idsByName(tableName: string, names: string[]): Promise<Map<string, unknown>> {
    const rows = await this.q
      .selectFrom(tableName)
      .select(["id", "name"])
      .where("name", "in", names)
      .execute();
    return new Map(rows.map((row) => [row.name as string, row.id]));
  }

  private linkTables(): { role: string; userRole: string; permission: string; rolePermission: string } {
    return this.t as { role: string; userRole: string; permission: string; rolePermission: string };
  }

  /** `value` is an element of the JSON string array in `column`, in each engine's JSON dialect. */
  private jsonListHas(column: string, value: string): RawBuilder<boolean> {
    return this.db.adapter.jsonArrayContains(column, value);
  }

  /** One INSERT that skips rows whose `key` already exists (see skipDuplicates). */
  private async insertSkippingDuplicates(
    tableName: string,
    rows: Record<string, unknown>[],
    key: string[],
  ): Promise<void> {
    await this.db.adapter.skipDuplicates(this.q.insertInto(tableName).values(rows), key).execute();
  }
}

/** A JSON list column's value as strings (drivers hand back parsed arrays, or text where the codec did not run). */
function stringList(value: unknown): string[] {
  const list = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(list) ? list.filter((v): v is string => typeof v === "string") : [];
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
