import { sql } from "kysely";
import { NotNullViolation, UniqueViolation } from "plinth";
import { queryPlan } from "plinth/review";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { insertId } from "../../../test/helpers/insert.js";
import { dnsFilter } from "../schema.js";
import { TEST_ENCRYPTION_KEYS } from "./fixture.js";

const model = (name: string) => dnsFilter.model.tables.find((t) => t.name === name)!;

describe("dns-filter declaration", () => {
  it("declares the seed's eight models, and the audit table", () => {
    expect(dnsFilter.model.tables.map((t) => t.name).sort()).toEqual([
      "account",
      "activity_log",
      "auth_token",
      "backend_provider",
      "backend_service",
      "managed_domain_root",
      "plinth_audit_log",
      "realm",
      "settings",
    ]);
  });

  it("declares the relationships and ON DELETE rules", () => {
    const fk = (table: string, column: string) =>
      model(table).foreignKeys.find((f) => f.columns[0] === column);
    expect(fk("auth_token", "realm_id")).toMatchObject({ refTable: "realm", onDelete: "cascade" });
    expect(fk("realm", "account_id")).toMatchObject({ refTable: "account", onDelete: "cascade" });
    expect(fk("realm", "domain_root_id")).toMatchObject({
      refTable: "managed_domain_root",
      onDelete: "set null",
    });
    expect(fk("realm", "backend_service_id")).toMatchObject({
      refTable: "backend_service",
      onDelete: "set null",
    });
    expect(fk("backend_service", "provider_id")).toMatchObject({
      refTable: "backend_provider",
      onDelete: "restrict",
    });
    expect(fk("backend_service", "owner_account_id")).toMatchObject({ refTable: "account" });
    expect(fk("managed_domain_root", "backend_service_id")).toMatchObject({ refTable: "backend_service" });
    for (const c of ["account_id", "realm_id", "token_id", "backend_service_id"]) {
      expect(fk("activity_log", c)).toMatchObject({ onDelete: "set null" });
    }
  });

  it("declares the unique constraints and indexes of the checklist", () => {
    const uniques = dnsFilter.model.tables.flatMap((t) =>
      t.uniques.map((u) => `${t.name}(${u.columns.join(",")})`),
    );
    expect(uniques.sort()).toEqual(
      [
        "account(username)",
        "account(email)",
        "auth_token(token_prefix)",
        "backend_provider(provider_code)",
        "backend_service(service_name)",
        "managed_domain_root(backend_service_id,root_domain)",
        "realm(account_id,realm_value,realm_type)",
        "settings(key)",
      ].sort(),
    );
    const indexes = dnsFilter.model.tables.flatMap((t) =>
      t.indexes.map((i) => `${t.name}(${i.columns.join(",")})`),
    );
    expect(indexes).toEqual(
      expect.arrayContaining([
        "realm(realm_value)",
        "managed_domain_root(root_domain)",
        "backend_service(owner_account_id)",
        "activity_log(created_at,account_id,activity_type)",
      ]),
    );
  });

  it("declares the secrets as security columns", () => {
    const column = (t: string, c: string) => model(t).columns.find((col) => col.name === c)!;
    expect(column("account", "password_hash")).toMatchObject({ secret: true, hidden: true });
    expect(column("account", "totp_secret")).toMatchObject({ encrypted: true, secret: true, nullable: true });
    expect(column("account", "totp_last_step")).toMatchObject({ type: { kind: "integer" }, nullable: true });
    expect(column("auth_token", "token_hash")).toMatchObject({ secret: true });
    expect(column("auth_token", "token_prefix").secret).toBeFalsy();
  });

  it("stores enums as strings with their values listed once", () => {
    const type = (t: string, c: string) => model(t).columns.find((col) => col.name === c)!.type;
    expect(type("realm", "realm_type")).toEqual({
      kind: "enum",
      values: ["host", "subdomain", "wildcard"],
    });
    expect(type("backend_service", "owner_type")).toMatchObject({ values: ["platform", "user"] });
    expect(type("managed_domain_root", "visibility")).toMatchObject({
      values: ["public", "private", "invite"],
    });
  });
});

describeEngines("dns-filter on the database", (engine) => {
  const fx = useFreshDb(engine, dnsFilter, { connect: { encryptionKeys: TEST_ENCRYPTION_KEYS } });

  const account = (username: string | null) =>
    insertId(fx.db.kysely, engine.dialect, "account", {
      username: username as string,
      passwordHash: `$2b$10$${"x".repeat(53)}`,
    });
  const realm = (accountId: number, realmValue: string, realmType: "host" | "subdomain" = "host") =>
    insertId(fx.db.kysely, engine.dialect, "realm", {
      accountId,
      realmValue,
      realmType,
      recordTypes: ["A", "AAAA"],
      operations: ["read", "update"],
    });
  const token = (realmId: number, tokenPrefix: string) =>
    insertId(fx.db.kysely, engine.dialect, "auth_token", {
      realmId,
      alias: "t",
      tokenPrefix,
      tokenHash: "h",
    });

  it("refuses a duplicate username", async () => {
    await account("dup_user");
    const error = await account("dup_user").catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({
      table: "account",
      columns: ["username"],
      constraint: "uq_account_username",
    });
  });

  it("refuses a NULL username", async () => {
    const error = await account(null).catch((e) => e);
    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ table: "account", columns: ["username"] });
  });

  it("deletes a realm's tokens with the realm", async () => {
    const realmId = await realm(await account("cascade_user"), "cascade.example.com");
    const kept = await realm(await account("other_user"), "kept.example.com");
    await token(realmId, "naf_cascade1_");
    await token(realmId, "naf_cascade2_");
    await token(kept, "naf_kept_");
    await fx.db.kysely.deleteFrom("realm").where("id", "=", realmId).execute();
    const left = await fx.db.kysely
      .selectFrom("auth_token")
      .select("tokenPrefix")
      .where("tokenPrefix", "like", "naf_%")
      .execute();
    expect(left.map((t) => t.tokenPrefix)).toEqual(["naf_kept_"]);
  });

  it("keeps (account_id, realm_value, realm_type) unique", async () => {
    const owner = await account("realm_user");
    await realm(owner, "unique.example.com", "host");
    await realm(owner, "unique.example.com", "subdomain"); // another type is another realm
    const error = await realm(owner, "unique.example.com", "host").catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "realm", constraint: "uq_realm_account_id_realm_value_realm_type" });
    expect([...error.columns].sort()).toEqual(["account_id", "realm_type", "realm_value"]);
  });

  it("keeps token_prefix unique", async () => {
    const realmId = await realm(await account("prefix_user"), "prefix.example.com");
    await token(realmId, "naf_same_");
    const error = await token(realmId, "naf_same_").catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({
      table: "auth_token",
      columns: ["token_prefix"],
      constraint: "uq_auth_token_token_prefix",
    });
  });

  it("round-trips JSON arrays as arrays", async () => {
    const realmId = await realm(await account("json_user"), "json.example.com");
    const row = await fx.db.kysely
      .selectFrom("realm")
      .selectAll()
      .where("id", "=", realmId)
      .executeTakeFirstOrThrow();
    expect(row.recordTypes).toEqual(["A", "AAAA"]);
    expect(row.operations).toEqual(["read", "update"]);
    expect(row.allowedIpRanges).toBeNull();
    await fx.db.kysely
      .updateTable("realm")
      .set({ allowedIpRanges: ["10.0.0.0/8", "2001:db8::/32"] })
      .where("id", "=", realmId)
      .execute();
    const updated = await fx.db.kysely
      .selectFrom("realm")
      .select("allowedIpRanges")
      .where("id", "=", realmId)
      .executeTakeFirstOrThrow();
    expect(updated.allowedIpRanges).toEqual(["10.0.0.0/8", "2001:db8::/32"]);
  });

  it("serves a token lookup by prefix from the token_prefix index", async () => {
    // Enough rows that a planner which prefers a scan for tiny tables still picks the index.
    const realmId = await realm(await account("plan_user"), "plan.example.com");
    for (let chunk = 0; chunk < 4; chunk++) {
      const rows = Array.from({ length: 500 }, (_, i) => ({
        realmId,
        alias: "bulk",
        tokenPrefix: `naf_bulk${chunk}_${i}_`,
        tokenHash: "h",
      }));
      await fx.db.kysely.insertInto("auth_token").values(rows).execute();
    }
    const lookup = "SELECT * FROM auth_token WHERE token_prefix = 'naf_bulk2_17_'";
    if (engine.dialect === "postgres") await sql`ANALYZE auth_token`.execute(fx.db.kysely);
    const plan = await queryPlan(fx.db.kysely, engine.dialect, lookup);
    if (engine.dialect === "sqlite")
      expect(plan).toMatch(/SEARCH auth_token USING INDEX \S+ \(token_prefix=\?\)/);
    if (engine.dialect === "postgres")
      expect(plan).toMatch(/Index Scan using uq_auth_token_token_prefix on auth_token/);
    if (engine.dialect === "mysql") expect(plan).toMatch(/"key":"uq_auth_token_token_prefix"/);
  });
});
