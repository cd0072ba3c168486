/**
 * Seed data for knowledge-hub, run by `plinth up` after the migrations: the built-in roles and their
 * permissions. Idempotent: roles and links that exist are left as they are.
 */
import type { Db } from "plinth";
import type { knowledgeHub } from "./schema.js";

export const DEFAULT_ROLES = [
  {
    name: "admin",
    description: "Manages users, roles and every knowledge item.",
    permissions: [
      "users.manage",
      "roles.manage",
      "knowledge.read",
      "knowledge.write",
      "knowledge.delete",
      "audit.read",
    ],
  },
  {
    name: "editor",
    description: "Writes and curates knowledge items.",
    permissions: ["knowledge.read", "knowledge.write"],
  },
  { name: "viewer", description: "Reads and searches knowledge items.", permissions: ["knowledge.read"] },
] as const;

/**
 * Plain statements, no transaction: `plinth up` loads this module apart from its own copy of plinth,
 * and a transaction opened by one copy is invisible to the other (on SQLite the second would wait
 * for the first forever). Every step is an insert of what is missing, so a rerun finishes the job.
 */
export async function seed(db: Db<typeof knowledgeHub>): Promise<string[]> {
  const k = db.kysely;
  const changed: string[] = [];
  const roleIds = async () =>
    new Map((await k.selectFrom("roles").select(["id", "name"]).execute()).map((r) => [r.name, r.id]));
  const permissionIds = async () =>
    new Map((await k.selectFrom("permissions").select(["id", "name"]).execute()).map((p) => [p.name, p.id]));

  const roles = await roleIds();
  for (const r of DEFAULT_ROLES.filter((r) => !roles.has(r.name))) {
    await k.insertInto("roles").values({ name: r.name, description: r.description }).execute();
    changed.push(`roles ${r.name}`);
  }
  const names = [...new Set(DEFAULT_ROLES.flatMap((r) => r.permissions))];
  const permissions = await permissionIds();
  for (const name of names.filter((n) => !permissions.has(n))) {
    await k.insertInto("permissions").values({ name }).execute();
    changed.push(`permissions ${name}`);
  }
  const [roleId, permissionId] = [await roleIds(), await permissionIds()];
  const linked = new Set(
    (await k.selectFrom("role_permissions").select(["roleId", "permissionId"]).execute()).map(
      (l) => `${l.roleId}/${l.permissionId}`,
    ),
  );
  for (const r of DEFAULT_ROLES) {
    for (const p of r.permissions) {
      const link = { roleId: roleId.get(r.name)!, permissionId: permissionId.get(p)! };
      if (linked.has(`${link.roleId}/${link.permissionId}`)) continue;
      await k.insertInto("role_permissions").values(link).execute();
      changed.push(`role_permissions ${r.name} → ${p}`);
    }
  }
  return changed;
}
