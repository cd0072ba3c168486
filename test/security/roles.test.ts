/**
 * Roles: the four declarations (FKs cascade, pairs unique) and the Rbac service on every engine:
 * one statement per check, grant/revoke, and ensureRoles idempotent even with concurrent callers.
 */
import { connect, ForeignKeyViolation, NotFoundError, UniqueViolation } from "plinth";
import { col, ref, schema, table, timestamps } from "plinth/schema";
import { Rbac, rbacTables } from "plinth/security";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { StatementCounter } from "../helpers/statement-counter.js";

const users = table("users", { id: col.id(), name: col.varchar(40).unique() });
const rbac = rbacTables({ user: () => users.id });
const app = schema({ users, ...rbac });

/** seed 004's default roles */
const DEFAULT_ROLES = [
  { name: "REQUESTOR", description: "Files requests", permissions: ["request.create", "request.read"] },
  { name: "APPROVER", permissions: ["request.read", "request.approve"] },
  { name: "ADMIN", permissions: ["request.read", "request.approve", "user.manage", "config.write"] },
  { name: "KNOWLEDGE_MANAGER", permissions: ["knowledge.write", "request.read"] },
];

describe("rbacTables", () => {
  it("uses the given table names and references the user key", () => {
    const named = rbacTables({
      user: () => users.id,
      names: { role: "roles", userRole: "user_roles" },
    });
    expect(named.role.$name).toBe("roles");
    expect(named.userRole.$name).toBe("user_roles");
    expect(named.permission.$name).toBe("permission");
    const s = schema({ users, ...named });
    const ur = s.model.tables.find((t) => t.name === "user_roles");
    expect(ur?.foreignKeys.map((fk) => [fk.columns, fk.refTable, fk.onDelete])).toEqual(
      expect.arrayContaining([
        [["user_id"], "users", "cascade"],
        [["role_id"], "roles", "cascade"],
      ]),
    );
  });
});

describeEngines("rbac", (engine) => {
  const counter = new StatementCounter();
  const fx = useFreshDb(engine, app, { connect: { plugins: [counter] } });
  const access = () => new Rbac(fx.db, rbac);

  async function user(name: string): Promise<number> {
    return (await fx.db.repo("users").create({ name })).id;
  }

  it("seeds the default roles idempotently: a second run adds nothing and fails nothing", async () => {
    await access().ensureRoles(DEFAULT_ROLES);
    const count = async (t: string) =>
      Number(
        (
          await (fx.db.kysely as any)
            .selectFrom(t)
            .select((eb: any) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = [await count("role"), await count("permission"), await count("role_permission")];
    expect(before).toEqual([4, 6, 10]);
    await access().ensureRoles(DEFAULT_ROLES);
    expect([await count("role"), await count("permission"), await count("role_permission")]).toEqual(before);
    // a later release adds a permission to an existing role: only that link is new
    await access().ensureRoles([{ name: "APPROVER", permissions: ["request.reject"] }]);
    expect(await count("role_permission")).toBe(11);
    const description = await fx.db.repo("role").findOne({ name: "REQUESTOR" });
    expect(description?.description).toBe("Files requests");
  });

  it("answers hasRole and hasPermission with one statement each", async () => {
    const ann = await user("ann");
    const rbacSvc = access();
    await rbacSvc.grant(ann, "APPROVER");
    counter.reset();
    expect(await rbacSvc.hasRole(ann, "APPROVER")).toBe(true);
    expect(counter.count()).toBe(1);
    counter.reset();
    expect(await rbacSvc.hasRole(ann, "ADMIN")).toBe(false);
    expect(counter.count()).toBe(1);
    counter.reset();
    expect(await rbacSvc.hasPermission(ann, "request.approve")).toBe(true);
    expect(counter.count()).toBe(1);
    counter.reset();
    expect(await rbacSvc.hasPermission(ann, "user.manage")).toBe(false);
    expect(counter.count()).toBe(1);
  });

  it("grants, lists and revokes roles; permissions follow the roles", async () => {
    const bob = await user("bob");
    const svc = access();
    expect(await svc.rolesOf(bob)).toEqual([]);
    await svc.grant(bob, "REQUESTOR");
    await svc.grant(bob, "KNOWLEDGE_MANAGER");
    await svc.grant(bob, "REQUESTOR"); // again: no error, no second row
    expect(await svc.rolesOf(bob)).toEqual(["KNOWLEDGE_MANAGER", "REQUESTOR"]);
    expect(await svc.permissionsOf(bob)).toEqual(["knowledge.write", "request.create", "request.read"]);
    expect(await svc.hasPermission(bob, "knowledge.write")).toBe(true);
    expect(await svc.revoke(bob, "KNOWLEDGE_MANAGER")).toBe(true);
    expect(await svc.revoke(bob, "KNOWLEDGE_MANAGER")).toBe(false);
    expect(await svc.hasPermission(bob, "knowledge.write")).toBe(false);
    expect(await svc.hasPermission(bob, "request.read")).toBe(true);
    const unknown = await svc.grant(bob, "NOBODY").catch((e) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.message).toContain("NOBODY");
  });

  it("keeps pairs unique and references real rows; deleting a user or role cascades", async () => {
    const cy = await user("cy");
    const svc = access();
    await svc.grant(cy, "ADMIN");
    const admin = await fx.db.repo("role").findOne({ name: "ADMIN" });
    const dup = await fx.db
      .repo("user_role")
      .create({ userId: cy, roleId: admin!.id })
      .catch((e) => e);
    expect(dup).toBeInstanceOf(UniqueViolation);
    const orphan = await fx.db
      .repo("user_role")
      .create({ userId: 999_999, roleId: admin!.id })
      .catch((e) => e);
    expect(orphan).toBeInstanceOf(ForeignKeyViolation);
    // through the service too: a duplicate is skipped, a missing user is not (MySQL included)
    expect(await svc.grant(999_999, "ADMIN").catch((e) => e)).toBeInstanceOf(ForeignKeyViolation);

    await fx.db.repo("users").delete(cy);
    expect(await fx.db.repo("user_role").count({ userId: cy })).toBe(0);

    const dee = await user("dee");
    await svc.ensureRoles([{ name: "TEMP", permissions: ["temp.do"] }]);
    await svc.grant(dee, "TEMP");
    expect(await svc.hasPermission(dee, "temp.do")).toBe(true);
    const temp = await fx.db.repo("role").findOne({ name: "TEMP" });
    await fx.db.repo("role").delete(temp!.id);
    expect(await svc.rolesOf(dee)).toEqual([]);
    expect(await fx.db.repo("role_permission").count({ roleId: temp!.id })).toBe(0);
  });

  it("joins the caller's transaction: a rollback undoes the grant", async () => {
    const eve = await user("eve");
    const svc = access();
    await fx.db
      .transaction(async () => {
        await svc.grant(eve, "ADMIN");
        expect(await svc.hasRole(eve, "ADMIN")).toBe(true);
        throw new Error("undo");
      })
      .catch(() => {});
    expect(await svc.hasRole(eve, "ADMIN")).toBe(false);
  });

  // Server engines only: pglite has one in-process database per URL, and two better-sqlite3
  // connections in one process block each other's event loop while waiting for the write lock.
  const oneProcessOnly = engine.dialect === "sqlite" || engine.name === "pglite";
  it.skipIf(oneProcessOnly)(
    "two connections seeding at once end with one row per role, permission and link",
    async () => {
      const { url, drop } = await engine.freshDatabase();
      const first = await connect(url, app, { retry: { attempts: 1 } });
      await first.createSchema();
      const second = await connect(url, app, { retry: { attempts: 1 } });
      try {
        const roles = DEFAULT_ROLES;
        for (let round = 0; round < 3; round++) {
          await Promise.all([
            new Rbac(first, rbac).ensureRoles(roles),
            new Rbac(second, rbac).ensureRoles(roles),
            new Rbac(first, rbac).ensureRoles(roles),
            new Rbac(second, rbac).ensureRoles(roles),
          ]);
        }
        expect(await first.repo("role").count()).toBe(4);
        expect(await first.repo("permission").count()).toBe(6);
        expect(await first.repo("role_permission").count()).toBe(10);
      } finally {
        await first.close();
        await second.close();
        await drop();
      }
    },
  );
});

/** Roles as seeds 002 and 004 keep them: UUID keys, permissions in a JSON list on the role. */
const people = table("people", { id: col.uuidPk(), name: col.varchar(40).unique() });
const roles = table("roles", {
  id: col.uuidPk(),
  name: col.varchar(40).unique(),
  description: col.text().nullable(),
  permissions: col.json<string[]>().nullable(),
  ...timestamps(),
});
const userRoles = table(
  "user_roles",
  {
    id: col.uuidPk(),
    userId: ref(() => people.id, { onDelete: "cascade" }),
    roleId: ref(() => roles.id, { onDelete: "cascade" }),
  },
  { unique: [["userId", "roleId"]], indexes: [["roleId"]] },
);
const jsonApp = schema({ people, roles, userRoles });

describeEngines("rbac with JSON permission lists", (engine) => {
  const counter = new StatementCounter();
  const fx = useFreshDb(engine, jsonApp, { connect: { plugins: [counter] } });
  const access = () =>
    new Rbac(fx.db, { role: roles, userRole: userRoles }, { permissionsColumn: "permissions" });

  it("seeds roles with their lists idempotently, and adds new permissions to existing roles", async () => {
    await access().ensureRoles(DEFAULT_ROLES);
    await access().ensureRoles(DEFAULT_ROLES);
    expect(await fx.db.repo("roles").count()).toBe(4);
    expect((await fx.db.repo("roles").findOne({ name: "APPROVER" }))?.permissions).toEqual([
      "request.approve",
      "request.read",
    ]);
    await access().ensureRoles([{ name: "APPROVER", permissions: ["request.reject", "request.read"] }]);
    expect((await fx.db.repo("roles").findOne({ name: "APPROVER" }))?.permissions).toEqual([
      "request.approve",
      "request.read",
      "request.reject",
    ]);
  });

  it("answers hasPermission from the lists with one statement, and grants by UUID", async () => {
    const ann = await fx.db.repo("people").create({ name: "ann" });
    const svc = access();
    await svc.grant(ann.id, "KNOWLEDGE_MANAGER");
    await svc.grant(ann.id, "KNOWLEDGE_MANAGER");
    expect(await fx.db.repo("user_roles").count({ userId: ann.id })).toBe(1);
    counter.reset();
    expect(await svc.hasPermission(ann.id, "knowledge.write")).toBe(true);
    expect(counter.count()).toBe(1);
    expect(await svc.hasPermission(ann.id, "request.approve")).toBe(false);
    expect(await svc.hasPermission(ann.id, "knowledge")).toBe(false); // whole entries only
    expect(await svc.hasRole(ann.id, "KNOWLEDGE_MANAGER")).toBe(true);
    await svc.grant(ann.id, "APPROVER");
    expect(await svc.permissionsOf(ann.id)).toEqual([
      "knowledge.write",
      "request.approve",
      "request.read",
      "request.reject",
    ]);
    expect(await svc.rolesOf(ann.id)).toEqual(["APPROVER", "KNOWLEDGE_MANAGER"]);
    await svc.revoke(ann.id, "APPROVER");
    expect(await svc.hasPermission(ann.id, "request.approve")).toBe(false);
  });

  it("refuses a service with neither permission tables nor a permissions column", () => {
    expect(() => new Rbac(fx.db, { role: roles, userRole: userRoles })).toThrow(/permissionsColumn/);
  });
});
