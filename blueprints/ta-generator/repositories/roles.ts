/**
 * Roles and who holds them. The four default roles are created by ensureDefaultRoles, which the
 * seed runs at every start-up: it adds only the missing ones, and two processes running it at once
 * still end with one row per role (each insert skips rows the unique key says exist).
 */
import type { Kysely } from "kysely";
import type { Database, Db, Row } from "plinth";
import { NotFoundError, Repository } from "plinth";
import { v7 as uuidv7 } from "uuid";
import type { TaGenerator, UserRoleName } from "../schema.js";

export type RoleRow = Row<TaGenerator["tables"]["roles"]>;

export const DEFAULT_ROLES: readonly { name: UserRoleName; description: string }[] = [
  { name: "REQUESTOR", description: "Submits TA requests and uploads log samples." },
  { name: "APPROVER", description: "Approves or rejects requests." },
  { name: "ADMIN", description: "Administers the system." },
  { name: "KNOWLEDGE_MANAGER", description: "Manages the knowledge base documents." },
];

export class RoleRepository extends Repository<TaGenerator, "roles"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "roles");
  }

  /** The typed handle of the open transaction, or of the database outside one. */
  private get k(): Kysely<Database<TaGenerator>> {
    return this.q as unknown as Kysely<Database<TaGenerator>>;
  }

  /**
   * Creates the default roles that are missing; returns the names this call created (so of several
   * concurrent calls, each name is reported by exactly one).
   */
  async ensureDefaultRoles(): Promise<UserRoleName[]> {
    const present = new Set((await this.findMany()).map((r) => r.name));
    const missing = DEFAULT_ROLES.filter((r) => !present.has(r.name));
    const created = new Set<string>();
    if (!this.db.adapter.capabilities.returning) {
      // Without RETURNING: one row per statement, so the affected-row count says whether this call
      // inserted it. roles has no foreign keys and every column is given, so IGNORE can only skip a
      // duplicate name.
      for (const role of missing) {
        const result = await this.k
          .insertInto("roles")
          .orIgnore()
          .values({ id: uuidv7(), ...role })
          .executeTakeFirst();
        if (Number(result.numInsertedOrUpdatedRows) > 0) created.add(role.name);
      }
    } else if (missing.length > 0) {
      const inserted = await this.k
        .insertInto("roles")
        .values(missing.map((r) => ({ id: uuidv7(), ...r })))
        .onConflict((oc) => oc.column("name").doNothing())
        .returning("name")
        .execute();
      for (const row of inserted) created.add(row.name);
    }
    await this.db.counts.invalidate("roles");
    return missing.map((r) => r.name).filter((name) => created.has(name));
  }

  getByName(name: UserRoleName): Promise<RoleRow | undefined> {
    return this.findOne({ name });
  }

  /** Gives the user the role; giving it again changes nothing. Returns whether the user lacked it. */
  async assignRole(userId: string, name: UserRoleName, assignedBy: string | null = null): Promise<boolean> {
    const role = await this.getByName(name);
    if (!role) throw new NotFoundError("roles", name);
    const held = await this.hasRole(userId, name);
    await insertSkippingDuplicates(
      this.db,
      this.q,
      "user_roles",
      [{ id: uuidv7(), userId, roleId: role.id, assignedBy }],
      ["userId", "roleId"],
    );
    await this.db.counts.invalidate("user_roles");
    return !held;
  }

  /** Takes the role away; returns whether the user held it. */
  async revokeRole(userId: string, name: UserRoleName): Promise<boolean> {
    const role = await this.getByName(name);
    if (!role) return false;
    const result = await this.k
      .deleteFrom("user_roles")
      .where("userId", "=", userId)
      .where("roleId", "=", role.id)
      .executeTakeFirst();
    await this.db.counts.invalidate("user_roles");
    return Number(result.numDeletedRows) > 0;
  }

  /** The names of the user's roles, sorted. */
  async getUserRoles(userId: string): Promise<UserRoleName[]> {
    const rows = await this.k
      .selectFrom("user_roles")
      .innerJoin("roles", "roles.id", "user_roles.roleId")
      .select("roles.name")
      .where("user_roles.userId", "=", userId)
      .orderBy("roles.name")
      .execute();
    return rows.map((r) => r.name);
  }

  /** Whether the user holds the role: one indexed join. */
  async hasRole(userId: string, name: UserRoleName): Promise<boolean> {
    const row = await this.k
      .selectFrom("user_roles")
      .innerJoin("roles", "roles.id", "user_roles.roleId")
      .select("user_roles.id")
      .where("user_roles.userId", "=", userId)
      .where("roles.name", "=", name)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/**
 * One INSERT that skips rows whose `key` already exists (the adapter's skipDuplicates). A single
 * statement needs no transaction, so concurrent callers cannot collide: the unique key decides, and
 * each row ends up once.
 */
async function insertSkippingDuplicates(
  db: Db<TaGenerator>,
  q: Kysely<any>,
  table: "user_roles",
  rows: Record<string, unknown>[],
  key: string[],
): Promise<void> {
  await db.adapter.skipDuplicates(q.insertInto(table).values(rows), key).execute();
}
